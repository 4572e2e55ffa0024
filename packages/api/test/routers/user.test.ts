import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ZodError } from 'zod'
import { reasonOf } from '../../src/errors'
import { APP_A, APP_B, createTestApi, failure, leaked, refusal, type TestApi } from '../helpers/api'

let api: TestApi
beforeAll(async () => {
  api = await createTestApi({ sessionCache: { ttlMs: 5000 } })
})
afterAll(() => api?.close())

const phoneCode = (
  user: string,
  phoneNumber?: string,
  extra: { countryCode?: string; appid?: string } = {},
) =>
  api.sim.phoneCode({
    appid: extra.appid ?? APP_A.appid,
    user,
    ...(phoneNumber ? { phoneNumber } : {}),
    ...(extra.countryCode ? { countryCode: extra.countryCode } : {}),
  })
const PHONE_API = '/wxa/business/getuserphonenumber'

describe('user.me', () => {
  it('is the caller, with their platform, without openid, unionid or a full phone number', async () => {
    const { api: me, user } = await api.login('olga')
    expect(await me.user.me()).toEqual({
      id: user.id,
      platform: 'weapp',
      nickname: null,
      avatarUrl: null,
      phoneNumber: null,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    })
  })
})

describe('user.updateProfile', () => {
  it('stores a trimmed nickname of 1-64 code points and an http(s) avatar', async () => {
    const { api: me } = await api.login('pam')
    expect(
      await me.user.updateProfile({
        nickname: '  小明🙂  ',
        avatarUrl: 'https://example.com/a.png',
      }),
    ).toMatchObject({ nickname: '小明🙂', avatarUrl: 'https://example.com/a.png' })
    expect(await me.user.updateProfile({ nickname: '🙂'.repeat(64) })).toMatchObject({
      nickname: '🙂'.repeat(64),
      avatarUrl: 'https://example.com/a.png',
    })
    // At once on this instance, the session cache notwithstanding.
    expect(await me.user.me()).toMatchObject({ nickname: '🙂'.repeat(64) })
  })

  it.each([
    [{ nickname: '   ' }, 'nickname'],
    [{ nickname: 'x'.repeat(65) }, 'nickname'],
    [{ nickname: 'a\u0000b' }, 'nickname'],
    [{ nickname: 'lone \ud800 surrogate' }, 'nickname'],
    [{ avatarUrl: 'javascript:alert(1)' }, 'avatarUrl'],
    [{ avatarUrl: 'ftp://example.com/a.png' }, 'avatarUrl'],
    [{ avatarUrl: 'not a url' }, 'avatarUrl'],
    [{ avatarUrl: `https://example.com/${'a'.repeat(2048)}` }, 'avatarUrl'],
    [{ nickname: 42 }, 'nickname'],
    [{ admin: true }, ''],
  ])('refuses %o as INVALID_INPUT, naming the field', async (input, field) => {
    const { api: me } = await api.login('quinn')
    const error = await failure(me.user.updateProfile(input as never))
    expect({ code: error.code, reason: reasonOf(error) }).toEqual({
      code: 'BAD_REQUEST',
      reason: 'INVALID_INPUT',
    })
    // What the error formatter turns into `error.data.fieldErrors`.
    const issues = error.cause instanceof ZodError ? error.cause.issues : []
    if (field) expect(issues.map((issue) => issue.path[0])).toContain(field)
    else expect(issues.map((issue) => issue.code)).toContain('unrecognized_keys')
    expect((await me.user.me()).nickname).toBeNull()
  })
})

describe('user.bindPhone', () => {
  it('binds the number behind a phone code, stored whole and answered masked', async () => {
    const { api: me, user } = await api.login('rose')
    expect(await me.user.bindPhone({ code: await phoneCode('rose', '13912345678') })).toEqual({
      phoneNumber: '139****5678',
      countryCode: '86',
    })
    expect((await me.user.me()).phoneNumber).toBe('139****5678')
    expect(
      await api.db.prisma.user.findUniqueOrThrow({
        where: { id: user.id },
        select: { phoneNumber: true, phoneCountryCode: true },
      }),
    ).toEqual({ phoneNumber: '13912345678', phoneCountryCode: '86' })
    const hk = await phoneCode('rose', '61234567', { countryCode: '852' })
    expect(await me.user.bindPhone({ code: hk })).toEqual({
      phoneNumber: '612*4567',
      countryCode: '852',
    })
  })

  it('refuses a used or unknown code as PHONE_CODE_INVALID, an empty one as INVALID_INPUT', async () => {
    const { api: me } = await api.login('sam')
    const code = await phoneCode('sam', '13700001111')
    await me.user.bindPhone({ code })
    for (const again of [code, 'no-such-phone-code']) {
      expect(await refusal(me.user.bindPhone({ code: again }))).toEqual({
        code: 'BAD_REQUEST',
        reason: 'PHONE_CODE_INVALID',
      })
    }
    expect(await refusal(me.user.bindPhone({ code: '' }))).toEqual({
      code: 'BAD_REQUEST',
      reason: 'INVALID_INPUT',
    })
  })

  it("refuses another user's code as PHONE_CODE_MISMATCH; its owner can still use it", async () => {
    const mallory = await api.login('mallory')
    const tina = await api.login('tina')
    const code = await phoneCode('tina', '13611112222')
    expect(await refusal(mallory.api.user.bindPhone({ code }))).toEqual({
      code: 'FORBIDDEN',
      reason: 'PHONE_CODE_MISMATCH',
    })
    expect((await mallory.api.user.me()).phoneNumber).toBeNull()
    expect((await tina.api.user.bindPhone({ code })).phoneNumber).toBe('136****2222')
  })

  it('answers a used-up quota as PHONE_QUOTA_EXHAUSTED, without using up the code', async () => {
    const { api: me } = await api.login('uma')
    const code = await phoneCode('uma', '13522223333')
    await api.sim.faults({ path: PHONE_API, errcode: 1400001, count: 1 })
    expect(await refusal(me.user.bindPhone({ code }))).toEqual({
      code: 'SERVICE_UNAVAILABLE',
      reason: 'PHONE_QUOTA_EXHAUSTED',
    })
    expect((await me.user.bindPhone({ code })).phoneNumber).toBe('135****3333')
  })

  it('retries a busy WeChat, and answers WECHAT_BUSY when it stays busy', async () => {
    const { api: me } = await api.login('vera')
    await api.sim.faults({ path: PHONE_API, errcode: -1, count: 1 })
    const once = await phoneCode('vera', '13433334444')
    expect((await me.user.bindPhone({ code: once })).phoneNumber).toBe('134****4444')
    await api.sim.faults({ path: PHONE_API, errcode: -1, count: 100 })
    try {
      expect(await refusal(me.user.bindPhone({ code: await phoneCode('vera') }))).toEqual({
        code: 'SERVICE_UNAVAILABLE',
        reason: 'WECHAT_BUSY',
      })
    } finally {
      await api.sim.faults({ path: PHONE_API, count: 0 })
    }
  })

  it('recovers from an access token revoked at WeChat (40001): one refresh, then success', async () => {
    const { api: me } = await api.login('walt')
    await me.user.bindPhone({ code: await phoneCode('walt') }) // a cached token now
    await api.stableToken({ force: true })
    const before = (await api.sim.stats())[APP_A.appid]
    const code = await phoneCode('walt', '13344445555')
    expect((await me.user.bindPhone({ code })).phoneNumber).toBe('133****5555')
    const after = (await api.sim.stats())[APP_A.appid]
    expect((after?.stable_token ?? 0) - (before?.stable_token ?? 0)).toBe(1)
    // Refused once (40001), then answered: the refusal used up nothing.
    expect((after?.getuserphonenumber ?? 0) - (before?.getuserphonenumber ?? 0)).toBe(2)
    expect(api.logs.map((l) => l.msg)).toContain('wechat refused the access token; refreshing once')
  })

  it("binds through the session's own app, with that app's access token", async () => {
    const b = await api.login('xena', { appid: APP_B.appid })
    const code = await phoneCode('xena', '13255556666', { appid: APP_B.appid })
    expect((await b.api.user.bindPhone({ code })).phoneNumber).toBe('132****6666')
    const rows = await api.db.prisma.wechatAccessToken.findMany({ select: { appid: true } })
    expect(rows.map((r) => r.appid).sort()).toEqual([APP_A.appid, APP_B.appid].sort())
  })

  it('never puts a phone number, phone code, access token or app secret in an answer or log line', async () => {
    const secrets = [await api.stableToken(), APP_A.secret, APP_B.secret, '13912345678']
    expect(leaked(api, secrets)).toEqual([])
  })
})
