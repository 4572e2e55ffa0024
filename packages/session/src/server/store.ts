import type { PrismaClient } from '@wxapp/db'
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
  | { ok: true; session: SessionRecord }
  | { ok: false; reason: SessionReason }

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
}

type Row = {
  id: string
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

function toRecord(row: Row): SessionRecord {
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

export function createSessionStore(opts: {
  prisma: PrismaClient
  policy?: Partial<SessionPolicy>
  now?: () => Date
}): SessionStore {
  const { prisma } = opts
  const policy: SessionPolicy = { ...DEFAULT_SESSION_POLICY, ...opts.policy }
  const now = opts.now ?? (() => new Date())

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
      const row = await prisma.session.findUnique({ where: { id: parsed.sessionId } })
      // Unknown id, wrong secret and another app's token look alike to the caller.
      if (!row || !secretMatches(parsed.secret, row.tokenHash)) {
        return { ok: false, reason: 'TOKEN_INVALID' }
      }
      if (appid !== undefined && row.appid !== appid) return { ok: false, reason: 'TOKEN_INVALID' }
      const at = now()
      const state = sessionState(row, at)
      if (state === 'revoked') return { ok: false, reason: 'SESSION_REVOKED' }
      if (state === 'expired') return { ok: false, reason: 'SESSION_EXPIRED' }
      const renewal = renewalAt(policy, row, at)
      if (renewal) {
        // Conditional, so concurrent requests write the renewal once.
        await prisma.session.updateMany({
          where: {
            id: row.id,
            revokedAt: null,
            lastUsedAt: { lte: new Date(at.getTime() - policy.renewIntervalMs) },
          },
          data: renewal,
        })
        return { ok: true, session: toRecord({ ...row, ...renewal }) }
      }
      return { ok: true, session: toRecord(row) }
    },

    async revoke(sessionId, reason = 'logout') {
      const { count } = await prisma.session.updateMany({
        where: { id: sessionId, revokedAt: null },
        data: { revokedAt: now(), revokedReason: reason },
      })
      return count > 0
    },

    async revokeAllForUser(userId, reason = 'logout_all') {
      const { count } = await prisma.session.updateMany({
        where: { userId, revokedAt: null },
        data: { revokedAt: now(), revokedReason: reason },
      })
      return count
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
  }
}
