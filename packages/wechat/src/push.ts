/**
 * WeChat's message push ("消息推送"): what WeChat POSTs to the app's push URL
 * (content-security verdicts among others), its signatures and its safe
 * mode ("安全模式", 消息加解密):
 *
 * - URL and plain-mode signature: hex(sha1(sort([token, timestamp, nonce]).join(''))).
 * - Safe mode: the body is `{ ToUserName, Encrypt }` and msg_signature =
 *   hex(sha1(sort([token, timestamp, nonce, Encrypt]).join(''))). Encrypt is
 *   base64 of AES-256-CBC with key = base64(EncodingAESKey + '='), iv = the
 *   key's first 16 bytes, PKCS#7 padding to a 32-byte block, over
 *   16 random bytes + 4-byte big-endian message length + message + appid.
 *
 * Written with node:crypto rather than on @wecom/crypto (Tencent WeCom's
 * implementation of the same algorithm, used by the tests as a reference):
 * its decrypt accepts any padding (a bad pad byte is silently kept), does not
 * check the length field against the data (a short or truncated plaintext
 * decodes to garbage or throws a RangeError quoting offsets), decodes UTF-8
 * leniently and takes any string as a key; a receiver of pushes from the
 * internet needs all of those refused, with one error for all of them.
 *
 * Pure functions: no I/O. Errors are fixed words; no key, token, ciphertext
 * or plaintext is ever quoted.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto'
import { z } from 'zod'

export const WECHAT_PUSH_ERROR_KINDS = [
  /** The EncodingAESKey is not 43 characters of base64. */
  'AES_KEY_INVALID',
  /** Encrypt is not base64 of whole AES blocks, or the input is not strings. */
  'MALFORMED',
  /** Bad padding, a length field beyond the data, or text that is not UTF-8: another key or tampered data. */
  'DECRYPT_FAILED',
  /** The plaintext's appid trailer is not the expected app. */
  'APPID_MISMATCH',
] as const
export type WechatPushErrorKind = (typeof WECHAT_PUSH_ERROR_KINDS)[number]

const MESSAGES: Record<WechatPushErrorKind, string> = {
  AES_KEY_INVALID: 'the EncodingAESKey is not 43 base64 characters',
  MALFORMED: 'the encrypted message is malformed',
  DECRYPT_FAILED: 'the message does not decrypt with this EncodingAESKey',
  APPID_MISMATCH: 'the message is for another app',
}

export class WechatPushError extends Error {
  override name = 'WechatPushError'
  constructor(readonly kind: WechatPushErrorKind) {
    super(`WeChat push: ${MESSAGES[kind]}`)
  }
}

const AES_KEY = /^[A-Za-z0-9+/]{43}$/
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/
const HEX_SHA1 = /^[0-9a-fA-F]{40}$/
/** WeChat pads to 32-byte blocks (pad bytes 1..32), not AES's 16. */
const PAD_BLOCK = 32
const RANDOM_BYTES = 16
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true })

/** True for a valid EncodingAESKey: 43 characters of the base64 alphabet (for config checks). */
export function isEncodingAesKey(value: unknown): value is string {
  return typeof value === 'string' && AES_KEY.test(value)
}

function aesKey(encodingAesKey: unknown): Buffer {
  if (!isEncodingAesKey(encodingAesKey)) throw new WechatPushError('AES_KEY_INVALID')
  return Buffer.from(`${encodingAesKey}=`, 'base64')
}

function sha1OfSorted(parts: string[]): string {
  return createHash('sha1').update(parts.sort().join(''), 'utf8').digest('hex')
}

/** The URL/plain-mode signature: hex sha1 of sorted [token, timestamp, nonce] joined. */
export function pushSignature(token: string, timestamp: string, nonce: string): string {
  return sha1OfSorted([token, timestamp, nonce])
}

/** Safe mode's msg_signature: hex sha1 of sorted [token, timestamp, nonce, encrypt] joined. */
export function messageSignature(
  token: string,
  timestamp: string,
  nonce: string,
  encrypt: string,
): string {
  return sha1OfSorted([token, timestamp, nonce, encrypt])
}

function sameHex(given: unknown, expected: string): boolean {
  if (typeof given !== 'string' || !HEX_SHA1.test(given)) return false
  return timingSafeEqual(Buffer.from(given.toLowerCase(), 'utf8'), Buffer.from(expected, 'utf8'))
}

const allStrings = (...values: unknown[]): boolean =>
  values.every((v) => typeof v === 'string' && v.length > 0)

/** True when `signature` signs (token, timestamp, nonce). Never throws. */
export function verifyPushSignature(input: {
  token: string
  timestamp: string
  nonce: string
  signature: string
}): boolean {
  try {
    const { token, timestamp, nonce, signature } = input
    if (!allStrings(token, timestamp, nonce)) return false
    return sameHex(signature, pushSignature(token, timestamp, nonce))
  } catch {
    return false
  }
}

/** True when `msgSignature` signs (token, timestamp, nonce, encrypt). Never throws. */
export function verifyMessageSignature(input: {
  token: string
  timestamp: string
  nonce: string
  encrypt: string
  msgSignature: string
}): boolean {
  try {
    const { token, timestamp, nonce, encrypt, msgSignature } = input
    if (!allStrings(token, timestamp, nonce, encrypt)) return false
    return sameHex(msgSignature, messageSignature(token, timestamp, nonce, encrypt))
  } catch {
    return false
  }
}

/**
 * Safe mode's Encrypt for `message` from app `appid`. `random` (16 bytes)
 * is for known test vectors only; by default it is random, as it must be.
 */
export function encryptPushMessage(input: {
  aesKey: string
  appid: string
  message: string
  random?: Buffer
}): string {
  const key = aesKey(input.aesKey)
  if (typeof input.message !== 'string' || typeof input.appid !== 'string') {
    throw new WechatPushError('MALFORMED')
  }
  const random = input.random ?? randomBytes(RANDOM_BYTES)
  if (random.length !== RANDOM_BYTES) throw new WechatPushError('MALFORMED')
  const message = Buffer.from(input.message, 'utf8')
  const length = Buffer.alloc(4)
  length.writeUInt32BE(message.length, 0)
  const plain = Buffer.concat([random, length, message, Buffer.from(input.appid, 'utf8')])
  const pad = PAD_BLOCK - (plain.length % PAD_BLOCK)
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16))
  cipher.setAutoPadding(false)
  return Buffer.concat([
    cipher.update(Buffer.concat([plain, Buffer.alloc(pad, pad)])),
    cipher.final(),
  ]).toString('base64')
}

/**
 * Decrypts safe mode's Encrypt. With `appid`, the plaintext's trailer must
 * name it (APPID_MISMATCH otherwise). Every way a wrong key or tampered
 * data shows (padding, length field, UTF-8) is the one kind DECRYPT_FAILED,
 * so the answer is no padding oracle.
 */
export function decryptPushMessage(input: { aesKey: string; encrypt: string; appid?: string }): {
  message: string
  appid: string
} {
  const key = aesKey(input.aesKey)
  const { encrypt } = input
  if (
    typeof encrypt !== 'string' ||
    encrypt.length === 0 ||
    encrypt.length % 4 !== 0 ||
    !BASE64.test(encrypt)
  ) {
    throw new WechatPushError('MALFORMED')
  }
  const data = Buffer.from(encrypt, 'base64')
  if (data.length < PAD_BLOCK || data.length % 16 !== 0) throw new WechatPushError('MALFORMED')

  let message: string
  let appid: string
  try {
    const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16))
    decipher.setAutoPadding(false)
    const plain = Buffer.concat([decipher.update(data), decipher.final()])
    const pad = plain[plain.length - 1] ?? 0
    if (pad < 1 || pad > PAD_BLOCK || pad > plain.length) throw new Error('pad')
    for (let i = plain.length - pad; i < plain.length; i++) {
      if (plain[i] !== pad) throw new Error('pad')
    }
    const body = plain.subarray(0, plain.length - pad)
    if (body.length < RANDOM_BYTES + 4) throw new Error('short')
    const length = body.readUInt32BE(RANDOM_BYTES)
    const start = RANDOM_BYTES + 4
    if (length > body.length - start) throw new Error('length')
    message = STRICT_UTF8.decode(body.subarray(start, start + length))
    appid = STRICT_UTF8.decode(body.subarray(start + length))
  } catch {
    throw new WechatPushError('DECRYPT_FAILED')
  }
  if (input.appid !== undefined && appid !== input.appid) {
    throw new WechatPushError('APPID_MISMATCH')
  }
  return { message, appid }
}

// --- the messages ------------------------------------------------------------

export const PushSuggest = z.enum(['pass', 'review', 'risky'])

/** Safe mode's body (JSON): the app's username and the ciphertext. */
export const PushEnvelope = z.object({
  ToUserName: z.string().min(1).max(128),
  Encrypt: z.string().min(1).max(1_000_000),
})
export type PushEnvelope = z.infer<typeof PushEnvelope>

/** Event wxa_media_check, version 2: media_check_async's verdict. */
export const MediaCheckEvent = z.looseObject({
  ToUserName: z.string(),
  FromUserName: z.string(),
  CreateTime: z.number().int(),
  MsgType: z.literal('event'),
  Event: z.literal('wxa_media_check'),
  appid: z.string().min(1),
  trace_id: z.string().min(1).max(256),
  version: z.number().int().optional(),
  detail: z
    .array(
      z.looseObject({
        strategy: z.string().optional(),
        errcode: z.number().int().optional(),
        suggest: z.string().optional(),
        label: z.number().int().optional(),
        prob: z.number().optional(),
      }),
    )
    .optional(),
  errcode: z.number().int(),
  errmsg: z.string().optional(),
  result: z.object({ suggest: PushSuggest, label: z.number().int() }).optional(),
})
export type MediaCheckEvent = z.infer<typeof MediaCheckEvent>

export type PushMessage =
  | {
      kind: 'media_check'
      appid: string
      traceId: string
      /**
       * WeChat's verdict; it means something only when errcode is 0 (else the
       * check failed, e.g. the media could not be downloaded). When WeChat
       * sends no result it is 'review', never 'pass'.
       */
      suggest: z.infer<typeof PushSuggest>
      label: number
      errcode: number
      /** Seconds since the epoch (WeChat's CreateTime). */
      createTime: number
      raw: MediaCheckEvent
    }
  | {
      kind: 'other'
      msgType: string
      event?: string
      raw: Record<string, unknown>
    }

/**
 * A pushed JSON message (already decrypted in safe mode) as a discriminated
 * union. Throws WechatPushError('MALFORMED') for anything that is not a JSON
 * object, and for a wxa_media_check event that is not the documented shape
 * (it must not pass as "other" and be ignored).
 */
export function parsePushMessage(json: unknown): PushMessage {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new WechatPushError('MALFORMED')
  }
  const raw = json as Record<string, unknown>
  if (raw.MsgType === 'event' && raw.Event === 'wxa_media_check') {
    const media = MediaCheckEvent.safeParse(raw)
    if (!media.success) throw new WechatPushError('MALFORMED')
    const m = media.data
    return {
      kind: 'media_check',
      appid: m.appid,
      traceId: m.trace_id,
      suggest: m.result?.suggest ?? 'review',
      label: m.result?.label ?? 0,
      errcode: m.errcode,
      createTime: m.CreateTime,
      raw: m,
    }
  }
  return {
    kind: 'other',
    msgType: typeof raw.MsgType === 'string' ? raw.MsgType : '',
    ...(typeof raw.Event === 'string' ? { event: raw.Event } : {}),
    raw,
  }
}
