import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  applyMigrations,
  type Database,
  DatabaseClosedError,
  DatabaseInUseError,
  DatabaseUrlError,
  migrationStatus,
  openDatabase,
  Prisma,
} from '../src/index'
import { createTestPostgres, type TestPostgres } from '../src/testing'
import { COMMITTED_MIGRATIONS, cleanup, tempDir } from './helpers'

async function exerciseUsers(db: Database): Promise<void> {
  const user = await db.prisma.user.create({ data: { appid: 'wxapp', openid: 'o-1' } })
  expect(user.id).toMatch(/^[0-9a-f-]{36}$/)
  expect(user.createdAt).toBeInstanceOf(Date)
  // The unique (platform, appid, openid) key answers with P2002, as on any PostgreSQL.
  const duplicate = await db.prisma.user
    .create({ data: { appid: 'wxapp', openid: 'o-1' } })
    .catch((e: unknown) => e)
  expect(duplicate).toBeInstanceOf(Prisma.PrismaClientKnownRequestError)
  expect((duplicate as Prisma.PrismaClientKnownRequestError).code).toBe('P2002')
  const found = await db.prisma.user.findUnique({
    where: { platform_appid_openid: { platform: 'weapp', appid: 'wxapp', openid: 'o-1' } },
  })
  expect(found?.id).toBe(user.id)
  // The same appid and openid on another platform is another user.
  const other = await db.prisma.user.create({
    data: { platform: 'qq', appid: 'wxapp', openid: 'o-1' },
  })
  expect(other.id).not.toBe(user.id)
}

describe('embedded database in memory (pglite:memory:)', () => {
  let db: Database
  beforeAll(async () => {
    db = await openDatabase({ url: 'pglite:memory:', poolSize: 4 })
  })
  afterAll(() => db?.close())

  it('starts empty, migrates, and serves Prisma through the socket', async () => {
    expect(db.kind).toBe('pglite')
    expect(db.connection.host).toBe('127.0.0.1')
    await db.ping()
    const before = await migrationStatus(db)
    expect(before).toMatchObject({ applied: [], failed: [], hasMigrationsTable: false })
    expect(before.pending).toEqual(COMMITTED_MIGRATIONS)
    expect(before.upToDate).toBe(false)

    const applied = await applyMigrations(db)
    expect(applied).toEqual(COMMITTED_MIGRATIONS)
    expect(await applyMigrations(db)).toEqual([])

    const after = await migrationStatus(db)
    expect(after).toMatchObject({
      applied,
      pending: [],
      failed: [],
      unknown: [],
      hasMigrationsTable: true,
      upToDate: true,
    })
    await exerciseUsers(db)
  })

  it('takes a pool as large as asked for, with room for the migrator', async () => {
    // 4 app connections busy at once, plus a status check on its own connection.
    await Promise.all([
      ...Array.from({ length: 8 }, () => db.prisma.$executeRaw`SELECT pg_sleep(0.05)`),
      migrationStatus(db),
    ])
  })

  it('runs one statement from every connection at once (one backend: sent unnamed)', async () => {
    const statement = { name: 'test_count', text: 'SELECT count(*)::int + $1::int AS n FROM users' }
    const rows = await Promise.all(Array.from({ length: 8 }, (_, i) => db.query(statement, [i])))
    const n = rows.map((r) => (r as { n: number }[])[0]?.n)
    const users = n[0] ?? -1
    expect(n).toEqual(Array.from({ length: 8 }, (_, i) => users + i))
  })

  it('opens more pools from `connection`', async () => {
    const pool = new pg.Pool({ ...db.connection, max: 2 })
    cleanup(() => pool.end())
    const { rows } = await pool.query('SELECT count(*)::int AS n FROM users')
    expect(rows[0].n).toBeGreaterThanOrEqual(1)
  })
})

describe('embedded database in a folder', () => {
  it('creates the folder, keeps data across a clean close, and refuses a second opener', async () => {
    const dir = join(await tempDir(), 'nested', 'pglite')
    const url = `pglite:${dir}`
    // A lock left by a crashed process (pid above Linux's pid_max) is taken over.
    await mkdir(dir, { recursive: true })
    await writeFile(join(dir, '.wxapp-db.lock'), '4194305\n')
    const first = await openDatabase({ url })
    cleanup(() => first.close())
    expect(existsSync(join(dir, 'PG_VERSION'))).toBe(true)
    expect(await applyMigrations(first)).toEqual(COMMITTED_MIGRATIONS)
    await first.prisma.user.create({ data: { appid: 'a', openid: 'kept' } })

    // PGlite is one process's database: a second opener would corrupt it.
    await expect(openDatabase({ url })).rejects.toBeInstanceOf(DatabaseInUseError)
    await first.close()

    const again = await openDatabase({ url })
    cleanup(() => again.close())
    expect(await applyMigrations(again)).toEqual([])
    expect((await migrationStatus(again)).upToDate).toBe(true)
    expect(await again.prisma.user.count({ where: { openid: 'kept' } })).toBe(1)
  })
})

describe('PostgreSQL server', () => {
  let server: TestPostgres
  let db: Database
  beforeAll(async () => {
    server = await createTestPostgres()
    db = await openDatabase({ url: server.url, poolSize: 3 })
  })
  afterAll(async () => {
    await db?.close()
    await server?.drop()
  })

  it('migrates a fresh database and reports status before and after', async () => {
    expect(db.kind).toBe('postgres')
    expect(db.connection.database).toBe(server.name)
    const before = await migrationStatus(server.url)
    expect(before.applied).toEqual([])
    expect(before.pending).toEqual(COMMITTED_MIGRATIONS)
    expect(before.upToDate).toBe(false)

    const applied = await applyMigrations(db)
    expect(applied).toEqual(COMMITTED_MIGRATIONS)

    expect(await migrationStatus(db)).toMatchObject({ applied, pending: [], upToDate: true })
    await exerciseUsers(db)
  })

  it('runs a prepared statement on every connection of the pool, timestamps read as Prisma reads them', async () => {
    const statement = {
      name: 'test_clock',
      text: 'SELECT $1::timestamp(3) AS at, $2::int + 1 AS n',
    }
    // More at once than the pool holds: each connection prepares it once.
    const rows = await Promise.all(
      Array.from({ length: 12 }, (_, i) => db.query(statement, ['2026-12-03 08:00:00.123', i])),
    )
    for (const [i, r] of rows.entries()) {
      expect(r).toEqual([{ at: new Date('2026-12-03T08:00:00.123Z'), n: i + 1 }])
    }
  })

  it('reads raw statements in the schema the URL names', async () => {
    const admin = new pg.Client({ connectionString: server.url })
    await admin.connect()
    try {
      await admin.query('CREATE SCHEMA "ten ant"; CREATE TABLE "ten ant".marks (v text)')
      await admin.query(`INSERT INTO "ten ant".marks VALUES ('mine')`)
    } finally {
      await admin.end()
    }
    const url = new URL(server.url)
    url.searchParams.set('schema', 'ten ant')
    const tenant = await openDatabase({ url: url.toString(), poolSize: 1 })
    try {
      expect(await tenant.query({ name: 'marks', text: 'SELECT v FROM marks' }, [])).toEqual([
        { v: 'mine' },
      ])
    } finally {
      await tenant.close()
    }
  })

  it('ping rejects once the database is closed, and close is idempotent', async () => {
    const other = await openDatabase({ url: server.url, poolSize: 1 })
    await other.ping(2000)
    await other.close()
    await other.close()
    await expect(other.ping(1000)).rejects.toBeInstanceOf(DatabaseClosedError)
    await expect(other.query({ name: 'one', text: 'SELECT 1' }, [])).rejects.toBeInstanceOf(
      DatabaseClosedError,
    )
  })
})

describe('openDatabase options', () => {
  it('rejects a bad pool size or URL before opening anything', async () => {
    await expect(openDatabase({ url: 'pglite:memory:', poolSize: 0 })).rejects.toThrow(
      /poolSize must be at least 1/,
    )
    await expect(openDatabase({ url: 'sqlite:dev.db' })).rejects.toBeInstanceOf(DatabaseUrlError)
  })
})

describe('ping', () => {
  it('rejects when the embedded database is closed', async () => {
    const db = await openDatabase({ url: 'pglite:memory:', poolSize: 1 })
    await db.ping(2000)
    await db.close()
    await expect(db.ping(1000)).rejects.toThrow(/closed/)
  })

  it('rejects in time when the server does not answer', async () => {
    // A listener that accepts connections and never speaks: a hung server.
    const net = await import('node:net')
    const sockets = new Set<import('node:net').Socket>()
    const silent = net.createServer((s) => sockets.add(s))
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r))
    cleanup(
      () =>
        new Promise((r) => {
          for (const s of sockets) s.destroy()
          silent.close(r)
        }),
    )
    const port = (silent.address() as import('node:net').AddressInfo).port
    const db = await openDatabase({ url: `postgresql://x@127.0.0.1:${port}/x`, poolSize: 1 })
    cleanup(() => Promise.race([db.close(), new Promise((r) => setTimeout(r, 500))]))
    const started = Date.now()
    await expect(db.ping(300)).rejects.toThrow(/did not answer within 300 ms/)
    expect(Date.now() - started).toBeLessThan(3000)
  })
})
