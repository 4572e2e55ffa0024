/**
 * WeChat's signed and encrypted user data (the legacy getUserInfo /
 * getPhoneNumber `encryptedData`), checked with the user's session_key:
 *
 * - encryptedData: AES-128-CBC, PKCS#7; key = base64(session_key) (16 bytes),
 *   iv = base64(iv) (16 bytes); the plaintext is JSON whose `watermark.appid`
 *   must be our appid.
 * - rawData: signature = hex(sha1(rawData + session_key)).
 *
 * Pure functions: no I/O. Errors say what failed in fixed words, never the
 * key, the data or the plaintext.
 */
import { createDecipheriv, createHash, timingSafeEqual } from 'node:crypto'

export const WECHAT_DATA_ERROR_KINDS = [
  /** Not base64, or a key/iv/ciphertext of the wrong length: refused before decrypting. */
  'INPUT_MALFORMED',
  /** Bad padding or not a JSON object: another key (a rotated session_key) or tampered data. */
  'DECRYPT_FAILED',
  /** The data's watermark is missing or names another app. */
  'APPID_MISMATCH',
  /** rawData's signature does not match. */
  'SIGNATURE_INVALID',
] as const
export type WechatDataErrorKind = (typeof WECHAT_DATA_ERROR_KINDS)[number]

const MESSAGES: Record<WechatDataErrorKind, string> = {
  INPUT_MALFORMED: 'the encrypted data, iv or key is malformed',
  DECRYPT_FAILED: 'the data does not decrypt with this session_key',
  APPID_MISMATCH: "the data's watermark does not name this app",
  SIGNATURE_INVALID: 'the rawData signature does not match',
}

export class WechatDataError extends Error {
  override name = 'WechatDataError'
  constructor(
    readonly kind: WechatDataErrorKind,
    /** Which part was malformed (INPUT_MALFORMED only): a field name, never a value. */
    readonly field?: 'encryptedData' | 'iv' | 'sessionKey',
  ) {
    super(`WeChat data: ${MESSAGES[kind]}${field ? ` (${field})` : ''}`)
  }
}

/** Decrypted user data: WeChat's fields plus the checked watermark. */
export interface DecryptedUserData {
  [field: string]: unknown
  watermark: { appid: string; timestamp?: number }
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/

/** Strict base64 (WeChat's alphabet, padded) to bytes; null when it is not. */
function base64(value: string): Buffer | null {
  if (typeof value !== 'string' || value.length % 4 !== 0 || !BASE64.test(value)) return null
  return Buffer.from(value, 'base64')
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true })

/**
 * Decrypts `encryptedData` with the user's session_key and checks that its
 * watermark names `appid`. Throws WechatDataError.
 */
export function decryptUserData(input: {
  encryptedData: string
  iv: string
  sessionKey: string
  appid: string
}): DecryptedUserData {
  const key = base64(input.sessionKey)
  if (key?.length !== 16) throw new WechatDataError('INPUT_MALFORMED', 'sessionKey')
  const iv = base64(input.iv)
  if (iv?.length !== 16) throw new WechatDataError('INPUT_MALFORMED', 'iv')
  const data = base64(input.encryptedData)
  if (!data || data.length === 0 || data.length % 16 !== 0) {
    throw new WechatDataError('INPUT_MALFORMED', 'encryptedData')
  }

  let text: string
  try {
    const decipher = createDecipheriv('aes-128-cbc', key, iv)
    decipher.setAutoPadding(true)
    // Strict: a lenient decode turns tampered bytes into U+FFFD and accepts them.
    text = STRICT_UTF8.decode(Buffer.concat([decipher.update(data), decipher.final()]))
  } catch {
    // Node's message says "bad decrypt": nothing of it helps the caller.
    throw new WechatDataError('DECRYPT_FAILED')
  }
  // A wrong key passes the padding check about once in 256 tries: the JSON
  // check below catches it, with the same kind, so the two are one answer.
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new WechatDataError('DECRYPT_FAILED')
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new WechatDataError('DECRYPT_FAILED')
  }
  const watermark = (value as { watermark?: unknown }).watermark
  const appid =
    typeof watermark === 'object' && watermark !== null
      ? (watermark as { appid?: unknown }).appid
      : undefined
  if (typeof appid !== 'string' || appid !== input.appid) {
    throw new WechatDataError('APPID_MISMATCH')
  }
  return value as DecryptedUserData
}

/** hex(sha1(rawData + session_key)): what WeChat signs rawData with. */
export function rawDataSignature(rawData: string, sessionKey: string): string {
  return createHash('sha1')
    .update(rawData + sessionKey, 'utf8')
    .digest('hex')
}

/** True when `signature` is rawData's signature under sessionKey (constant-time compare). */
export function verifyRawDataSignature(input: {
  rawData: string
  signature: string
  sessionKey: string
}): boolean {
  const expected = Buffer.from(rawDataSignature(input.rawData, input.sessionKey), 'utf8')
  const given = Buffer.from(String(input.signature).toLowerCase(), 'utf8')
  return given.length === expected.length && timingSafeEqual(given, expected)
}

/** Throws WechatDataError('SIGNATURE_INVALID') unless the signature matches. */
export function checkRawDataSignature(input: {
  rawData: string
  signature: string
  sessionKey: string
}): void {
  if (!verifyRawDataSignature(input)) throw new WechatDataError('SIGNATURE_INVALID')
}
