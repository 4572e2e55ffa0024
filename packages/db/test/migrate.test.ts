import { appendFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  applyMigrations,
  checkDrift,
  createMigration,
  DatabaseInUseError,
  MigrationError,
  migrationStatus,
  openDatabase,
  resetDatabase,
  resolveMigration,
} from '../src/index'
import { useEngineWasm } from '../src/migrate/engine'
import { createTestPostgres } from '../src/testing'
import {
  COMMITTED_MIGRATIONS,
  cleanup,
  copyOfPrisma,
  LATEST_MIGRATION,
  PROBE_MODEL,
  REPO_MIGRATIONS,
  REPO_SCHEMA,
  tempDir,
} from './helpers'

const ADMIN_URL = process.env.TEST_DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/postgres'

const PRISMA_CLI_WASM = createRequire(import.meta.url)
  .resolve('prisma/package.json')
  .replace(/package\.json$/, 'build/schema_engine_bg.wasm')

async function committedLatest(): Promise<{ sql: string; lock: string }> {
  return {
    sql: await readFile(join(REPO_MIGRATIONS, LATEST_MIGRATION, 'migration.sql'), 'utf8'),
    lock: await readFile(join(REPO_MIGRATIONS, 'migration_lock.toml'), 'utf8'),
  }
}

async function shadowDatabasesLeft(): Promise<string[]> {
  const client = new pg.Client({ connectionString: ADMIN_URL })
  await client.connect()
  try {
    const { rows } = await client.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE datname LIKE 'prisma_shadow_%'",
    )
    return rows.map((r) => r.datname)
  } finally {
    await client.end()
  }
}

describe('createMigration and checkDrift', () => {
  it('the repo migrations match the schema (our engine and the Prisma CLI build)', async () => {
    for (const wasm of [undefined, PRISMA_CLI_WASM]) {
      useEngineWasm(wasm)
      try {
        expect(await checkDrift()).toEqual({ drift: false })
      } finally {
        useEngineWasm(undefined)
      }
    }
  })

  // Earlier schemas are not kept, so only the latest migration can be
  // regenerated: from the migrations before it, against the current schema.
  // With the no-drift check above, the whole history is what the engines make.
  it('regenerates the latest committed migration byte for byte from the ones before it (our engine and the Prisma CLI build)', async () => {
    const committed = await committedLatest()
    const suffix = LATEST_MIGRATION.slice('yyyyMMddHHmmss_'.length)
    for (const wasm of [undefined, PRISMA_CLI_WASM]) {
      const copy = await copyOfPrisma()
      await rm(join(copy.migrations, LATEST_MIGRATION), { recursive: true })
      // Written again with the migration, as `prisma migrate dev` does.
      await rm(join(copy.migrations, 'migration_lock.toml'))
      useEngineWasm(wasm)
      try {
        const result = await createMigration({
          name: suffix,
          schema: copy.schema,
          migrationsDir: copy.migrations,
        })
        if (!result.created) throw new Error(result.message)
        expect(result.name).toMatch(new RegExp(`^\\d{14}_${suffix}$`))
        expect(await readFile(result.path, 'utf8')).toBe(committed.sql)
        expect(await readFile(join(copy.migrations, 'migration_lock.toml'), 'utf8')).toBe(
          committed.lock,
        )
        expect((await readdir(copy.migrations)).sort()).toEqual(
          [...COMMITTED_MIGRATIONS.slice(0, -1), result.name, 'migration_lock.toml'].sort(),
        )
      } finally {
        useEngineWasm(undefined)
      }
    }
  })

  it('writes a migration for a schema change on a copy (PGlite shadow), then finds no drift', async () => {
    const copy = await copyOfPrisma()
    await appendFile(copy.schema, PROBE_MODEL)

    const drift = await checkDrift({ schema: copy.schema, migrationsDir: copy.migrations })
    expect(drift.drift).toBe(true)
    if (!drift.drift) return
    expect(drift.sql).toContain('CREATE TABLE "test_only_probes"')
    expect(drift.sql).toContain('CREATE UNIQUE INDEX "test_only_probes_token_hash_key"')

    const created = await createMigration({
      name: 'Add probes',
      schema: copy.schema,
      migrationsDir: copy.migrations,
    })
    if (!created.created) throw new Error(created.message)
    expect(created.name).toMatch(/^\d{14}_add_probes$/)
    expect(created.path).toBe(join(copy.migrations, created.name, 'migration.sql'))
    const sql = await readFile(created.path, 'utf8')
    expect(sql).toBe(created.sql)
    expect(sql).toMatch(/^-- CreateTable\nCREATE TABLE "test_only_probes" \(/)
    expect(sql).toContain(
      'CREATE INDEX "test_only_probes_owner_id_idx" ON "test_only_probes"("owner_id");',
    )

    expect(await checkDrift({ schema: copy.schema, migrationsDir: copy.migrations })).toEqual({
      drift: false,
    })
    const again = await createMigration({
      name: 'nothing',
      schema: copy.schema,
      migrationsDir: copy.migrations,
    })
    expect(again.created).toBe(false)
    if (!again.created) expect(again.message).toMatch(/No changes/)
    expect((await readdir(copy.migrations)).sort()).toEqual(
      [...COMMITTED_MIGRATIONS, created.name, 'migration_lock.toml'].sort(),
    )

    // The new folder applies on top of the committed ones.
    const db = await openDatabase({ url: 'pglite:memory:', poolSize: 1 })
    cleanup(() => db.close())
    expect(await applyMigrations(db, { migrationsDir: copy.migrations })).toEqual([
      ...COMMITTED_MIGRATIONS,
      created.name,
    ])
  })

  it('does the same with PostgreSQL shadow databases, byte-identical to PGlite, and drops them', async () => {
    const pgCopy = await copyOfPrisma()
    const liteCopy = await copyOfPrisma()
    // A destructive change that leaves the repo's models alone: a test-only
    // table, made by a migration after the committed ones, loses a column in
    // the schema; the engine writes its warnings into the migration.
    for (const copy of [pgCopy, liteCopy]) {
      const legacy = join(copy.migrations, `${LATEST_MIGRATION}_test_only_legacy`)
      await mkdir(legacy)
      await writeFile(
        join(legacy, 'migration.sql'),
        `CREATE TABLE "test_only_legacy" (
    "id" INTEGER NOT NULL,
    "obsolete" TEXT,

    CONSTRAINT "test_only_legacy_pkey" PRIMARY KEY ("id")
);
`,
      )
      await appendFile(
        copy.schema,
        `${PROBE_MODEL}\nmodel TestOnlyLegacy {\n  id Int @id\n\n  @@map("test_only_legacy")\n}\n`,
      )
    }
    const viaPostgres = await createMigration({
      name: 'probes',
      schema: pgCopy.schema,
      migrationsDir: pgCopy.migrations,
      shadow: ADMIN_URL,
    })
    const viaPglite = await createMigration({
      name: 'probes',
      schema: liteCopy.schema,
      migrationsDir: liteCopy.migrations,
    })
    if (!viaPostgres.created || !viaPglite.created) throw new Error('no migration created')
    expect(viaPostgres.sql).toContain('You are about to drop the column `obsolete`')
    expect(viaPostgres.sql).toContain('CREATE TABLE "test_only_probes"')
    expect(viaPostgres.sql).toBe(viaPglite.sql)

    const drift = await checkDrift({
      schema: REPO_SCHEMA,
      migrationsDir: pgCopy.migrations,
      shadow: ADMIN_URL,
    })
    expect(drift.drift).toBe(true)
    expect(await shadowDatabasesLeft()).toEqual([])
  })

  it('fails clearly on a bad name or a missing lock file', async () => {
    await expect(createMigration({ name: '  !!! ' })).rejects.toBeInstanceOf(MigrationError)
    const copy = await copyOfPrisma()
    await rm(join(copy.migrations, 'migration_lock.toml'))
    await expect(
      checkDrift({ schema: copy.schema, migrationsDir: copy.migrations }),
    ).rejects.toThrow(/migration_lock\.toml is missing/)
  })
})

describe('applyMigrations on PostgreSQL', () => {
  it('keeps a failed migration atomic, reports it, and passes semicolons inside SQL through', async () => {
    const server = await createTestPostgres()
    cleanup(() => server.drop())
    const copy = await copyOfPrisma()
    const tricky = join(copy.migrations, '20990101000000_tricky')
    await mkdir(tricky)
    // adapter-pg alone would split this at every ";".
    await writeFile(
      join(tricky, 'migration.sql'),
      `-- Comment; with a semicolon
COMMENT ON TABLE "users" IS 'first; second';
CREATE FUNCTION wx_answer() RETURNS int AS $$ SELECT 42; $$ LANGUAGE sql;
`,
    )
    expect(await applyMigrations(server.url, { migrationsDir: copy.migrations })).toEqual([
      ...COMMITTED_MIGRATIONS,
      '20990101000000_tricky',
    ])
    const client = new pg.Client({ connectionString: server.url })
    await client.connect()
    cleanup(() => client.end())
    const comment = await client.query("SELECT obj_description('users'::regclass) AS c")
    expect(comment.rows[0].c).toBe('first; second')
    expect((await client.query('SELECT wx_answer() AS a')).rows[0].a).toBe(42)

    const broken = join(copy.migrations, '20990102000000_broken')
    await mkdir(broken)
    await writeFile(join(broken, 'migration.sql'), 'CREATE TABLE "half" ("id" INT);\nSELECT 1/0;\n')
    const error = await applyMigrations(server.url, { migrationsDir: copy.migrations }).catch(
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(MigrationError)
    expect((error as Error).message).toMatch(/20990102000000_broken/)
    expect((error as Error).message).toMatch(/division by zero/)
    expect((error as Error).message).not.toMatch(/schema_engine_wasm::/)
    // One implicit transaction, as with Prisma's native engine: nothing half-applied.
    expect((await client.query("SELECT to_regclass('half') AS t")).rows[0].t).toBeNull()

    const status = await migrationStatus(server.url, { migrationsDir: copy.migrations })
    expect(status.failed).toEqual(['20990102000000_broken'])
    expect(status.pending).toEqual([])
    expect(status.upToDate).toBe(false)
    // A failed migration blocks deploys until resolved, as with Prisma.
    await expect(applyMigrations(server.url, { migrationsDir: copy.migrations })).rejects.toThrow(
      /failed migrations/,
    )

    await writeFile(join(broken, 'migration.sql'), 'CREATE TABLE "half" ("id" INT);\n')
    await resolveMigration(
      server.url,
      { rolledBack: '20990102000000_broken' },
      { migrationsDir: copy.migrations },
    )
    expect(await applyMigrations(server.url, { migrationsDir: copy.migrations })).toEqual([
      '20990102000000_broken',
    ])
    expect((await migrationStatus(server.url, { migrationsDir: copy.migrations })).upToDate).toBe(
      true,
    )
  })

  it('reports migrations the folder does not have, and resets', async () => {
    const server = await createTestPostgres()
    cleanup(() => server.drop())
    await applyMigrations(server.url)
    const empty = await tempDir()
    const status = await migrationStatus(server.url, { migrationsDir: empty })
    expect(status.unknown).toEqual(COMMITTED_MIGRATIONS)
    expect(status.hasUnknownMigrations).toBe(true)
    expect(status.upToDate).toBe(false)

    await resetDatabase(server.url)
    const after = await migrationStatus(server.url)
    expect(after).toMatchObject({ applied: [], hasMigrationsTable: false, upToDate: false })
    expect(after.pending).toEqual(COMMITTED_MIGRATIONS)
  })
})

describe('applyMigrations on PGlite', () => {
  let url: string
  beforeAll(async () => {
    url = `pglite:${await (
      async () => {
        const { mkdtemp } = await import('node:fs/promises')
        const { tmpdir } = await import('node:os')
        return mkdtemp(join(tmpdir(), 'wxapp-db-lite-'))
      }
    )()}`
  })
  afterAll(() => rm(url.slice('pglite:'.length), { recursive: true, force: true }))

  it('migrates a folder by URL; a second opener meanwhile is refused, not let in', async () => {
    // Either call may take the folder first; exactly one must.
    const results = await Promise.allSettled([applyMigrations(url), applyMigrations(url)])
    const won = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
    const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []))
    expect(won).toHaveLength(1)
    expect(won[0]).toEqual(COMMITTED_MIGRATIONS)
    expect(refused).toHaveLength(1)
    expect(refused[0]).toBeInstanceOf(DatabaseInUseError)
    expect(await applyMigrations(url)).toEqual([])
    expect((await migrationStatus(url)).upToDate).toBe(true)
  })
})
