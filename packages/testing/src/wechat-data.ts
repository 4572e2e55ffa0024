import { createCipheriv, createHash, randomBytes } from 'node:crypto'

/**
 * What WeChat's app does with user data before the mini-program sends it on:
 * AES-128-CBC (PKCS#7) under the login's session_key, and `rawData` signed
 * as hex sha1(rawData + session_key).
 */
export function sealUserData(value: unknown, sessionKey: string) {
  const iv = randomBytes(16)
  const cipher = createCipheriv('aes-128-cbc', Buffer.from(sessionKey, 'base64'), iv)
  const encrypted = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()])
  const rawData = JSON.stringify({ nickName: (value as { nickName?: string }).nickName ?? '' })
  return {
    encryptedData: encrypted.toString('base64'),
    iv: iv.toString('base64'),
    rawData,
    signature: createHash('sha1')
      .update(rawData + sessionKey)
      .digest('hex'),
  }
}
