import { createTestPostgres, DEFAULT_TEST_ADMIN_URL, type TestPostgres } from '@wxapp/db/testing'
import { type RunningProcess, startApiServer } from '@wxapp/testing'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { describeHttpContract } from './api-contract'

describeHttpContract('PostgreSQL (a fresh database per run)', async () => {
  const db = await createTestPostgres()
  return { url: db.url, cleanup: db.drop }
})

describe('readiness follows the database', () => {
  let db: TestPostgres
  let server: RunningProcess
  let admin: pg.Client

  beforeAll(async () => {
    db = await createTestPostgres()
    server = await startApiServer({ DATABASE_URL: db.url })
    admin = new pg.Client({
      connectionString: process.env.TEST_DATABASE_URL || DEFAULT_TEST_ADMIN_URL,
    })
    await admin.connect()
  })

  afterAll(async () => {
    await admin?.query(`ALTER DATABASE "${db.name}" ALLOW_CONNECTIONS true`).catch(() => {})
    await admin?.end()
    expect(await server?.stop()).toBe(0)
    await db?.drop()
  })

  it('answers 503 while the database refuses connections, and 200 once it is back', async () => {
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200)

    // Stand-in for a database outage: refuse new connections and cut the
    // server's existing ones.
    await admin.query(`ALTER DATABASE "${db.name}" ALLOW_CONNECTIONS false`)
    await admin.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [db.name],
    )
    const down = await fetch(`${server.url}/readyz`)
    expect(down.status).toBe(503)
    expect(await down.json()).toEqual({ status: 'unavailable', database: 'down' })
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200)

    await admin.query(`ALTER DATABASE "${db.name}" ALLOW_CONNECTIONS true`)
    await expect
      .poll(async () => (await fetch(`${server.url}/readyz`)).status, { timeout: 10_000 })
      .toBe(200)
  })
})
