import type { PrismaClient, WechatAccessToken } from '@wxapp/db'
import type { SecretBox } from '@wxapp/session/server'
import type { AccessTokenCache, AccessTokenRecord } from '@wxapp/wechat'

/**
 * How refreshes are serialised:
 * - `advisory`: `pg_advisory_xact_lock` inside a transaction, for a PostgreSQL
 *   server shared by several instances. The lock is held while WeChat is
 *   asked, so waiters then read the winner's token instead of asking again.
 * - `process`: a lock in this process, for PGlite. PGlite is one process's
 *   database, and it runs one transaction at a time for every connection: a
 *   transaction held open across a WeChat call would stall every other query.
 */
export type AccessTokenLockMode = 'advisory' | 'process'

export interface AccessTokenCacheOptions {
  prisma: PrismaClient
  box: SecretBox
  lock: AccessTokenLockMode
  /**
   * How long a refresh may hold the lock, WeChat calls included (advisory
   * mode: the transaction's timeout). Default 45 s: two stable_token calls
   * with their retries at the default 5 s timeout.
   */
  timeoutMs?: number
  /** How long to wait for a pool connection to start the transaction (default 10 s). */
  maxWaitMs?: number
  /** Told when a stored token cannot be opened (say, after a data key was retired). */
  onUnreadable?: (appid: string) => void
}

/** One lock namespace for these rows, so the appid's hash cannot meet other advisory locks. */
const LOCK_NAMESPACE = 'wxapp.wechat_access_token'
const context = (appid: string) => `wechat-access-token:${appid}`

/** Stores each app's stable access token sealed with the server's data key. */
export function createAccessTokenCache(opts: AccessTokenCacheOptions): AccessTokenCache {
  const { prisma, box } = opts
  const timeout = opts.timeoutMs ?? 45_000
  const maxWait = opts.maxWaitMs ?? 10_000

  const decode = (row: WechatAccessToken | null): AccessTokenRecord | null => {
    if (!row) return null
    let accessToken: string
    try {
      accessToken = box.open(row.encrypted, context(row.appid))
    } catch {
      // Unreadable (a retired data key): as good as none, a new one is fetched.
      opts.onUnreadable?.(row.appid)
      return null
    }
    return {
      accessToken,
      expiresAt: row.expiresAt,
      refreshedAt: row.refreshedAt,
      lastForcedAt: row.lastForcedAt,
      forcedDay: row.forcedDay ? row.forcedDay.toISOString().slice(0, 10) : null,
      forcedCount: row.forcedCount,
    }
  }

  const encode = (appid: string, r: AccessTokenRecord) => ({
    encrypted: box.seal(r.accessToken, context(appid)),
    expiresAt: r.expiresAt,
    refreshedAt: r.refreshedAt,
    lastForcedAt: r.lastForcedAt,
    forcedDay: r.forcedDay ? new Date(`${r.forcedDay}T00:00:00Z`) : null,
    forcedCount: r.forcedCount,
  })

  /** Per-appid chains of this process's refreshes (process mode). */
  const chains = new Map<string, Promise<unknown>>()
  async function processLocked<T>(appid: string, fn: () => Promise<T>): Promise<T> {
    const previous = chains.get(appid) ?? Promise.resolve()
    const run = previous.then(fn, fn)
    const tail = run.catch(() => {})
    chains.set(appid, tail)
    try {
      return await run
    } finally {
      if (chains.get(appid) === tail) chains.delete(appid)
    }
  }

  return {
    async read(appid) {
      return decode(await prisma.wechatAccessToken.findUnique({ where: { appid } }))
    },

    refreshLocked(appid, fn) {
      if (opts.lock === 'process') {
        return processLocked(appid, async () => {
          const current = decode(await prisma.wechatAccessToken.findUnique({ where: { appid } }))
          const next = await fn(current)
          if (next !== current) {
            const data = encode(appid, next)
            await prisma.wechatAccessToken.upsert({
              where: { appid },
              create: { appid, ...data },
              update: data,
            })
          }
          return next
        })
      }
      // Only `tx` inside: the outer client would wait for a second connection.
      return prisma.$transaction(
        async (tx) => {
          // A waiter gives up a little before the transaction would time out.
          const lockTimeout = Math.max(1000, timeout - 5000)
          await tx.$executeRawUnsafe(`SET LOCAL lock_timeout = ${lockTimeout}`)
          await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${LOCK_NAMESPACE}), hashtext(${appid}))`
          // Read after the lock: a waiter sees the token its predecessor stored.
          const current = decode(await tx.wechatAccessToken.findUnique({ where: { appid } }))
          const next = await fn(current)
          if (next !== current) {
            const data = encode(appid, next)
            await tx.wechatAccessToken.upsert({
              where: { appid },
              create: { appid, ...data },
              update: data,
            })
          }
          return next
        },
        { timeout, maxWait },
      )
    },
  }
}
