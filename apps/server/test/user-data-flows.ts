import { describe, expect, it } from 'vitest'
import { rawCall } from './login-fixture'
import {
  APP_A,
  type Backend,
  expectNothingLeaked,
  failure,
  sealUserData,
  useWorld,
} from './wechat-fixture'

/**
 * wechat.decryptUserData end to end. The test plays WeChat's app: it
 * encrypts with the session_key the simulator issued to the user (learned by
 * exchanging a fresh code while the user's WeChat session is valid, when the
 * simulator hands out the same key), as the phone would.
 */
/**
 * `databaseAccess`: the test process can reach the server's database (not so
 * for an in-memory PGlite inside the server), which one case needs.
 */
export function describeUserDataFlows(
  name: string,
  prepare: () => Promise<Backend>,
  { databaseAccess }: { databaseAccess: boolean },
) {
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

    it('refuses tampered data with 400 DATA_DECRYPT_FAILED', async () => {
      const app = world.launch('walt')
      await app.session.ensureSession()
      const sealed = sealUserData(profile(), await sessionKey('walt'))
      const bytes = Buffer.from(sealed.encryptedData, 'base64')
      // Flips the padding byte of the last block (CBC: through the block before it).
      bytes[bytes.length - 17] = (bytes[bytes.length - 17] ?? 0) ^ 0x41
      const tampered = { ...sealed, encryptedData: bytes.toString('base64') }
      expect(await failure(app.api.wechat.decryptUserData.mutate(tampered))).toMatchObject({
        httpStatus: 400,
        reason: 'DATA_DECRYPT_FAILED',
      })
    })

    it('refuses a wrong rawData signature with 400 DATA_SIGNATURE_INVALID', async () => {
      const app = world.launch('xena')
      await app.session.ensureSession()
      const sealed = sealUserData(profile(), await sessionKey('xena'))
      const changed = { ...sealed, rawData: sealed.rawData.replace('小红', '小蓝') }
      expect(await failure(app.api.wechat.decryptUserData.mutate(changed))).toMatchObject({
        httpStatus: 400,
        reason: 'DATA_SIGNATURE_INVALID',
      })
    })

    it('refuses data of another app with 403 DATA_APPID_MISMATCH', async () => {
      const app = world.launch('yuri')
      await app.session.ensureSession()
      const sealed = sealUserData(profile('wx_someone_else'), await sessionKey('yuri'))
      expect(await failure(app.api.wechat.decryptUserData.mutate(sealed))).toMatchObject({
        httpStatus: 403,
        reason: 'DATA_APPID_MISMATCH',
      })
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

    if (databaseAccess) {
      it('answers 412 SESSION_KEY_MISSING when the server holds no session_key', async () => {
        const sql = world.backend.sql
        if (!sql) throw new Error('this backend gives no database access')
        const app = world.launch('abel')
        const me = await app.api.user.me.query()
        const sealed = sealUserData(profile(), await sessionKey('abel'))
        await sql('DELETE FROM wechat_session_keys WHERE user_id = $1', [me.id])
        expect(await failure(app.api.wechat.decryptUserData.mutate(sealed))).toMatchObject({
          httpStatus: 412,
          reason: 'SESSION_KEY_MISSING',
        })
      })
    }

    it('refuses malformed or oversized input with 400 INVALID_INPUT, and needs a session', async () => {
      const app = world.launch('bert')
      await app.session.ensureSession()
      const sealed = sealUserData(profile(), await sessionKey('bert'))
      const authorization = `Bearer ${app.session.token}`
      const bad: unknown[] = [
        { ...sealed, encryptedData: 'not base64!' },
        { ...sealed, iv: 'AAAA' }, // base64, but 3 bytes
        { ...sealed, encryptedData: 'A'.repeat(20_000) },
        { ...sealed, signature: 'xyz' },
        { encryptedData: sealed.encryptedData, iv: sealed.iv, signature: sealed.signature },
        { ...sealed, sessionKey: 'AAAAAAAAAAAAAAAAAAAAAA==' },
      ]
      for (const input of bad) {
        const res = await rawCall(world.server.url, 'wechat.decryptUserData', input, {
          authorization,
        })
        expect(res.status, JSON.stringify(input).slice(0, 80)).toBe(400)
        expect(res.body.error?.data?.reason).toBe('INVALID_INPUT')
      }
      const anonymous = await rawCall(world.server.url, 'wechat.decryptUserData', sealed)
      expect(anonymous.status).toBe(401)
    })

    it('never puts a session_key in a response or log line', () => {
      expect(keys.length).toBeGreaterThan(5)
      expectNothingLeaked(world, keys)
    })
  })
}
