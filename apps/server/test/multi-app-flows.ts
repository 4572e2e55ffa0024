import { describe, expect, it } from 'vitest'
import { rawCall, responses } from './login-fixture'
import {
  APP_A,
  APP_B,
  type Backend,
  expectNothingLeaked,
  failure,
  loginRaw,
  sealUserData,
  useWorld,
} from './wechat-fixture'

/**
 * Two mini-programs on one server (WECHAT_APPS) against a simulator that
 * knows both (SIM_APPS): users, sessions, access tokens, phone numbers and
 * session_keys all belong to one app.
 */
export function describeMultiAppFlows(name: string, prepare: () => Promise<Backend>) {
  describe(`several mini-programs on ${name}`, () => {
    const world = useWorld(prepare)
    /** GET user.me (a query) with the given headers. */
    const me = async (authorization: string, appid?: string) => {
      const res = await fetch(`${world.server.url}/trpc/user.me`, {
        headers: { authorization, ...(appid ? { 'x-wx-appid': appid } : {}) },
      })
      const text = await res.text()
      responses.push(text)
      const body = JSON.parse(text) as { error?: { data?: { reason?: string } } }
      return { status: res.status, body }
    }

    it('one WeChat user is two users, with two openids, in two apps', async () => {
      const inA = world.launch('carmen')
      const inB = world.launch('carmen', { appid: APP_B.appid })
      const [a, b] = [await inA.api.user.me.query(), await inB.api.user.me.query()]
      expect(a.id).not.toBe(b.id)
      const rows = await world.backend.sql?.<{ appid: string; openid: string; unionid: string }>(
        'SELECT appid, openid, unionid FROM users WHERE id = ANY($1::uuid[]) ORDER BY appid',
        [[a.id, b.id]],
      )
      if (rows) {
        expect(rows.map((r) => r.appid).sort()).toEqual([APP_B.appid, APP_A.appid].sort())
        expect(rows[0]?.openid).not.toBe(rows[1]?.openid)
        // The same person across the apps of one Open Platform account.
        expect(rows[0]?.unionid).toBe(rows[1]?.unionid)
      }
      expect((await world.control.stats())[APP_B.appid]?.jscode2session).toBe(1)
    })

    it("refuses app B's token for app A (x-wx-appid: A, or no header) with 401; accepts it for B", async () => {
      const tokenB = await loginRaw(world, 'diego', { appid: APP_B.appid })
      for (const appid of [APP_A.appid, undefined, 'wx_not_served']) {
        const res = await me(tokenB, appid)
        expect(res.status, String(appid)).toBe(401)
        expect(res.body.error?.data?.reason).toBe('TOKEN_INVALID')
      }
      expect((await me(tokenB, APP_B.appid)).status).toBe(200)
      const tokenA = await loginRaw(world, 'diego')
      expect((await me(tokenA)).status).toBe(200)
      expect((await me(tokenA, APP_B.appid)).status).toBe(401)
    })

    it('logs in to the app named by the input or the header, and refuses an unknown app', async () => {
      const byHeader = await rawCall(
        world.server.url,
        'auth.login',
        { code: await world.control.login({ appid: APP_B.appid, user: 'elena' }) },
        { 'x-wx-appid': APP_B.appid },
      )
      expect(byHeader.status).toBe(200)
      // A code of app B exchanged as app A's: WeChat does not know it there.
      const wrongApp = await rawCall(world.server.url, 'auth.login', {
        code: await world.control.login({ appid: APP_B.appid, user: 'elena' }),
      })
      expect(wrongApp.body.error?.data?.reason).toBe('WECHAT_CODE_INVALID')
      const unknown = await rawCall(world.server.url, 'auth.login', {
        code: 'whatever',
        appid: 'wx_not_served',
      })
      expect(unknown.status).toBe(400)
      expect(unknown.body.error?.data?.reason).toBe('APP_UNKNOWN')
    })

    it('keeps one access token per app, and binds phones through the right one', async () => {
      const inA = world.launch('fiona')
      const inB = world.launch('fiona', { appid: APP_B.appid })
      const codeA = await world.phoneCode('fiona', { phoneNumber: '13100001111' })
      const codeB = await world.phoneCode('fiona', {
        appid: APP_B.appid,
        phoneNumber: '13200002222',
      })
      // A code of the other app is unknown to this one (WeChat: 40029).
      expect(await failure(inA.api.user.bindPhone.mutate({ code: codeB }))).toMatchObject({
        httpStatus: 400,
        reason: 'PHONE_CODE_INVALID',
      })
      expect((await inA.api.user.bindPhone.mutate({ code: codeA })).phoneNumber).toBe('131****1111')
      expect((await inB.api.user.bindPhone.mutate({ code: codeB })).phoneNumber).toBe('132****2222')
      expect((await inA.api.user.me.query()).phoneNumber).toBe('131****1111')
      expect((await inB.api.user.me.query()).phoneNumber).toBe('132****2222')
      for (const appid of [APP_A.appid, APP_B.appid]) {
        expect((await world.stats(appid)).stable_token, appid).toBe(1)
      }
      // Revoking app B's token leaves app A's alone.
      await world.forceRefreshAtWechat(APP_B.appid)
      const again = await world.phoneCode('fiona', { appid: APP_B.appid })
      await inB.api.user.bindPhone.mutate({ code: again })
      await inA.api.user.bindPhone.mutate({ code: await world.phoneCode('fiona') })
      expect((await world.stats(APP_A.appid)).stable_token).toBe(1)
      expect((await world.stats(APP_B.appid)).stable_token).toBe(3) // ours, then its refresh
      const rows = await world.backend.sql?.<{ appid: string }>(
        'SELECT appid FROM wechat_access_tokens ORDER BY appid',
      )
      if (rows) expect(rows.map((r) => r.appid)).toEqual([APP_A.appid, APP_B.appid].sort())
    })

    it("decrypts app B's data with the session_key of the user's app B login", async () => {
      const inB = world.launch('gus', { appid: APP_B.appid })
      await inB.session.ensureSession()
      const keyB = await world.sessionKey('gus', APP_B.appid)
      const data = { nickName: 'gus', watermark: { appid: APP_B.appid, timestamp: 1 } }
      expect(await inB.api.wechat.decryptUserData.mutate(sealUserData(data, keyB))).toEqual(data)
      // Watermarked for app A: refused in app B.
      const forA = { nickName: 'gus', watermark: { appid: APP_A.appid, timestamp: 1 } }
      expect(
        await failure(inB.api.wechat.decryptUserData.mutate(sealUserData(forA, keyB))),
      ).toMatchObject({ httpStatus: 403, reason: 'DATA_APPID_MISMATCH' })
      expectNothingLeaked(world, [
        keyB,
        await world.currentAccessToken(APP_A.appid),
        await world.currentAccessToken(APP_B.appid),
      ])
    })
  })
}
