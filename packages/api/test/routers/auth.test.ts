import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { APP_A, APP_B, createTestApi, leaked, refusal, type TestApi } from '../helpers/api'

let api: TestApi
beforeAll(async () => {
  api = await createTestApi()
})
afterAll(() => api?.close())

const code = (user: string, appid = APP_A.appid) => api.sim.login({ appid, user })
const login = async (input: { code: string; appid?: string }, clientIp?: string) =>
  api.caller({ clientIp }).auth.login(input)

describe('auth.login', () => {
  it('exchanges a code for a session token, the public user and the session end', async () => {
    const result = await login({
      code: await code('alice'),
      appid: APP_A.appid,
      ...{ client: { platform: 'weapp', model: 'iPhone 15' } },
    })
    expect(result).toEqual({
      token: expect.stringMatching(/^[0-9a-f-]{36}\.[A-Za-z0-9_-]{43}$/),
      expiresAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      user: {
        id: expect.any(String),
        platform: 'weapp',
        nickname: null,
        avatarUrl: null,
        phoneNumber: null,
        createdAt: expect.any(String),
      },
    })
    const session = await api.services.sessions.validate(result.token, { appid: APP_A.appid })
    expect(session).toMatchObject({
      ok: true,
      session: { userId: result.user.id, client: { platform: 'weapp', model: 'iPhone 15' } },
    })
  })

  it('is the same user on the next login, with the unionid WeChat gives, and a new token', async () => {
    const first = await login({ code: await code('bob') })
    const second = await login({ code: await code('bob') })
    expect(second.user.id).toBe(first.user.id)
    expect(second.token).not.toBe(first.token)
    const row = await api.db.prisma.user.findUniqueOrThrow({ where: { id: first.user.id } })
    expect(row).toMatchObject({ appid: APP_A.appid, openid: expect.any(String) })
    expect(row.unionid).toEqual(expect.any(String))
  })

  it('keeps the session_key sealed, replaced at each login, and never answers it', async () => {
    const first = await login({ code: await code('carol') })
    const key = await api.sessionKey('carol')
    const sealed = await api.db.prisma.wechatSessionKey.findFirstOrThrow({
      where: { userId: first.user.id },
    })
    expect(JSON.stringify(sealed)).not.toContain(key)
    expect(await api.services.sessionKeys.read({ userId: first.user.id, appid: APP_A.appid })).toBe(
      key,
    )
    expect(leaked(api, [key, APP_A.secret])).toEqual([])
  })

  it('refuses a used and an unknown code with typed reasons', async () => {
    const used = await code('dave')
    await login({ code: used })
    expect(await refusal(login({ code: used }))).toEqual({
      code: 'BAD_REQUEST',
      reason: 'WECHAT_CODE_USED',
    })
    expect(await refusal(login({ code: 'no-such-code' }))).toEqual({
      code: 'BAD_REQUEST',
      reason: 'WECHAT_CODE_INVALID',
    })
  })

  it('refuses input it cannot use as INVALID_INPUT, before asking WeChat', async () => {
    for (const input of [{ code: '' }, { code: '   ' }, { code: 'x'.repeat(129) }]) {
      expect(await refusal(login(input))).toEqual({ code: 'BAD_REQUEST', reason: 'INVALID_INPUT' })
    }
  })

  it('logs in to the app the input or the x-wx-appid header names, and refuses an unknown one', async () => {
    const byInput = await login({ code: await code('erin', APP_B.appid), appid: APP_B.appid })
    const byHeader = await api
      .caller({ appid: APP_B.appid })
      .auth.login({ code: await code('erin', APP_B.appid) })
    expect(byHeader.user.id).toBe(byInput.user.id)
    const inA = await login({ code: await code('erin') })
    expect(inA.user.id).not.toBe(byInput.user.id)
    expect(await refusal(login({ code: await code('erin'), appid: 'wx_unknown' }))).toEqual({
      code: 'BAD_REQUEST',
      reason: 'APP_UNKNOWN',
    })
  })

  it('retries a busy WeChat once, and answers WECHAT_BUSY when it stays busy', async () => {
    await api.sim.faults({ path: '/sns/jscode2session', errcode: -1, count: 1 })
    expect((await login({ code: await code('frank') })).token).toEqual(expect.any(String))
    await api.sim.faults({ path: '/sns/jscode2session', errcode: -1, count: 100 })
    try {
      expect(await refusal(login({ code: await code('frank') }))).toEqual({
        code: 'SERVICE_UNAVAILABLE',
        reason: 'WECHAT_BUSY',
      })
    } finally {
      await api.sim.faults({ path: '/sns/jscode2session', count: 0 })
    }
  })

  it.each([
    [45011, 'TOO_MANY_REQUESTS', 'WECHAT_RATE_LIMITED'],
    [40226, 'FORBIDDEN', 'WECHAT_USER_BLOCKED'],
    [40125, 'INTERNAL_SERVER_ERROR', 'WECHAT_CREDENTIALS_INVALID'],
    [99999, 'SERVICE_UNAVAILABLE', 'WECHAT_UNAVAILABLE'],
  ])('passes WeChat errcode %i on as %s %s', async (errcode, trpcCode, reason) => {
    await api.sim.faults({ path: '/sns/jscode2session', errcode, count: 1 })
    expect(await refusal(login({ code: await code('gina') }))).toEqual({ code: trpcCode, reason })
  })

  it('blocks a high-risk user (WeChat 40226) and logs the server-side refusal of its secret', async () => {
    expect(await refusal(login({ code: await code('risky-mallory') }))).toEqual({
      code: 'FORBIDDEN',
      reason: 'WECHAT_USER_BLOCKED',
    })
    await api.sim.faults({ path: '/sns/jscode2session', errcode: 40125, count: 1 })
    await refusal(login({ code: await code('gina') }))
    expect(api.logs.map((l) => l.msg)).toContain('login code exchange failed on the server side')
    // Every refusal is logged with the platform's own code.
    expect(api.logs).toContainEqual(
      expect.objectContaining({
        msg: 'login code refused',
        platform: 'weapp',
        errcode: 40226,
        reason: 'WECHAT_USER_BLOCKED',
      }),
    )
  })

  it('creates exactly one user for 50 concurrent first logins', async () => {
    const codes = await Promise.all(Array.from({ length: 50 }, () => code('crowd')))
    const results = await Promise.all(codes.map((c) => login({ code: c })))
    expect(new Set(results.map((r) => r.user.id)).size).toBe(1)
    expect(new Set(results.map((r) => r.token)).size).toBe(50)
  })
})

describe('auth.login rate limits', () => {
  let limited: TestApi
  let clock = new Date('2026-03-01T00:00:10Z')
  beforeAll(async () => {
    limited = await createTestApi({
      loginLimits: { perIpPerMinute: 3, perUserPerMinute: 2 },
      now: () => clock,
    })
  })
  afterAll(() => limited?.close())

  it('counts per client address and per WeChat user, in one-minute windows', async () => {
    const attempt = async (user: string, clientIp = '10.0.0.1') =>
      limited
        .caller({ clientIp })
        .auth.login({ code: await limited.sim.login({ appid: APP_A.appid, user }) })
    await attempt('hana')
    await attempt('hana')
    expect(await refusal(attempt('hana'))).toEqual({
      code: 'TOO_MANY_REQUESTS',
      reason: 'LOGIN_RATE_LIMITED',
    })
    // The address has used its three.
    expect(await refusal(attempt('ivan'))).toEqual({
      code: 'TOO_MANY_REQUESTS',
      reason: 'LOGIN_RATE_LIMITED',
    })
    expect((await attempt('ivan', '10.0.0.2')).token).toEqual(expect.any(String))
    expect(limited.logs.filter((l) => l.msg === 'login rate limit reached')).toHaveLength(2)
    clock = new Date(clock.getTime() + 60_000)
    expect((await attempt('hana')).token).toEqual(expect.any(String))
  })
})

describe('auth.login per-user limit, counted with the user upsert', () => {
  let limited: TestApi
  beforeAll(async () => {
    limited = await createTestApi({ loginLimits: { perIpPerMinute: 0, perUserPerMinute: 1 } })
  })
  afterAll(() => limited?.close())

  it('writes nothing of the user when it refuses: no last login, no session', async () => {
    const attempt = async () =>
      limited
        .caller()
        .auth.login({ code: await limited.sim.login({ appid: APP_A.appid, user: 'kim' }) })
    const before = Date.now()
    const first = await attempt()
    const row = await limited.db.prisma.user.findUniqueOrThrow({ where: { id: first.user.id } })
    // Written as UTC (the columns are `timestamp`): read back as the time it is.
    expect(Math.abs((row.lastLoginAt?.getTime() ?? 0) - before)).toBeLessThan(5_000)
    expect(row.createdAt.getTime()).toBe(row.lastLoginAt?.getTime())
    await new Promise((r) => setTimeout(r, 20))
    expect(await refusal(attempt())).toEqual({
      code: 'TOO_MANY_REQUESTS',
      reason: 'LOGIN_RATE_LIMITED',
    })
    const after = await limited.db.prisma.user.findUniqueOrThrow({ where: { id: first.user.id } })
    expect(after.lastLoginAt).toEqual(row.lastLoginAt)
    expect(await limited.db.prisma.session.count({ where: { userId: first.user.id } })).toBe(1)
    const session = await limited.db.prisma.session.findFirstOrThrow({
      where: { userId: first.user.id },
    })
    expect(Math.abs(session.createdAt.getTime() - before)).toBeLessThan(5_000)
    expect(session.tokenHash).toHaveLength(32)
    expect(first.token).not.toContain(Buffer.from(session.tokenHash).toString('base64url'))
  })
})

describe('auth.logout and auth.logoutAll', () => {
  it('end the calling session, or every session of the user', async () => {
    const phone = await api.login('lily')
    const tablet = await api.login('lily')
    const laptop = await api.login('lily')
    expect(await tablet.api.auth.logout()).toEqual({ ok: true })
    expect(await refusal(tablet.api.user.me())).toEqual({
      code: 'UNAUTHORIZED',
      reason: 'SESSION_REVOKED',
    })
    expect((await phone.api.user.me()).id).toBe(phone.user.id)
    expect(await phone.api.auth.logoutAll()).toEqual({ revoked: 2 })
    for (const session of [phone, laptop]) {
      expect(await refusal(session.api.user.me())).toEqual({
        code: 'UNAUTHORIZED',
        reason: 'SESSION_REVOKED',
      })
    }
  })

  it('need a session', async () => {
    expect(await refusal(api.caller().auth.logout())).toEqual({
      code: 'UNAUTHORIZED',
      reason: 'AUTH_REQUIRED',
    })
  })
})
