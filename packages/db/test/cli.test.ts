import { spawn } from 'node:child_process'
import { appendFile, readdir } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createTestPostgres } from '../src/testing'
import {
  COMMITTED_MIGRATIONS,
  cleanup,
  copyOfPrisma,
  listedAfter,
  PROBE_MODEL,
  tempDir,
} from './helpers'

const TSX = createRequire(import.meta.url).resolve('tsx/cli')
const CLI = join(import.meta.dirname, '..', 'src', 'cli.ts')
const ADMIN_URL = process.env.TEST_DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/postgres'
const N = COMMITTED_MIGRATIONS.length
// Every committed migration, listed in order after the header line.
const PENDING_ALL = listedAfter(`Pending (${N})`, COMMITTED_MIGRATIONS)
const APPLIED_ALL = listedAfter(`Applied ${N} migration(s) to `, COMMITTED_MIGRATIONS)

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

function db(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TSX, CLI, ...args], {
      // INIT_CWD from an outer pnpm would redirect relative paths; none are used here.
      env: { ...process.env, INIT_CWD: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => {
      stdout += d
    })
    child.stderr.on('data', (d) => {
      stderr += d
    })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

const noStack = (run: Run): void => {
  expect(run.stderr).not.toMatch(/\n\s+at /)
  expect(run.stderr).not.toMatch(/Unexpected error/)
}

describe('pnpm db (CLI)', () => {
  it('status exits 1 while migrations are pending and 0 once migrated (PostgreSQL)', async () => {
    const server = await createTestPostgres()
    cleanup(() => server.drop())
    const env = { DATABASE_URL: server.url }
    const before = await db(['status'], env)
    expect(before.code, before.stderr).toBe(1)
    expect(before.stdout).toMatch(/Applied \(0\):\n/)
    expect(before.stdout).toMatch(PENDING_ALL)
    expect(before.stdout).toMatch(/pnpm db:migrate/)

    const migrate = await db(['migrate'], env)
    expect(migrate.code, migrate.stderr).toBe(0)
    expect(migrate.stdout).toMatch(APPLIED_ALL)

    const after = await db(['status'], env)
    expect(after.code, after.stderr).toBe(0)
    expect(after.stdout).toMatch(listedAfter(`Applied (${N})`, COMMITTED_MIGRATIONS))
    expect(after.stdout).not.toMatch(/Pending/)
    expect(after.stdout).toMatch(/up to date/)
  })

  it('migrates an embedded database folder, then reports it up to date', async () => {
    const dir = join(await tempDir(), 'pglite')
    const env = { DATABASE_URL: `pglite:${dir}` }
    const migrate = await db(['migrate'], env)
    expect(migrate.code, migrate.stderr).toBe(0)
    expect(migrate.stdout).toMatch(APPLIED_ALL)
    const status = await db(['status'], env)
    expect(status.code, status.stderr).toBe(0)
  })

  it('check exits 0 on the repo and 1 with the missing SQL on a changed copy', async () => {
    const copy = await copyOfPrisma()
    await appendFile(copy.schema, PROBE_MODEL)
    // Shadow databases on the PostgreSQL server keep these child processes
    // light; the default in-memory PGlite shadows are covered in migrate.test.ts.
    const shadow = ['--shadow', ADMIN_URL]
    const [clean, drifted] = await Promise.all([
      db(['check', ...shadow]),
      db(['check', '--schema', copy.schema, '--migrations', copy.migrations, ...shadow]),
    ])
    expect(clean.code, clean.stderr).toBe(0)
    expect(clean.stdout).toMatch(/match the schema/)
    expect(drifted.code, drifted.stderr).toBe(1)
    expect(drifted.stdout).toContain('CREATE TABLE "test_only_probes"')
    expect(drifted.stderr).toMatch(/pnpm db:new/)
    noStack(drifted)

    const created = await db([
      'new',
      'add probes',
      '--schema',
      copy.schema,
      '--migrations',
      copy.migrations,
    ])
    expect(created.code, created.stderr).toBe(0)
    expect(created.stdout).toMatch(/Created .*\d{14}_add_probes\/migration\.sql/)
    expect(created.stdout).toContain('CREATE TABLE "test_only_probes"')
    expect((await readdir(copy.migrations)).filter((n) => n.endsWith('_add_probes'))).toHaveLength(
      1,
    )
  })

  it('explains user mistakes without a stack trace or a password', async () => {
    const [badUrl, unknown, noName, unreachable] = await Promise.all([
      db(['status'], { DATABASE_URL: 'mysql://root:hunter2@localhost/app' }),
      db(['frobnicate']),
      db(['new']),
      db(['status'], { DATABASE_URL: 'postgresql://app:hunter2@127.0.0.1:1/app' }),
    ])
    expect(badUrl.code).toBe(1)
    expect(badUrl.stderr).toMatch(/^DATABASE_URL uses the unsupported scheme "mysql:"/)
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/Unknown command "frobnicate"/)
    expect(noName.code).toBe(2)
    expect(noName.stderr).toMatch(/Name the migration/)
    expect(unreachable.code).toBe(1)
    expect(unreachable.stderr).toMatch(/reach database server|Cannot reach/i)
    for (const run of [badUrl, unknown, noName, unreachable]) {
      noStack(run)
      expect(run.stderr + run.stdout).not.toContain('hunter2')
    }
  })
})
