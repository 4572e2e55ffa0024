import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'

/** A 32-byte AES-256 key and a short id derived from it (to pick the key when decrypting). */
export interface DataKey {
  id: string
  key: Buffer
}

export class SecretBoxError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'SecretBoxError'
  }
}

export function dataKey(key: Buffer): DataKey {
  if (key.length !== 32) throw new SecretBoxError('a data key must be 32 bytes')
  return { id: createHash('sha256').update(key).digest('hex').slice(0, 8), key }
}

export interface SecretBox {
  /** AES-256-GCM with a random 96-bit IV; `context` is authenticated, not stored. */
  seal(plaintext: string, context: string): string
  open(sealed: string, context: string): string
}

/**
 * Encryption at rest for small secrets (WeChat session_keys). The first key
 * seals; every key opens, so the key can be rotated by putting the new one
 * first and the old ones after it.
 */
export function createSecretBox(keys: DataKey[]): SecretBox {
  const [current] = keys
  if (!current) throw new SecretBoxError('at least one data key is needed')
  const byId = new Map(keys.map((k) => [k.id, k.key]))
  return {
    seal(plaintext, context) {
      const iv = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', current.key, iv)
      cipher.setAAD(Buffer.from(context, 'utf8'))
      const body = Buffer.concat([
        cipher.update(plaintext, 'utf8'),
        cipher.final(),
        cipher.getAuthTag(),
      ])
      return ['v1', current.id, iv.toString('base64url'), body.toString('base64url')].join('.')
    },
    open(sealed, context) {
      const [version, keyId, ivText, bodyText] = sealed.split('.')
      if (version !== 'v1' || !keyId || !ivText || !bodyText) {
        throw new SecretBoxError('not a sealed value')
      }
      const key = byId.get(keyId)
      if (!key) throw new SecretBoxError(`sealed with an unknown data key (${keyId})`)
      const body = Buffer.from(bodyText, 'base64url')
      if (body.length < 16) throw new SecretBoxError('sealed value is truncated')
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(ivText, 'base64url'))
      decipher.setAAD(Buffer.from(context, 'utf8'))
      decipher.setAuthTag(body.subarray(body.length - 16))
      try {
        return Buffer.concat([
          decipher.update(body.subarray(0, body.length - 16)),
          decipher.final(),
        ]).toString('utf8')
      } catch {
        throw new SecretBoxError(
          'sealed value failed authentication (tampered, or another context)',
        )
      }
    },
  }
}
