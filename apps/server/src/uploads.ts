import { createHash, randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, rename, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import multipart from '@fastify/multipart'
import { type ApiServices, REASON_MESSAGES } from '@wxapp/api'
import { REASONS, type SessionReason, type UploadReason } from '@wxapp/session/shared'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
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
  /** Folder the avatars are kept in. */
  dir: string
  maxBytes: number
  /** Base URL for links to uploaded files; by default the one the request came in on. */
  publicUrl?: string | undefined
}

/** Errors in the same shape as tRPC's (`error.data.reason`), so clients handle both alike. */
function fail(reply: FastifyReply, reason: UploadReason | SessionReason, message?: string) {
  const status = REASONS[reason].status
  return reply.code(status).send(errorBody(status, message ?? REASON_MESSAGES[reason], reason))
}

/**
 * `POST /uploads/avatar` (multipart, one file in field `file`, a session
 * token in Authorization) stores an image under the hash of its bytes and
 * answers `{ url }`; `GET /uploads/avatars/<hash>.<ext>` serves it, forever
 * cacheable since the name is the content. Files are kept on disk; several
 * server instances need that folder shared. A plugin of its own, so the
 * multipart parser applies to these routes only.
 */
export const uploadRoutes: FastifyPluginAsync<UploadOptions> = async (app, opts) => {
  const avatars = join(opts.dir, 'avatars')
  await mkdir(avatars, { recursive: true })
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
    const name = `${createHash('sha256').update(bytes).digest('hex')}.${type.ext}`
    const path = join(avatars, name)
    const exists = await stat(path).then(
      () => true,
      () => false,
    )
    if (!exists) {
      // Write then rename: a reader never sees half a file.
      const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`
      await writeFile(temp, bytes)
      await rename(temp, path)
    }
    request.log.info(
      { userId: auth.session.userId, bytes: bytes.length, type: type.mime },
      'avatar uploaded',
    )
    const base = opts.publicUrl ?? `${request.protocol}://${request.host}`
    return reply.code(201).send({ url: `${base.replace(/\/+$/, '')}/uploads/avatars/${name}` })
  })

  app.get<{ Params: { name: string } }>('/uploads/avatars/:name', async (request, reply) => {
    const match = STORED_NAME.exec(request.params.name)
    const type = match && IMAGE_TYPES.find((t) => t.ext === match[2])
    const path = join(avatars, request.params.name)
    if (
      !type ||
      !(await stat(path).then(
        (s) => s.isFile(),
        () => false,
      ))
    ) {
      return reply.code(404).send(errorBody(404, 'No such file'))
    }
    return reply
      .header('content-type', type.mime)
      .header('cache-control', 'public, max-age=31536000, immutable')
      .header('x-content-type-options', 'nosniff')
      .send(createReadStream(path))
  })
}
