import { applyMigrations, type Database, openDatabase } from '@wxapp/db'
import { createTestPostgres, type TestPostgres } from '@wxapp/db/testing'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createSessionStore, type SessionStore } from '../src/server'

const HOUR = 3600_000
const TTL = 5000
const policy = { idleTimeoutMs: 24 * HOUR, absoluteLifetimeMs: 72 * HOUR, renewIntervalMs: HOUR }

/**
 * The store's database with its session reads and writes counted, and reads
 * that can be held back after they ran (a read racing a revocation).
 */
function instrumented(db: Database) {
  const counts = { reads: 0, updateMany: 0 }
  let gate: Promise<void> | null = null
  const session = new Proxy(db.prisma.session, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver)
      if (prop === 'updateMany') {
        return (...args: unknown[]) => {
          counts.updateMany++
          return (value as (...a: unknown[]) => Promise<unknown>).apply(target, args)
        }
      }
      return value
    },
  })
  const prisma = new Proxy(db.prisma, {
    get(target, prop, receiver) {
      return prop === 'session' ? session : Reflect.get(target, prop, receiver)
    },
  })
  return {
    db: {
      prisma,
      // The session read (with its user) is the store's one prepared statement.
      query: async (...args: Parameters<Database['query']>) => {
        counts.reads++
        const rows = await db.query(...args)
        if (gate) await gate
        return rows
      },
    },
    counts,
    /** Holds every read after it ran until the returned function is called. */
    hold(): () => void {
      let release = () => {}
      gate = new Promise<void>((resolve) => {
        release = () => {
          gate = null
          resolve()
        }
      })
      return release
    },
  }
}

describe.each([
  ['the embedded database', async () => ({ url: 'pglite:memory:', drop: async () => {} })],
  ['PostgreSQL', async (): Promise<Pick<TestPostgres, 'url' | 'drop'>> => createTestPostgres()],
])('session cache on %s', (_name, makeDatabase) => {
  let db: Database
  let drop: () => Promise<void>
  let clock: Date
  let userId: string
  let counted: ReturnType<typeof instrumented>
  let store: SessionStore
  const make = (over: { ttlMs?: number; maxEntries?: number; renewIntervalMs?: number } = {}) =>
    createSessionStore({
      db: counted.db,
      policy: { ...policy, renewIntervalMs: over.renewIntervalMs ?? policy.renewIntervalMs },
      now: () => clock,
      cache: { ttlMs: over.ttlMs ?? TTL, maxEntries: over.maxEntries ?? 100 },
    })
  const advance = (ms: number) => {
    clock = new Date(clock.getTime() + ms)
  }

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
    counted = instrumented(db)
    store = make()
    const user = await db.prisma.user.create({
      data: { appid: 'app-a', openid: `o-${Math.random()}`, nickname: 'before' },
    })
    userId = user.id
  })

  it('answers a busy session from memory: one read per TTL, with the user', async () => {
    const { token } = await store.create({ userId, appid: 'app-a' })
    for (let i = 0; i < 10; i++) {
      const result = await store.validate(token, { appid: 'app-a' })
      expect(result).toMatchObject({ ok: true, user: { id: userId, nickname: 'before' } })
    }
    expect(counted.counts.reads).toBe(1)
    advance(TTL - 1)
    await store.validate(token)
    expect(counted.counts.reads).toBe(1)
    advance(1)
    await store.validate(token)
    expect(counted.counts.reads).toBe(2)
  })

  it('shares one read among concurrent first calls', async () => {
    const { token } = await store.create({ userId, appid: 'app-a' })
    const results = await Promise.all(Array.from({ length: 20 }, () => store.validate(token)))
    expect(results.every((r) => r.ok)).toBe(true)
    expect(counted.counts.reads).toBe(1)
  })

  it('refuses a wrong secret or another app from memory as from the database', async () => {
    const { token } = await store.create({ userId, appid: 'app-a' })
    await store.validate(token)
    const last = token.at(-1) === 'A' ? 'B' : 'A'
    expect(await store.validate(token.slice(0, -1) + last)).toEqual({
      ok: false,
      reason: 'TOKEN_INVALID',
    })
    expect(await store.validate(token, { appid: 'app-b' })).toEqual({
      ok: false,
      reason: 'TOKEN_INVALID',
    })
    expect(counted.counts.reads).toBe(1)
  })

  it('never caches a failure', async () => {
    const { token, session } = await store.create({ userId, appid: 'app-a' })
    const unknown = `01900000-0000-7000-8000-000000000000${token.slice(36)}`
    await store.validate(unknown)
    await store.validate(unknown)
    expect(counted.counts.reads).toBe(2)
    await store.revoke(session.id)
    await store.validate(token)
    await store.validate(token)
    expect(counted.counts.reads).toBe(4)
  })

  it('forgets at once in this instance: logout, logout everywhere, a changed user', async () => {
    const a = await store.create({ userId, appid: 'app-a' })
    const b = await store.create({ userId, appid: 'app-a' })
    const c = await store.create({ userId, appid: 'app-a' })
    for (const s of [a, b, c]) expect((await store.validate(s.token)).ok).toBe(true)

    await store.revoke(a.session.id)
    expect(await store.validate(a.token)).toEqual({ ok: false, reason: 'SESSION_REVOKED' })
    expect((await store.validate(b.token)).ok).toBe(true)

    await db.prisma.user.update({ where: { id: userId }, data: { nickname: 'after' } })
    expect(await store.validate(b.token)).toMatchObject({ user: { nickname: 'before' } })
    store.forgetUser(userId)
    expect(await store.validate(b.token)).toMatchObject({ user: { nickname: 'after' } })

    await store.revokeAllForUser(userId)
    expect(await store.validate(b.token)).toEqual({ ok: false, reason: 'SESSION_REVOKED' })
    expect(await store.validate(c.token)).toEqual({ ok: false, reason: 'SESSION_REVOKED' })
  })

  it('keeps nothing that a read racing a revocation saw', async () => {
    const { token, session } = await store.create({ userId, appid: 'app-a' })
    const release = counted.hold()
    // Reads the row while the session is active, answers after the revocation.
    const racing = store.validate(token)
    await new Promise((r) => setTimeout(r, 50))
    expect(await store.revoke(session.id)).toBe(true)
    release()
    expect((await racing).ok).toBe(true) // it started before the logout
    expect(await store.validate(token)).toEqual({ ok: false, reason: 'SESSION_REVOKED' })
  })

  it('does not share a read racing a revocation with the calls after it', async () => {
    const { token, session } = await store.create({ userId, appid: 'app-a' })
    const release = counted.hold()
    const racing = store.validate(token)
    await new Promise((r) => setTimeout(r, 50))
    expect(await store.revoke(session.id)).toBe(true)
    const after = store.validate(token) // its own read, not the racing one
    await new Promise((r) => setTimeout(r, 50))
    release()
    expect((await racing).ok).toBe(true)
    expect(await after).toEqual({ ok: false, reason: 'SESSION_REVOKED' })
    expect(counted.counts.reads).toBe(2)
  })

  it('keeps nothing that a read racing forgetUser saw, and reads the user again', async () => {
    const { token } = await store.create({ userId, appid: 'app-a' })
    const release = counted.hold()
    const racing = store.validate(token) // reads the user before the change
    await new Promise((r) => setTimeout(r, 50))
    await db.prisma.user.update({ where: { id: userId }, data: { nickname: 'after' } })
    store.forgetUser(userId)
    const after = store.validate(token)
    await new Promise((r) => setTimeout(r, 50))
    release()
    expect(await racing).toMatchObject({ ok: true, user: { nickname: 'before' } })
    expect(await after).toMatchObject({ ok: true, user: { nickname: 'after' } })
    expect(await store.validate(token)).toMatchObject({ user: { nickname: 'after' } })
    expect(counted.counts.reads).toBe(2)
  })

  it('keeps nothing that a read racing a logout everywhere saw', async () => {
    const { token } = await store.create({ userId, appid: 'app-a' })
    const release = counted.hold()
    const racing = store.validate(token)
    await new Promise((r) => setTimeout(r, 50))
    expect(await store.revokeAllForUser(userId)).toBe(1)
    release()
    expect((await racing).ok).toBe(true)
    expect(await store.validate(token)).toEqual({ ok: false, reason: 'SESSION_REVOKED' })
  })

  it("sees another instance's revocation within the TTL, not before", async () => {
    const other = make()
    const { token, session } = await store.create({ userId, appid: 'app-a' })
    expect((await store.validate(token)).ok).toBe(true)
    expect((await other.validate(token)).ok).toBe(true)
    await other.revoke(session.id)
    expect((await store.validate(token)).ok).toBe(true) // stale, for at most TTL
    advance(TTL)
    expect(await store.validate(token)).toEqual({ ok: false, reason: 'SESSION_REVOKED' })
  })

  it('checks expiry on every hit, and asks the database before refusing', async () => {
    // A TTL longer than the idle timeout, only to reach the case: the cached
    // times say expired, another instance has renewed the session meanwhile.
    const long = make({ ttlMs: 48 * HOUR })
    const { token, session } = await long.create({ userId, appid: 'app-a' })
    expect((await long.validate(token)).ok).toBe(true)
    advance(24 * HOUR)
    await db.prisma.session.update({
      where: { id: session.id },
      data: { lastUsedAt: clock, expiresAt: new Date(clock.getTime() + 24 * HOUR) },
    })
    expect((await long.validate(token)).ok).toBe(true)
    expect(counted.counts.reads).toBe(2)
    advance(24 * HOUR)
    expect(await long.validate(token)).toEqual({ ok: false, reason: 'SESSION_EXPIRED' })
  })

  it('writes a due renewal once for concurrent calls, and remembers it', async () => {
    const renewing = make({ ttlMs: 60_000, renewIntervalMs: 1000 })
    const { token, session } = await renewing.create({ userId, appid: 'app-a' })
    await renewing.validate(token)
    advance(1500)
    const results = await Promise.all(Array.from({ length: 10 }, () => renewing.validate(token)))
    expect(results.every((r) => r.ok)).toBe(true)
    expect(counted.counts.updateMany).toBe(1)
    const row = await db.prisma.session.findUniqueOrThrow({ where: { id: session.id } })
    expect(row.lastUsedAt).toEqual(clock)
    advance(500)
    const later = await renewing.validate(token)
    expect(later.ok && later.session.lastUsedAt).toEqual(row.lastUsedAt)
    expect(counted.counts.updateMany).toBe(1)
    expect(counted.counts.reads).toBe(1)
  })

  it('holds at most maxEntries sessions, dropping the oldest', async () => {
    const small = make({ maxEntries: 3 })
    const sessions = []
    for (let i = 0; i < 4; i++) sessions.push(await small.create({ userId, appid: 'app-a' }))
    for (const s of sessions) await small.validate(s.token)
    expect(counted.counts.reads).toBe(4)
    await small.validate(sessions[3]?.token ?? '')
    expect(counted.counts.reads).toBe(4)
    await small.validate(sessions[0]?.token ?? '')
    expect(counted.counts.reads).toBe(5)
  })

  it('hands out what it caches frozen, so no caller can change it for the others', async () => {
    const { token } = await store.create({ userId, appid: 'app-a', client: { platform: 'weapp' } })
    await store.validate(token)
    const result = await store.validate(token)
    if (!result.ok) throw new Error('expected a session')
    expect(Object.isFrozen(result.session)).toBe(true)
    expect(Object.isFrozen(result.session.client)).toBe(true)
    expect(Object.isFrozen(result.user)).toBe(true)
  })

  it('reads every time with the cache off (the default)', async () => {
    const plain = createSessionStore({ db: counted.db, policy, now: () => clock })
    const { token } = await plain.create({ userId, appid: 'app-a' })
    for (let i = 0; i < 3; i++) expect((await plain.validate(token)).ok).toBe(true)
    expect(counted.counts.reads).toBe(3)
    plain.forgetUser(userId)
  })
})
