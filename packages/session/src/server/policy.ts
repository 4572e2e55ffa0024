/** How long sessions live. All durations in milliseconds. */
export interface SessionPolicy {
  /** A session unused for this long expires (sliding). */
  idleTimeoutMs: number
  /** No session outlives this, however often it is used. */
  absoluteLifetimeMs: number
  /** Renewal (moving the idle expiry forward) is written at most this often per session. */
  renewIntervalMs: number
}

export const DEFAULT_SESSION_POLICY: SessionPolicy = {
  idleTimeoutMs: 7 * 24 * 3600_000,
  absoluteLifetimeMs: 30 * 24 * 3600_000,
  renewIntervalMs: 3600_000,
}

export interface SessionTimes {
  lastUsedAt: Date
  expiresAt: Date
  absoluteExpiresAt: Date
  revokedAt: Date | null
}

export type SessionState = 'active' | 'expired' | 'revoked'

/** Revocation wins over expiry: a logged-out session says so even after it would have expired. */
export function sessionState(session: SessionTimes, now: Date): SessionState {
  if (session.revokedAt) return 'revoked'
  if (now >= session.expiresAt || now >= session.absoluteExpiresAt) return 'expired'
  return 'active'
}

/** The times of a session opened at `now`. */
export function initialTimes(policy: SessionPolicy, now: Date): Omit<SessionTimes, 'revokedAt'> {
  const absoluteExpiresAt = new Date(now.getTime() + policy.absoluteLifetimeMs)
  return {
    lastUsedAt: now,
    expiresAt: new Date(
      Math.min(now.getTime() + policy.idleTimeoutMs, absoluteExpiresAt.getTime()),
    ),
    absoluteExpiresAt,
  }
}

/**
 * The renewal to write when an active session is used at `now`, or null when
 * the last one is recent enough: renewal costs a write, so it happens at most
 * once per interval, which delays the idle expiry by at most that interval.
 */
export function renewalAt(
  policy: SessionPolicy,
  session: SessionTimes,
  now: Date,
): { lastUsedAt: Date; expiresAt: Date } | null {
  if (now.getTime() - session.lastUsedAt.getTime() < policy.renewIntervalMs) return null
  const expiresAt = new Date(
    Math.min(now.getTime() + policy.idleTimeoutMs, session.absoluteExpiresAt.getTime()),
  )
  return { lastUsedAt: now, expiresAt }
}
