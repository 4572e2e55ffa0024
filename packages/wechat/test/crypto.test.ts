import { createCipheriv, createHash, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  checkRawDataSignature,
  decryptUserData,
  rawDataSignature,
  verifyRawDataSignature,
  WechatDataError,
} from '../src/index'

const APPID = 'wx_app'
const sessionKey = randomBytes(16).toString('base64')

/** What WeChat does: AES-128-CBC, PKCS#7, key = the session_key's bytes. */
function encrypt(value: unknown, key = sessionKey, iv = randomBytes(16)) {
  const cipher = createCipheriv('aes-128-cbc', Buffer.from(key, 'base64'), iv)
  const plain = typeof value === 'string' ? value : JSON.stringify(value)
  const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
  return { encryptedData: data.toString('base64'), iv: iv.toString('base64') }
}

const userInfo = {
  nickName: '小明',
  gender: 0,
  avatarUrl: 'https://example.com/a.png',
  watermark: { appid: APPID, timestamp: 1_764_000_000 },
}

const failure = (fn: () => unknown) => {
  try {
    fn()
  } catch (error) {
    return error as WechatDataError
  }
  throw new Error('expected a failure')
}

describe('decryptUserData', () => {
  it('decrypts and returns the data with its watermark', () => {
    expect(decryptUserData({ ...encrypt(userInfo), sessionKey, appid: APPID })).toEqual(userInfo)
  })

  it('refuses another session_key (a rotated one) as DECRYPT_FAILED, whatever the padding says', () => {
    const sealed = encrypt(userInfo)
    // Many wrong keys: most fail the padding, about 1 in 256 passes it and fails as JSON.
    for (let i = 0; i < 300; i++) {
      const other = randomBytes(16).toString('base64')
      const error = failure(() => decryptUserData({ ...sealed, sessionKey: other, appid: APPID }))
      expect(error).toBeInstanceOf(WechatDataError)
      expect(error.kind).toBe('DECRYPT_FAILED')
      expect(error.message).not.toContain(other)
    }
  })

  it('refuses tampered data', () => {
    const sealed = encrypt(userInfo)
    const bytes = Buffer.from(sealed.encryptedData, 'base64')
    // CBC has no MAC: only tampering that breaks the padding or the JSON is
    // caught for sure. Flipping the last byte of the next-to-last block flips
    // the padding byte of the last one.
    const tampered = Buffer.from(bytes)
    const at = bytes.length - 17
    tampered[at] = (tampered[at] ?? 0) ^ 0x41
    const error = failure(() =>
      decryptUserData({
        ...sealed,
        encryptedData: tampered.toString('base64'),
        sessionKey,
        appid: APPID,
      }),
    )
    expect(error.kind).toBe('DECRYPT_FAILED')
    // A shorter ciphertext ends on a block whose padding is wrong.
    const cut = bytes.subarray(0, bytes.length - 16).toString('base64')
    expect(
      failure(() => decryptUserData({ ...sealed, encryptedData: cut, sessionKey, appid: APPID }))
        .kind,
    ).toBe('DECRYPT_FAILED')
    // The iv XORs the first block: '{' becomes NUL, and the JSON no longer parses.
    const iv = Buffer.from(sealed.iv, 'base64')
    iv[0] = (iv[0] ?? 0) ^ 0x7b
    expect(
      failure(() =>
        decryptUserData({ ...sealed, iv: iv.toString('base64'), sessionKey, appid: APPID }),
      ).kind,
    ).toBe('DECRYPT_FAILED')
  })

  it('refuses data of another app, or with no watermark, as APPID_MISMATCH', () => {
    for (const value of [
      { ...userInfo, watermark: { appid: 'wx_other', timestamp: 1 } },
      { nickName: 'x' },
      { watermark: 'wx_app' },
      { watermark: { appid: 42 } },
    ]) {
      const error = failure(() => decryptUserData({ ...encrypt(value), sessionKey, appid: APPID }))
      expect(error.kind).toBe('APPID_MISMATCH')
    }
  })

  it('refuses plaintext that is not a JSON object as DECRYPT_FAILED', () => {
    for (const text of ['not json', '[1,2]', '"string"', 'null']) {
      expect(
        failure(() => decryptUserData({ ...encrypt(text), sessionKey, appid: APPID })).kind,
      ).toBe('DECRYPT_FAILED')
    }
  })

  it('refuses plaintext that is not valid UTF-8 as DECRYPT_FAILED, never as U+FFFD', () => {
    // Valid JSON around a byte that no UTF-8 sequence has (0xff), padded
    // correctly: what tampered ciphertext that still unpads can give.
    const json = Buffer.from(JSON.stringify({ ...userInfo, nickName: 'X' }), 'utf8')
    const at = json.indexOf('X')
    for (const bytes of [[0xff], [0xc3], [0xed, 0xa0, 0x80]]) {
      const plain = Buffer.concat([json.subarray(0, at), Buffer.from(bytes), json.subarray(at + 1)])
      const iv = randomBytes(16)
      const cipher = createCipheriv('aes-128-cbc', Buffer.from(sessionKey, 'base64'), iv)
      const encryptedData = Buffer.concat([cipher.update(plain), cipher.final()]).toString('base64')
      const input = { encryptedData, iv: iv.toString('base64'), sessionKey, appid: APPID }
      expect(failure(() => decryptUserData(input)).kind, bytes.join(',')).toBe('DECRYPT_FAILED')
    }
  })

  it.each([
    ['an iv that is not base64', { iv: '!!!!' }, 'iv'],
    ['an iv of 8 bytes', { iv: randomBytes(8).toString('base64') }, 'iv'],
    ['data that is not base64', { encryptedData: 'a b c d' }, 'encryptedData'],
    [
      'data that is not whole blocks',
      { encryptedData: randomBytes(20).toString('base64') },
      'encryptedData',
    ],
    ['empty data', { encryptedData: '' }, 'encryptedData'],
    ['a key of 32 bytes', { sessionKey: randomBytes(32).toString('base64') }, 'sessionKey'],
  ] as const)('refuses %s as INPUT_MALFORMED before decrypting', (_, change, field) => {
    const error = failure(() =>
      decryptUserData({ ...encrypt(userInfo), sessionKey, appid: APPID, ...change }),
    )
    expect(error).toMatchObject({ kind: 'INPUT_MALFORMED', field })
  })
})

describe('rawData signatures', () => {
  const rawData = JSON.stringify({ nickName: '小明', gender: 0 })

  it('is hex sha1(rawData + session_key), as WeChat signs', () => {
    const expected = createHash('sha1')
      .update(rawData + sessionKey)
      .digest('hex')
    expect(rawDataSignature(rawData, sessionKey)).toBe(expected)
    expect(verifyRawDataSignature({ rawData, signature: expected, sessionKey })).toBe(true)
    expect(verifyRawDataSignature({ rawData, signature: expected.toUpperCase(), sessionKey })).toBe(
      true,
    )
    expect(() => checkRawDataSignature({ rawData, signature: expected, sessionKey })).not.toThrow()
  })

  it('refuses changed data, another key, and malformed signatures', () => {
    const signature = rawDataSignature(rawData, sessionKey)
    const other = randomBytes(16).toString('base64')
    expect(verifyRawDataSignature({ rawData: `${rawData} `, signature, sessionKey })).toBe(false)
    expect(verifyRawDataSignature({ rawData, signature, sessionKey: other })).toBe(false)
    for (const bad of ['', signature.slice(1), `${signature}0`, 'z'.repeat(40)]) {
      expect(verifyRawDataSignature({ rawData, signature: bad, sessionKey })).toBe(false)
    }
    const flipped = signature.slice(0, -1) + (signature.endsWith('0') ? '1' : '0')
    const error = failure(() => checkRawDataSignature({ rawData, signature: flipped, sessionKey }))
    expect(error).toMatchObject({ kind: 'SIGNATURE_INVALID' })
  })
})
