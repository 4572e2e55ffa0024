// The driver adapter factory the schema engine runs on: adapter-pg, plus the
// fixes the engine needs that adapter-pg does not provide (each one has a
// test in test/traps.test.ts).
import { PrismaPg } from '@prisma/adapter-pg'
import {
  ColumnTypeEnum,
  type ConnectionInfo,
  type IsolationLevel,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
  type SqlQuery,
  type SqlResultSet,
  type Transaction,
} from '@prisma/driver-adapter-utils'
import pg from 'pg'
import { startEmbedded } from '../pglite'
import { clientConfig, createTemporaryDatabase } from '../temp-database'
import type { ConnectionParams } from '../url'
import { splitSqlStatements } from './sql'

/** A database the engine may fill and throw away. */
export interface ShadowDatabase {
  connection: ConnectionParams
  drop(): Promise<void>
}

export type ShadowProvider = () => Promise<ShadowDatabase>

/** Shadow (and scratch) databases as in-memory PGlite instances, each behind its own socket. */
export const pgliteShadows: ShadowProvider = async () => {
  // One PGlite instance is one database, so each shadow is its own instance.
  const server = await startEmbedded({ dir: null, maxConnections: 4 })
  return { connection: server.connection, drop: () => server.close() }
}

/** Shadow (and scratch) databases created on a PostgreSQL server and dropped after use. */
export function postgresShadows(admin: ConnectionParams): ShadowProvider {
  return () => createTemporaryDatabase(admin, 'prisma_shadow')
}

const CHAR_OID = 18
const TEXT_OID = 25
// Appended to the name of a "char" column between pg and adapter-pg, and
// removed again above adapter-pg; a NUL never occurs in a real column name.
const CHAR_MARK = '\u0000"char"'

interface FieldLike {
  name: string
  dataTypeID: number
}

function markCharColumns(result: unknown): void {
  for (const r of Array.isArray(result) ? result : [result]) {
    const fields = (r as { fields?: FieldLike[] } | undefined)?.fields
    if (!Array.isArray(fields)) continue
    for (const field of fields) {
      if (field.dataTypeID === CHAR_OID) {
        field.dataTypeID = TEXT_OID
        field.name += CHAR_MARK
      }
    }
  }
}

function unmarkCharColumns(rs: SqlResultSet): SqlResultSet {
  if (!rs.columnNames.some((name) => name.endsWith(CHAR_MARK))) return rs
  const columnTypes = [...rs.columnTypes]
  const columnNames = rs.columnNames.map((name, i) => {
    if (!name.endsWith(CHAR_MARK)) return name
    columnTypes[i] = ColumnTypeEnum.Character
    return name.slice(0, -CHAR_MARK.length)
  })
  return { ...rs, columnNames, columnTypes }
}

type QueryFn = (...args: unknown[]) => unknown

/**
 * adapter-pg rejects any result with a column of the catalog type "char"
 * (OID 18), and the engine reads such columns (pg_constraint.contype, where
 * PostgreSQL 18 also lists NOT NULL constraints). They are tagged here and
 * reported as Character, which is how the engine decodes them.
 */
function tagCharColumns(client: pg.PoolClient): void {
  const original = client.query.bind(client) as QueryFn
  const query: QueryFn = (...args) => {
    const last = args.at(-1)
    if (typeof last === 'function') {
      args[args.length - 1] = (error: unknown, result: unknown) => {
        if (!error) markCharColumns(result)
        ;(last as (e: unknown, r: unknown) => void)(error, result)
      }
      return original(...args)
    }
    const out = original(...args)
    if (out instanceof Promise) {
      return out.then((result: unknown) => {
        markCharColumns(result)
        return result
      })
    }
    return out
  }
  Object.assign(client, { query })
}

/**
 * One connection per engine: the engine takes `pg_advisory_lock` on it before
 * applying migrations and never unlocks, relying on the session ending. With
 * more connections its statements could run outside the locked session, and
 * an app pool would keep the lock forever.
 */
function createEnginePool(params: ConnectionParams): { pool: pg.Pool; end(): Promise<void> } {
  const pool = new pg.Pool({
    ...clientConfig(params),
    max: 1,
    application_name: 'wxapp-db-migrate',
  })
  const busy = new Set<pg.PoolClient>()
  pool.on('connect', tagCharColumns)
  pool.on('acquire', (client) => busy.add(client))
  pool.on('release', (_error, client) => busy.delete(client))
  pool.on('remove', (client) => busy.delete(client))
  // Idle-connection errors surface on the next query; without a listener they crash the process.
  pool.on('error', () => {})
  return {
    pool,
    // pool.end() waits for checked-out connections, and one can be stuck in
    // a query the engine gave up on (waiting for pg_advisory_lock after the
    // engine's timeout). Closing the sockets ends the session, and with it
    // any lock it holds or waits for.
    async end() {
      for (const client of busy) {
        ;(
          client as unknown as { connection?: { stream?: { destroy(): void } } }
        ).connection?.stream?.destroy()
      }
      await pool.end()
    },
  }
}

function refusesSeveralStatements(error: unknown): boolean {
  const text = `${(error as Error)?.message ?? ''} ${JSON.stringify((error as { cause?: unknown })?.cause ?? '')}`
  return /cannot insert multiple commands into a prepared statement/i.test(text)
}

/** adapter-pg's adapter with the engine-facing fixes. */
export class EngineAdapter implements SqlDriverAdapter {
  readonly provider = 'postgres' as const
  readonly adapterName: string

  constructor(
    private readonly inner: SqlDriverAdapter,
    private readonly release: () => Promise<void>,
  ) {
    this.adapterName = inner.adapterName
  }

  async queryRaw(query: SqlQuery): Promise<SqlResultSet> {
    return unmarkCharColumns(await this.inner.queryRaw(query))
  }

  executeRaw(query: SqlQuery): Promise<number> {
    return this.inner.executeRaw(query)
  }

  /**
   * adapter-pg splits scripts at every ";" (even in strings and function
   * bodies) and runs the pieces one by one, leaving a failed migration
   * half-applied. Like Prisma's native engine, this sends the script whole:
   * one implicit transaction. Only a connection that refuses several
   * statements gets them one at a time, split properly.
   */
  async executeScript(script: string): Promise<void> {
    try {
      await this.inner.executeRaw({ sql: script, args: [], argTypes: [] })
    } catch (error) {
      if (!refusesSeveralStatements(error)) throw error
      for (const statement of splitSqlStatements(script)) {
        await this.inner.executeRaw({ sql: statement, args: [], argTypes: [] })
      }
    }
  }

  async startTransaction(isolationLevel?: IsolationLevel): Promise<Transaction> {
    const tx = await this.inner.startTransaction(isolationLevel)
    // Same "char" handling inside transactions.
    const queryRaw = tx.queryRaw.bind(tx)
    return Object.assign(tx, {
      queryRaw: async (q: SqlQuery) => unmarkCharColumns(await queryRaw(q)),
    })
  }

  getConnectionInfo(): ConnectionInfo {
    return this.inner.getConnectionInfo?.() ?? { supportsRelationJoins: true }
  }

  dispose(): Promise<void> {
    return this.release()
  }
}

/**
 * The factory handed to the engine. It remembers every pool and shadow
 * database it opened so `close()` can release them all (the engine does not
 * always dispose what it connected), pools first, shadows after.
 */
export class EngineAdapterFactory implements SqlMigrationAwareDriverAdapterFactory {
  readonly provider = 'postgres' as const
  readonly adapterName = '@prisma/adapter-pg'
  readonly #open = new Set<() => Promise<void>>()

  constructor(
    private readonly main: ConnectionParams,
    private readonly shadows: ShadowProvider,
  ) {}

  connect(): Promise<EngineAdapter> {
    return this.#adapter(this.main)
  }

  async connectToShadowDb(): Promise<EngineAdapter> {
    const shadow = await this.shadows()
    try {
      return await this.#adapter(shadow.connection, () => shadow.drop())
    } catch (error) {
      await shadow.drop().catch(() => {})
      throw error
    }
  }

  async #adapter(params: ConnectionParams, after?: () => Promise<void>): Promise<EngineAdapter> {
    const { pool, end } = createEnginePool(params)
    let released: Promise<void> | undefined
    const release = (): Promise<void> => {
      released ??= (async () => {
        this.#open.delete(release)
        try {
          await end()
        } finally {
          // A shadow database can only be dropped once its pool is closed.
          await after?.()
        }
      })()
      return released
    }
    this.#open.add(release)
    try {
      const inner = await new PrismaPg(pool, { schema: params.schema }).connect()
      return new EngineAdapter(inner, release)
    } catch (error) {
      await release().catch(() => {})
      throw error
    }
  }

  /** Releases whatever is still open. */
  async close(): Promise<void> {
    let first: unknown
    for (const release of [...this.#open].reverse()) {
      await release().catch((error: unknown) => {
        first ??= error
      })
    }
    if (first !== undefined) throw first
  }
}
