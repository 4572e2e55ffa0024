/**
 * One access token per app for every server instance (WeChat's advice: a
 * shared, cached stable token, refreshed by a single caller, forced only when
 * WeChat refuses it). The provider keeps the token in memory, the cache (the
 * database, in the server) shares it between instances and serialises
 * refreshes with a lock every instance respects.
 *
 * Time: a token's expiry is this server's clock at the moment the request was
 * sent plus WeChat's `expires_in`, so clock skew with WeChat does not matter
 * and the estimate is never later than WeChat's. WeChat hands out a new stable
 * token only in the last 5 minutes of the old one, so refreshing ahead by more
 * than that would just get the same token again.
 */
import type { StableAccessToken, WechatClient } from './client'
import {
  WechatAccessTokenError,
  WechatQuotaExhaustedError,
  WechatRefreshLimitedError,
} from './errors'
import type { WechatLogger } from './http'

/** WeChat: force_refresh at most 20 times a (Beijing) day... */
export const FORCE_REFRESH_PER_DAY = 20
/** ...and a forced refresh within 30 s of the last one does not refresh. */
export const FORCE_REFRESH_INTERVAL_MS = 30_000
/** WeChat rotates a stable token in its last 5 minutes (expires_in >= 300). */
export const MAX_REFRESH_AHEAD_MS = 300_000
export const DEFAULT_REFRESH_AHEAD_MS = MAX_REFRESH_AHEAD_MS
/** A token this close to its expiry is not handed out: callers wait for the new one. */
const EXPIRY_MARGIN_MS = 10_000
/** After a failed background refresh, callers keep the old token this long before the next try. */
const BACKGROUND_RETRY_MS = 10_000

/** What the cache keeps per app (the token sealed at rest, in the server's implementation). */
export interface AccessTokenRecord {
  accessToken: string
  /** By this server's clock: when the request was sent, plus expires_in. */
  expiresAt: Date
  refreshedAt: Date
  /** The last forced refresh, and how many were forced on `forcedDay` (Beijing date, YYYY-MM-DD). */
  lastForcedAt: Date | null
  forcedDay: string | null
  forcedCount: number
}

/** Where the token lives between instances (the server's: a database row per appid). */
export interface AccessTokenCache {
  read(appid: string): Promise<AccessTokenRecord | null>
  /**
   * Runs `fn` with the stored record while holding a lock that every server
   * instance respects, and stores what `fn` returns (nothing when it returns
   * `current` itself). When `fn` throws, nothing is stored.
   */
  refreshLocked(
    appid: string,
    fn: (current: AccessTokenRecord | null) => Promise<AccessTokenRecord>,
  ): Promise<AccessTokenRecord>
}

export interface AccessTokenProvider {
  readonly appid: string
  /** A valid token: from memory, else the cache, else WeChat (one caller per process at a time). */
  get(): Promise<string>
  /**
   * Replaces `staleToken`, which WeChat refused (40001/42001). Returns at once
   * when another caller or instance already replaced it; else asks WeChat in
   * normal mode (its current token differs from a revoked or expired one),
   * and forces a refresh only when WeChat hands out the refused token again.
   * A forced refresh that WeChat's limits forbid fails with WechatRefreshLimitedError.
   */
  refresh(staleToken: string): Promise<string>
  /** Runs `fn` with a token; when WeChat refuses the token, refreshes once and retries once. */
  call<T>(fn: (token: string) => Promise<T>): Promise<T>
}

export interface AccessTokenProviderOptions {
  client: Pick<WechatClient, 'appid' | 'getStableAccessToken'>
  cache: AccessTokenCache
  /** Refresh this long before expiry, in the background (0-300000; default 5 minutes). */
  refreshAheadMs?: number
  now?: () => number
  logger?: WechatLogger
}

/** WeChat's quota day runs on Beijing time (UTC+8, no daylight saving). */
export function beijingDate(time: number): string {
  return new Date(time + 8 * 3_600_000).toISOString().slice(0, 10)
}

export function createAccessTokenProvider(
  options: AccessTokenProviderOptions,
): AccessTokenProvider {
  const { client, cache, logger } = options
  const appid = client.appid
  const now = options.now ?? Date.now
  const ahead = options.refreshAheadMs ?? DEFAULT_REFRESH_AHEAD_MS
  if (!Number.isInteger(ahead) || ahead < 0 || ahead > MAX_REFRESH_AHEAD_MS) {
    throw new TypeError(
      `createAccessTokenProvider: refreshAheadMs must be 0-${MAX_REFRESH_AHEAD_MS} (WeChat rotates a token only in its last 5 minutes)`,
    )
  }
  const log = { api: 'stableToken', appid }

  let memory: AccessTokenRecord | null = null
  /** The refresh this process has in flight, and the token it replaces (undefined: renewal). */
  let flight: { stale: string | undefined; promise: Promise<AccessTokenRecord> } | null = null
  let reading: Promise<AccessTokenRecord | null> | null = null
  let backgroundFailedAt = Number.NEGATIVE_INFINITY

  const fresh = (r: AccessTokenRecord, t: number) => t < r.expiresAt.getTime() - ahead
  const usable = (r: AccessTokenRecord, t: number) => t < r.expiresAt.getTime() - EXPIRY_MARGIN_MS

  // A refresh's answer always replaces memory: refreshes are serialised by
  // the cache's lock, so the one that finishes last saw the newest row.
  // (refreshedAt comes from whichever instance's clock refreshed: not comparable.)
  const remember = (r: AccessTokenRecord): AccessTokenRecord => {
    memory = r
    return r
  }

  const record = (
    got: StableAccessToken,
    sentAt: number,
    previous: AccessTokenRecord | null,
  ): AccessTokenRecord => ({
    accessToken: got.accessToken,
    expiresAt: new Date(sentAt + got.expiresIn * 1000),
    refreshedAt: new Date(now()),
    lastForcedAt: previous?.lastForcedAt ?? null,
    forcedDay: previous?.forcedDay ?? null,
    forcedCount: previous?.forcedCount ?? 0,
  })

  /** Runs under the cache's lock: asks WeChat only if the stored token still needs replacing. */
  async function replace(
    current: AccessTokenRecord | null,
    stale: string | undefined,
  ): Promise<AccessTokenRecord> {
    const sentAt = now()
    // Another caller (or instance) replaced it while we waited for the lock.
    if (current && fresh(current, sentAt) && current.accessToken !== stale) return current
    const normal = await client.getStableAccessToken({ forceRefresh: false })
    if (stale === undefined || normal.accessToken !== stale) {
      logger?.debug({ ...log, forced: false }, 'wechat access token refreshed')
      return record(normal, sentAt, current)
    }

    // WeChat still hands out the token it refused: only a forced refresh replaces it.
    const forcedAt = now()
    const day = beijingDate(forcedAt)
    const count = current?.forcedDay === day ? current.forcedCount : 0
    const details = { api: 'stableToken', errcode: null, attempts: 0 }
    if (count >= FORCE_REFRESH_PER_DAY) throw new WechatRefreshLimitedError('daily', details)
    const last = current?.lastForcedAt?.getTime()
    if (last !== undefined && forcedAt - last < FORCE_REFRESH_INTERVAL_MS) {
      throw new WechatRefreshLimitedError('interval', details)
    }
    let forced: StableAccessToken
    try {
      forced = await client.getStableAccessToken({ forceRefresh: true })
    } catch (error) {
      if (error instanceof WechatQuotaExhaustedError) {
        throw new WechatRefreshLimitedError('daily', {
          api: error.api,
          errcode: error.errcode,
          attempts: error.attempts,
        })
      }
      throw error
    }
    logger?.warn({ ...log, forced: true, forcedToday: count + 1 }, 'wechat access token forced')
    return {
      ...record(forced, forcedAt, current),
      lastForcedAt: new Date(forcedAt),
      forcedDay: day,
      forcedCount: count + 1,
    }
  }

  /** One refresh per purpose in flight per process; the cache's lock serialises the rest. */
  function run(stale: string | undefined): Promise<AccessTokenRecord> {
    if (flight && flight.stale === stale) return flight.promise
    const promise = cache.refreshLocked(appid, (current) => replace(current, stale)).then(remember)
    const entry = { stale, promise }
    flight = entry
    const done = () => {
      if (flight === entry) flight = null
    }
    promise.then(done, done)
    return promise
  }

  /** The stored token, read once for every caller that finds memory empty or expired. */
  function readStored(): Promise<AccessTokenRecord | null> {
    reading ??= cache.read(appid).finally(() => {
      reading = null
    })
    return reading
  }

  function renewInBackground(): void {
    if (flight || now() - backgroundFailedAt < BACKGROUND_RETRY_MS) return
    run(undefined).catch((error: unknown) => {
      backgroundFailedAt = now()
      logger?.warn(
        { ...log, kind: (error as { kind?: unknown }).kind ?? 'unknown' },
        'wechat access token refresh ahead of expiry failed; the current token is still used',
      )
    })
  }

  async function get(): Promise<string> {
    let current = memory
    if (!current || !usable(current, now())) {
      const stored = await readStored()
      if (stored) {
        current = stored
        // Unless a refresh of this process finished meanwhile.
        if (!memory || !usable(memory, now())) memory = stored
      }
    }
    const t = now()
    if (current && fresh(current, t)) return current.accessToken
    if (current && usable(current, t)) {
      renewInBackground()
      return current.accessToken
    }
    return (await run(undefined)).accessToken
  }

  async function refresh(staleToken: string): Promise<string> {
    // A refresh already in flight for another reason may bring the new token.
    if (flight && flight.stale !== staleToken) await flight.promise.catch(() => null)
    const current = memory
    if (current && usable(current, now()) && current.accessToken !== staleToken)
      return current.accessToken
    return (await run(staleToken)).accessToken
  }

  return {
    appid,
    get,
    refresh,
    async call(fn) {
      const token = await get()
      try {
        return await fn(token)
      } catch (error) {
        if (!(error instanceof WechatAccessTokenError)) throw error
        logger?.warn(
          { ...log, errcode: error.errcode },
          'wechat refused the access token; refreshing once',
        )
        return fn(await refresh(token))
      }
    },
  }
}
