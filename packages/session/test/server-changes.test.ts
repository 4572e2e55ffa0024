// Two server instances on one PostgreSQL database, each with its own pool,
// session cache (a long ttl, so only the announcement can explain a quick
// refusal) and LISTEN connection: what one revokes or changes, the other
// stops serving from its cache at once.
import {
  applyMigrations,
  type Database,
  type NotificationChannel,
  openDatabase,
  openNotificationChannel,
} from '@wxapp/db'
import { createTestPostgres, type TestPostgres } from '@wxapp/db/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSessionStore, type SessionStore } from '../src/server'

const CHANNEL = 'test_session_changes'
const TTL = 60_000

interface Instance {
  db: Database
  changes: NotificationChannel
  store: SessionStore
  gaps: number
}

async function startInstance(url: string): Promise<Instance> {
  const db = await openDatabase({ url, poolSize: 4 })
  const changes = await openNotificationChannel(db, CHANNEL)
  const instance: Instance = { db, changes, gaps: 0, store: undefined as never }
  changes.subscribe(
    () => {},
    () => instance.gaps++,
  )
  instance.store = createSessionStore({ db, cache: { ttlMs: TTL }, changes })
  return instance
}

describe('session changes between instances (PostgreSQL LISTEN/NOTIFY)', () => {
  let pgDb: TestPostgres
  let a: Instance
  let b: Instance

  beforeAll(async () => {
    pgDb = await createTestPostgres()
    await applyMigrations(pgDb.url)
    a = await startInstance(pgDb.url)
    b = await startInstance(pgDb.url)
  })
  afterAll(async () => {
    for (const i of [a, b]) {
      await i?.changes.close()
      await i?.db.close()
    }
    await pgDb?.drop()
  })

  async function userWithSession(openid: string) {
    const user = await a.db.prisma.user.create({ data: { appid: 'wx_app', openid } })
    const { token } = await a.store.create({ userId: user.id, appid: 'wx_app' })
    return { user, token }
  }

  /** How long until `b` refuses `token`, polling every 5 ms. */
  async function refusedWithin(token: string, limitMs: number): Promise<number> {
    const started = performance.now()
    for (;;) {
      const result = await b.store.validate(token)
      if (!result.ok) return performance.now() - started
      if (performance.now() - started > limitMs) throw new Error(`still valid after ${limitMs} ms`)
      await new Promise((r) => setTimeout(r, 5))
    }
  }

  it('a logout on one instance is refused by the other within 200 ms, its cache notwithstanding', async () => {
    const { token } = await userWithSession('logout-one')
    expect((await b.store.validate(token)).ok).toBe(true)
    const validated = await a.store.validate(token)
    if (!validated.ok) throw new Error('not valid')
    await a.store.revoke(validated.session.id)
    expect(await refusedWithin(token, 200)).toBeLessThan(200)
  })

  it('a logout everywhere reaches every cached session of the user', async () => {
    const { user, token } = await userWithSession('logout-all')
    const second = await a.store.create({ userId: user.id, appid: 'wx_app' })
    for (const t of [token, second.token]) expect((await b.store.validate(t)).ok).toBe(true)
    expect(await a.store.revokeAllForUser(user.id)).toBe(2)
    await refusedWithin(token, 200)
    await refusedWithin(second.token, 200)
  })

  it('a changed user is read again by the other instance', async () => {
    const { user, token } = await userWithSession('profile')
    const before = await b.store.validate(token)
    expect(before.ok && before.user.nickname).toBe(null)
    await a.db.prisma.user.update({ where: { id: user.id }, data: { nickname: '新名字' } })
    await a.store.forgetUser(user.id)
    await expect
      .poll(
        async () => {
          const r = await b.store.validate(token)
          return r.ok ? r.user.nickname : 'refused'
        },
        { timeout: 200, interval: 5 },
      )
      .toBe('新名字')
  })

  it('a lost listener connection clears the cache and listens again', async () => {
    const { token } = await userWithSession('reconnect')
    expect((await b.store.validate(token)).ok).toBe(true)
    const gapsBefore = b.gaps
    // Cuts every LISTEN connection of the test database (both instances').
    await a.db.prisma.$executeRaw`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
      WHERE datname = current_database() AND query LIKE 'LISTEN%'`
    // Lost (one gap), then listening again (another).
    await expect.poll(() => b.gaps - gapsBefore, { timeout: 5000 }).toBeGreaterThanOrEqual(2)
    const validated = await a.store.validate(token)
    if (!validated.ok) throw new Error('not valid')
    await a.store.revoke(validated.session.id)
    await refusedWithin(token, 200)
  })
})
