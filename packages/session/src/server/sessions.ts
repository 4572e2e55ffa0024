/*
 * Sessions as flat functions over their dependencies, in the manner of
 * Lucia v3 and the Copenhagen Book: create, validate (with sliding renewal),
 * invalidate one, invalidate all of a user's, list, purge. Each rule lives in
 * policy.ts (lifetimes), token.ts (the token) or here, once.
 */
import { Prisma, type PrismaClient, type User } from '@wxapp/db'
import { v7 as uuidv7 } from 'uuid'
import type { ClientInfo, SessionReason } from '../shared'
import { initialTimes, renewalAt, type SessionPolicy, sessionState } from './policy'
import type { SessionCache } from './session-cache'
import { type SessionRecord, type SessionRowWithUser, toRecord } from './session-row'
import { formatToken, newSecret, parseToken, secretMatches } from './token'

export interface SessionDeps {
  prisma: PrismaClient
  policy: SessionPolicy
  now: () => Date
  cache: SessionCache
  /** Renewal writes in flight, by session: one per session in this instance. */
  renewals: Map<string, Promise<void>>
  /** Tells the other instances what their caches must forget, once it is written (never rejects). */
  announce: (change: SessionChange) => Promise<void>
}

/** What a cache must forget: one session, or every session of a user (who changed). */
export type SessionChange = { kind: 'session'; id: string } | { kind: 'user'; id: string }

function forgetChange(cache: SessionDeps['cache'], change: SessionChange): void {
  if (change.kind === 'session') cache.forget(change.id)
  else cache.forgetUser(change.id)
}

export type SessionValidation =
  | {
      ok: true
      session: SessionRecord
      /**
       * The session's user, read with the session (one round trip). With the
       * cache on, as of at most its ttl ago unless this instance changed it
       * (see `forgetUserSessions`).
       */
      user: User
    }
  | { ok: false; reason: SessionReason }

export type RevokeReason = 'logout' | 'logout_all' | 'revoked_by_user' | 'admin'

const refuse = (reason: SessionReason): SessionValidation => ({ ok: false, reason })

/**
 * A new session as one INSERT for the user `userIds` selects (no row when it
 * selects none), for a caller to send alone (createSession) or inside a larger
 * statement (a login's). Raw SQL, as every value is known here and nothing
 * needs reading back: what Prisma's create compiles and maps on each call was
 * most of a login's database work. The id is a UUIDv7, as Prisma's
 * @default(uuid(7)) makes; `timestamp` columns hold UTC, which is how the
 * adapter sends a Date. `opened` gives the token (returned once, never
 * stored) and the record, once the caller knows the row was written.
 */
export function sessionInsert(
  deps: Pick<SessionDeps, 'policy' | 'now'>,
  input: {
    userIds: Prisma.Sql
    appid: string
    client?: ClientInfo | undefined
    ip?: string | null
  },
): { sql: Prisma.Sql; opened(userId: string): { token: string; session: SessionRecord } } {
  const { secret, hash } = newSecret()
  const row = {
    id: uuidv7(),
    appid: input.appid,
    // The wall clock, as Prisma's @default(now()) wrote it: sessions list in this order.
    createdAt: new Date(),
    ...initialTimes(deps.policy, deps.now()),
    clientPlatform: input.client?.platform ?? null,
    clientModel: input.client?.model ?? null,
    clientSystem: input.client?.system ?? null,
    clientVersion: input.client?.version ?? null,
    ip: input.ip ?? null,
  }
  return {
    sql: Prisma.sql`
    INSERT INTO sessions (id, token_hash, user_id, appid, created_at, last_used_at, expires_at,
      absolute_expires_at, client_platform, client_model, client_system, client_version, ip)
    SELECT ${row.id}::uuid, ${new Uint8Array(hash)}, src.id, ${row.appid},
      ${row.createdAt}::timestamp, ${row.lastUsedAt}::timestamp, ${row.expiresAt}::timestamp,
      ${row.absoluteExpiresAt}::timestamp, ${row.clientPlatform}, ${row.clientModel},
      ${row.clientSystem}, ${row.clientVersion}, ${row.ip}
      FROM (${input.userIds}) AS src(id)`,
    opened: (userId) => ({
      token: formatToken(row.id, secret),
      session: toRecord({ ...row, userId }),
    }),
  }
}

/** Opens a session for `userId` (sessionInsert, sent alone). */
export async function createSession(
  deps: SessionDeps,
  input: { userId: string; appid: string; client?: ClientInfo | undefined; ip?: string | null },
): Promise<{ token: string; session: SessionRecord }> {
  const { userId, ...rest } = input
  const insert = sessionInsert(deps, { ...rest, userIds: Prisma.sql`SELECT ${userId}::uuid` })
  await deps.prisma.$executeRaw(insert.sql)
  return insert.opened(userId)
}

/**
 * Checks a token (for `appid` when given) and renews the session's idle
 * expiry at most once per renewal interval. Unknown id, wrong secret and
 * another app's token look alike to the caller.
 */
export async function validateSessionToken(
  deps: SessionDeps,
  token: string | null | undefined,
  opts: { appid?: string } = {},
): Promise<SessionValidation> {
  if (!token) return refuse('AUTH_REQUIRED')
  const parsed = parseToken(token)
  if (!parsed) return refuse('TOKEN_INVALID')
  const hit = deps.cache.get(parsed.sessionId)
  let row = hit?.row ?? (await deps.cache.load(parsed.sessionId))
  // The hash and the app never change: a cached row answers these as well as a fresh one.
  if (!row || !secretMatches(parsed.secret, row.tokenHash)) return refuse('TOKEN_INVALID')
  if (opts.appid !== undefined && row.appid !== opts.appid) return refuse('TOKEN_INVALID')
  let at = deps.now()
  let state = sessionState(row, at)
  if (hit && state !== 'active') {
    // Another instance may have renewed it: only the database says no.
    row = await deps.cache.load(parsed.sessionId)
    if (!row) return refuse('TOKEN_INVALID')
    at = deps.now()
    state = sessionState(row, at)
  }
  if (state === 'revoked') return refuse('SESSION_REVOKED')
  if (state === 'expired') return refuse('SESSION_EXPIRED')
  const renewal = renewalAt(deps.policy, row, at)
  if (renewal) {
    await renewSession(deps, row, renewal, at)
    return { ok: true, session: toRecord({ ...row, ...renewal }), user: row.user }
  }
  return { ok: true, session: hit?.row === row ? hit.record : toRecord(row), user: row.user }
}

/**
 * Writes a due renewal, conditionally so that concurrent requests and
 * instances write it once, and gives it to the cache; calls of this instance
 * that find it due meanwhile share the one write.
 */
function renewSession(
  deps: SessionDeps,
  row: SessionRowWithUser,
  renewal: { lastUsedAt: Date; expiresAt: Date },
  at: Date,
): Promise<void> {
  const pending = deps.renewals.get(row.id)
  if (pending) return pending
  const promise = deps.prisma.session
    .updateMany({
      where: {
        id: row.id,
        revokedAt: null,
        lastUsedAt: { lte: new Date(at.getTime() - deps.policy.renewIntervalMs) },
      },
      data: renewal,
    })
    .then(() => deps.cache.update({ ...row, ...renewal }))
    .finally(() => deps.renewals.delete(row.id))
  deps.renewals.set(row.id, promise)
  return promise
}

/**
 * Revokes the active sessions `change` names. What the cache holds of them is
 * forgotten before the write, so calls meanwhile read the database, and after
 * it, so that nothing read before it stays; then the other instances are told
 * (only after the write: told before, they could read the session again and
 * keep it).
 */
async function revoke(
  deps: SessionDeps,
  change: SessionChange,
  reason: RevokeReason,
): Promise<number> {
  forgetChange(deps.cache, change)
  let count: number
  try {
    const where = change.kind === 'session' ? { id: change.id } : { userId: change.id }
    ;({ count } = await deps.prisma.session.updateMany({
      where: { ...where, revokedAt: null },
      data: { revokedAt: deps.now(), revokedReason: reason },
    }))
  } finally {
    forgetChange(deps.cache, change)
  }
  if (count > 0) await deps.announce(change)
  return count
}

/** Revokes one session; false when it was not active. */
export async function invalidateSession(
  deps: SessionDeps,
  sessionId: string,
  reason: RevokeReason = 'logout',
): Promise<boolean> {
  const count = await revoke(deps, { kind: 'session', id: sessionId }, reason)
  return count > 0
}

/** Revokes every active session of a user; returns how many. */
export function invalidateUserSessions(
  deps: SessionDeps,
  userId: string,
  reason: RevokeReason = 'logout_all',
): Promise<number> {
  return revoke(deps, { kind: 'user', id: userId }, reason)
}

/** The user's active sessions, newest first. */
export async function listUserSessions(
  deps: SessionDeps,
  userId: string,
): Promise<SessionRecord[]> {
  const at = deps.now()
  const rows = await deps.prisma.session.findMany({
    where: { userId, revokedAt: null, expiresAt: { gt: at }, absoluteExpiresAt: { gt: at } },
    orderBy: { createdAt: 'desc' },
  })
  return rows.map(toRecord)
}

/** Deletes sessions that expired or were revoked before `now - retainMs`; returns how many. */
export async function purgeSessions(
  deps: SessionDeps,
  opts: { retainMs?: number } = {},
): Promise<number> {
  const before = new Date(deps.now().getTime() - (opts.retainMs ?? 0))
  const { count } = await deps.prisma.session.deleteMany({
    where: {
      OR: [
        { expiresAt: { lt: before } },
        { absoluteExpiresAt: { lt: before } },
        { revokedAt: { lt: before } },
      ],
    },
  })
  return count
}

/**
 * After a user changed (profile, phone, login): what every instance's cache
 * holds of their sessions is dropped, so the next call reads the user again.
 */
export async function forgetUserSessions(deps: SessionDeps, userId: string): Promise<void> {
  const change: SessionChange = { kind: 'user', id: userId }
  forgetChange(deps.cache, change)
  await deps.announce(change)
}
