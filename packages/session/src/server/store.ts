import type { Database, Prisma } from '@wxapp/db'
import type { ClientInfo } from '../shared'
import { DEFAULT_SESSION_POLICY, type SessionPolicy } from './policy'
import { lruSessionCache, noSessionCache, type SessionCacheOptions } from './session-cache'
import { readSessionWithUser } from './session-read'
import type { SessionRecord } from './session-row'
import {
  createSession,
  forgetUserSessions,
  invalidateSession,
  invalidateUserSessions,
  listUserSessions,
  purgeSessions,
  type RevokeReason,
  type SessionChange,
  type SessionDeps,
  type SessionValidation,
  sessionInsert,
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
  /**
   * sessionInsert: the INSERT of a new session for the user `userIds`
   * selects, to send inside a larger statement (a login's, with its user
   * upsert); `opened` gives the token and record once it was written.
   */
  insertStatement(input: {
    userIds: Prisma.Sql
    appid: string
    client?: ClientInfo | undefined
    ip?: string | null
  }): { sql: Prisma.Sql; opened(userId: string): { token: string; session: SessionRecord } }
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
  /**
   * forgetUserSessions: after a user changed, every instance reads them again
   * (`everywhere: false`: this one only, for a change the others need not see).
   */
  forgetUser(userId: string, opts?: { everywhere?: boolean }): Promise<void>
}

/**
 * How the instances of one deployment tell each other what their session
 * caches must forget (PostgreSQL's LISTEN/NOTIFY in the server). Messages
 * are short strings; every instance, the sender too, receives each one.
 */
export interface SessionChangeChannel {
  /** Sends to every instance; never rejects (a failure is the channel's to log). */
  publish(message: string): Promise<void>
  /**
   * `onMessage` for each message; `onGap` when some may have been missed
   * (the channel's connection was lost), after which the cache starts over.
   */
  subscribe(onMessage: (message: string) => void, onGap: () => void): void
}

const CHANGE_MESSAGE = /^([su]):(.+)$/

export function encodeSessionChange(change: SessionChange): string {
  return `${change.kind === 'session' ? 's' : 'u'}:${change.id}`
}

/** The change a message names, or null for one this version does not know. */
export function decodeSessionChange(message: string): SessionChange | null {
  const match = CHANGE_MESSAGE.exec(message)
  if (!match?.[2]) return null
  return { kind: match[1] === 's' ? 'session' : 'user', id: match[2] }
}

export function createSessionStore(opts: {
  /** Prisma for every statement but the session read, which is a prepared one (session-read.ts). */
  db: Pick<Database, 'prisma' | 'query'>
  policy?: Partial<SessionPolicy>
  now?: () => Date
  /** Off unless given (and ttlMs > 0). */
  cache?: SessionCacheOptions
  /** Other instances' changes reach this cache through it, and this one's reach theirs. */
  changes?: SessionChangeChannel
}): SessionStore {
  const { db } = opts
  const { prisma } = db
  const now = opts.now ?? (() => new Date())
  const read = (id: string) => readSessionWithUser(db, id)
  const ttlMs = opts.cache?.ttlMs ?? 0
  const { changes } = opts
  const cache =
    ttlMs > 0
      ? lruSessionCache(read, { ...opts.cache, ttlMs, now: () => now().getTime() })
      : noSessionCache(read)
  const deps: SessionDeps = {
    prisma,
    policy: { ...DEFAULT_SESSION_POLICY, ...opts.policy },
    now,
    cache,
    renewals: new Map(),
    announce: changes
      ? (change) => changes.publish(encodeSessionChange(change))
      : () => Promise.resolve(),
  }
  changes?.subscribe(
    (message) => {
      const change = decodeSessionChange(message)
      if (change?.kind === 'session') cache.forget(change.id)
      else if (change) cache.forgetUser(change.id)
    },
    () => cache.clear(),
  )
  return {
    create: (input) => createSession(deps, input),
    insertStatement: (input) => sessionInsert(deps, input),
    validate: (token, validateOpts) => validateSessionToken(deps, token, validateOpts),
    revoke: (sessionId, reason) => invalidateSession(deps, sessionId, reason),
    revokeAllForUser: (userId, reason) => invalidateUserSessions(deps, userId, reason),
    listForUser: (userId) => listUserSessions(deps, userId),
    purgeExpired: (purgeOpts) => purgeSessions(deps, purgeOpts),
    forgetUser: (userId, forgetOpts) =>
      forgetOpts?.everywhere === false
        ? Promise.resolve(cache.forgetUser(userId))
        : forgetUserSessions(deps, userId),
  }
}
