import { hash, randomBytes, timingSafeEqual } from 'node:crypto'

/** 256 bits from the CSPRNG: far beyond guessing, and short in a header. */
const SECRET_BYTES = 32
const TOKEN_FORMAT =
  /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([A-Za-z0-9_-]{43})$/

export interface ParsedToken {
  sessionId: string
  secret: string
}

/** A new secret and the hash to store for it. */
export function newSecret(): { secret: string; hash: Buffer } {
  const secret = randomBytes(SECRET_BYTES).toString('base64url')
  return { secret, hash: hashSecret(secret) }
}

export function hashSecret(secret: string): Buffer {
  // One-shot: no Hash object per call (this runs on every authenticated request).
  return hash('sha256', secret, 'buffer')
}

/**
 * A token is `<session id>.<secret>`: the id finds the row, the secret proves
 * possession. Anything else is rejected before touching the database.
 */
export function parseToken(token: string): ParsedToken | null {
  const match = TOKEN_FORMAT.exec(token)
  if (!match?.[1] || !match[2]) return null
  return { sessionId: match[1], secret: match[2] }
}

export function formatToken(sessionId: string, secret: string): string {
  return `${sessionId}.${secret}`
}

/** Compares the secret's hash with the stored one in constant time. */
export function secretMatches(secret: string, storedHash: Uint8Array): boolean {
  const actual = hashSecret(secret)
  return storedHash.length === actual.length && timingSafeEqual(actual, storedHash)
}
