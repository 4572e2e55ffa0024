import { afterEach, describe, expect, it, vi } from 'vitest'
import { parseH5RuntimeConfig } from '../src/lib/env'

describe('H5 runtime configuration (window.__WXAPP_CONFIG__)', () => {
  it('keeps valid settings, without trailing slashes', () => {
    expect(
      parseH5RuntimeConfig({
        apiUrl: 'https://api.example.com/base/',
        simUrl: ' http://127.0.0.1:4100 ',
        appid: 'wx_sim_dev_app',
      }),
    ).toEqual({
      config: {
        apiUrl: 'https://api.example.com/base',
        simUrl: 'http://127.0.0.1:4100',
        appid: 'wx_sim_dev_app',
      },
      problems: [],
    })
  })

  it('is empty when the page sets nothing', () => {
    expect(parseH5RuntimeConfig(undefined)).toEqual({ config: {}, problems: [] })
    expect(parseH5RuntimeConfig(null)).toEqual({ config: {}, problems: [] })
  })

  it.each([
    ['javascript:alert(1)'],
    ['file:///etc/passwd'],
    ['//api.example.com'],
    ['api.example.com'],
    ['https://user:secret@api.example.com'],
    ['https://api.example.com/?x=1'],
    ['https://api.example.com/#top'],
    [42],
    [''],
  ])('ignores the URL %j, naming the setting', (value) => {
    const { config, problems } = parseH5RuntimeConfig({ apiUrl: value, simUrl: value })
    expect(config).toEqual({})
    expect(problems).toEqual([
      'window.__WXAPP_CONFIG__.apiUrl must be an http(s) base URL',
      'window.__WXAPP_CONFIG__.simUrl must be an http(s) base URL',
    ])
  })

  it('ignores a bad appid, unknown keys and a value that is not an object', () => {
    expect(parseH5RuntimeConfig({ appid: 'wx app!', extra: 1 })).toEqual({
      config: {},
      problems: [
        'window.__WXAPP_CONFIG__.appid must be 1-64 letters, digits, _ or -',
        'window.__WXAPP_CONFIG__.extra is not a setting',
      ],
    })
    expect(parseH5RuntimeConfig('https://api.example.com').problems).toEqual([
      'window.__WXAPP_CONFIG__ must be an object',
    ])
    expect(parseH5RuntimeConfig([]).problems).toEqual(['window.__WXAPP_CONFIG__ must be an object'])
  })

  describe('when the bundle starts', () => {
    const page = globalThis as { __WXAPP_CONFIG__?: unknown }
    afterEach(() => {
      delete page.__WXAPP_CONFIG__
      vi.unstubAllEnvs()
      vi.restoreAllMocks()
      vi.resetModules()
    })

    it('in H5, the page settings win over the build-time ones; invalid ones are reported', async () => {
      vi.stubEnv('TARO_ENV', 'h5')
      page.__WXAPP_CONFIG__ = { apiUrl: 'https://api.example.com/', simUrl: 'ftp://sim' }
      const errors = vi.spyOn(console, 'error').mockImplementation(() => {})
      vi.resetModules()
      const env = await import('../src/lib/env')
      expect(env.h5RuntimeConfig).toEqual({ apiUrl: 'https://api.example.com' })
      expect(env.TRPC_URL).toBe('https://api.example.com/trpc')
      expect(env.AVATAR_UPLOAD_URL).toBe('https://api.example.com/uploads/avatar')
      expect(errors).toHaveBeenCalledWith(
        'window.__WXAPP_CONFIG__.simUrl must be an http(s) base URL: ignored',
      )
    })

    it('outside H5 (weapp), the page settings are not read', async () => {
      vi.stubEnv('TARO_ENV', 'weapp')
      page.__WXAPP_CONFIG__ = { apiUrl: 'https://elsewhere.example.com' }
      vi.resetModules()
      const env = await import('../src/lib/env')
      expect(env.h5RuntimeConfig).toEqual({})
      expect(env.API_URL).not.toContain('elsewhere')
    })
  })
})
