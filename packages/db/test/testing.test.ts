import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { createTestPostgres, TestPostgresUnavailableError } from '../src/testing'

describe('createTestPostgres', () => {
  it('creates a fresh, empty, uniquely named database and drops it', async () => {
    const [a, b] = await Promise.all([createTestPostgres(), createTestPostgres()])
    try {
      expect(a.name).not.toBe(b.name)
      expect(a.url).toMatch(new RegExp(`/${a.name}$`))
      const client = new pg.Client({ connectionString: a.url })
      await client.connect()
      const { rows } = await client.query(
        "SELECT current_database() AS db, count(*)::int AS tables FROM pg_tables WHERE schemaname = 'public'",
      )
      // Left connected on purpose: drop() must still succeed.
      client.on('error', () => {})
      expect(rows[0]).toEqual({ db: a.name, tables: 0 })
    } finally {
      await a.drop()
      await b.drop()
      await a.drop() // idempotent
    }
    const admin = new pg.Client({
      connectionString:
        process.env.TEST_DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/postgres',
    })
    await admin.connect()
    try {
      const { rows } = await admin.query('SELECT 1 FROM pg_database WHERE datname = ANY($1)', [
        [a.name, b.name],
      ])
      expect(rows).toEqual([])
    } finally {
      await admin.end()
    }
  })

  it('throws (never skips) with a clear message when the server is unreachable', async () => {
    const error = await createTestPostgres('postgresql://postgres:pw@127.0.0.1:1/postgres').catch(
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(TestPostgresUnavailableError)
    expect((error as Error).message).toMatch(/127\.0\.0\.1:1.*ECONNREFUSED/)
    expect((error as Error).message).toMatch(/TEST_DATABASE_URL/)
    expect((error as Error).message).not.toContain(':pw@')
  })
})
