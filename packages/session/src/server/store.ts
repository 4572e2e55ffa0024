import type { PrismaClient } from '@wxapp/db'
import type { ClientInfo } from '../shared'
import { DEFAULT_SESSION_POLICY, type SessionPolicy } from './policy'
import { lruSessionCache, noSessionCache, type SessionCacheOptions } from './session-cache'
import type { SessionRecord } from './session-row'
import {
  createSession,
  forgetUserSessions,
  invalidateSession,
  invalidateUserSessions,
  listUserSessions,
  purgeSessions,
  type RevokeReason,
  type SessionDeps,
  type SessionValidation,
  validateSessionToken,
} from './sessions'

/** The session functions of sessions.ts, bound to one database, policy, clock and cache. */
export interface SessionStore {
  /** createSession: opens a session; the token is returned once and never stored. */
  create(input: {
    userId: string
    appid: string
    client?: ClientInfo | undefined
    ip?: string | null
  }): Promise<{ token: string; session: SessionRecord }>
  /** validateSessionToken: checks a token (for `appid` when given) and renews the session when due. */
  validate(token: string | null | undefined, opts?: { appid?: string }): Promise<SessionValidation>
  /** invalidateSession: revokes one session; false when it was not active. */
  revoke(sessionId: string, reason?: RevokeReason): Promise<boolean>
  /** invalidateUserSessions: revokes every active session of a user; returns how many. */
  revokeAllForUser(userId: string, reason?: RevokeReason): Promise<number>
  /** listUserSessions: the user's active sessions, newest first. */
  listForUser(userId: string): Promise<SessionRecord[]>
  /** purgeSessions: deletes sessions ended before `now - retainMs`; returns how many. */
  purgeExpired(opts?: { retainMs?: number }): Promise<number>
  /** forgetUserSessions: after a user changed, this instance reads them again. */
  forgetUser(userId: string): void
}

export function createSessionStore(opts: {
  prisma: PrismaClient
  policy?: Partial<SessionPolicy>
  now?: () => Date
  /** Off unless given (and ttlMs > 0). */
  cache?: SessionCacheOptions
}): SessionStore {
  const { prisma } = opts
  const now = opts.now ?? (() => new Date())
  const read = (id: string) => prisma.session.findUnique({ where: { id }, include: { user: true } })
  const ttlMs = opts.cache?.ttlMs ?? 0
  const deps: SessionDeps = {
    prisma,
    policy: { ...DEFAULT_SESSION_POLICY, ...opts.policy },
    now,
    cache:
      ttlMs > 0
        ? lruSessionCache(read, { ...opts.cache, ttlMs, now: () => now().getTime() })
        : noSessionCache(read),
    renewals: new Map(),
  }
  return {
    create: (input) => createSession(deps, input),
    validate: (token, validateOpts) => validateSessionToken(deps, token, validateOpts),
    revoke: (sessionId, reason) => invalidateSession(deps, sessionId, reason),
    revokeAllForUser: (userId, reason) => invalidateUserSessions(deps, userId, reason),
    listForUser: (userId) => listUserSessions(deps, userId),
    purgeExpired: (purgeOpts) => purgeSessions(deps, purgeOpts),
    forgetUser: (userId) => forgetUserSessions(deps, userId),
  }
}
