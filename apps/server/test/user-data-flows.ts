import { describe, expect, it } from 'vitest'
import {
  APP_A,
  type Backend,
  expectNothingLeaked,
  failure,
  sealUserData,
  useWorld,
} from './wechat-fixture'

/**
 * wechat.decryptUserData end to end, through the session client: a login, a
 * session_key rotated by WeChat, a relaunch. The test plays WeChat's app: it
 * encrypts with the session_key the simulator issued to the user (learned by
 * exchanging a fresh code while the user's WeChat session is valid, when the
 * simulator hands out the same key), as the phone would. Each refusal on its
 * own: packages/api/test/routers/wechat.test.ts.
 */
export function describeUserDataFlows(name: string, prepare: () => Promise<Backend>) {
  describe(`encrypted user data on ${name}`, () => {
    const world = useWorld(prepare)
    const keys: string[] = []
    const sessionKey = async (user: string, appid?: string) => {
      const key = await world.sessionKey(user, appid)
      keys.push(key)
      return key
    }
    const profile = (appid = APP_A.appid) => ({
      nickName: '小红',
      gender: 2,
      avatarUrl: 'https://example.com/a.png',
      watermark: { appid, timestamp: 1_764_000_000 },
    })

    it("decrypts data sealed with the user's session_key and checks rawData's signature", async () => {
      const app = world.launch('vera')
      await app.session.ensureSession()
      const sealed = sealUserData(profile(), await sessionKey('vera'))
      expect(await app.api.wechat.decryptUserData.mutate(sealed)).toEqual(profile())
      const { rawData: _r, signature: _s, ...unsigned } = sealed
      expect(await app.api.wechat.decryptUserData.mutate(unsigned)).toEqual(profile())
    })

    it('after WeChat rotates the session_key, old data fails and data under the new key works', async () => {
      const first = world.launch('zoe')
      await first.session.ensureSession()
      const oldKey = await sessionKey('zoe')
      const old = sealUserData(profile(), oldKey)
      expect(await first.api.wechat.decryptUserData.mutate(old)).toEqual(profile())

      // WeChat expires the session; the next launch logs in again (checkSession fails).
      await world.control.expireSession({ appid: APP_A.appid, user: 'zoe' })
      const second = world.launch('zoe', { storage: first.storage })
      await second.session.ensureSession()
      expect(second.counters.sourceLogins).toBe(1)
      const newKey = await sessionKey('zoe')
      expect(newKey).not.toBe(oldKey)

      // Signed rawData fails its check first; the ciphertext alone fails to decrypt.
      expect(await failure(second.api.wechat.decryptUserData.mutate(old))).toMatchObject({
        httpStatus: 400,
        reason: 'DATA_SIGNATURE_INVALID',
      })
      const { rawData: _r, signature: _s, ...oldCiphertext } = old
      expect(await failure(second.api.wechat.decryptUserData.mutate(oldCiphertext))).toMatchObject({
        httpStatus: 400,
        reason: 'DATA_DECRYPT_FAILED',
      })
      const fresh = sealUserData(profile(), newKey)
      expect(await second.api.wechat.decryptUserData.mutate(fresh)).toEqual(profile())
    })

    it('never puts a session_key in a response or log line', () => {
      expect(keys).toHaveLength(3) // vera, and zoe before and after the rotation
      expectNothingLeaked(world, keys)
    })
  })
}
