import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../src/config'
import { SIM_DEV_APPID, SIM_DEV_SECRET } from '../src/constants'

function problemOf(env: Record<string, string>): string {
  try {
    loadConfig(env)
  } catch (error) {
    if (error instanceof ConfigError) return error.message
    throw error
  }
  throw new Error('expected a ConfigError')
}

describe('loadConfig', () => {
  it('applies the documented defaults: 127.0.0.1:4000 and the development app', () => {
    expect(loadConfig({})).toEqual({
      host: '127.0.0.1',
      port: 4000,
      logLevel: 'info',
      apps: [{ appid: SIM_DEV_APPID, secret: SIM_DEV_SECRET }],
      seed: undefined,
      pushRetryDelayMs: 1000,
      mediaCheckDelayMs: 100,
    })
  })

  it('reads SIM_PUSH_* (AES key set: safe mode) and refuses a half-set push config', () => {
    const key = 'k'.repeat(43)
    expect(
      loadConfig({ SIM_PUSH_URL: 'http://127.0.0.1:9/push', SIM_PUSH_TOKEN: 'tok' }).push,
    ).toEqual({ url: 'http://127.0.0.1:9/push', token: 'tok', aesKey: null })
    expect(
      loadConfig({ SIM_PUSH_URL: 'http://x/p', SIM_PUSH_TOKEN: 'tok', SIM_PUSH_AES_KEY: key }).push
        ?.aesKey,
    ).toBe(key)
    expect(problemOf({ SIM_PUSH_URL: 'http://x/p' })).toContain('SIM_PUSH_TOKEN')
    expect(problemOf({ SIM_PUSH_TOKEN: 'secret-token-value' })).toContain('SIM_PUSH_URL')
    const bad = problemOf({
      SIM_PUSH_URL: 'http://x/p',
      SIM_PUSH_TOKEN: 't',
      SIM_PUSH_AES_KEY: 'short-secret-aes',
    })
    expect(bad).toContain('SIM_PUSH_AES_KEY')
    expect(bad).not.toContain('short-secret-aes')
    expect(problemOf({ SIM_PUSH_TOKEN: 'secret-token-value' })).not.toContain('secret-token-value')
  })

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '', WECHAT_APPID: '', WECHAT_SECRET: '' }).port).toBe(4000)
  })

  it('knows WECHAT_APPID (instead of the development app) and every SIM_APPS entry', () => {
    const config = loadConfig({
      WECHAT_APPID: 'wx_main',
      WECHAT_SECRET: 'main_secret',
      SIM_APPS: ' wx_two:two_secret , wx_three:three:with:colons,,wx_main:main_secret',
      SIM_SEED: 'stable-seed',
    })
    expect(config.apps).toEqual([
      { appid: 'wx_main', secret: 'main_secret' },
      { appid: 'wx_two', secret: 'two_secret' },
      { appid: 'wx_three', secret: 'three:with:colons' },
    ])
    expect(config.seed).toBe('stable-seed')
  })

  it('adds SIM_APPS to the development app when WECHAT_APPID is unset', () => {
    expect(loadConfig({ SIM_APPS: 'wx_two:s2' }).apps.map((a) => a.appid)).toEqual([
      SIM_DEV_APPID,
      'wx_two',
    ])
  })

  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ HOST: '   ' }, 'HOST'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ WECHAT_APPID: 'wx_only' }, 'WECHAT_SECRET'],
    [{ WECHAT_SECRET: 'hunter2hunter2' }, 'WECHAT_APPID'],
    [{ WECHAT_APPID: 'bad appid!', WECHAT_SECRET: 'hunter2hunter2' }, 'WECHAT_APPID'],
    [{ WECHAT_APPID: 'wx_a', WECHAT_SECRET: 'has space hunter2' }, 'WECHAT_SECRET'],
    [{ SIM_APPS: 'wx_a' }, 'SIM_APPS'],
    [{ SIM_APPS: 'wx_a:hunter2hunter2,wx_a:other' }, 'SIM_APPS'],
    [{ SIM_SEED: 'short' }, 'SIM_SEED'],
  ])('rejects %o naming %s, without echoing secrets', (env, name) => {
    const message = problemOf(env)
    expect(message).toContain(name)
    expect(message).not.toContain('hunter2')
  })

  it('reports every problem at once', () => {
    const message = problemOf({ PORT: 'x', SIM_APPS: 'nope', WECHAT_APPID: 'wx_a' })
    for (const name of ['PORT', 'SIM_APPS', 'WECHAT_SECRET']) expect(message).toContain(name)
  })
})
