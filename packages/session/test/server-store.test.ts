import { applyMigrations, type Database, openDatabase } from '@wxapp/db'
import { createTestPostgres, type TestPostgres } from '@wxapp/db/testing'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  createSecretBox,
  createSessionKeyVault,
  createSessionStore,
  dataKey,
  hashSecret,
  parseToken,
  SecretBoxError,
  type SessionStore,
} from '../src/server'
import { readSessionWithUser } from '../src/server/session-read'

const HOUR = 3600_000
const policy = { idleTimeoutMs: 24 * HOUR, absoluteLifetimeMs: 72 * HOUR, renewIntervalMs: HOUR }

describe.each([
  ['the embedded database', async () => ({ url: 'pglite:memory:', drop: async () => {} })],
  ['PostgreSQL', async (): Promise<Pick<TestPostgres, 'url' | 'drop'>> => createTestPostgres()],
])('session store on %s', (_name, makeDatabase) => {
  let db: Database
  let drop: () => Promise<void>
  let clock: Date
  let store: SessionStore
  let userId: string
  let openid: string

  beforeAll(async () => {
    const made = await makeDatabase()
    drop = made.drop
    db = await openDatabase({ url: made.url })
    await applyMigrations(db)
  })
  afterAll(async () => {
    await db?.close()
    await drop?.()
  })
  beforeEach(async () => {
    clock = new Date('2026-03-01T00:00:00Z')
    store = createSessionStore({ db, policy, now: () => clock })
    const user = await db.prisma.user.create({
      data: { appid: 'app-a', openid: `o-${Math.random()}` },
    })
    userId = user.id
    openid = user.openid
  })
  const advance = (ms: number) => {
    clock = new Date(clock.getTime() + ms)
  }

  it("reads a session with its user in one statement, exactly as Prisma's include does", async () => {
    await db.prisma.user.update({
      where: { id: userId },
      data: {
        unionid: 'u-1',
        nickname: '小明 🙂',
        avatarUrl: 'https://x/a.png',
        phoneNumber: '13800138000',
        phoneCountryCode: '86',
        lastLoginAt: new Date('2026-02-01T08:00:00.123Z'),
      },
    })
    const { session } = await store.create({
      userId,
      appid: 'app-a',
      client: { platform: 'ios', model: 'iPhone', system: 'iOS 18', version: '8.0.50' },
      ip: '10.0.0.1',
    })
    await store.revoke(session.id, 'logout')
    const viaPrisma = await db.prisma.session.findUnique({
      where: { id: session.id },
      include: { user: true },
    })
    if (!viaPrisma) throw new Error('no session')
    // Every column the store reads (it never reads revokedReason), with the same values and types.
    const { revokedReason: _unread, ...expected } = viaPrisma
    expect(await readSessionWithUser(db, session.id)).toEqual(expected)
    // Columns without a time zone are UTC, whatever the process's zone (Node
    // reads TZ again when it changes): Beijing's is 8 hours off.
    const zone = process.env.TZ
    process.env.TZ = 'Asia/Shanghai'
    try {
      expect(new Date(2026, 0, 1).getTimezoneOffset()).toBe(-480)
      expect(await readSessionWithUser(db, session.id)).toEqual(expected)
    } finally {
      if (zone === undefined) delete process.env.TZ
      else process.env.TZ = zone
    }
    expect(await readSessionWithUser(db, '00000000-0000-7000-8000-000000000000')).toBeNull()
  })

  it('issues a token whose secret is stored only as its SHA-256', async () => {
    const { token, session } = await store.create({
      userId,
      appid: 'app-a',
      client: { platform: 'weapp', model: 'iPhone 15' },
      ip: '127.0.0.1',
    })
    const parsed = parseToken(token)
    expect(parsed?.sessionId).toBe(session.id)
    const row = await db.prisma.session.findUniqueOrThrow({ where: { id: session.id } })
    expect(Buffer.from(row.tokenHash)).toEqual(hashSecret(parsed?.secret ?? ''))
    expect(JSON.stringify(row, (_k, v) => (v instanceof Uint8Array ? '' : v))).not.toContain(
      parsed?.secret,
    )
    expect(session.client).toEqual({ platform: 'weapp', model: 'iPhone 15' })
    expect(session.absoluteExpiresAt.getTime() - clock.getTime()).toBe(72 * HOUR)
  })

  it('validates, and refuses missing, garbage, tampered and other-app tokens', async () => {
    const { token } = await store.create({ userId, appid: 'app-a' })
    expect(await store.validate(token, { appid: 'app-a' })).toMatchObject({ ok: true })
    expect(await store.validate(token)).toMatchObject({ ok: true })
    expect(await store.validate(undefined)).toEqual({ ok: false, reason: 'AUTH_REQUIRED' })
    expect(await store.validate('')).toEqual({ ok: false, reason: 'AUTH_REQUIRED' })
    expect(await store.validate('garbage')).toEqual({ ok: false, reason: 'TOKEN_INVALID' })
    const last = token.at(-1) === 'A' ? 'B' : 'A'
    expect(await store.validate(token.slice(0, -1) + last)).toEqual({
      ok: false,
      reason: 'TOKEN_INVALID',
    })
    const unknownId = `01900000-0000-7000-8000-000000000000${token.slice(36)}`
    expect(await store.validate(unknownId)).toEqual({ ok: false, reason: 'TOKEN_INVALID' })
    expect(await store.validate(token, { appid: 'app-b' })).toEqual({
      ok: false,
      reason: 'TOKEN_INVALID',
    })
  })

  it('renews on use at most once per interval, and expires when idle', async () => {
    const { token, session } = await store.create({ userId, appid: 'app-a' })
    const updatedAt = async () =>
      (await db.prisma.session.findUniqueOrThrow({ where: { id: session.id } })).lastUsedAt

    advance(HOUR / 2)
    await store.validate(token)
    expect(await updatedAt()).toEqual(session.lastUsedAt) // no write inside the interval

    advance(HOUR / 2)
    const renewed = await Promise.all(Array.from({ length: 10 }, () => store.validate(token)))
    expect(renewed.every((r) => r.ok)).toBe(true)
    expect(await updatedAt()).toEqual(clock)
    const row = await db.prisma.session.findUniqueOrThrow({ where: { id: session.id } })
    expect(row.expiresAt.getTime()).toBe(clock.getTime() + 24 * HOUR)

    advance(24 * HOUR)
    expect(await store.validate(token)).toEqual({ ok: false, reason: 'SESSION_EXPIRED' })
  })

  it('expires at the absolute lifetime however often it is used', async () => {
    const { token } = await store.create({ userId, appid: 'app-a' })
    for (let i = 0; i < 4; i++) {
      advance(17 * HOUR) // each use inside the 24 h idle timeout
      expect((await store.validate(token)).ok).toBe(true)
    }
    advance(17 * HOUR) // 85 h > 72 h
    expect(await store.validate(token)).toEqual({ ok: false, reason: 'SESSION_EXPIRED' })
  })

  it('revokes one session or all of a user, and lists only active ones', async () => {
    const a = await store.create({ userId, appid: 'app-a', client: { platform: 'weapp' } })
    advance(1000)
    const b = await store.create({ userId, appid: 'app-a', client: { platform: 'h5' } })
    expect((await store.listForUser(userId)).map((s) => s.id)).toEqual([b.session.id, a.session.id])

    expect(await store.revoke(a.session.id)).toBe(true)
    expect(await store.revoke(a.session.id)).toBe(false)
    expect(await store.validate(a.token)).toEqual({ ok: false, reason: 'SESSION_REVOKED' })
    expect((await store.listForUser(userId)).map((s) => s.id)).toEqual([b.session.id])

    await store.create({ userId, appid: 'app-a' })
    expect(await store.revokeAllForUser(userId)).toBe(2)
    expect(await store.validate(b.token)).toEqual({ ok: false, reason: 'SESSION_REVOKED' })
    expect(await store.listForUser(userId)).toEqual([])
  })

  it('purges sessions that ended before the retention window', async () => {
    await db.prisma.session.deleteMany() // purge is global: start from none
    const old = await store.create({ userId, appid: 'app-a' })
    await store.revoke(old.session.id)
    const live = await store.create({ userId, appid: 'app-a' })
    advance(2 * HOUR)
    expect(await store.purgeExpired({ retainMs: 3 * HOUR })).toBe(0)
    advance(2 * HOUR)
    expect(await store.purgeExpired({ retainMs: 3 * HOUR })).toBe(1)
    expect(await store.validate(live.token)).toMatchObject({ ok: true })
    expect(await store.validate(old.token)).toEqual({ ok: false, reason: 'TOKEN_INVALID' })
  })

  it('keeps the session_key sealed at rest and bound to its user and app', async () => {
    const box = createSecretBox([dataKey(Buffer.alloc(32, 1))])
    const vault = createSessionKeyVault({ prisma: db.prisma, box })
    await vault.store({ userId, appid: 'app-a', openid, sessionKey: 'c2Vzc2lvbi1rZXktMTIzNA==' })
    const row = await db.prisma.wechatSessionKey.findUniqueOrThrow({ where: { userId } })
    expect(row.encrypted).not.toContain('c2Vzc2lvbi1rZXktMTIzNA')
    expect(await vault.read({ userId, appid: 'app-a' })).toBe('c2Vzc2lvbi1rZXktMTIzNA==')
    expect(await vault.read({ userId, appid: 'app-b' })).toBeNull()

    await vault.store({ userId, appid: 'app-a', openid, sessionKey: 'bmV3LWtleQ==' })
    expect(await vault.read({ userId, appid: 'app-a' })).toBe('bmV3LWtleQ==')
    expect(await db.prisma.wechatSessionKey.count({ where: { userId } })).toBe(1)

    // A row copied onto another user does not open.
    const other = await db.prisma.user.create({
      data: { appid: 'app-a', openid: `o-${Math.random()}` },
    })
    await db.prisma.wechatSessionKey.create({
      data: { userId: other.id, appid: 'app-a', encrypted: row.encrypted },
    })
    await expect(vault.read({ userId: other.id, appid: 'app-a' })).rejects.toThrow(SecretBoxError)
  })

  it('still opens a key sealed before keys were bound to the openid (to the user id)', async () => {
    const box = createSecretBox([dataKey(Buffer.alloc(32, 1))])
    const vault = createSessionKeyVault({ prisma: db.prisma, box })
    const encrypted = box.seal('b2xkLWtleQ==', `wechat-session-key:app-a:${userId}`)
    await db.prisma.wechatSessionKey.create({ data: { userId, appid: 'app-a', encrypted } })
    expect(await vault.read({ userId, appid: 'app-a' })).toBe('b2xkLWtleQ==')
  })
})
