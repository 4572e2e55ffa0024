import { describe, expect, it } from 'vitest'
import { type Backend, expectNothingLeaked, useWorld } from './wechat-fixture'

/**
 * user.bindPhone end to end on each database: real server, real simulator, the
 * access token shared through the database. Each refusal on its own:
 * packages/api/test/routers/user.test.ts.
 */
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

    it('never puts a phone number, phone code, access token or app secret in a response or log line', async () => {
      const token = await world.currentAccessToken()
      expectNothingLeaked(world, [token, ...codes, ...numbers])
    })
  })
}
