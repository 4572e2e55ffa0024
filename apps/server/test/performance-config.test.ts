import { describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config'

const app = { WECHAT_APPID: 'wx_app', WECHAT_SECRET: 'app-secret' }

describe('performance settings', () => {
  it('default to a 5 s session cache of 10 000 sessions and the tRPC fast path', () => {
    const config = loadConfig(app)
    expect(config.sessionCache).toEqual({ ttlMs: 5000, maxEntries: 10_000 })
    expect(config.trpcFastPath).toBe(true)
  })

  it('turn each one off', () => {
    expect(loadConfig({ ...app, SESSION_CACHE_TTL: '0s' }).sessionCache.ttlMs).toBe(0)
    expect(loadConfig({ ...app, SESSION_CACHE_MAX: '0' }).sessionCache.ttlMs).toBe(0)
    expect(loadConfig({ ...app, TRPC_FAST_PATH: 'false' }).trpcFastPath).toBe(false)
    expect(
      loadConfig({ ...app, SESSION_CACHE_TTL: '1500ms', SESSION_CACHE_MAX: '50' }).sessionCache,
    ).toEqual({
      ttlMs: 1500,
      maxEntries: 50,
    })
  })

  it('refuse what they cannot read, naming the variable', () => {
    expect(() => loadConfig({ ...app, SESSION_CACHE_TTL: '5' })).toThrow(/SESSION_CACHE_TTL/)
    expect(() => loadConfig({ ...app, SESSION_CACHE_MAX: '-1' })).toThrow(/SESSION_CACHE_MAX/)
    expect(() => loadConfig({ ...app, TRPC_FAST_PATH: 'maybe' })).toThrow(/TRPC_FAST_PATH/)
  })
})
