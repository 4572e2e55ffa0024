// One test per trap the offline migrator works around; each workaround is
// explained where it lives (src/migrate/adapter.ts and engine.ts, src/url.ts).
import { spawnSync } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PrismaPg } from '@prisma/adapter-pg'
import {
  bindMigrationAwareSqlAdapterFactory,
  ColumnTypeEnum,
  type SqlDriverAdapter,
  type SqlQuery,
} from '@prisma/driver-adapter-utils'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  EngineAdapter,
  EngineAdapterFactory,
  pgliteShadows,
  postgresShadows,
} from '../src/migrate/adapter'
import {
  createSchemaEngine,
  engineCall,
  ensurePanicRegistry,
  SchemaEnginePanicError,
} from '../src/migrate/engine'
import { startEmbedded } from '../src/pglite'
import { createTestPostgres, type TestPostgres } from '../src/testing'
import { type ConnectionParams, connectionParamsFromUrl } from '../src/url'
import { cleanup, tempDir } from './helpers'

const ADMIN_URL = process.env.TEST_DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/postgres'
const q = (sql: string): SqlQuery => ({ sql, args: [], argTypes: [] })

let server: TestPostgres
let main: ConnectionParams
beforeAll(async () => {
  server = await createTestPostgres()
  main = connectionParamsFromUrl(server.url)
})
afterAll(() => server?.drop())

async function databaseExists(name: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: ADMIN_URL })
  await client.connect()
  try {
    const { rows } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])
    return rows.length > 0
  } finally {
    await client.end()
  }
}

describe('the catalog type "char" (OID 18)', () => {
  const CHAR_QUERY = q('SELECT contype, \'x\'::"char" AS one FROM pg_constraint LIMIT 1')

  it('adapter-pg alone rejects it; the engine adapter reports it as a character column', async () => {
    // PostgreSQL 15 here and 18 in PGlite (where NOT NULL constraints are rows of pg_constraint).
    const embedded = await startEmbedded({ dir: null, maxConnections: 2 })
    cleanup(() => embedded.close())
    for (const connection of [main, embedded.connection]) {
      const plainPool = new pg.Pool({ ...connection, max: 1 })
      cleanup(() => plainPool.end())
      await plainPool.query('CREATE TABLE IF NOT EXISTS t (id int NOT NULL)')
      const plain = await new PrismaPg(plainPool).connect()
      await expect(plain.queryRaw(CHAR_QUERY)).rejects.toMatchObject({
        cause: { kind: 'UnsupportedNativeDataType' },
      })

      const factory = new EngineAdapterFactory(connection, pgliteShadows)
      cleanup(() => factory.close())
      const adapter = await factory.connect()
      const rs = await adapter.queryRaw(CHAR_QUERY)
      expect(rs.columnNames).toEqual(['contype', 'one'])
      expect(rs.columnTypes).toEqual([ColumnTypeEnum.Character, ColumnTypeEnum.Character])
      expect(rs.rows[0]?.[1]).toBe('x')
      // Inside transactions too.
      const tx = await adapter.startTransaction()
      expect((await tx.queryRaw(CHAR_QUERY)).columnTypes[0]).toBe(ColumnTypeEnum.Character)
      await tx.rollback()
    }
  })
})

describe('shadow databases', () => {
  it('PostgreSQL: a temporary database reached by separate parameters, dropped after its pool closed', async () => {
    // What the trap looks like: pg lets a connection string override `database`.
    const naive = new pg.Pool({ connectionString: server.url, database: 'somewhere_else', max: 1 })
    cleanup(() => naive.end())
    expect((await naive.query('SELECT current_database() AS db')).rows[0].db).toBe(server.name)

    const factory = new EngineAdapterFactory(main, postgresShadows(main))
    cleanup(() => factory.close())
    const shadow = await factory.connectToShadowDb()
    const name = (await shadow.queryRaw(q('SELECT current_database()'))).rows[0]?.[0] as string
    expect(name).toMatch(/^prisma_shadow_/)
    expect(name).not.toBe(server.name)
    await shadow.executeScript('CREATE TABLE only_in_shadow (id int)')
    const mainPool = new pg.Pool({ ...main, max: 1 })
    cleanup(() => mainPool.end())
    expect((await mainPool.query("SELECT to_regclass('only_in_shadow') AS t")).rows[0].t).toBeNull()

    expect(await databaseExists(name)).toBe(true)
    await shadow.dispose()
    expect(await databaseExists(name)).toBe(false)
  })

  it('PGlite: each shadow is its own in-memory instance behind its own socket', async () => {
    const factory = new EngineAdapterFactory(main, pgliteShadows)
    cleanup(() => factory.close())
    const a = await factory.connectToShadowDb()
    const b = await factory.connectToShadowDb()
    await a.executeScript('CREATE TABLE in_a (id int)')
    const seen = await b.queryRaw(q("SELECT to_regclass('in_a')::text"))
    expect(seen.rows[0]?.[0]).toBeNull()
    await a.dispose()
    await b.dispose()
  })
})

describe('scripts', () => {
  it('go to the server whole (one implicit transaction), not split at every semicolon', async () => {
    const factory = new EngineAdapterFactory(main, pgliteShadows)
    cleanup(() => factory.close())
    const adapter = await factory.connect()
    await adapter.executeScript(
      "CREATE TABLE s (v text); INSERT INTO s VALUES ('a;b'); -- trailing; comment",
    )
    expect((await adapter.queryRaw(q('SELECT v FROM s'))).rows).toEqual([['a;b']])
    await expect(adapter.executeScript('CREATE TABLE s2 (v text); SELECT 1/0;')).rejects.toThrow(
      /division by zero/,
    )
    expect((await adapter.queryRaw(q("SELECT to_regclass('s2')::text"))).rows[0]?.[0]).toBeNull()
  })

  it('go one statement at a time where the connection refuses several', async () => {
    const seen: string[] = []
    const refusing: SqlDriverAdapter = {
      provider: 'postgres',
      adapterName: 'test',
      async executeRaw(query) {
        if (query.sql.trim().includes('\n')) {
          throw new Error('cannot insert multiple commands into a prepared statement')
        }
        seen.push(query.sql)
        return 0
      },
      queryRaw: async () => ({ columnNames: [], columnTypes: [], rows: [] }),
      executeScript: async () => {},
      startTransaction: () => Promise.reject(new Error('unused')),
      dispose: async () => {},
    }
    const adapter = new EngineAdapter(refusing, async () => {})
    await adapter.executeScript("CREATE TABLE a (v text DEFAULT ';');\nCREATE INDEX i ON a (v);\n")
    expect(seen).toEqual(["CREATE TABLE a (v text DEFAULT ';')", 'CREATE INDEX i ON a (v)'])
  })
})

describe('engine construction', () => {
  it('datamodels must be undefined: [] panics inside async code and kills the process', async () => {
    const dir = await tempDir()
    const script = join(dir, 'empty-datamodels.mjs')
    const glue = import.meta.resolve('@prisma/schema-engine-wasm/schema_engine_bg')
    await writeFile(
      script,
      `import { readFileSync } from 'node:fs'
const glue = await import(${JSON.stringify(glue)})
globalThis.PRISMA_WASM_PANIC_REGISTRY = { set_message(m) { process.stderr.write('PANIC ' + m + '\\n') } }
const wasm = await WebAssembly.instantiate(readFileSync(new URL('./schema_engine_bg.wasm', ${JSON.stringify(glue)})), { './schema_engine_bg.js': glue })
glue.__wbg_set_wasm(wasm.instance.exports); wasm.instance.exports.__wbindgen_start()
const factory = { provider: 'postgres', adapterName: 'x', connect: async () => ({ provider: 'postgres', adapterName: 'x', queryRaw: async () => ({ columnNames: ['a', 'b', 'c'], columnTypes: [5, 7, 0], rows: [[true, 'PostgreSQL 15', 150000]] }), executeRaw: async () => 0, executeScript: async () => {}, startTransaction: async () => { throw new Error('x') }, getConnectionInfo: () => ({ supportsRelationJoins: true }), dispose: async () => {} }), connectToShadowDb: async () => { throw new Error('x') } }
const { bindMigrationAwareSqlAdapterFactory } = await import(${JSON.stringify(import.meta.resolve('@prisma/driver-adapter-utils'))})
await glue.SchemaEngine.new({ datamodels: process.argv[2] === 'empty' ? [] : undefined }, () => {}, bindMigrationAwareSqlAdapterFactory(factory))
process.stdout.write('constructed\\n')
`,
    )
    const empty = spawnSync(process.execPath, [script, 'empty'], { encoding: 'utf8' })
    expect(empty.status).not.toBe(0)
    expect(empty.stderr).toMatch(/PANIC [\s\S]*at least one file/)
    expect(empty.stdout).not.toContain('constructed')
    const undef = spawnSync(process.execPath, [script, 'undefined'], { encoding: 'utf8' })
    expect(undef.stderr).toBe('')
    expect(undef.stdout).toContain('constructed')
  })
})

describe('the panic registry', () => {
  async function panicOnce(): Promise<unknown> {
    const factory = new EngineAdapterFactory(main, pgliteShadows)
    cleanup(() => factory.close())
    const engine = await createSchemaEngine(bindMigrationAwareSqlAdapterFactory(factory))
    return engineCall(() => engine.debugPanic()).catch((e: unknown) => e)
  }

  async function engineStillWorks(): Promise<void> {
    const factory = new EngineAdapterFactory(main, pgliteShadows)
    cleanup(() => factory.close())
    const engine = await createSchemaEngine(bindMigrationAwareSqlAdapterFactory(factory))
    expect(await engineCall(() => engine.version())).toMatch(/PostgreSQL/)
    engine.free()
  }

  it('is installed when missing, turns a panic into an error with its message, and a fresh instance follows', async () => {
    delete globalThis.PRISMA_WASM_PANIC_REGISTRY
    const error = await panicOnce()
    expect(error).toBeInstanceOf(SchemaEnginePanicError)
    expect((error as Error).message).toMatch(/debugPanic artificial panic/)
    await engineStillWorks()
  })

  it('wraps, and keeps working next to, the registry the Prisma client runtime installs', async () => {
    // Loading the generated client makes its runtime replace the registry with
    // its own, which throws the client's panic error.
    await import('../src/generated/prisma/client')
    const runtimeRegistry = globalThis.PRISMA_WASM_PANIC_REGISTRY
    expect(() => runtimeRegistry?.set_message('direct')).toThrow(/direct/)

    const error = await panicOnce()
    expect(error).toBeInstanceOf(SchemaEnginePanicError)
    expect((error as Error).message).toMatch(/debugPanic artificial panic/)
    // Still the runtime's object, still throwing for the client's own panics.
    expect(globalThis.PRISMA_WASM_PANIC_REGISTRY).toBe(runtimeRegistry)
    ensurePanicRegistry()
    expect(() => globalThis.PRISMA_WASM_PANIC_REGISTRY?.set_message('boom')).toThrow(/boom/)
    await engineStillWorks()
  })
})
