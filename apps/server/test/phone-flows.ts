import { describe, expect, it } from 'vitest'
import { rawCall } from './login-fixture'
import { type Backend, expectNothingLeaked, failure, useWorld } from './wechat-fixture'

/** user.bindPhone end to end: real server, real simulator, real database. */
export function describePhoneFlows(name: string, prepare: () => Promise<Backend>) {
  describe(`phone numbers on ${name}`, () => {
    const world = useWorld(prepare)
    const numbers: string[] = []
    const codes: string[] = []
    const phoneCode = async (...args: Parameters<typeof world.phoneCode>) => {
      const code = await world.phoneCode(...args)
      codes.push(code)
      if (args[1]?.phoneNumber) numbers.push(args[1].phoneNumber)
      return code
    }

    it('binds the number behind a phone code: stored, and shown masked', async () => {
      const app = world.launch('pam')
      expect((await app.api.user.me.query()).phoneNumber).toBeNull()
      const code = await phoneCode('pam', { phoneNumber: '13912345678' })
      expect(await app.api.user.bindPhone.mutate({ code })).toEqual({
        phoneNumber: '139****5678',
        countryCode: '86',
      })
      const me = await app.api.user.me.query()
      expect(me.phoneNumber).toBe('139****5678')
      const rows = await world.backend.sql?.<{ phone_number: string; phone_country_code: string }>(
        'SELECT phone_number, phone_country_code FROM users WHERE id = $1',
        [me.id],
      )
      if (rows) expect(rows).toEqual([{ phone_number: '13912345678', phone_country_code: '86' }])

      // A number outside mainland China: stored without its country code.
      const hk = await phoneCode('pam', { phoneNumber: '61234567', countryCode: '852' })
      expect(await app.api.user.bindPhone.mutate({ code: hk })).toEqual({
        phoneNumber: '612*4567',
        countryCode: '852',
      })
    })

    it('refuses a used or unknown code with 400 PHONE_CODE_INVALID', async () => {
      const app = world.launch('quinn')
      const code = await phoneCode('quinn', { phoneNumber: '13700001111' })
      await app.api.user.bindPhone.mutate({ code })
      expect(await failure(app.api.user.bindPhone.mutate({ code }))).toMatchObject({
        httpStatus: 400,
        reason: 'PHONE_CODE_INVALID',
      })
      expect(
        await failure(app.api.user.bindPhone.mutate({ code: 'no-such-phone-code' })),
      ).toMatchObject({ httpStatus: 400, reason: 'PHONE_CODE_INVALID' })
      expect(await failure(app.api.user.bindPhone.mutate({ code: '' }))).toMatchObject({
        httpStatus: 400,
        reason: 'INVALID_INPUT',
      })
    })

    it("refuses another user's code with 403 PHONE_CODE_MISMATCH; its owner can still use it", async () => {
      const mallory = world.launch('mallory')
      const rose = world.launch('rose')
      const code = await phoneCode('rose', { phoneNumber: '13611112222' })
      expect(await failure(mallory.api.user.bindPhone.mutate({ code }))).toMatchObject({
        httpStatus: 403,
        reason: 'PHONE_CODE_MISMATCH',
      })
      expect((await mallory.api.user.me.query()).phoneNumber).toBeNull()
      expect((await rose.api.user.bindPhone.mutate({ code })).phoneNumber).toBe('136****2222')
    })

    it('answers a used-up quota (1400001) with 503 PHONE_QUOTA_EXHAUSTED', async () => {
      const app = world.launch('sam')
      const code = await phoneCode('sam', { phoneNumber: '13522223333' })
      await world.control.faults({
        path: '/wxa/business/getuserphonenumber',
        errcode: 1400001,
        count: 1,
      })
      expect(await failure(app.api.user.bindPhone.mutate({ code }))).toMatchObject({
        httpStatus: 503,
        reason: 'PHONE_QUOTA_EXHAUSTED',
      })
      // A faulted call used up nothing: the same code works once WeChat does.
      expect((await app.api.user.bindPhone.mutate({ code })).phoneNumber).toBe('135****3333')
    })

    it('retries a busy WeChat, and answers 503 WECHAT_BUSY when it stays busy', async () => {
      const app = world.launch('tina')
      await app.session.ensureSession()
      const path = '/wxa/business/getuserphonenumber'
      await world.control.faults({ path, errcode: -1, count: 1 })
      const once = await phoneCode('tina', { phoneNumber: '13433334444' })
      expect((await app.api.user.bindPhone.mutate({ code: once })).phoneNumber).toBe('134****4444')
      await world.control.faults({ path, errcode: -1, count: 100 })
      try {
        const code = await phoneCode('tina')
        expect(await failure(app.api.user.bindPhone.mutate({ code }))).toMatchObject({
          httpStatus: 503,
          reason: 'WECHAT_BUSY',
        })
      } finally {
        await world.control.faults({ path, count: 0 })
      }
    })

    it('recovers from an access token revoked at WeChat: one refresh, then success', async () => {
      const app = world.launch('uma')
      await app.api.user.bindPhone.mutate({ code: await phoneCode('uma') }) // a cached token
      await world.forceRefreshAtWechat()
      const before = await world.stats()
      const code = await phoneCode('uma', { phoneNumber: '13344445555' })
      expect((await app.api.user.bindPhone.mutate({ code })).phoneNumber).toBe('133****5555')
      const after = await world.stats()
      expect(after.stable_token - before.stable_token).toBe(1)
      // Refused once (40001), then answered: the code was not used up by the refusal.
      expect(after.getuserphonenumber - before.getuserphonenumber).toBe(2)
      const refreshed = world.logs().includes('wechat refused the access token; refreshing once')
      expect(refreshed).toBe(true)
    })

    it('needs a session: 401 without one', async () => {
      const res = await rawCall(world.server.url, 'user.bindPhone', { code: 'whatever' })
      expect(res.status).toBe(401)
      expect(res.body.error?.data?.reason).toBe('AUTH_REQUIRED')
    })

    it('never puts a phone number, phone code, access token or app secret in a response or log line', async () => {
      const token = await world.currentAccessToken()
      expectNothingLeaked(world, [token, ...codes, ...numbers])
    })
  })
}
