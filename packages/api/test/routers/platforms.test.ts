/**
 * One login procedure for four platforms: WeChat, QQ, Douyin (tt) and
 * Alipay apps on one server, each exchanging its codes with its platform's
 * server (the simulator plays all four), each user and token its app's own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ALIPAY_APPID,
  APP_A,
  createTestApi,
  leaked,
  QQ_APP,
  refusal,
  type TestApi,
  TT_APP,
} from '../helpers/api'

let api: TestApi
beforeAll(async () => {
  api = await createTestApi({ platforms: true })
})
afterAll(() => api?.close())

const APPS = [
  { platform: 'weapp', appid: APP_A.appid },
  { platform: 'qq', appid: QQ_APP.appid },
  { platform: 'tt', appid: TT_APP.appid },
  { platform: 'alipay', appid: ALIPAY_APPID },
] as const

const login = (input: { code: string; appid: string; anonymous?: boolean }) =>
  api.caller().auth.login(input)

describe.each(APPS)('a $platform app', ({ platform, appid }) => {
  it('logs a user in with a code of its platform; user.me names the platform', async () => {
    const code = await api.sim.login({ appid, user: `ada-${platform}` })
    const first = await login({ code, appid })
    expect(first.user.platform).toBe(platform)
    const me = await api.caller({ token: first.token, appid }).user.me()
    expect(me).toMatchObject({ id: first.user.id, platform })

    const again = await login({
      code: await api.sim.login({ appid, user: `ada-${platform}` }),
      appid,
    })
    expect(again.user.id).toBe(first.user.id)
    expect(again.token).not.toBe(first.token)

    const row = await api.db.prisma.user.findUniqueOrThrow({ where: { id: first.user.id } })
    expect(row).toMatchObject({ platform, appid })
    // QQ and Douyin keep a session_key as WeChat does; Alipay gives none.
    const key = await api.db.prisma.wechatSessionKey.findUnique({ where: { userId: row.id } })
    expect(key !== null).toBe(platform !== 'alipay')
    expect(leaked(api, [code, QQ_APP.secret, TT_APP.secret])).toEqual([])
  })

  it('refuses a used code with the typed reason the platform allows, naming the platform', async () => {
    const code = await api.sim.login({ appid, user: `bo-${platform}` })
    await login({ code, appid })
    const error = await refusal(login({ code, appid }))
    // Only WeChat and QQ tell a used code from an unknown one.
    const reason =
      platform === 'weapp' || platform === 'qq' ? 'WECHAT_CODE_USED' : 'WECHAT_CODE_INVALID'
    expect(error).toEqual({ code: 'BAD_REQUEST', reason })
    const refused = api.logs.filter((l) => l.msg === 'login code refused' && l.appid === appid)
    expect(refused.at(-1)).toMatchObject({ platform, reason })
    // The platform's own code is in the log line (Alipay's is its sub_code).
    const last = refused.at(-1)
    expect(platform === 'alipay' ? last?.subCode : last?.errcode).toBeTruthy()
  })

  it("has its tokens refused by every other platform's app, and accepted by its own", async () => {
    const { token } = await login({
      code: await api.sim.login({ appid, user: `cy-${platform}` }),
      appid,
    })
    for (const other of APPS.filter((a) => a.appid !== appid)) {
      expect(
        await refusal(api.caller({ token, appid: other.appid }).user.me()),
        other.platform,
      ).toEqual({ code: 'UNAUTHORIZED', reason: 'TOKEN_INVALID' })
    }
    await expect(api.caller({ token, appid }).user.me()).resolves.toMatchObject({ platform })
  })

  it("does not take a code of another platform's app", async () => {
    const other = APPS.find((a) => a.platform !== platform) ?? APPS[0]
    const code = await api.sim.login({ appid: other.appid, user: `di-${platform}` })
    expect(await refusal(login({ code, appid }))).toEqual({
      code: 'BAD_REQUEST',
      reason: 'WECHAT_CODE_INVALID',
    })
  })
})

describe('platform specifics', () => {
  it("logs in a Douyin user not logged in to Douyin by tt.login's anonymousCode", async () => {
    const { anonymousCode } = await api.sim.loginCodes({
      appid: TT_APP.appid,
      user: 'guest',
      anonymous: true,
    })
    if (!anonymousCode) throw new Error('the simulator gave no anonymousCode')
    const result = await login({ code: anonymousCode, appid: TT_APP.appid, anonymous: true })
    expect(result.user.platform).toBe('tt')
    // Sent as a code it is not one: Douyin refuses it.
    const other = await api.sim.loginCodes({ appid: TT_APP.appid, user: 'guest2', anonymous: true })
    expect(await refusal(login({ code: other.anonymousCode ?? '', appid: TT_APP.appid }))).toEqual({
      code: 'BAD_REQUEST',
      reason: 'WECHAT_CODE_INVALID',
    })
  })

  it('refuses an anonymous code for any app but Douyin, before asking anyone', async () => {
    const code = await api.sim.login({ appid: QQ_APP.appid, user: 'eve' })
    expect(await refusal(login({ code, appid: QQ_APP.appid, anonymous: true }))).toEqual({
      code: 'BAD_REQUEST',
      reason: 'INVALID_INPUT',
    })
    // The code was not spent.
    await expect(login({ code, appid: QQ_APP.appid })).resolves.toMatchObject({
      user: { platform: 'qq' },
    })
  })

  it("maps each platform's busy and credential errors to the shared reasons, naming the platform", async () => {
    await api.sim.faults({ path: '/qq/sns/jscode2session', errcode: -1, count: 3 })
    const busy = await api
      .caller()
      .auth.login({
        code: await api.sim.login({ appid: QQ_APP.appid, user: 'fay' }),
        appid: QQ_APP.appid,
      })
      .catch((e: Error) => e)
    expect(busy).toMatchObject({ reason: 'WECHAT_BUSY', message: 'QQ is busy: try again shortly' })

    await api.sim.faults({ path: '/tt/api/apps/v2/jscode2session', errcode: 40017, count: 1 })
    expect(
      await refusal(
        login({
          code: await api.sim.login({ appid: TT_APP.appid, user: 'fay' }),
          appid: TT_APP.appid,
        }),
      ),
    ).toEqual({ code: 'INTERNAL_SERVER_ERROR', reason: 'WECHAT_CREDENTIALS_INVALID' })
    expect(api.logs).toContainEqual(
      expect.objectContaining({
        msg: 'login code exchange failed on the server side',
        platform: 'tt',
        errcode: 40017,
      }),
    )

    await api.sim.faults({ path: '/alipay/gateway.do', errcode: 20000, count: 3 })
    expect(
      await refusal(
        login({
          code: await api.sim.login({ appid: ALIPAY_APPID, user: 'fay' }),
          appid: ALIPAY_APPID,
        }),
      ),
    ).toEqual({ code: 'SERVICE_UNAVAILABLE', reason: 'WECHAT_BUSY' })
  })

  it('refuses phone binding outside WeChat with PLATFORM_UNSUPPORTED, without asking WeChat', async () => {
    const { api: qq } = await api.login('gus', { appid: QQ_APP.appid })
    const before = (await api.sim.stats())[APP_A.appid]?.getuserphonenumber ?? 0
    expect(await refusal(qq.user.bindPhone({ code: 'any-code' }))).toEqual({
      code: 'FORBIDDEN',
      reason: 'PLATFORM_UNSUPPORTED',
    })
    expect((await api.sim.stats())[APP_A.appid]?.getuserphonenumber ?? 0).toBe(before)
  })

  it("records a QQ, Douyin or Alipay user's nickname for a person to review (no WeChat check)", async () => {
    for (const appid of [QQ_APP.appid, TT_APP.appid, ALIPAY_APPID]) {
      const { api: user, user: who } = await api.login(`hal-${appid}`, { appid })
      const updated = await user.user.updateProfile({ nickname: `Hal ${appid}` })
      expect(updated.nickname).toBe(`Hal ${appid}`)
      const checks = await api.db.prisma.contentCheck.findMany({ where: { userId: who.id } })
      expect(checks).toEqual([
        expect.objectContaining({ kind: 'nickname', status: 'review', content: `Hal ${appid}` }),
      ])
    }
    // WeChat's msg_sec_check was never asked about them.
    expect((await api.sim.stats())[APP_A.appid]?.msg_sec_check ?? 0).toBe(0)
  })

  it('exports the platform with the user, and deletes a user of any platform', async () => {
    const { api: user, user: who } = await api.login('ivy', { appid: ALIPAY_APPID })
    expect((await user.user.exportData()).user).toMatchObject({
      platform: 'alipay',
      appid: ALIPAY_APPID,
    })
    await user.user.deleteAccount()
    expect(await api.db.prisma.user.count({ where: { id: who.id } })).toBe(0)
    const fresh = await api.login('ivy', { appid: ALIPAY_APPID })
    expect(fresh.user.id).not.toBe(who.id)
  })
})
