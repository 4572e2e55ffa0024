import { createHash } from 'node:crypto'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import multipart from '@fastify/multipart'
import {
  type ApiServices,
  knownAvatarVerdict,
  REASON_MESSAGES,
  submitAvatarCheck,
} from '@wxapp/api'
import { REASONS, type ServerReason } from '@wxapp/session/shared'
import {
  createLocalStore,
  createS3Store,
  type ObjectStore,
  StorageUnavailableError,
} from '@wxapp/storage'
import type { FastifyBaseLogger, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { UploadStorageConfig } from './config'
import { errorBody } from './http-errors'
import { requestAuth } from './request-auth'

/** Image types an avatar may have, recognised by their first bytes, not by what the client claims. */
const IMAGE_TYPES = [
  { ext: 'png', mime: 'image/png', test: (b: Buffer) => b.subarray(0, 8).equals(PNG) },
  {
    ext: 'jpg',
    mime: 'image/jpeg',
    test: (b: Buffer) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
  },
  {
    ext: 'gif',
    mime: 'image/gif',
    test: (b: Buffer) => b.subarray(0, 4).toString('latin1') === 'GIF8',
  },
  {
    ext: 'webp',
    mime: 'image/webp',
    test: (b: Buffer) =>
      b.subarray(0, 4).toString('latin1') === 'RIFF' &&
      b.subarray(8, 12).toString('latin1') === 'WEBP',
  },
] as const
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
const STORED_NAME = /^([0-9a-f]{64})\.(png|jpg|gif|webp)$/

export interface UploadOptions {
  services: ApiServices
  /** Folder the avatars are kept in with the local storage (under `avatars/`). */
  dir: string
  maxBytes: number
  /** Base URL of this server for links to uploaded files; by default the one the request came in on. */
  publicUrl?: string | undefined
  /** Where the files are publicly served from instead (a CDN, the bucket): `<filesUrl>/avatars/<name>`. */
  filesUrl?: string | undefined
  /** Where the files are kept (default: the local folder `dir`); `services.files` is that store. */
  storage?: UploadStorageConfig | undefined
}

/** The store the configuration names. */
export function createUploadStore(opts: Pick<UploadOptions, 'dir' | 'storage'>): ObjectStore {
  const storage = opts.storage ?? { kind: 'local' }
  if (storage.kind === 'local') return createLocalStore({ dir: opts.dir })
  return createS3Store({
    endpoint: storage.endpoint,
    region: storage.region,
    bucket: storage.bucket,
    credentials: storage.credentials,
    forcePathStyle: storage.forcePathStyle,
  })
}

/**
 * Logs a store outage by what failed, not by the error object: the SDK's
 * error carries request details that have no place in the log.
 */
function logUnavailable(log: FastifyBaseLogger, error: StorageUnavailableError) {
  const cause = error.cause as { name?: unknown; code?: unknown } | undefined
  log.warn(
    {
      operation: error.operation,
      key: error.key,
      cause: typeof cause?.code === 'string' ? cause.code : cause?.name,
    },
    'upload storage unavailable',
  )
}

/** Errors in the same shape as tRPC's (`error.data.reason`), so clients handle both alike. */
function fail(reply: FastifyReply, reason: ServerReason, message?: string) {
  const status = REASONS[reason].status
  return reply.code(status).send(errorBody(status, message ?? REASON_MESSAGES[reason], reason))
}

/**
 * `POST /uploads/avatar` (multipart, one file in field `file`, a session
 * token in Authorization) stores an image under the hash of its bytes and
 * answers `{ url }`; `GET /uploads/avatars/<hash>.<ext>` serves it, forever
 * cacheable since the name is the content. Files are kept in an ObjectStore:
 * a local folder (one instance, or a shared volume) or an S3-compatible
 * bucket, from which any instance serves any upload. A plugin of its own, so
 * the multipart parser applies to these routes only.
 */
export const uploadRoutes: FastifyPluginAsync<UploadOptions> = async (app, opts) => {
  const store = opts.services.files
  // The local folder is made at start, so an unwritable UPLOAD_DIR stops the
  // server there rather than failing the first upload.
  if (store.kind === 'local') {
    await mkdir(join(opts.dir, 'avatars'), { recursive: true })
  }
  await app.register(multipart, {
    limits: { files: 1, fileSize: opts.maxBytes, fields: 5, fieldSize: 1024, parts: 6 },
  })

  app.post('/uploads/avatar', async (request: FastifyRequest, reply) => {
    const { token, appid } = requestAuth(request)
    const auth = await opts.services.sessions.validate(token, {
      appid: appid ?? opts.services.apps.defaultAppid,
    })
    if (!auth.ok) return fail(reply, auth.reason, 'Log in to upload an avatar')
    if (!request.isMultipart()) {
      return fail(reply, 'UPLOAD_MISSING', 'Send the image as multipart/form-data')
    }
    const file = await request.file()
    if (!file) return fail(reply, 'UPLOAD_MISSING')
    let bytes: Buffer
    try {
      bytes = await file.toBuffer()
    } catch (error) {
      if ((error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') {
        return fail(
          reply,
          'UPLOAD_TOO_LARGE',
          `The image is larger than ${Math.floor(opts.maxBytes / 1024)} KB`,
        )
      }
      throw error
    }
    const type = IMAGE_TYPES.find((t) => t.test(bytes))
    if (!type) {
      return fail(reply, 'UPLOAD_UNSUPPORTED_TYPE')
    }
    const userId = auth.session.userId
    // Named after the user and the bytes: the same picture from the same user
    // is one file (and one verdict), and no two users share a file, so
    // deleting an account deletes exactly its own.
    const hash = createHash('sha256').update(userId).update('\0').update(bytes).digest('hex')
    const name = `${hash}.${type.ext}`
    const key = `avatars/${name}`
    const url = opts.filesUrl
      ? `${opts.filesUrl}/avatars/${name}`
      : `${(opts.publicUrl ?? `${request.protocol}://${request.host}`).replace(/\/+$/, '')}/uploads/avatars/${name}`
    // The session's app may have left the configuration since it logged in.
    const app = opts.services.apps.get(auth.session.appid)
    if (!app) return fail(reply, 'APP_UNKNOWN')
    const known = await knownAvatarVerdict(opts.services, key)
    if (known === 'risky') return fail(reply, 'CONTENT_RISKY', REASON_MESSAGES.CONTENT_RISKY)
    // The row first: a file in the store always has an owner to delete it with.
    await opts.services.db.prisma.upload.upsert({
      where: { key },
      create: { userId, key, url },
      update: {},
    })
    try {
      // Whole or not at all in both drivers (rename, a single PUT), and the
      // same name for the same bytes, so writing again is harmless.
      await store.put(key, bytes, type.mime)
    } catch (error) {
      if (!(error instanceof StorageUnavailableError)) throw error
      logUnavailable(request.log, error)
      // No URL goes back, so the client leaves the user's avatar as it was.
      return fail(reply, 'UPLOAD_STORAGE_UNAVAILABLE')
    }
    request.log.info({ userId, bytes: bytes.length, type: type.mime }, 'avatar uploaded')
    // Shown at once; WeChat's verdict comes later to /wechat/push.
    if (known === null) {
      await submitAvatarCheck(opts.services, app, request.log, auth.user, { key, url })
    }
    return reply.code(201).send({ url })
  })

  app.get<{ Params: { name: string } }>('/uploads/avatars/:name', async (request, reply) => {
    const match = STORED_NAME.exec(request.params.name)
    const type = match && IMAGE_TYPES.find((t) => t.ext === match[2])
    if (!type) return reply.code(404).send(errorBody(404, 'No such file'))
    let object: Awaited<ReturnType<ObjectStore['get']>>
    try {
      object = await store.get(`avatars/${request.params.name}`)
    } catch (error) {
      if (!(error instanceof StorageUnavailableError)) throw error
      logUnavailable(request.log, error)
      return fail(reply, 'UPLOAD_STORAGE_UNAVAILABLE')
    }
    if (!object) return reply.code(404).send(errorBody(404, 'No such file'))
    // The type is the one of the name (which the upload chose from the
    // bytes), not whatever else a bucket might say.
    return reply
      .header('content-type', type.mime)
      .header('content-length', object.size)
      .header('cache-control', 'public, max-age=31536000, immutable')
      .header('x-content-type-options', 'nosniff')
      .send(object.body)
  })
}
