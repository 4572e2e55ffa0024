import { describe, expect, it } from 'vitest'
import {
  createSecretBox,
  dataKey,
  formatToken,
  initialTimes,
  newSecret,
  parseToken,
  renewalAt,
  SecretBoxError,
  type SessionPolicy,
  secretMatches,
  sessionState,
} from '../src/server'

const HOUR = 3600_000
const DAY = 24 * HOUR
const policy: SessionPolicy = {
  idleTimeoutMs: 7 * DAY,
  absoluteLifetimeMs: 30 * DAY,
  renewIntervalMs: HOUR,
}
const t0 = new Date('2026-01-01T00:00:00Z')
const at = (ms: number) => new Date(t0.getTime() + ms)

describe('tokens', () => {
  it('carry 256 random bits and store only a 32-byte hash', () => {
    const seen = new Set<string>()
    for (let i = 0; i < 1000; i++) {
      const { secret, hash } = newSecret()
      expect(Buffer.from(secret, 'base64url')).toHaveLength(32)
      expect(hash).toHaveLength(32)
      expect(hash.toString('hex')).not.toContain(Buffer.from(secret).toString('hex'))
      seen.add(secret)
    }
    expect(seen.size).toBe(1000)
  })

  it('round-trip through format and parse', () => {
    const { secret, hash } = newSecret()
    const id = '0194f3a2-7b1c-7def-8abc-0123456789ab'
    const parsed = parseToken(formatToken(id, secret))
    expect(parsed).toEqual({ sessionId: id, secret })
    expect(secretMatches(secret, hash)).toBe(true)
  })

  it.each([
    '',
    'garbage',
    '0194f3a2-7b1c-7def-8abc-0123456789ab',
    '0194f3a2-7b1c-7def-8abc-0123456789ab.',
    '0194f3a2-7b1c-7def-8abc-0123456789ab.short',
    `0194f3a2-7b1c-7def-8abc-0123456789ab.${'a'.repeat(43)}x`,
    `../../etc.${'a'.repeat(43)}`,
    `0194F3A2-7B1C-7DEF-8ABC-0123456789AB.${'a'.repeat(43)}`,
    `0194f3a2-7b1c-7def-8abc-0123456789ab.${'a'.repeat(42)}=`,
  ])('rejects the malformed token %j', (token) => {
    expect(parseToken(token)).toBeNull()
  })

  it('refuses a secret one character off', () => {
    const { secret, hash } = newSecret()
    const tampered = (secret[0] === 'A' ? 'B' : 'A') + secret.slice(1)
    expect(secretMatches(tampered, hash)).toBe(false)
    expect(secretMatches(secret, hash.subarray(0, 31))).toBe(false)
  })
})

describe('lifetime rules', () => {
  it('start with the idle timeout, capped by the absolute lifetime', () => {
    expect(initialTimes(policy, t0)).toEqual({
      lastUsedAt: t0,
      expiresAt: at(7 * DAY),
      absoluteExpiresAt: at(30 * DAY),
    })
    const short = initialTimes({ ...policy, absoluteLifetimeMs: DAY }, t0)
    expect(short.expiresAt).toEqual(at(DAY))
  })

  it('renew at most once per interval, sliding the idle expiry', () => {
    const session = { ...initialTimes(policy, t0), revokedAt: null }
    expect(renewalAt(policy, session, at(HOUR - 1))).toBeNull()
    expect(renewalAt(policy, session, at(HOUR))).toEqual({
      lastUsedAt: at(HOUR),
      expiresAt: at(HOUR + 7 * DAY),
    })
  })

  it('never renew past the absolute lifetime', () => {
    const session = { ...initialTimes(policy, t0), revokedAt: null }
    const late = renewalAt(policy, session, at(29 * DAY))
    expect(late?.expiresAt).toEqual(at(30 * DAY))
  })

  it('expire on idle timeout, on absolute lifetime, and report revocation first', () => {
    const session = { ...initialTimes(policy, t0), revokedAt: null }
    expect(sessionState(session, at(7 * DAY - 1))).toBe('active')
    expect(sessionState(session, at(7 * DAY))).toBe('expired')
    const kept = { ...session, expiresAt: at(40 * DAY) }
    expect(sessionState(kept, at(30 * DAY))).toBe('expired')
    expect(sessionState({ ...session, revokedAt: at(1) }, at(2))).toBe('revoked')
    expect(sessionState({ ...session, revokedAt: at(1) }, at(60 * DAY))).toBe('revoked')
  })
})

describe('secret box', () => {
  const key = dataKey(Buffer.alloc(32, 7))
  const box = createSecretBox([key])

  it('seals with a fresh IV each time and opens in the same context', () => {
    const a = box.seal('session-key-value', 'ctx')
    const b = box.seal('session-key-value', 'ctx')
    expect(a).not.toBe(b)
    expect(a).not.toContain('session-key-value')
    expect(box.open(a, 'ctx')).toBe('session-key-value')
  })

  it('refuses another context, a tampered value and an unknown key', () => {
    const sealed = box.seal('secret', 'user-1')
    expect(() => box.open(sealed, 'user-2')).toThrow(SecretBoxError)
    const parts = sealed.split('.')
    const body = Buffer.from(parts[3] ?? '', 'base64url')
    body[0] = (body[0] ?? 0) ^ 1
    parts[3] = body.toString('base64url')
    expect(() => box.open(parts.join('.'), 'user-1')).toThrow(SecretBoxError)
    const other = createSecretBox([dataKey(Buffer.alloc(32, 9))])
    expect(() => other.open(sealed, 'user-1')).toThrow(/unknown data key/)
  })

  it('opens values sealed with an older key after rotation', () => {
    const sealed = box.seal('old', 'ctx')
    const rotated = createSecretBox([dataKey(Buffer.alloc(32, 8)), key])
    expect(rotated.open(sealed, 'ctx')).toBe('old')
    expect(rotated.seal('new', 'ctx').split('.')[1]).not.toBe(key.id)
  })

  it('rejects keys of the wrong size', () => {
    expect(() => dataKey(Buffer.alloc(16))).toThrow(SecretBoxError)
  })
})
