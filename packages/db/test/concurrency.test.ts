import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { applyMigrations } from '../src/index'
import { createTestPostgres } from '../src/testing'
import { COMMITTED_MIGRATIONS, cleanup, listedAfter } from './helpers'

// Two server processes starting at once on one PostgreSQL database.
describe('concurrent migrations on PostgreSQL', () => {
  it('two processes migrating one database at once apply each migration once', async () => {
    const server = await createTestPostgres()
    cleanup(() => server.drop())
    const tsx = createRequire(import.meta.url).resolve('tsx/cli')
    const cli = join(import.meta.dirname, '..', 'src', 'cli.ts')
    const run = () =>
      new Promise<{ code: number | null; out: string; ms: number }>((resolve, reject) => {
        const started = Date.now()
        const child = spawn(process.execPath, [tsx, cli, 'migrate'], {
          env: { ...process.env, DATABASE_URL: server.url, INIT_CWD: '' },
          stdio: ['ignore', 'pipe', 'pipe'],
        })
        let out = ''
        child.stdout.on('data', (d) => {
          out += d
        })
        child.stderr.on('data', (d) => {
          out += d
        })
        child.on('error', reject)
        child.on('close', (code) => resolve({ code, out, ms: Date.now() - started }))
      })
    const results = await Promise.all([run(), run()])
    for (const r of results) expect(r.code, r.out).toBe(0)
    const outputs = results.map((r) => r.out).join('\n')
    // One process applies every migration, the other finds nothing left to do.
    const applied = results.filter((r) => /Applied \d+ migration/.test(r.out))
    expect(applied, outputs).toHaveLength(1)
    expect(applied[0]?.out).toMatch(
      listedAfter(`Applied ${COMMITTED_MIGRATIONS.length} migration(s) to `, COMMITTED_MIGRATIONS),
    )
    expect(outputs.match(/up to date/g), outputs).toHaveLength(1)
    // The engine's 10 s lock timer no longer keeps a finished process alive.
    for (const r of results) expect(r.ms).toBeLessThan(9_500)

    const client = new pg.Client({ connectionString: server.url })
    await client.connect()
    cleanup(() => client.end())
    const { rows } = await client.query(
      'SELECT migration_name, finished_at FROM _prisma_migrations ORDER BY migration_name',
    )
    expect(rows.map((r) => r.migration_name)).toEqual(COMMITTED_MIGRATIONS)
    for (const row of rows) expect(row.finished_at).not.toBeNull()
  })

  it('waits for the advisory lock another session holds, past the engine’s own 10 s timeout', async () => {
    const server = await createTestPostgres()
    cleanup(() => server.drop())
    const holder = new pg.Client({ connectionString: server.url })
    await holder.connect()
    cleanup(() => holder.end())
    // The key Prisma's engine locks on (advisory locks are per database).
    await holder.query('SELECT pg_advisory_lock(72707369)')

    const warnings: string[] = []
    let settled = false
    const applying = applyMigrations(server.url, {
      logger: { debug() {}, info() {}, warn: (_d, m) => warnings.push(m) },
    }).finally(() => {
      settled = true
    })
    await new Promise((r) => setTimeout(r, 11_000))
    expect(settled).toBe(false)
    expect(warnings.join('\n')).toMatch(/another process is migrating/)
    const { rows } = await holder.query("SELECT to_regclass('users') AS t")
    expect(rows[0].t).toBeNull()

    await holder.query('SELECT pg_advisory_unlock(72707369)')
    expect(await applying).toEqual(COMMITTED_MIGRATIONS)
  })
})
