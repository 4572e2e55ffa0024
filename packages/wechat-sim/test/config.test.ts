import { generateKeyPairSync } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../src/config'
import {
  SIM_DEV_ALIPAY_APPID,
  SIM_DEV_APPID,
  SIM_DEV_QQ_APPID,
  SIM_DEV_QQ_SECRET,
  SIM_DEV_SECRET,
  SIM_DEV_TT_APPID,
  SIM_DEV_TT_SECRET,
} from '../src/constants'

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
      qqApps: [{ appid: SIM_DEV_QQ_APPID, secret: SIM_DEV_QQ_SECRET }],
      ttApps: [{ appid: SIM_DEV_TT_APPID, secret: SIM_DEV_TT_SECRET }],
      alipay: { appid: SIM_DEV_ALIPAY_APPID },
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

  it("reads the other platforms' apps and Alipay keys (PEM or bare base64), never echoing them", () => {
    const pair = generateKeyPairSync('rsa', { modulusLength: 1024 })
    const pem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString()
    const bare = pair.privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64')
    const config = loadConfig({
      SIM_QQ_APPS: '1101:qq_secret',
      SIM_TT_APPS: 'tt01:tt_secret,tt02:tt_two',
      SIM_ALIPAY_APPID: '2021000000000042',
      SIM_ALIPAY_APP_PUBLIC_KEY: pem.replaceAll('\n', '\\n'),
      SIM_ALIPAY_PRIVATE_KEY: bare,
    })
    expect(config.qqApps).toEqual([{ appid: '1101', secret: 'qq_secret' }])
    expect(config.ttApps.map((a) => a.appid)).toEqual(['tt01', 'tt02'])
    expect(config.alipay.appid).toBe('2021000000000042')
    expect(config.alipay.appPublicKey?.asymmetricKeyType).toBe('rsa')
    expect(config.alipay.privateKey?.type).toBe('private')
    const bad = problemOf({ SIM_ALIPAY_PRIVATE_KEY: 'not-a-key-secret' })
    expect(bad).toContain('SIM_ALIPAY_PRIVATE_KEY')
    expect(bad).not.toContain('not-a-key-secret')
    expect(problemOf({ SIM_TT_APPS: `${SIM_DEV_APPID}:x` })).toContain('already an app of SIM_APPS')
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
