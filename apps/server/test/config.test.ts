import { generateKeyPairSync } from 'node:crypto'
import { runApiServerToExit } from '@wxapp/testing'
import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../src/config'

const app = { WECHAT_APPID: 'wx_app', WECHAT_SECRET: 'app-secret' }

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig(app)
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 3000,
      logLevel: 'info',
      migrateOnStart: true,
    })
    expect(config.databaseUrl).toMatch(/^pglite:.*data[/\\]pglite$/)
    expect(config.wechat).toEqual({
      apps: [{ appid: 'wx_app', secret: 'app-secret' }],
      apiBase: 'https://api.weixin.qq.com',
      timeoutMs: 5000,
      cloudHosting: false,
      push: [],
      recheckIntervalMs: 60_000,
    })
    expect(config.loginLimits).toEqual({ perIpPerMinute: 20, perUserPerMinute: 10 })
    expect(config.sessionPolicy).toEqual({
      idleTimeoutMs: 7 * 86_400_000,
      absoluteLifetimeMs: 30 * 86_400_000,
      renewIntervalMs: 3_600_000,
    })
    expect(config.dataKeys).toBeNull()
    expect(config.corsOrigins).toEqual([])
  })

  it('reads WECHAT_CLOUD_HOSTING as a flag, refusing anything else', () => {
    expect(loadConfig({ ...app, WECHAT_CLOUD_HOSTING: 'true' }).wechat.cloudHosting).toBe(true)
    expect(loadConfig({ ...app, WECHAT_CLOUD_HOSTING: 'false' }).wechat.cloudHosting).toBe(false)
    expect(() => loadConfig({ ...app, WECHAT_CLOUD_HOSTING: 'maybe' })).toThrow(
      /WECHAT_CLOUD_HOSTING/,
    )
  })

  it('reads several apps, durations, keys and origins', () => {
    const key = Buffer.alloc(32, 1).toString('base64')
    const old = Buffer.alloc(32, 2).toString('base64')
    const config = loadConfig({
      ...app,
      WECHAT_APPS: 'wx_two:secret2, wx_three:secret3',
      SESSION_IDLE_TIMEOUT: '90m',
      SESSION_LIFETIME: '2d',
      DATA_ENCRYPTION_KEY: `${key},${old}`,
      CORS_ORIGINS: 'http://127.0.0.1:10086/, https://preview.example.com',
      TRUST_PROXY: '1',
    })
    expect(config.wechat.apps.map((a) => a.appid)).toEqual(['wx_app', 'wx_two', 'wx_three'])
    expect(config.sessionPolicy.idleTimeoutMs).toBe(90 * 60_000)
    expect(config.sessionPolicy.absoluteLifetimeMs).toBe(2 * 86_400_000)
    expect(config.dataKeys?.map((k) => k.toString('base64'))).toEqual([key, old])
    expect(config.corsOrigins).toEqual(['http://127.0.0.1:10086', 'https://preview.example.com'])
    expect(config.trustProxy).toBe(1)
  })

  it('treats empty variables as unset', () => {
    expect(loadConfig({ ...app, PORT: '', HOST: '' })).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
    })
  })

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['PORT', '3000.5'],
    ['LOG_LEVEL', 'loud'],
    ['MIGRATE_ON_START', 'maybe'],
    ['DATABASE_URL', 'mysql://root@127.0.0.1/app'],
    ['DATABASE_URL', 'not a url'],
    ['WECHAT_APPID', 'has spaces'],
    ['WECHAT_API_BASE', 'ftp://example.com'],
    ['WECHAT_APPS', 'no-secret-here'],
    ['WECHAT_APPS', 'wx_app:again'],
    ['LOGIN_RATE_LIMIT', '-5'],
    ['SESSION_IDLE_TIMEOUT', 'a week'],
    ['SESSION_IDLE_TIMEOUT', '60d'],
    ['DATA_ENCRYPTION_KEY', 'c2hvcnQ='],
    ['CORS_ORIGINS', 'localhost:10086'],
  ])('rejects %s=%s naming the variable', (name, value) => {
    const error = (() => {
      try {
        loadConfig({ ...app, [name]: value })
      } catch (e) {
        return e
      }
    })()
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).message).toContain(name)
  })

  it('requires the WeChat credentials, and a data key in production', () => {
    expect(() => loadConfig({})).toThrow(/WECHAT_APPID[\s\S]*WECHAT_SECRET/)
    expect(() => loadConfig({ ...app, NODE_ENV: 'production' })).toThrow(/DATA_ENCRYPTION_KEY/)
  })

  it('never echoes a secret in its messages', () => {
    const error = (() => {
      try {
        loadConfig({ WECHAT_APPID: 'wx_app', WECHAT_SECRET: 'has space-secret', PORT: 'x' })
      } catch (e) {
        return e as Error
      }
    })()
    expect(error?.message).toContain('WECHAT_SECRET')
    expect(error?.message).not.toContain('space-secret')
  })

  it('reads the message-push Token and EncodingAESKey, for every app or per app', () => {
    const key = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG'
    const two = { ...app, WECHAT_APPS: 'wx_other:other-secret' }
    expect(loadConfig({ ...two, WECHAT_PUSH_TOKEN: 'token123' }).wechat.push).toEqual([
      { appid: 'wx_app', token: 'token123', aesKey: null },
      { appid: 'wx_other', token: 'token123', aesKey: null },
    ])
    expect(
      loadConfig({
        ...two,
        WECHAT_PUSH_TOKEN: 'wx_other:tokenOther',
        WECHAT_PUSH_AES_KEY: `wx_other:${key}`,
        CONTENT_RECHECK_INTERVAL: '30s',
      }).wechat,
    ).toMatchObject({
      push: [{ appid: 'wx_other', token: 'tokenOther', aesKey: key }],
      recheckIntervalMs: 30_000,
    })
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig({ ...two, ...env })
        return ''
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError)
        return (error as Error).message
      }
    }
    expect(problems({ WECHAT_PUSH_TOKEN: 'no' })).toMatch(/WECHAT_PUSH_TOKEN: must be 3-32 letters/)
    expect(problems({ WECHAT_PUSH_TOKEN: 'wx_nobody:token123' })).toMatch(
      /WECHAT_PUSH_TOKEN: names an app that is not configured \(wx_nobody\)/,
    )
    expect(
      problems({ WECHAT_PUSH_TOKEN: 'token123', WECHAT_PUSH_AES_KEY: 'short-secret-key' }),
    ).toMatch(/WECHAT_PUSH_AES_KEY: must be 43 letters/)
    expect(
      problems({ WECHAT_PUSH_TOKEN: 'token123', WECHAT_PUSH_AES_KEY: 'short-secret-key' }),
    ).not.toContain('short-secret-key')
    expect(problems({ WECHAT_PUSH_TOKEN: 'wx_app:token123', WECHAT_PUSH_AES_KEY: key })).toMatch(
      /wx_other has an EncodingAESKey but no WECHAT_PUSH_TOKEN/,
    )
  })

  it('keeps uploads in the local folder by default', () => {
    expect(loadConfig(app).uploads).toMatchObject({
      maxBytes: 2 * 1024 * 1024,
      publicUrl: undefined,
      filesUrl: undefined,
      storage: { kind: 'local' },
    })
    expect(loadConfig(app).uploads.dir).toMatch(/data[/\\]uploads$/)
  })

  const s3 = {
    UPLOAD_STORAGE: 's3',
    S3_ENDPOINT: 'https://cos.ap-shanghai.myqcloud.com',
    S3_REGION: 'ap-shanghai',
    S3_BUCKET: 'avatars-1250000000',
    S3_ACCESS_KEY_ID: 'AKIDexample',
    S3_SECRET_ACCESS_KEY: 'very-secret-key',
  }

  it('reads the S3 storage and a public base for upload links', () => {
    const config = loadConfig({
      ...app,
      ...s3,
      S3_FORCE_PATH_STYLE: 'true',
      UPLOAD_PUBLIC_URL: 'https://cdn.example.com/files/',
    })
    expect(config.uploads.storage).toEqual({
      kind: 's3',
      endpoint: 'https://cos.ap-shanghai.myqcloud.com',
      region: 'ap-shanghai',
      bucket: 'avatars-1250000000',
      credentials: { accessKeyId: 'AKIDexample', secretAccessKey: 'very-secret-key' },
      forcePathStyle: true,
    })
    expect(config.uploads.filesUrl).toBe('https://cdn.example.com/files')
    expect(loadConfig({ ...app, ...s3 }).uploads.storage).toMatchObject({ forcePathStyle: false })
  })

  it('requires every S3 variable with UPLOAD_STORAGE=s3, naming each, with the other problems', () => {
    const error = (() => {
      try {
        loadConfig({
          ...app,
          UPLOAD_STORAGE: 's3',
          S3_SECRET_ACCESS_KEY: 'very-secret-key',
          PORT: 'x',
        })
      } catch (e) {
        return e
      }
    })()
    expect(error).toBeInstanceOf(ConfigError)
    const problems = (error as ConfigError).problems.join('\n')
    for (const name of ['PORT', 'S3_ENDPOINT', 'S3_REGION', 'S3_BUCKET', 'S3_ACCESS_KEY_ID']) {
      expect(problems, name).toContain(name)
    }
    expect(problems).not.toContain('S3_SECRET_ACCESS_KEY')
    expect(problems).not.toContain('very-secret-key')
  })

  it.each([
    ['UPLOAD_STORAGE', 'ftp'],
    ['UPLOAD_PUBLIC_URL', 'cdn.example.com'],
    ['S3_ENDPOINT', 'cos.ap-shanghai.myqcloud.com'],
    ['S3_ENDPOINT', 'https://key:very-secret-key@minio.internal:9000'],
    ['S3_BUCKET', 'a b'],
    ['S3_REGION', 'Shanghai!'],
    ['S3_FORCE_PATH_STYLE', 'sometimes'],
    ['S3_SECRET_ACCESS_KEY', 'very secret key'],
  ])('rejects %s=%s naming the variable, never quoting it', (name, value) => {
    const error = (() => {
      try {
        loadConfig({ ...app, ...s3, [name]: value })
      } catch (e) {
        return e
      }
    })()
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).message).toContain(name)
    expect((error as ConfigError).message).not.toContain('very-secret-key')
    expect((error as ConfigError).message).not.toContain('very secret key')
  })

  it('reads the QQ, Douyin and Alipay apps; none by default', () => {
    expect(loadConfig(app).platforms).toEqual({
      qq: { apps: [], baseUrl: 'https://api.q.qq.com' },
      tt: { apps: [], baseUrl: 'https://developer.toutiao.com' },
      alipay: null,
    })
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const config = loadConfig({
      ...app,
      QQ_APPS: '1100000001:qq-secret, 1100000002:qq-secret-2',
      TT_APPS: 'tt0123456789abcdef:tt-secret',
      TT_API_BASE: 'http://127.0.0.1:4000/tt',
      ALIPAY_APPID: '2021000000000001',
      ALIPAY_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      ALIPAY_PUBLIC_KEY: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    })
    expect(config.platforms.qq.apps.map((a) => a.appid)).toEqual(['1100000001', '1100000002'])
    expect(config.platforms.tt).toEqual({
      apps: [{ appid: 'tt0123456789abcdef', secret: 'tt-secret' }],
      baseUrl: 'http://127.0.0.1:4000/tt',
    })
    expect(config.platforms.alipay).toMatchObject({
      appid: '2021000000000001',
      gateway: 'https://openapi.alipay.com/gateway.do',
    })
  })

  it("refuses the other platforms' bad settings with the rest, and an appid on two platforms", () => {
    const error = (() => {
      try {
        loadConfig({
          ...app,
          PORT: 'x',
          QQ_APPS: '1100000001:qq-secret,broken-qq-secret',
          TT_APPS: 'wx_app:tt-secret',
        })
      } catch (e) {
        return e as ConfigError
      }
      throw new Error('expected a ConfigError')
    })()
    expect(error).toBeInstanceOf(ConfigError)
    expect(error.message).toContain('PORT')
    expect(error.message).toContain('QQ_APPS: entry 2 must be appid:secret')
    expect(error.message).not.toContain('broken-qq-secret')
    // Alipay is all or nothing: an appid without its keys is a mistake, not "off".
    expect(() => loadConfig({ ...app, ALIPAY_APPID: '2021000000000001' })).toThrow(
      'ALIPAY_APPID, ALIPAY_PRIVATE_KEY and ALIPAY_PUBLIC_KEY go together',
    )
    expect(() => loadConfig({ ...app, TT_APPS: 'wx_app:tt-secret' })).toThrow(
      'TT_APPS: wx_app is also configured for another platform',
    )
  })

  it('reports every problem at once', () => {
    expect(() => loadConfig({ ...app, PORT: 'x', DATABASE_URL: 'sqlite:x' })).toThrow(
      /PORT[\s\S]*DATABASE_URL|DATABASE_URL[\s\S]*PORT/,
    )
  })
})

describe('the server process stops on bad configuration', () => {
  it('exits 1 on a bad PORT, naming it, before touching the database', async () => {
    const { code, output } = await runApiServerToExit({
      PORT: 'eighty',
      DATABASE_URL: 'pglite:memory:',
    })
    expect(code).toBe(1)
    expect(output).toContain('Invalid configuration')
    expect(output).toContain('PORT')
    expect(output).not.toMatch(/\n\s+at /) // no stack trace
  })

  it('exits 1 on a malformed DATABASE_URL without echoing its password', async () => {
    const { code, output } = await runApiServerToExit({
      DATABASE_URL: 'mysql://app:hunter2@db/app',
    })
    expect(code).toBe(1)
    expect(output).toContain('DATABASE_URL')
    expect(output).not.toContain('hunter2')
  })

  it('exits 1 when DATABASE_URL names a server that does not answer', async () => {
    const { code, output } = await runApiServerToExit({
      DATABASE_URL: 'postgresql://postgres:hunter2@127.0.0.1:9/nowhere',
    })
    expect(code).toBe(1)
    expect(output).toContain('cannot open the database named by DATABASE_URL')
    expect(output).not.toContain('hunter2')
  })

  it('exits 1 when the port is taken', async () => {
    const { createServer } = await import('node:net')
    const blocker = createServer()
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r))
    const address = blocker.address()
    const port = typeof address === 'object' && address ? address.port : 0
    try {
      const { code, output } = await runApiServerToExit({
        PORT: String(port),
        DATABASE_URL: 'pglite:memory:',
      })
      expect(code).toBe(1)
      expect(output).toContain('cannot listen on HOST:PORT')
    } finally {
      blocker.close()
    }
  })
})
