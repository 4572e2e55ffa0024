import { describe, expect, it } from 'vitest'
import {
  type AccessTokenCache,
  type AccessTokenRecord,
  beijingDate,
  createAccessTokenProvider,
  FORCE_REFRESH_PER_DAY,
  WechatAccessTokenError,
  WechatApiError,
  WechatBusyError,
  WechatQuotaExhaustedError,
  WechatRefreshLimitedError,
} from '../src/index'

const HOUR = 3_600_000
const details = (errcode: number) => ({ api: 'test', errcode, attempts: 1 })

function fakeClock(start = Date.parse('2026-03-01T00:00:00Z')) {
  let t = start
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms
    },
  }
}

/**
 * WeChat's stable_token rules on a fake clock: the same token while it has
 * more than 5 minutes left, force_refresh replaces it. `sticky` makes normal
 * mode hand out the current token even after WeChat refused it (the one case
 * that needs a forced refresh).
 */
function fakeWechat(clock: { now(): number }, opts: { delayMs?: number } = {}) {
  let current: { token: string; expiresAt: number } | null = null
  let issued = 0
  const calls: { force: boolean }[] = []
  const failures: Error[] = []
  const issue = () => {
    current = { token: `token-${++issued}`, expiresAt: clock.now() + 2 * HOUR }
    return current
  }
  const client = {
    appid: 'wx_app',
    async getStableAccessToken(o?: { forceRefresh?: boolean }) {
      const force = o?.forceRefresh === true
      calls.push({ force })
      if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs))
      const failure = failures.shift()
      if (failure) throw failure
      let t = current
      if (force || !t || clock.now() >= t.expiresAt - 300_000) t = issue()
      return { accessToken: t.token, expiresIn: Math.floor((t.expiresAt - clock.now()) / 1000) }
    },
  }
  return {
    client,
    calls,
    failNext: (...errors: Error[]) => failures.push(...errors),
    /** WeChat revokes the current token (someone forced a refresh elsewhere). */
    rotate: () => issue().token,
    current: () => current?.token,
  }
}

/** The cache contract with an in-process lock; share one between providers to model instances. */
function memoryCache() {
  const rows = new Map<string, AccessTokenRecord>()
  const stats = { reads: 0, locks: 0, writes: 0 }
  let chain: Promise<unknown> = Promise.resolve()
  const cache: AccessTokenCache = {
    async read(appid) {
      stats.reads++
      return rows.get(appid) ?? null
    },
    refreshLocked(appid, fn) {
      stats.locks++
      const run = chain.then(async () => {
        const current = rows.get(appid) ?? null
        const next = await fn(current)
        if (next !== current) {
          rows.set(appid, next)
          stats.writes++
        }
        return next
      })
      chain = run.catch(() => {})
      return run
    },
  }
  return { cache, rows, stats }
}

function setup(opts: { delayMs?: number; refreshAheadMs?: number } = {}) {
  const clock = fakeClock()
  const wechat = fakeWechat(clock, opts)
  const store = memoryCache()
  const provider = (cache: AccessTokenCache = store.cache) =>
    createAccessTokenProvider({
      client: wechat.client,
      cache,
      now: clock.now,
      ...(opts.refreshAheadMs === undefined ? {} : { refreshAheadMs: opts.refreshAheadMs }),
    })
  return { clock, wechat, store, provider }
}

const refused = () => new WechatAccessTokenError(details(40001))
const settle = () => new Promise((r) => setTimeout(r, 20))

describe('AccessTokenProvider.get', () => {
  it('fetches once for 50 concurrent callers, then serves from memory', async () => {
    const { wechat, store, provider } = setup({ delayMs: 5 })
    const p = provider()
    const tokens = await Promise.all(Array.from({ length: 50 }, () => p.get()))
    expect(new Set(tokens)).toEqual(new Set(['token-1']))
    expect(wechat.calls).toEqual([{ force: false }])
    expect(store.stats.locks).toBe(1)
    const reads = store.stats.reads
    expect(await p.get()).toBe('token-1')
    expect(store.stats.reads).toBe(reads)
  })

  it('shares one token between instances: 2 × 25 concurrent callers, one WeChat call', async () => {
    const { wechat, provider } = setup({ delayMs: 5 })
    const [a, b] = [provider(), provider()]
    const tokens = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).get()))
    expect(new Set(tokens).size).toBe(1)
    expect(wechat.calls).toHaveLength(1)
  })

  it('a new instance takes the stored token without asking WeChat', async () => {
    const { wechat, provider } = setup()
    expect(await provider().get()).toBe('token-1')
    expect(await provider().get()).toBe('token-1')
    expect(wechat.calls).toHaveLength(1)
  })

  it('refreshes ahead of expiry in the background: callers keep the old token meanwhile', async () => {
    const { clock, wechat, provider } = setup({ delayMs: 5 })
    const p = provider()
    expect(await p.get()).toBe('token-1')
    clock.advance(2 * HOUR - 4 * 60_000) // 4 minutes left
    const during = await Promise.all(Array.from({ length: 20 }, () => p.get()))
    expect(new Set(during)).toEqual(new Set(['token-1']))
    await settle()
    expect(await p.get()).toBe('token-2')
    expect(wechat.calls).toHaveLength(2)
  })

  it('waits for a new token once the old one has (nearly) expired', async () => {
    const { clock, wechat, provider } = setup()
    const p = provider()
    await p.get()
    clock.advance(2 * HOUR - 5_000)
    expect(await p.get()).toBe('token-2')
    expect(wechat.calls).toHaveLength(2)
  })

  it('uses the token another instance renewed instead of asking WeChat again', async () => {
    const { clock, wechat, provider } = setup()
    const [a, b] = [provider(), provider()]
    await a.get()
    await b.get()
    clock.advance(2 * HOUR - 4 * 60_000)
    await a.get()
    await settle()
    expect(wechat.calls).toHaveLength(2)
    // b's memory still holds token-1 near expiry: its background renewal
    // finds token-2 under the lock.
    await b.get()
    await settle()
    expect(await b.get()).toBe('token-2')
    expect(wechat.calls).toHaveLength(2)
  })

  it('keeps serving the current token when a background refresh fails, and retries later', async () => {
    const { clock, wechat, provider } = setup()
    const p = provider()
    await p.get()
    clock.advance(2 * HOUR - 4 * 60_000)
    wechat.failNext(new WechatBusyError(details(-1)))
    expect(await p.get()).toBe('token-1')
    await settle()
    expect(await p.get()).toBe('token-1') // within the retry pause: no new attempt
    expect(wechat.calls).toHaveLength(2)
    clock.advance(11_000)
    await p.get()
    await settle()
    expect(await p.get()).toBe('token-2')
  })

  it('passes WeChat errors to the callers that wait', async () => {
    const { wechat, provider } = setup()
    wechat.failNext(new WechatBusyError(details(-1)))
    await expect(provider().get()).rejects.toBeInstanceOf(WechatBusyError)
  })

  it('refuses a refresh-ahead longer than WeChat rotates tokens', () => {
    expect(() => setup({ refreshAheadMs: 600_000 }).provider()).toThrow(TypeError)
  })
})

describe('AccessTokenProvider.call and refresh', () => {
  it('on 40001 refreshes once (normal mode brings the replacement) and retries once', async () => {
    const { wechat, provider } = setup()
    const p = provider()
    await p.get()
    const replacement = wechat.rotate() // revoked elsewhere
    const seen: string[] = []
    const result = await p.call(async (token) => {
      seen.push(token)
      if (token !== wechat.current()) throw refused()
      return 'ok'
    })
    expect(result).toBe('ok')
    expect(seen).toEqual(['token-1', replacement])
    expect(wechat.calls).toEqual([{ force: false }, { force: false }])
  })

  it('retries only once: a second refusal is the caller’s error', async () => {
    const { wechat, provider } = setup()
    let calls = 0
    const error = await provider()
      .call(async () => {
        calls++
        wechat.rotate()
        throw refused()
      })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(WechatAccessTokenError)
    expect(calls).toBe(2)
  })

  it('does not retry errors other than a refused token', async () => {
    const { provider } = setup()
    let calls = 0
    const error = await provider()
      .call(async () => {
        calls++
        throw new WechatBusyError(details(-1))
      })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(WechatBusyError)
    expect(calls).toBe(1)
  })

  it('50 concurrent calls on a revoked token cause one refresh across two instances', async () => {
    const { wechat, provider } = setup({ delayMs: 5 })
    const [a, b] = [provider(), provider()]
    await a.get()
    await b.get()
    wechat.rotate()
    const before = wechat.calls.length
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        (i % 2 ? a : b).call(async (token) => {
          if (token !== wechat.current()) throw refused()
          return token
        }),
      ),
    )
    expect(new Set(results)).toEqual(new Set([wechat.current()]))
    expect(wechat.calls.length - before).toBe(1)
  })

  it('forces a refresh only when WeChat hands out the refused token again, and records it', async () => {
    const { clock, wechat, store, provider } = setup()
    const p = provider()
    const stale = await p.get()
    expect(await p.refresh(stale)).toBe('token-2')
    expect(wechat.calls).toEqual([{ force: false }, { force: false }, { force: true }])
    expect(store.rows.get('wx_app')).toMatchObject({
      accessToken: 'token-2',
      lastForcedAt: new Date(clock.now()),
      forcedDay: '2026-03-01',
      forcedCount: 1,
    })
  })

  it('refuses a second forced refresh within 30 s (WeChat would not refresh)', async () => {
    const { clock, wechat, provider } = setup()
    const p = provider()
    const second = await p.refresh(await p.get())
    clock.advance(10_000)
    const error = await p.refresh(second).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(WechatRefreshLimitedError)
    expect(error).toBeInstanceOf(WechatApiError)
    expect(error).toMatchObject({ kind: 'REFRESH_LIMITED', limit: 'interval', errcode: null })
    expect(wechat.calls.filter((c) => c.force)).toHaveLength(1)
    clock.advance(21_000)
    expect(await p.refresh(second)).toBe('token-3')
  })

  it('allows 20 forced refreshes a Beijing day, then refuses until the next day', async () => {
    const { clock, wechat, provider } = setup()
    const p = provider()
    let token = await p.get()
    for (let i = 0; i < FORCE_REFRESH_PER_DAY; i++) {
      token = await p.refresh(token)
      clock.advance(31_000)
    }
    const error = await p.refresh(token).catch((e: unknown) => e)
    expect(error).toMatchObject({ kind: 'REFRESH_LIMITED', limit: 'daily' })
    expect(wechat.calls.filter((c) => c.force)).toHaveLength(FORCE_REFRESH_PER_DAY)
    // Midnight in Beijing is 16:00 UTC.
    clock.advance(Date.parse('2026-03-01T16:00:00Z') - clock.now())
    expect(await p.refresh(token)).not.toBe(token)
  })

  it("turns WeChat's 45009 on a forced refresh into a daily limit", async () => {
    const { cache } = memoryCache()
    const forced: boolean[] = []
    const p = createAccessTokenProvider({
      cache,
      client: {
        appid: 'wx_app',
        // Normal mode keeps answering the same token; forcing hits the daily limit.
        async getStableAccessToken(o) {
          forced.push(o?.forceRefresh === true)
          if (o?.forceRefresh) throw new WechatQuotaExhaustedError(details(45009))
          return { accessToken: 'same-token', expiresIn: 7000 }
        },
      },
    })
    const stale = await p.get()
    const error = await p.refresh(stale).catch((e: unknown) => e)
    expect(error).toMatchObject({ kind: 'REFRESH_LIMITED', limit: 'daily', errcode: 45009 })
    expect(forced).toEqual([false, false, true])
  })

  it('returns the token another instance already put in place, without asking WeChat', async () => {
    const { wechat, provider } = setup()
    const [a, b] = [provider(), provider()]
    const stale = await a.get()
    await b.get()
    wechat.rotate()
    await a.refresh(stale)
    const calls = wechat.calls.length
    expect(await b.refresh(stale)).toBe(wechat.current())
    expect(wechat.calls).toHaveLength(calls)
  })
})

describe('instances whose clocks disagree', () => {
  it("take each other's refreshed token, whatever their clocks say", async () => {
    const clock = fakeClock()
    const wechat = fakeWechat(clock)
    const { cache } = memoryCache()
    const behind = createAccessTokenProvider({
      client: wechat.client,
      cache,
      now: () => clock.now() - 60_000,
    })
    const ahead = createAccessTokenProvider({ client: wechat.client, cache, now: clock.now })
    const stale = await ahead.get()
    expect(await behind.get()).toBe(stale)
    wechat.rotate()
    await behind.refresh(stale)
    // The row now says it was refreshed a minute "before" ahead's clock.
    expect(await ahead.refresh(stale)).toBe(wechat.current())
    expect(await ahead.get()).toBe(wechat.current())
  })
})

describe('beijingDate', () => {
  it('turns over at 16:00 UTC', () => {
    expect(beijingDate(Date.parse('2026-01-01T15:59:59Z'))).toBe('2026-01-01')
    expect(beijingDate(Date.parse('2026-01-01T16:00:00Z'))).toBe('2026-01-02')
  })
})
