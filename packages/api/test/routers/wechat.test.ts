import { sealUserData } from '@wxapp/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { APP_A, APP_B, createTestApi, leaked, refusal, type TestApi } from '../helpers/api'

let api: TestApi
const keys: string[] = []
beforeAll(async () => {
  api = await createTestApi()
})
afterAll(() => api?.close())

const profile = (appid = APP_A.appid) => ({
  nickName: '小红',
  gender: 2,
  avatarUrl: 'https://example.com/a.png',
  watermark: { appid, timestamp: 1_764_000_000 },
})
/** A logged-in user and the session_key of that login (the phone's WeChat knows it). */
async function userWithKey(user: string, appid = APP_A.appid) {
  const loggedIn = await api.login(user, { appid })
  const key = await api.sessionKey(user, appid)
  keys.push(key)
  return { ...loggedIn, key }
}
const refused = (code: string, reason: string) => ({ code, reason })

describe('wechat.decryptUserData', () => {
  it("decrypts data sealed with the login's session_key, checking rawData's signature when given", async () => {
    const { api: me, key } = await userWithKey('vera')
    const sealed = sealUserData(profile(), key)
    expect(await me.wechat.decryptUserData(sealed)).toEqual(profile())
    const { rawData: _r, signature: _s, ...unsigned } = sealed
    expect(await me.wechat.decryptUserData(unsigned)).toEqual(profile())
  })

  it('refuses tampered data, a changed rawData, and data of another app', async () => {
    const { api: me, key } = await userWithKey('walt')
    const sealed = sealUserData(profile(), key)
    const bytes = Buffer.from(sealed.encryptedData, 'base64')
    // Flips the padding byte of the last block (CBC: through the block before it).
    bytes[bytes.length - 17] = (bytes[bytes.length - 17] ?? 0) ^ 0x41
    const { rawData: _r, signature: _s, ...unsigned } = sealed
    expect(
      await refusal(
        me.wechat.decryptUserData({ ...unsigned, encryptedData: bytes.toString('base64') }),
      ),
    ).toEqual(refused('BAD_REQUEST', 'DATA_DECRYPT_FAILED'))
    const changed = { ...sealed, rawData: sealed.rawData.replace('小红', '小蓝') }
    expect(await refusal(me.wechat.decryptUserData(changed))).toEqual(
      refused('BAD_REQUEST', 'DATA_SIGNATURE_INVALID'),
    )
    expect(await refusal(me.wechat.decryptUserData(sealUserData(profile('wx_else'), key)))).toEqual(
      refused('FORBIDDEN', 'DATA_APPID_MISMATCH'),
    )
  })

  it('after WeChat rotates the session_key, old data fails and data under the new key works', async () => {
    const first = await userWithKey('xena')
    const old = sealUserData(profile(), first.key)
    expect(await first.api.wechat.decryptUserData(old)).toEqual(profile())
    await api.sim.expireSession({ appid: APP_A.appid, user: 'xena' })
    const second = await userWithKey('xena')
    expect(second.key).not.toBe(first.key)
    expect(await refusal(second.api.wechat.decryptUserData(old))).toEqual(
      refused('BAD_REQUEST', 'DATA_SIGNATURE_INVALID'),
    )
    const { rawData: _r, signature: _s, ...oldCiphertext } = old
    expect(await refusal(second.api.wechat.decryptUserData(oldCiphertext))).toEqual(
      refused('BAD_REQUEST', 'DATA_DECRYPT_FAILED'),
    )
    expect(await second.api.wechat.decryptUserData(sealUserData(profile(), second.key))).toEqual(
      profile(),
    )
  })

  it("decrypts app B's data with the session_key of the user's app B login", async () => {
    const b = await userWithKey('yuri', APP_B.appid)
    expect(await b.api.wechat.decryptUserData(sealUserData(profile(APP_B.appid), b.key))).toEqual(
      profile(APP_B.appid),
    )
  })

  it('answers SESSION_KEY_MISSING when the server holds no session_key for the login', async () => {
    const { api: me, user, key } = await userWithKey('zoe')
    await api.db.prisma.wechatSessionKey.deleteMany({ where: { userId: user.id } })
    expect(await refusal(me.wechat.decryptUserData(sealUserData(profile(), key)))).toEqual(
      refused('PRECONDITION_FAILED', 'SESSION_KEY_MISSING'),
    )
  })

  it('refuses malformed or oversized input as INVALID_INPUT, and needs a session', async () => {
    const { api: me, key } = await userWithKey('abel')
    const sealed = sealUserData(profile(), key)
    const bad: unknown[] = [
      { ...sealed, encryptedData: 'not base64!' },
      { ...sealed, iv: 'AAAA' }, // base64, but 3 bytes
      { ...sealed, encryptedData: 'A'.repeat(20_000) },
      { ...sealed, signature: 'xyz' },
      { encryptedData: sealed.encryptedData, iv: sealed.iv, signature: sealed.signature },
      { ...sealed, sessionKey: 'AAAAAAAAAAAAAAAAAAAAAA==' },
    ]
    for (const input of bad) {
      expect(
        await refusal(me.wechat.decryptUserData(input as never)),
        JSON.stringify(input).slice(0, 60),
      ).toEqual(refused('BAD_REQUEST', 'INVALID_INPUT'))
    }
    expect(await refusal(api.caller().wechat.decryptUserData(sealed))).toEqual(
      refused('UNAUTHORIZED', 'AUTH_REQUIRED'),
    )
  })

  it('never puts a session_key in an answer or a log line', () => {
    expect(keys.length).toBeGreaterThan(5)
    expect(leaked(api, keys)).toEqual([])
  })
})
