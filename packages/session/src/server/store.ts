import type { PrismaClient, User } from '@wxapp/db'
import type { ClientInfo, SessionReason } from '../shared'
import {
  DEFAULT_SESSION_POLICY,
  initialTimes,
  renewalAt,
  type SessionPolicy,
  sessionState,
} from './policy'
import { formatToken, newSecret, parseToken, secretMatches } from './token'

/** A session as the API shows it: never the token or its hash. */
export interface SessionRecord {
  id: string
  userId: string
  appid: string
  createdAt: Date
  lastUsedAt: Date
  expiresAt: Date
  absoluteExpiresAt: Date
  client: ClientInfo
  ip: string | null
}

export type SessionValidation =
  | {
      ok: true
      session: SessionRecord
      /**
       * The session's user, read with the session (one round trip). With the
       * cache on, as of at most `cache.ttlMs` ago unless this instance changed
       * it (see `forgetUser`).
       */
      user: User
    }
  | { ok: false; reason: SessionReason }

/**
 * A short-lived in-process cache of validated sessions (and their users), so
 * that a busy session costs one database read per `ttlMs` instead of one per
 * call. Only successes are kept; revoking (`revoke`, `revokeAllForUser`) and
 * `forgetUser` drop entries at once in this instance. Another instance that
 * revokes a session or changes a user is seen here within `ttlMs`.
 */
export interface SessionCacheOptions {
  /** How long a validated session is trusted without reading the database; 0 turns the cache off. */
  ttlMs: number
  /** Most sessions kept (the oldest go first); default 10 000. */
  maxEntries?: number
}

export type RevokeReason = 'logout' | 'logout_all' | 'revoked_by_user' | 'admin'

export interface SessionStore {
  /** Opens a session; the token is returned once and never stored. */
  create(input: {
    userId: string
    appid: string
    client?: ClientInfo
    ip?: string | null
  }): Promise<{ token: string; session: SessionRecord }>
  /**
   * Checks a token (for `appid` when given) and renews the session's idle
   * expiry at most once per renewal interval.
   */
  validate(token: string | null | undefined, opts?: { appid?: string }): Promise<SessionValidation>
  /** Revokes one session; false when it was not active. */
  revoke(sessionId: string, reason?: RevokeReason): Promise<boolean>
  /** Revokes every active session of a user; returns how many. */
  revokeAllForUser(userId: string, reason?: RevokeReason): Promise<number>
  /** The user's active sessions, newest first. */
  listForUser(userId: string): Promise<SessionRecord[]>
  /** Deletes sessions that expired or were revoked before `now - retainMs`; returns how many. */
  purgeExpired(opts?: { retainMs?: number }): Promise<number>
  /**
   * Forgets what the cache holds about a user's sessions, after the user
   * changed (profile, phone, login): the next call of this instance reads
   * the user again. A no-op without a cache.
   */
  forgetUser(userId: string): void
}

type Row = {
  id: string
  tokenHash: Uint8Array
  revokedAt: Date | null
  userId: string
  appid: string
  createdAt: Date
  lastUsedAt: Date
  expiresAt: Date
  absoluteExpiresAt: Date
  clientPlatform: string | null
  clientModel: string | null
  clientSystem: string | null
  clientVersion: string | null
  ip: string | null
}

type RowWithUser = Row & { user: User }

function toRecord(row: Omit<Row, 'tokenHash' | 'revokedAt'>): SessionRecord {
  const client: ClientInfo = {}
  if (row.clientPlatform) client.platform = row.clientPlatform
  if (row.clientModel) client.model = row.clientModel
  if (row.clientSystem) client.system = row.clientSystem
  if (row.clientVersion) client.version = row.clientVersion
  return {
    id: row.id,
    userId: row.userId,
    appid: row.appid,
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
    expiresAt: row.expiresAt,
    absoluteExpiresAt: row.absoluteExpiresAt,
    client,
    ip: row.ip,
  }
}

interface Cached {
  row: RowWithUser
  /** The row as the API shows it, built once. */
  record: SessionRecord
  /** Trusted until then (the store's clock, ms). */
  until: number
}

export function createSessionStore(opts: {
  prisma: PrismaClient
  policy?: Partial<SessionPolicy>
  now?: () => Date
  /** Off unless given (and ttlMs > 0). */
  cache?: SessionCacheOptions
}): SessionStore {
  const { prisma } = opts
  const policy: SessionPolicy = { ...DEFAULT_SESSION_POLICY, ...opts.policy }
  const now = opts.now ?? (() => new Date())
  const ttlMs = Math.max(0, opts.cache?.ttlMs ?? 0)
  const maxEntries = Math.max(1, opts.cache?.maxEntries ?? 10_000)

  // Insertion order is expiry order (one TTL for all), so the oldest entries
  // are at the front of the Map: expired ones are swept from there.
  const cache = new Map<string, Cached>()
  const byUser = new Map<string, Set<string>>()
  // Bumped by every revocation or forgetUser: a read that started before one
  // may hold what it undid, so its result is used once but not cached, and
  // later calls do not share it.
  let epoch = 0
  const loading = new Map<string, { epoch: number; promise: Promise<RowWithUser | null> }>()
  const renewing = new Map<string, Promise<void>>()

  const uncache = (sessionId: string) => {
    const entry = cache.get(sessionId)
    if (!entry) return
    cache.delete(sessionId)
    const ids = byUser.get(entry.row.userId)
    ids?.delete(sessionId)
    if (ids?.size === 0) byUser.delete(entry.row.userId)
  }
  const remember = (row: RowWithUser, at: number) => {
    uncache(row.id)
    for (const [id, entry] of cache) {
      if (entry.until > at && cache.size < maxEntries) break
      uncache(id)
    }
    // Shared by every call the entry answers: frozen, so none can change it for the others.
    Object.freeze(row.user)
    const record = toRecord(row)
    Object.freeze(record.client)
    cache.set(row.id, { row, record: Object.freeze(record), until: at + ttlMs })
    let ids = byUser.get(row.userId)
    if (!ids) {
      ids = new Set()
      byUser.set(row.userId, ids)
    }
    ids.add(row.id)
  }
  const forget = (sessionId: string | null, userId: string | null) => {
    epoch++
    if (sessionId !== null) {
      uncache(sessionId)
      loading.delete(sessionId)
    }
    if (userId !== null) {
      for (const id of byUser.get(userId) ?? []) {
        uncache(id)
        loading.delete(id)
      }
    }
  }

  /** The row and its user: one read shared by concurrent calls for the same session. */
  const load = (sessionId: string): Promise<RowWithUser | null> => {
    const shared = loading.get(sessionId)
    if (shared && shared.epoch === epoch) return shared.promise
    const started = epoch
    const promise = prisma.session
      .findUnique({ where: { id: sessionId }, include: { user: true } })
      .finally(() => {
        if (loading.get(sessionId)?.promise === promise) loading.delete(sessionId)
      })
    if (ttlMs > 0) {
      loading.set(sessionId, { epoch: started, promise })
      // Cached only when nothing was revoked or forgotten meanwhile, and
      // only active sessions (checked by the caller before use).
      promise.then(
        (row) => {
          const at = now().getTime()
          if (row && epoch === started && sessionState(row, new Date(at)) === 'active') {
            remember(row, at)
          }
        },
        () => {},
      )
    }
    return promise
  }

  /**
   * Writes a due renewal (conditional, so concurrent requests and instances
   * write it once) and applies it to the cached row; one write per session
   * in flight in this instance.
   */
  const renew = (row: RowWithUser, renewal: { lastUsedAt: Date; expiresAt: Date }, at: Date) => {
    const pending = renewing.get(row.id)
    if (pending) return pending
    const promise = prisma.session
      .updateMany({
        where: {
          id: row.id,
          revokedAt: null,
          lastUsedAt: { lte: new Date(at.getTime() - policy.renewIntervalMs) },
        },
        data: renewal,
      })
      .then(() => {
        const entry = cache.get(row.id)
        if (entry && entry.row.lastUsedAt < renewal.lastUsedAt) {
          entry.row = { ...entry.row, ...renewal }
          const record = toRecord(entry.row)
          Object.freeze(record.client)
          entry.record = Object.freeze(record)
        }
      })
      .finally(() => renewing.delete(row.id))
    renewing.set(row.id, promise)
    return promise
  }

  return {
    async create({ userId, appid, client, ip }) {
      const { secret, hash } = newSecret()
      const row = await prisma.session.create({
        data: {
          tokenHash: new Uint8Array(hash),
          userId,
          appid,
          ...initialTimes(policy, now()),
          clientPlatform: client?.platform ?? null,
          clientModel: client?.model ?? null,
          clientSystem: client?.system ?? null,
          clientVersion: client?.version ?? null,
          ip: ip ?? null,
        },
      })
      return { token: formatToken(row.id, secret), session: toRecord(row) }
    },

    async validate(token, { appid } = {}) {
      if (!token) return { ok: false, reason: 'AUTH_REQUIRED' }
      const parsed = parseToken(token)
      if (!parsed) return { ok: false, reason: 'TOKEN_INVALID' }
      let at = now()
      const hit = ttlMs > 0 ? cache.get(parsed.sessionId) : undefined
      let row: RowWithUser | null
      let cached = false
      if (hit && hit.until > at.getTime()) {
        row = hit.row
        cached = true
      } else {
        row = await load(parsed.sessionId)
        at = now()
      }
      // Unknown id, wrong secret and another app's token look alike to the
      // caller. The hash and the app never change, so a cached row answers
      // these as well as a fresh one.
      if (!row || !secretMatches(parsed.secret, row.tokenHash)) {
        return { ok: false, reason: 'TOKEN_INVALID' }
      }
      if (appid !== undefined && row.appid !== appid) return { ok: false, reason: 'TOKEN_INVALID' }
      let state = sessionState(row, at)
      if (cached && state !== 'active') {
        // Another instance may have renewed it: only the database says no.
        row = await load(parsed.sessionId)
        at = now()
        if (!row) return { ok: false, reason: 'TOKEN_INVALID' }
        state = sessionState(row, at)
        cached = false
      }
      if (state === 'revoked') return { ok: false, reason: 'SESSION_REVOKED' }
      if (state === 'expired') return { ok: false, reason: 'SESSION_EXPIRED' }
      const renewal = renewalAt(policy, row, at)
      if (renewal) {
        await renew(row, renewal, at)
        return { ok: true, session: toRecord({ ...row, ...renewal }), user: row.user }
      }
      return {
        ok: true,
        session: cached && hit ? hit.record : toRecord(row),
        user: row.user,
      }
    },

    async revoke(sessionId, reason = 'logout') {
      // Before the write, so calls meanwhile read the database; after it, so
      // nothing read before it stays cached.
      forget(sessionId, null)
      try {
        const { count } = await prisma.session.updateMany({
          where: { id: sessionId, revokedAt: null },
          data: { revokedAt: now(), revokedReason: reason },
        })
        return count > 0
      } finally {
        forget(sessionId, null)
      }
    },

    async revokeAllForUser(userId, reason = 'logout_all') {
      forget(null, userId)
      try {
        const { count } = await prisma.session.updateMany({
          where: { userId, revokedAt: null },
          data: { revokedAt: now(), revokedReason: reason },
        })
        return count
      } finally {
        forget(null, userId)
      }
    },

    async listForUser(userId) {
      const at = now()
      const rows = await prisma.session.findMany({
        where: {
          userId,
          revokedAt: null,
          expiresAt: { gt: at },
          absoluteExpiresAt: { gt: at },
        },
        orderBy: { createdAt: 'desc' },
      })
      return rows.map(toRecord)
    },

    async purgeExpired({ retainMs = 0 } = {}) {
      const before = new Date(now().getTime() - retainMs)
      const { count } = await prisma.session.deleteMany({
        where: {
          OR: [
            { expiresAt: { lt: before } },
            { absoluteExpiresAt: { lt: before } },
            { revokedAt: { lt: before } },
          ],
        },
      })
      return count
    },

    forgetUser(userId) {
      forget(null, userId)
    },
  }
}
