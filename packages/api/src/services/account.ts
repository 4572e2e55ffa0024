/*
 * A user's own data: `user.exportData` (everything the server holds on them,
 * secrets aside) and `user.deleteAccount` (all of it gone). What deletion
 * removes, and how a store that fails is recovered from, is in
 * packages/api/README.md.
 */
import { Platform, type PrismaClient, type User } from '@wxapp/db'
import type { ObjectStore } from '@wxapp/storage'
import { z } from 'zod'
import type { ApiLogger, Context } from '../context'
import { ReasonedError } from '../errors'
import { loginLimitKey, userLoginLimit } from './login'

/** The rate-limit rows that name a user (login's per-user limit); per-IP rows name no one. */
export function userRateLimitKeys(user: Pick<User, 'appid' | 'openid'>): string[] {
  return [loginLimitKey(userLoginLimit(user.appid, user.openid))]
}

/** What the database part of a deletion removed. */
export interface DeletedRows {
  /** The keys of the user's files in the upload store, to remove next. */
  uploadKeys: string[]
  sessions: number
  contentChecks: number
}

/**
 * Deletes the user and every row about them in one transaction: content
 * checks, uploads' rows, sessions, the sealed session_key, the per-user
 * rate-limit rows, then the user row (phone number and profile with it).
 * Null when the user was already gone (another deletion got there first).
 *
 * The user's row is locked first: an upload or a content check being
 * recorded for them meanwhile waits for the deletion and then fails on the
 * missing user, so no row (and no file key) is left out of the list read here.
 */
export function deleteUserRows(
  prisma: PrismaClient,
  user: Pick<User, 'id' | 'appid' | 'openid'>,
): Promise<DeletedRows | null> {
  const userId = user.id
  return prisma.$transaction(async (tx) => {
    const locked = await tx.$queryRaw<unknown[]>`
      SELECT id FROM users WHERE id = ${userId}::uuid FOR UPDATE`
    if (locked.length === 0) return null
    const uploads = await tx.upload.findMany({ where: { userId }, select: { key: true } })
    const contentChecks = await tx.contentCheck.deleteMany({ where: { userId } })
    await tx.upload.deleteMany({ where: { userId } })
    const sessions = await tx.session.deleteMany({ where: { userId } })
    await tx.wechatSessionKey.deleteMany({ where: { userId } })
    await tx.rateLimitLog.deleteMany({ where: { key: { in: userRateLimitKeys(user) } } })
    await tx.user.delete({ where: { id: userId } })
    return {
      uploadKeys: uploads.map((upload) => upload.key),
      sessions: sessions.count,
      contentChecks: contentChecks.count,
    }
  })
}

/**
 * Removes a deleted user's files from the store; answers the keys it could
 * not remove. The rows are gone by then, so nothing refers to those files
 * any more: they are logged (keys are not secrets) with a message to grep
 * for, and removing them later (by hand, or with the store's own tools:
 * `aws s3 rm s3://<bucket>/<key>`, `rm <UPLOAD_DIR>/<key>`) finishes the
 * deletion. Removing a key twice is harmless in both drivers.
 */
export async function removeUserFiles(
  log: ApiLogger,
  files: Pick<ObjectStore, 'delete'>,
  userId: string,
  keys: readonly string[],
): Promise<string[]> {
  const results = await Promise.allSettled(keys.map((key) => files.delete(key)))
  const leftover = keys.filter((_, i) => results[i]?.status === 'rejected')
  if (leftover.length > 0) {
    log.error(
      { userId, keys: leftover },
      'deleted account left files in the upload store: remove these keys by hand',
    )
  }
  return leftover
}

/**
 * Deletes the account of `user`: the rows (one transaction), then every
 * instance's session cache forgets the user, so each of their tokens is
 * refused at once everywhere (TOKEN_INVALID: the sessions no longer exist),
 * then their files go. A later login of the same WeChat user makes a new user.
 *
 * The rows go first so that a failing store never leaves a half-deleted
 * user who could still log in: at worst some files stay, unreferenced and
 * logged by key (see removeUserFiles), and the account counts as deleted.
 */
export async function deleteAccount(
  ctx: Context,
  user: Pick<User, 'id' | 'appid' | 'openid'>,
): Promise<void> {
  const deleted = await deleteUserRows(ctx.services.db.prisma, user)
  // Forgotten even when another call deleted the user first: it costs nothing.
  await ctx.services.sessions.forgetUser(user.id, { everywhere: true })
  if (!deleted) throw new ReasonedError('TOKEN_INVALID')
  const leftover = await removeUserFiles(ctx.log, ctx.services.files, user.id, deleted.uploadKeys)
  ctx.log.info(
    {
      userId: user.id,
      sessions: deleted.sessions,
      contentChecks: deleted.contentChecks,
      uploads: deleted.uploadKeys.length,
      filesLeft: leftover.length,
    },
    'account deleted',
  )
}

const isoDate = z.iso.datetime()

/** Bumped when a field changes meaning or goes away (new fields keep it). */
export const EXPORT_FORMAT = 'wxapp.user-export/1'

/** What `user.exportData` answers: the user's data as the server holds it, secrets left out. */
export const UserExport = z.object({
  format: z.literal(EXPORT_FORMAT),
  exportedAt: isoDate,
  user: z.object({
    id: z.string(),
    platform: z.enum(Platform),
    appid: z.string(),
    openid: z.string(),
    unionid: z.string().nullable(),
    nickname: z.string().nullable(),
    avatarUrl: z.string().nullable(),
    /** In full: it is the user's own. */
    phoneNumber: z.string().nullable(),
    phoneCountryCode: z.string().nullable(),
    createdAt: isoDate,
    updatedAt: isoDate,
    lastLoginAt: isoDate.nullable(),
  }),
  /** Every session still stored (revoked and expired ones too, until purged), newest first; never a token or its hash. */
  sessions: z.array(
    z.object({
      id: z.string(),
      appid: z.string(),
      /** The session this export was asked with. */
      current: z.boolean(),
      createdAt: isoDate,
      lastUsedAt: isoDate,
      expiresAt: isoDate,
      absoluteExpiresAt: isoDate,
      revokedAt: isoDate.nullable(),
      revokedReason: z.string().nullable(),
      client: z.object({
        platform: z.string().nullable(),
        model: z.string().nullable(),
        system: z.string().nullable(),
        version: z.string().nullable(),
      }),
      ip: z.string().nullable(),
    }),
  ),
  /** Whether WeChat's session_key of the last login is kept (sealed), never the key. */
  wechatSessionKey: z.object({
    held: z.boolean(),
    appid: z.string().nullable(),
    updatedAt: isoDate.nullable(),
  }),
  uploads: z.array(z.object({ key: z.string(), url: z.string(), createdAt: isoDate })),
  contentChecks: z.array(
    z.object({
      kind: z.string(),
      content: z.string(),
      status: z.string(),
      label: z.number().int().nullable(),
      traceId: z.string().nullable(),
      createdAt: isoDate,
      decidedAt: isoDate.nullable(),
    }),
  ),
})
export type UserExport = z.infer<typeof UserExport>

const iso = (date: Date) => date.toISOString()
const isoOrNull = (date: Date | null) => date?.toISOString() ?? null

/**
 * Everything stored on the user, read in one query with explicit selections:
 * the token hash and the sealed session_key are never even read.
 * Null when the user is gone.
 */
export async function exportUserData(
  prisma: PrismaClient,
  userId: string,
  opts: { currentSessionId?: string; now?: Date } = {},
): Promise<UserExport | null> {
  const user = await prisma.user.findUnique({
    where: { id: userId },
    select: {
      id: true,
      platform: true,
      appid: true,
      openid: true,
      unionid: true,
      nickname: true,
      avatarUrl: true,
      phoneNumber: true,
      phoneCountryCode: true,
      createdAt: true,
      updatedAt: true,
      lastLoginAt: true,
      sessions: {
        orderBy: { createdAt: 'desc' },
        select: {
          id: true,
          appid: true,
          createdAt: true,
          lastUsedAt: true,
          expiresAt: true,
          absoluteExpiresAt: true,
          revokedAt: true,
          revokedReason: true,
          clientPlatform: true,
          clientModel: true,
          clientSystem: true,
          clientVersion: true,
          ip: true,
        },
      },
      wechatSessionKey: { select: { appid: true, updatedAt: true } },
      uploads: { orderBy: { createdAt: 'asc' }, select: { key: true, url: true, createdAt: true } },
      contentChecks: {
        orderBy: { createdAt: 'asc' },
        select: {
          kind: true,
          content: true,
          status: true,
          label: true,
          traceId: true,
          createdAt: true,
          decidedAt: true,
        },
      },
    },
  })
  if (!user) return null
  const { sessions, wechatSessionKey, uploads, contentChecks, ...profile } = user
  return {
    format: EXPORT_FORMAT,
    exportedAt: iso(opts.now ?? new Date()),
    user: {
      ...profile,
      createdAt: iso(profile.createdAt),
      updatedAt: iso(profile.updatedAt),
      lastLoginAt: isoOrNull(profile.lastLoginAt),
    },
    sessions: sessions.map((s) => ({
      id: s.id,
      appid: s.appid,
      current: s.id === opts.currentSessionId,
      createdAt: iso(s.createdAt),
      lastUsedAt: iso(s.lastUsedAt),
      expiresAt: iso(s.expiresAt),
      absoluteExpiresAt: iso(s.absoluteExpiresAt),
      revokedAt: isoOrNull(s.revokedAt),
      revokedReason: s.revokedReason,
      client: {
        platform: s.clientPlatform,
        model: s.clientModel,
        system: s.clientSystem,
        version: s.clientVersion,
      },
      ip: s.ip,
    })),
    wechatSessionKey: {
      held: wechatSessionKey !== null,
      appid: wechatSessionKey?.appid ?? null,
      updatedAt: isoOrNull(wechatSessionKey?.updatedAt ?? null),
    },
    uploads: uploads.map((u) => ({ key: u.key, url: u.url, createdAt: iso(u.createdAt) })),
    contentChecks: contentChecks.map((c) => ({
      ...c,
      createdAt: iso(c.createdAt),
      decidedAt: isoOrNull(c.decidedAt),
    })),
  }
}
