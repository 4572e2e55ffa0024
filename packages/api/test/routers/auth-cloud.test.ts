/*
 * auth.login on WeChat Cloud Hosting: the gateway's X-WX-* headers log a user
 * in without a code, but only with WECHAT_CLOUD_HOSTING (`cloudHosting` here);
 * without it they change nothing.
 */
import { randomBytes } from 'node:crypto'
import { sealUserData } from '@wxapp/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cloudIdentityOf } from '../../src/cloud-identity'
import { APP_A, APP_B, createTestApi, refusal, type TestApi } from '../helpers/api'

let api: TestApi
beforeAll(async () => {
  api = await createTestApi()
})
afterAll(() => api?.close())

/** A made-up openid of WeChat's shape (28 base64url characters). */
const openid = (name: string) =>
  `o${Buffer.from(name.padEnd(20, '_')).toString('base64url')}`.slice(0, 28)
/** The headers the gateway adds to a callContainer request. */
const cloudHeaders = (user: string, appid = APP_A.appid, extra: Record<string, string> = {}) => ({
  'x-wx-openid': openid(user),
  'x-wx-appid': appid,
  'x-wx-source': 'wx_client',
  ...extra,
})
const code = (user: string, appid = APP_A.appid) => api.sim.login({ appid, user })
const cloudCaller = (headers: Record<string, string>) => api.caller({ headers, cloudHosting: true })
const plainCaller = (headers: Record<string, string>) =>
  api.caller({ headers, cloudHosting: false })
const openidOf = async (userId: string) =>
  (await api.db.prisma.user.findUniqueOrThrow({ where: { id: userId } })).openid

describe('the Cloud Hosting identity headers', () => {
  it('are read only when the flag is on, and only when complete and well-formed', () => {
    const headers = cloudHeaders('amy', APP_A.appid, { 'x-wx-unionid': openid('amy-union') })
    expect(cloudIdentityOf(headers, false)).toBeNull()
    expect(cloudIdentityOf(headers, true)).toEqual({
      appid: APP_A.appid,
      openid: openid('amy'),
      unionid: openid('amy-union'),
      source: 'wx_client',
    })
    expect(cloudIdentityOf({ ...headers, 'x-wx-unionid': '' }, true)).not.toHaveProperty('unionid')
    const broken: Record<string, string | undefined>[] = [
      { ...headers, 'x-wx-openid': undefined },
      { ...headers, 'x-wx-appid': undefined },
      { ...headers, 'x-wx-source': undefined },
      { ...headers, 'x-wx-source': '' },
      // Node joins a repeated header with ", ".
      { ...headers, 'x-wx-openid': `${openid('amy')}, ${openid('bea')}` },
      { ...headers, 'x-wx-openid': 'short' },
      { ...headers, 'x-wx-unionid': 'not an id!' },
      { ...headers, 'x-wx-appid': 'wx app' },
    ]
    for (const h of broken) expect(cloudIdentityOf(h, true), JSON.stringify(h)).toBeNull()
  })
})

describe('auth.login with WECHAT_CLOUD_HOSTING', () => {
  it('logs in the user the headers name without a code, and the session works as usual', async () => {
    const headers = cloudHeaders('cloud-ann', APP_A.appid, {
      'x-wx-unionid': openid('cloud-ann-union'),
    })
    const result = await cloudCaller(headers).auth.login({ client: { platform: 'weapp' } })
    expect(result.token).toMatch(/^[0-9a-f-]{36}\./)
    const row = await api.db.prisma.user.findUniqueOrThrow({ where: { id: result.user.id } })
    expect(row).toMatchObject({
      appid: APP_A.appid,
      openid: openid('cloud-ann'),
      unionid: openid('cloud-ann-union'),
    })
    const me = api.caller({ token: result.token, headers, cloudHosting: true })
    expect((await me.user.me()).id).toBe(result.user.id)
    // The same user again: one row, a new session.
    const again = await cloudCaller(headers).auth.login({})
    expect(again.user.id).toBe(result.user.id)
    expect(again.token).not.toBe(result.token)
  })

  it('keeps no session_key, so decrypting answers SESSION_KEY_MISSING', async () => {
    const result = await cloudCaller(cloudHeaders('cloud-ben')).auth.login({})
    expect(await api.db.prisma.wechatSessionKey.count({ where: { userId: result.user.id } })).toBe(
      0,
    )
    const sealed = sealUserData(
      { nickName: 'x', watermark: { appid: APP_A.appid, timestamp: 1 } },
      randomBytes(16).toString('base64'),
    )
    const me = api.caller({ token: result.token, appid: APP_A.appid })
    expect(await refusal(me.wechat.decryptUserData(sealed))).toEqual({
      code: 'PRECONDITION_FAILED',
      reason: 'SESSION_KEY_MISSING',
    })
  })

  it('logs in to the app of the headers, which must be one this server serves', async () => {
    const inB = await cloudCaller(cloudHeaders('cloud-cat', APP_B.appid)).auth.login({})
    const row = await api.db.prisma.user.findUniqueOrThrow({ where: { id: inB.user.id } })
    expect(row.appid).toBe(APP_B.appid)
    expect(
      await refusal(cloudCaller(cloudHeaders('cloud-cat', 'wx_unknown')).auth.login({})),
    ).toEqual({
      code: 'BAD_REQUEST',
      reason: 'APP_UNKNOWN',
    })
    // Asking for another app than the one calling is not a way to pick it.
    expect(
      await refusal(cloudCaller(cloudHeaders('cloud-cat')).auth.login({ appid: APP_B.appid })),
    ).toEqual({ code: 'FORBIDDEN', reason: 'LOGIN_IDENTITY_MISMATCH' })
    expect(
      (await cloudCaller(cloudHeaders('cloud-cat')).auth.login({ appid: APP_A.appid })).token,
    ).toEqual(expect.any(String))
  })

  it('takes a code of the calling user (keeping its session_key), and refuses one of another user', async () => {
    const first = await api.caller().auth.login({ code: await code('dora') })
    const headers = cloudHeaders('x', APP_A.appid, { 'x-wx-openid': await openidOf(first.user.id) })
    const both = await cloudCaller(headers).auth.login({ code: await code('dora') })
    expect(both.user.id).toBe(first.user.id)
    expect(await api.services.sessionKeys.read({ userId: first.user.id, appid: APP_A.appid })).toBe(
      await api.sessionKey('dora'),
    )
    expect(
      await refusal(
        cloudCaller(cloudHeaders('cloud-eve')).auth.login({ code: await code('dora') }),
      ),
    ).toEqual({ code: 'FORBIDDEN', reason: 'LOGIN_IDENTITY_MISMATCH' })
  })

  it('refuses a login without a code when the headers are missing or malformed', async () => {
    const missing = { 'x-wx-appid': APP_A.appid, 'x-wx-source': 'wx_client' }
    const malformed = cloudHeaders('cloud-fay', APP_A.appid, { 'x-wx-openid': 'a, b' })
    for (const headers of [{}, missing, malformed]) {
      expect(await refusal(cloudCaller(headers).auth.login({}))).toEqual({
        code: 'BAD_REQUEST',
        reason: 'LOGIN_CODE_REQUIRED',
      })
    }
  })
})

describe('auth.login without WECHAT_CLOUD_HOSTING', () => {
  it('refuses a login without a code, whatever the headers say', async () => {
    for (const headers of [{}, cloudHeaders('plain-gus')]) {
      expect(await refusal(plainCaller(headers).auth.login({}))).toEqual({
        code: 'BAD_REQUEST',
        reason: 'LOGIN_CODE_REQUIRED',
      })
    }
    expect(await api.db.prisma.user.count({ where: { openid: openid('plain-gus') } })).toBe(0)
  })

  it("logs in the code's user when the headers name another one", async () => {
    const alone = await api.caller().auth.login({ code: await code('hal') })
    const withHeaders = await plainCaller(cloudHeaders('plain-ivy')).auth.login({
      code: await code('hal'),
    })
    expect(withHeaders.user.id).toBe(alone.user.id)
    expect(await openidOf(withHeaders.user.id)).not.toBe(openid('plain-ivy'))
    expect(await api.db.prisma.user.count({ where: { openid: openid('plain-ivy') } })).toBe(0)
  })
})

describe('auth.login rate limits with WECHAT_CLOUD_HOSTING', () => {
  let limited: TestApi
  beforeAll(async () => {
    limited = await createTestApi({ loginLimits: { perIpPerMinute: 100, perUserPerMinute: 2 } })
  })
  afterAll(() => limited?.close())

  it('count header logins per WeChat user too', async () => {
    const attempt = () =>
      limited.caller({ headers: cloudHeaders('busy-jo'), cloudHosting: true }).auth.login({})
    await attempt()
    await attempt()
    expect(await refusal(attempt())).toEqual({
      code: 'TOO_MANY_REQUESTS',
      reason: 'LOGIN_RATE_LIMITED',
    })
  })
})
