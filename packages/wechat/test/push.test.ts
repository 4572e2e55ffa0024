import { createCipheriv, createHash, randomBytes } from 'node:crypto'
import * as wecom from '@wecom/crypto'
import { describe, expect, it } from 'vitest'
import {
  decryptPushMessage,
  encryptPushMessage,
  isEncodingAesKey,
  messageSignature,
  PushEnvelope,
  parsePushMessage,
  pushSignature,
  verifyMessageSignature,
  verifyPushSignature,
  WechatPushError,
} from '../src/index'

// Tencent's own samples (the WXBizMsgCrypt SDKs): the official Java SDK's
// test (fixed random "aaaabbbbccccdddd") and the WeCom C# sample request,
// with its msg_signature.
const JAVA = {
  aesKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
  appid: 'wxb11529c136998cb6',
  random: Buffer.from('aaaabbbbccccdddd'),
  message: '我是中文abcd123',
  encrypt:
    'jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg==',
}
const CSHARP = {
  token: 'QDG6eK',
  appid: 'wx5823bf96d3bd56c7',
  aesKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
  msgSignature: '477715d11cdb4164915debcba66cb864d751f3e6',
  timestamp: '1409659813',
  nonce: '1372623149',
  encrypt:
    'RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==',
}

const KEY = 'A'.repeat(20) + 'b'.repeat(20) + '012'
const APPID = 'wx_app'

const kindOf = (fn: () => unknown): string => {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(WechatPushError)
    return (error as WechatPushError).kind
  }
  throw new Error('expected a WechatPushError')
}

/** Encrypts raw plaintext bytes with WeChat's key/iv and no padding added (for bad-padding cases). */
function rawEncrypt(aesKey: string, plain: Buffer): string {
  const key = Buffer.from(`${aesKey}=`, 'base64')
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16))
  cipher.setAutoPadding(false)
  return Buffer.concat([cipher.update(plain), cipher.final()]).toString('base64')
}

describe('signatures', () => {
  it("matches the C# sample's msg_signature", () => {
    const { token, timestamp, nonce, encrypt, msgSignature } = CSHARP
    expect(messageSignature(token, timestamp, nonce, encrypt)).toBe(msgSignature)
    expect(verifyMessageSignature({ token, timestamp, nonce, encrypt, msgSignature })).toBe(true)
    expect(
      verifyMessageSignature({
        token,
        timestamp,
        nonce,
        encrypt,
        msgSignature: msgSignature.toUpperCase(),
      }),
    ).toBe(true)
  })

  it('agrees with @wecom/crypto and an independent sha1 of the sorted parts', () => {
    const sorted = ['tok', '1700000000', 'n0nce'].sort().join('')
    expect(pushSignature('tok', '1700000000', 'n0nce')).toBe(
      createHash('sha1').update(sorted).digest('hex'),
    )
    expect(messageSignature('tok', '1700000000', 'n0nce', 'ENC')).toBe(
      wecom.getSignature('tok', '1700000000', 'n0nce', 'ENC'),
    )
  })

  it('refuses a wrong signature, another token, and malformed input without throwing', () => {
    const good = {
      token: 'tok',
      timestamp: '1700000000',
      nonce: 'n0nce',
      signature: pushSignature('tok', '1700000000', 'n0nce'),
    }
    expect(verifyPushSignature(good)).toBe(true)
    expect(verifyPushSignature({ ...good, token: 'other' })).toBe(false)
    expect(verifyPushSignature({ ...good, nonce: 'n0ncf' })).toBe(false)
    const last = good.signature.endsWith('0') ? '1' : '0'
    expect(
      verifyPushSignature({ ...good, signature: `${good.signature.slice(0, 39)}${last}` }),
    ).toBe(false)
    const bad = [undefined, null, 42, '', 'zz', 'g'.repeat(40), `${good.signature}00`, {}]
    for (const signature of bad) {
      expect(verifyPushSignature({ ...good, signature: signature as string })).toBe(false)
    }
    for (const field of ['token', 'timestamp', 'nonce'] as const) {
      expect(verifyPushSignature({ ...good, [field]: undefined as unknown as string })).toBe(false)
    }
    expect(verifyPushSignature(null as unknown as typeof good)).toBe(false)
    expect(
      verifyMessageSignature({
        token: 'tok',
        timestamp: '1',
        nonce: 'n',
        encrypt: 42 as unknown as string,
        msgSignature: 'a'.repeat(40),
      }),
    ).toBe(false)
  })
})

describe('safe-mode encryption', () => {
  it("reproduces the Java SDK's ciphertext byte for byte and decrypts it", () => {
    const { aesKey, appid, random, message, encrypt } = JAVA
    expect(encryptPushMessage({ aesKey, appid, message, random })).toBe(encrypt)
    expect(decryptPushMessage({ aesKey, encrypt, appid })).toEqual({ message, appid })
  })

  it("decrypts the C# sample's Encrypt", () => {
    const out = decryptPushMessage({ aesKey: CSHARP.aesKey, encrypt: CSHARP.encrypt })
    expect(out.appid).toBe(CSHARP.appid)
    expect(out.message).toContain('<Content><![CDATA[hello]]></Content>')
  })

  it('round-trips, and agrees with @wecom/crypto both ways', () => {
    for (const message of [
      '',
      'x',
      '{"a":1}',
      '中文'.repeat(100),
      'y'.repeat(31),
      'z'.repeat(32),
    ]) {
      const encrypt = encryptPushMessage({ aesKey: KEY, appid: APPID, message })
      expect(Buffer.from(encrypt, 'base64').length % 32).toBe(0)
      expect(decryptPushMessage({ aesKey: KEY, encrypt, appid: APPID })).toEqual({
        message,
        appid: APPID,
      })
      expect(wecom.decrypt(KEY, encrypt)).toMatchObject({ message, id: APPID })
      const theirs = wecom.encrypt(KEY, message, APPID)
      expect(decryptPushMessage({ aesKey: KEY, encrypt: theirs })).toEqual({
        message,
        appid: APPID,
      })
    }
  })

  it('uses fresh random bytes each time', () => {
    const a = encryptPushMessage({ aesKey: KEY, appid: APPID, message: 'same' })
    const b = encryptPushMessage({ aesKey: KEY, appid: APPID, message: 'same' })
    expect(a).not.toBe(b)
  })

  it('refuses a wrong key, tampered data and bad padding with DECRYPT_FAILED', () => {
    const encrypt = encryptPushMessage({ aesKey: KEY, appid: APPID, message: '{"hello":"world"}' })
    const otherKey = 'Z'.repeat(43)
    // A wrong key passes the padding check now and then; count the misses.
    let accepted = 0
    for (let i = 0; i < 50; i++) {
      const key = randomBytes(32).toString('base64').slice(0, 43)
      try {
        decryptPushMessage({ aesKey: key, encrypt, appid: APPID })
        accepted++
      } catch (error) {
        expect((error as WechatPushError).kind).toBe('DECRYPT_FAILED')
      }
    }
    expect(accepted).toBe(0)
    expect(kindOf(() => decryptPushMessage({ aesKey: otherKey, encrypt }))).toBe('DECRYPT_FAILED')

    const bytes = Buffer.from(encrypt, 'base64')
    // The last block: flips the padding.
    const lastBlock = Buffer.from(bytes)
    lastBlock[lastBlock.length - 1] = (lastBlock[lastBlock.length - 1] ?? 0) ^ 0x01
    expect(
      kindOf(() => decryptPushMessage({ aesKey: KEY, encrypt: lastBlock.toString('base64') })),
    ).toBe('DECRYPT_FAILED')

    const body = Buffer.concat([randomBytes(16), Buffer.from([0, 0, 0, 2]), Buffer.from('hi')])
    const badPads = [
      Buffer.concat([body, Buffer.alloc(10, 0)]), // pad byte 0
      Buffer.concat([body, Buffer.alloc(9, 9), Buffer.from([10])]), // uneven pad bytes
      Buffer.concat([body, Buffer.alloc(42, 33)]), // pad over 32
    ]
    for (const plain of badPads) {
      expect(
        kindOf(() => decryptPushMessage({ aesKey: KEY, encrypt: rawEncrypt(KEY, plain) })),
      ).toBe('DECRYPT_FAILED')
    }
    // A length field beyond the data.
    const long = Buffer.concat([randomBytes(16), Buffer.from([0, 0, 1, 0]), Buffer.from('hi')])
    const padded = Buffer.concat([long, Buffer.alloc(10, 10)])
    expect(
      kindOf(() => decryptPushMessage({ aesKey: KEY, encrypt: rawEncrypt(KEY, padded) })),
    ).toBe('DECRYPT_FAILED')
    // Not UTF-8.
    const binary = Buffer.concat([randomBytes(16), Buffer.from([0, 0, 0, 2, 0xff, 0xfe])])
    const binaryPadded = Buffer.concat([binary, Buffer.alloc(10, 10)])
    expect(
      kindOf(() => decryptPushMessage({ aesKey: KEY, encrypt: rawEncrypt(KEY, binaryPadded) })),
    ).toBe('DECRYPT_FAILED')
  })

  it('refuses a message for another app with APPID_MISMATCH', () => {
    const encrypt = encryptPushMessage({ aesKey: KEY, appid: 'wx_other', message: 'x' })
    expect(kindOf(() => decryptPushMessage({ aesKey: KEY, encrypt, appid: APPID }))).toBe(
      'APPID_MISMATCH',
    )
    expect(decryptPushMessage({ aesKey: KEY, encrypt }).appid).toBe('wx_other')
  })

  it('refuses malformed input and keys with fixed messages that quote nothing', () => {
    for (const encrypt of ['', 'not base64!', 'QUJD', Buffer.alloc(40).toString('base64'), 42]) {
      const kind = kindOf(() => decryptPushMessage({ aesKey: KEY, encrypt: encrypt as string }))
      expect(kind).toBe('MALFORMED')
    }
    for (const aesKey of ['', 'short', `${KEY}=`, `${KEY.slice(0, 42)}!`, KEY + KEY, undefined]) {
      expect(isEncodingAesKey(aesKey)).toBe(false)
      expect(
        kindOf(() => encryptPushMessage({ aesKey: aesKey as string, appid: APPID, message: 'x' })),
      ).toBe('AES_KEY_INVALID')
    }
    expect(isEncodingAesKey(KEY)).toBe(true)
    expect(isEncodingAesKey(JAVA.aesKey)).toBe(true)
    try {
      decryptPushMessage({ aesKey: 'Z'.repeat(43), encrypt: JAVA.encrypt })
    } catch (error) {
      const text = `${String(error)} ${JSON.stringify(error)} ${(error as Error).stack}`
      expect(text).not.toContain('Z'.repeat(43))
      expect(text).not.toContain(JAVA.encrypt.slice(0, 20))
    }
  })
})

describe('parsePushMessage', () => {
  const event = {
    ToUserName: 'gh_38cd1e6a3a2a',
    FromUserName: 'o-alice',
    CreateTime: 1_764_000_000,
    MsgType: 'event',
    Event: 'wxa_media_check',
    appid: APPID,
    trace_id: '60ae120f-371d5872-7941a05b',
    version: 2,
    detail: [{ strategy: 'content_model', errcode: 0, suggest: 'risky', label: 20002, prob: 90 }],
    errcode: 0,
    errmsg: 'ok',
    result: { suggest: 'risky', label: 20002 },
  }

  it('parses a wxa_media_check event', () => {
    expect(parsePushMessage(event)).toEqual({
      kind: 'media_check',
      appid: APPID,
      traceId: event.trace_id,
      suggest: 'risky',
      label: 20002,
      errcode: 0,
      createTime: event.CreateTime,
      raw: event,
    })
  })

  it("says 'review', never 'pass', for a failed check without a result", () => {
    const { result: _, ...failed } = { ...event, errcode: -1008, errmsg: 'download failed' }
    expect(parsePushMessage(failed)).toMatchObject({
      kind: 'media_check',
      suggest: 'review',
      errcode: -1008,
    })
  })

  it('returns other messages as other, and throws on non-objects and broken media events', () => {
    expect(parsePushMessage({ MsgType: 'event', Event: 'subscribe', x: 1 })).toEqual({
      kind: 'other',
      msgType: 'event',
      event: 'subscribe',
      raw: { MsgType: 'event', Event: 'subscribe', x: 1 },
    })
    expect(parsePushMessage({ MsgType: 'text' })).toEqual({
      kind: 'other',
      msgType: 'text',
      raw: { MsgType: 'text' },
    })
    for (const bad of [null, 'x', 1, [], { ...event, trace_id: 7 }, { ...event, result: {} }]) {
      expect(kindOf(() => parsePushMessage(bad))).toBe('MALFORMED')
    }
  })

  it('has the safe-mode envelope schema', () => {
    expect(PushEnvelope.safeParse({ ToUserName: 'gh_x', Encrypt: 'abc' }).success).toBe(true)
    expect(PushEnvelope.safeParse({ ToUserName: 'gh_x' }).success).toBe(false)
  })
})
