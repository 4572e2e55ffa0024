// The offline migrator: what `prisma migrate deploy / status / dev
// --create-only / diff` do, on Prisma's schema engine compiled to WASM,
// talking to PostgreSQL or PGlite through adapter-pg. It writes the standard
// _prisma_migrations table and standard migration folders, so the ordinary
// Prisma CLI recognises both.
import { join } from 'node:path'
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils'
import type { MigrationList, SchemaFilter } from '@prisma/schema-engine-wasm/schema_engine_bg'
import pg from 'pg'
import { z } from 'zod'
import type { Database } from '../database'
import { type DatabaseLogger, silentLogger } from '../logger'
import { startEmbedded } from '../pglite'
import { clientConfig, quoteIdent } from '../temp-database'
import { type ConnectionParams, connectionParamsFromUrl, parseDatabaseUrl } from '../url'
import {
  EngineAdapterFactory,
  pgliteShadows,
  postgresShadows,
  type ShadowProvider,
} from './adapter'
import { createSchemaEngine, engineCall, type SchemaEngine, SchemaEnginePanicError } from './engine'
import {
  defaultMigrationsDir,
  defaultSchemaPath,
  LOCKFILE,
  readMigrations,
  readSchemaFiles,
  slugifyMigrationName,
  writeMigration,
} from './files'

export { SchemaEnginePanicError } from './engine'
export { defaultMigrationsDir } from './files'
export { splitSqlStatements } from './sql'

/** A database to migrate: an open Database, or a DATABASE_URL. */
export type MigrationTarget = Database | string

export interface MigrateOptions {
  /** Default: prisma/migrations at the workspace root. */
  migrationsDir?: string
  logger?: DatabaseLogger
  /**
   * applyMigrations: how long to wait while another process holds the
   * migration lock (it is migrating the same database). Default 5 minutes.
   */
  lockTimeoutMs?: number
}

/** A migration problem to show to a person: the engine's message without its Rust trace. */
export class MigrationError extends Error {
  constructor(
    message: string,
    /** Prisma's error code (P3018, …) when the engine gave one. */
    readonly code?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.name = 'MigrationError'
  }
}

const NO_FILTER: SchemaFilter = { externalTables: [], externalEnums: [] }

interface ResolvedTarget {
  connection: ConnectionParams
  release(): Promise<void>
}

async function resolveTarget(target: MigrationTarget): Promise<ResolvedTarget> {
  if (typeof target !== 'string') {
    return { connection: target.connection, release: async () => {} }
  }
  const location = parseDatabaseUrl(target)
  if (location.kind === 'postgres') {
    return { connection: connectionParamsFromUrl(location.url), release: async () => {} }
  }
  const server = await startEmbedded({ dir: location.dir, maxConnections: 4 })
  return { connection: server.connection, release: () => server.close() }
}

function targetKey(c: ConnectionParams): string {
  return `${c.host}:${c.port}/${c.database}`
}

/** What every entry point starts from: its logger and the migrations folder. */
async function preamble(options: { migrationsDir?: string | undefined; logger?: DatabaseLogger }) {
  return {
    logger: options.logger ?? silentLogger,
    list: await readMigrations(options.migrationsDir ?? defaultMigrationsDir()),
  }
}

/**
 * Runs `fn` on the target's connection (an embedded database is opened for
 * it and closed after); `exclusive` for what writes, serialised per database.
 */
async function onTarget<T>(
  target: MigrationTarget,
  fn: (connection: ConnectionParams) => Promise<T>,
  { exclusive: alone = false } = {},
): Promise<T> {
  const resolved = await resolveTarget(target)
  try {
    const { connection } = resolved
    return await (alone ? exclusive(targetKey(connection), () => fn(connection)) : fn(connection))
  } finally {
    await resolved.release()
  }
}

// Engines in one process, one database: serialised here. Across processes
// the engine's pg_advisory_lock does it, but every PGlite connection shares
// one session, where that lock is re-entrant and excludes nobody.
const queues = new Map<string, Promise<unknown>>()

async function exclusive<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const previous = queues.get(key) ?? Promise.resolve()
  const run = previous.catch(() => {}).then(fn)
  const tail = run.catch(() => {})
  queues.set(key, tail)
  try {
    return await run
  } finally {
    if (queues.get(key) === tail) queues.delete(key)
  }
}

const noShadow: ShadowProvider = () => {
  throw new Error('This operation does not use a shadow database')
}

/** "message\n   0: schema_engine_wasm::…" → message; keeps Prisma's error code. */
function toMigrationError(error: unknown): unknown {
  if (error instanceof SchemaEnginePanicError || error instanceof MigrationError) return error
  if (!(error instanceof Error)) {
    const text = typeof error === 'string' ? error : JSON.stringify(error)
    return new MigrationError(text, undefined, { cause: error })
  }
  const trace = error.message.search(/\n\s+0: /)
  const message = (trace === -1 ? error.message : error.message.slice(0, trace)).trim()
  const code = (error as { code?: unknown }).code
  return new MigrationError(message, typeof code === 'string' ? code : undefined, {
    cause: error,
  })
}

// One line of the engine's tracing output (JSON from inside the WASM).
const EngineLogLine = z.object({
  level: z.string().optional(),
  fields: z.record(z.string(), z.unknown()).optional(),
})

function engineLogger(
  logger: DatabaseLogger,
  onMessage?: (message: string) => void,
): (line: string) => void {
  return (line) => {
    let entry: z.infer<typeof EngineLogLine>
    try {
      entry = EngineLogLine.parse(JSON.parse(line))
    } catch {
      logger.debug({}, line)
      return
    }
    const { message, script: _script, ...fields } = entry.fields ?? {}
    const text = typeof message === 'string' ? message : 'schema engine'
    onMessage?.(text)
    if (entry.level === 'ERROR' || entry.level === 'WARN') logger.warn(fields, text)
    else logger.debug(fields, text)
  }
}

async function withEngine<T>(
  main: ConnectionParams,
  shadows: ShadowProvider,
  logger: DatabaseLogger,
  fn: (engine: SchemaEngine) => Promise<T>,
  onMessage?: (message: string) => void,
): Promise<T> {
  const factory = new EngineAdapterFactory(main, shadows)
  let engine: SchemaEngine | undefined
  let panicked = false
  try {
    engine = await createSchemaEngine(
      bindMigrationAwareSqlAdapterFactory(factory),
      engineLogger(logger, onMessage),
    )
    return await fn(engine)
  } catch (error) {
    panicked = error instanceof SchemaEnginePanicError
    throw toMigrationError(error)
  } finally {
    // A panicked instance must not be touched again, not even to free it.
    if (engine && !panicked) engine.free()
    // Ending the engine's connection also releases its advisory lock.
    await factory.close()
  }
}

/**
 * What `prisma migrate deploy` does: applies the migrations not yet applied,
 * in order, and returns their names. Safe to run from several processes at
 * once on one PostgreSQL database (the engine holds an advisory lock).
 */
export async function applyMigrations(
  target: MigrationTarget,
  options: MigrateOptions = {},
): Promise<string[]> {
  const { logger, list } = await preamble(options)
  if (list.migrationDirectories.length === 0) {
    logger.warn({ dir: list.baseDir }, 'no migrations found')
    return []
  }
  return onTarget(target, (connection) => applyList(connection, list, logger, options))
}

/** applyMigrations on an open connection: each attempt alone, waiting out another migrator. */
async function applyList(
  connection: ConnectionParams,
  list: MigrationList,
  logger: DatabaseLogger,
  options: MigrateOptions,
): Promise<string[]> {
  let current: string | undefined
  const apply = (): Promise<string[]> =>
    exclusive(targetKey(connection), () =>
      withEngine(
        connection,
        noShadow,
        logger,
        async (engine) => {
          current = undefined
          try {
            const out = await engineCall(() =>
              engine.applyMigrations({ migrationsList: list, filters: NO_FILTER }),
            )
            return out.appliedMigrationNames
          } catch (error) {
            // The WASM engine's error names the database error but not the
            // migration; its log said which one it was applying.
            if (current === undefined || error instanceof SchemaEnginePanicError) throw error
            const reason = (toMigrationError(error) as Error).message.replace(
              /^external connector error\s*/,
              '',
            )
            throw new MigrationError(
              `Migration ${current} failed to apply: ${reason}\n` +
                'Fix the migration or the database, then record the outcome with ' +
                `\`pnpm --filter @wxapp/db db resolve --rolled-back ${current}\` (or --applied) ` +
                'and migrate again.',
              'P3018',
            )
          }
        },
        (message) => {
          const applying = /^Applying `(.+)`$/.exec(message)
          if (applying) current = applying[1]
        },
      ),
    )
  const deadline = Date.now() + (options.lockTimeoutMs ?? 300_000)
  for (;;) {
    try {
      return await apply()
    } catch (error) {
      // The engine gives up on pg_advisory_lock after 10 s; a server that
      // starts while another one runs a long migration keeps waiting.
      const waiting = error instanceof MigrationError && /advisory lock/i.test(error.message)
      if (!waiting || Date.now() >= deadline) throw error
      logger.warn({}, 'another process is migrating this database; waiting for it to finish')
    }
  }
}

export interface MigrationStatus {
  /** Applied and not rolled back, in the order they were applied. */
  applied: string[]
  /** In the migrations folder, not applied yet. */
  pending: string[]
  /** Started but not finished (a failed migration blocks further deploys until resolved). */
  failed: string[]
  /** Applied, but their migration.sql changed since. */
  edited: string[]
  /** Applied to the database but absent from the migrations folder. */
  unknown: string[]
  hasUnknownMigrations: boolean
  /** False on a database never migrated. */
  hasMigrationsTable: boolean
  /** Nothing pending, failed or unknown. */
  upToDate: boolean
}

async function readAppliedNames(connection: ConnectionParams): Promise<string[]> {
  const client = new pg.Client(clientConfig(connection))
  client.on('error', () => {})
  await client.connect()
  try {
    const table = `${quoteIdent(connection.schema ?? 'public')}._prisma_migrations`
    const exists = await client.query<{ found: boolean }>(
      'SELECT to_regclass($1) IS NOT NULL AS found',
      [table],
    )
    if (!exists.rows[0]?.found) return []
    const rows = await client.query<{ migration_name: string }>(
      `SELECT migration_name FROM ${table}
        WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL
        ORDER BY started_at, migration_name`,
    )
    return [...new Set(rows.rows.map((r) => r.migration_name))]
  } finally {
    await client.end().catch(() => {})
  }
}

/** The migrations a folder holds, by name in order; none when it is empty or missing. */
export async function listMigrations(migrationsDir?: string): Promise<string[]> {
  const list = await readMigrations(migrationsDir ?? defaultMigrationsDir())
  return list.migrationDirectories.map((d) => d.path)
}

/**
 * The folder's migrations the database has not applied (none finished and
 * not rolled back), in order. One query and no schema engine: what a server
 * checks at start when it does not migrate (MIGRATE_ON_START=false).
 */
export async function unappliedMigrations(
  target: MigrationTarget,
  options: Pick<MigrateOptions, 'migrationsDir'> = {},
): Promise<string[]> {
  const known = await listMigrations(options.migrationsDir)
  return onTarget(target, async (connection) => {
    const applied = new Set(await readAppliedNames(connection))
    return known.filter((name) => !applied.has(name))
  })
}

/** What `prisma migrate status` reports. */
export async function migrationStatus(
  target: MigrationTarget,
  options: MigrateOptions = {},
): Promise<MigrationStatus> {
  const { logger, list } = await preamble(options)
  return onTarget(target, async (connection) => {
    const diagnosis = await withEngine(connection, noShadow, logger, (engine) =>
      engineCall(() =>
        engine.diagnoseMigrationHistory({
          migrationsList: list,
          optInToShadowDatabase: false,
          filters: NO_FILTER,
        }),
      ),
    )
    const applied = await readAppliedNames(connection)
    const history = diagnosis.history
    const local = list.migrationDirectories.map((d) => d.path)
    let pending: string[] = []
    let unknown: string[] = []
    if (!diagnosis.hasMigrationsTable) pending = local
    else if (history?.diagnostic === 'databaseIsBehind') pending = history.unappliedMigrationNames
    else if (history?.diagnostic === 'migrationsDirectoryIsBehind')
      unknown = history.unpersistedMigrationNames
    else if (history?.diagnostic === 'historiesDiverge') {
      pending = history.unappliedMigrationNames
      unknown = history.unpersistedMigrationNames
    }
    const failed = diagnosis.failedMigrationNames
    // A failed migration is also "not applied"; list it once, as failed.
    pending = pending.filter((name) => !failed.includes(name))
    return {
      applied,
      pending,
      failed,
      edited: diagnosis.editedMigrationNames,
      unknown,
      hasUnknownMigrations: unknown.length > 0,
      hasMigrationsTable: diagnosis.hasMigrationsTable,
      upToDate: pending.length === 0 && failed.length === 0 && unknown.length === 0,
    }
  })
}

/**
 * Where scratch and shadow databases are made: `pglite:memory:` (default:
 * in-memory PGlite instances) or a postgresql:// URL whose server gets
 * temporary databases (created and dropped; needs CREATEDB).
 */
export type ShadowLocation = string

function shadowProvider(shadow: ShadowLocation = 'pglite:memory:'): ShadowProvider {
  const location = parseDatabaseUrl(shadow)
  if (location.kind === 'postgres') return postgresShadows(connectionParamsFromUrl(location.url))
  if (location.dir !== null) {
    throw new MigrationError('A shadow database must be pglite:memory: or a postgresql:// URL')
  }
  return pgliteShadows
}

/**
 * Runs `fn` with an engine whose main connection is a scratch database: the
 * diffing commands need a live connection but must not depend on (or touch)
 * anybody's real database.
 */
async function withScratchEngine<T>(
  shadow: ShadowLocation | undefined,
  logger: DatabaseLogger,
  fn: (engine: SchemaEngine) => Promise<T>,
): Promise<T> {
  const shadows = shadowProvider(shadow)
  const scratch = await shadows()
  try {
    return await withEngine(scratch.connection, shadows, logger, fn)
  } finally {
    await scratch.drop()
  }
}

export interface CreateMigrationOptions {
  /** Becomes the folder suffix, slugified as the Prisma CLI does ("Add sessions" → add_sessions). */
  name: string
  /** Schema file or folder; default prisma/schema.prisma at the workspace root. */
  schema?: string
  migrationsDir?: string
  /** Where the shadow database lives; default pglite:memory:. */
  shadow?: ShadowLocation
  logger?: DatabaseLogger
}

export type CreateMigrationResult =
  | { created: true; name: string; path: string; sql: string }
  | { created: false; message: string }

/**
 * What `prisma migrate dev --create-only` does: replays the migrations on a
 * shadow database, diffs the result against the schema and writes the
 * difference to <migrations>/<yyyyMMddHHmmss>_<name>/migration.sql (plus
 * migration_lock.toml). No database of the user's is touched.
 */
export async function createMigration(
  options: CreateMigrationOptions,
): Promise<CreateMigrationResult> {
  const name = slugifyMigrationName(options.name)
  if (name === '') {
    throw new MigrationError('A migration name needs at least one letter or digit')
  }
  const { logger, list } = await preamble(options)
  const files = await readSchemaFiles(options.schema ?? defaultSchemaPath())
  return withScratchEngine(options.shadow, logger, async (engine) => {
    // The WASM engine cannot open a shadow database inside createMigration:
    // it reuses the schema devDiagnostic computed on one, which it caches
    // under the list of migrations applied to the main database. So the
    // scratch main database gets every migration first, making that list the
    // whole folder, which is the key createMigration looks up.
    if (list.migrationDirectories.length > 0) {
      await engineCall(() => engine.applyMigrations({ migrationsList: list, filters: NO_FILTER }))
    }
    const diagnostic = await engineCall(() =>
      engine.devDiagnostic({ migrationsList: list, filters: NO_FILTER }),
    )
    if (diagnostic.action.tag === 'reset') {
      throw new MigrationError(diagnostic.action.reason)
    }
    const out = await engineCall(() =>
      engine.createMigration({
        draft: false,
        migrationName: name,
        migrationsList: list,
        schema: { files },
        filters: NO_FILTER,
      }),
    )
    if (out.migrationScript === null) {
      return {
        created: false as const,
        message: 'No changes: the migrations already produce the schema. Nothing was written.',
      }
    }
    const path = await writeMigration(
      list.baseDir,
      out.generatedMigrationName,
      out.migrationScript,
      out.connectorType,
    )
    logger.info({ name: out.generatedMigrationName, path }, 'created migration')
    return {
      created: true as const,
      name: out.generatedMigrationName,
      path,
      sql: out.migrationScript,
    }
  })
}

export interface CheckDriftOptions {
  schema?: string
  migrationsDir?: string
  shadow?: ShadowLocation
  logger?: DatabaseLogger
}

export type DriftResult = { drift: false } | { drift: true; sql: string }

/**
 * Whether the schema changed without a migration: replays the migrations on
 * a shadow database and diffs against the schema. On drift, `sql` is what a
 * new migration would have to contain.
 */
export async function checkDrift(options: CheckDriftOptions = {}): Promise<DriftResult> {
  const { logger, list } = await preamble(options)
  const files = await readSchemaFiles(options.schema ?? defaultSchemaPath())
  if (list.migrationDirectories.length > 0 && list.lockfile.content === null) {
    throw new MigrationError(
      `${join(list.baseDir, LOCKFILE)} is missing: it names the database provider of the migrations`,
    )
  }
  return withScratchEngine(options.shadow, logger, async (engine) => {
    // Only diff renders from a folder of migrations directly (replayed on a
    // shadow database); an empty history is the empty schema.
    const out = await engineCall(() =>
      engine.diff({
        from:
          list.migrationDirectories.length > 0 ? { tag: 'migrations', ...list } : { tag: 'empty' },
        to: { tag: 'schemaDatamodel', files },
        script: true,
        exitCode: true,
        filters: NO_FILTER,
      }),
    )
    // With exitCode set the engine answers 2 when there is a difference.
    if (out.exitCode === 2) return { drift: true as const, sql: out.stdout ?? '' }
    return { drift: false as const }
  })
}

/**
 * What `prisma migrate resolve` does: records a failed migration as rolled
 * back (so it is applied again by the next deploy) or as applied (when it was
 * finished by hand).
 */
export async function resolveMigration(
  target: MigrationTarget,
  resolution: { rolledBack: string } | { applied: string },
  options: MigrateOptions = {},
): Promise<void> {
  const { logger, list } = await preamble(options)
  await onTarget(
    target,
    (connection) =>
      withEngine(connection, noShadow, logger, async (engine) => {
        if ('rolledBack' in resolution) {
          await engineCall(() =>
            engine.markMigrationRolledBack({ migrationName: resolution.rolledBack }),
          )
        } else {
          await engineCall(() =>
            engine.markMigrationApplied({
              migrationName: resolution.applied,
              migrationsList: list,
            }),
          )
        }
      }),
    { exclusive: true },
  )
}

/**
 * Drops everything in the database (what `prisma migrate reset` does before
 * re-applying). For tests and development only.
 */
export async function resetDatabase(
  target: MigrationTarget,
  options: Pick<MigrateOptions, 'logger'> = {},
): Promise<void> {
  const logger = options.logger ?? silentLogger
  await onTarget(
    target,
    (connection) =>
      withEngine(connection, noShadow, logger, (engine) =>
        engineCall(() => engine.reset({ filter: NO_FILTER })),
      ),
    { exclusive: true },
  )
}
