import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { PrismaPg } from '@prisma/adapter-pg'
import pg from 'pg'
import { z } from 'zod'
import { PrismaClient } from './generated/prisma/client'
import { type DatabaseLogger, silentLogger } from './logger'
import { startEmbedded } from './pglite'
import { clientConfig, quoteIdent } from './temp-database'
import {
  type ConnectionParams,
  connectionParamsFromUrl,
  type DatabaseKind,
  parseDatabaseUrl,
  redactDatabaseUrl,
} from './url'

export interface OpenDatabaseOptions {
  /** A DATABASE_URL: postgresql://…, pglite:<dir> or pglite:memory:. */
  url: string
  /** Connections in the app's pool (default 10). */
  poolSize?: number
  logger?: DatabaseLogger
}

export interface Database {
  readonly prisma: PrismaClient
  readonly kind: DatabaseKind
  /**
   * Where to connect to open more pools (for PGlite, its loopback socket).
   * Separate parameters, not a URL: see connectionParamsFromUrl.
   */
  readonly connection: ConnectionParams
  /**
   * One statement sent straight to the pool, past Prisma: only for the hot
   * paths where Prisma's own cost per operation was most of the request
   * (docs/performance.md, issue 13). Rows come back unchecked: parse them.
   */
  query(statement: PreparedStatement, values: readonly unknown[]): Promise<unknown[]>
  /** `SELECT 1`; rejects when the database does not answer within timeoutMs or is closed. */
  ping(timeoutMs?: number): Promise<void>
  /** Disconnects Prisma, ends the pool and, for PGlite, stops its socket and closes it cleanly. */
  close(): Promise<void>
}

/**
 * A statement of `Database.query`. On a PostgreSQL server it is prepared
 * under `name` once per connection (parsed and planned once, then only bound
 * and run); on PGlite it is sent unnamed, since every socket connection there
 * shares one backend, where a second connection's Parse of the same name
 * would fail.
 */
export interface PreparedStatement {
  readonly name: string
  readonly text: string
}

/**
 * Column types read as Prisma reads them: `timestamp` (without time zone,
 * Prisma's DateTime) as UTC; pg would read it in the process's time zone.
 */
const PRISMA_COMPATIBLE_TYPES = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === pg.types.builtins.TIMESTAMP && format !== 'binary') {
      return (value: string) => new Date(`${value.replace(' ', 'T')}Z`)
    }
    return pg.types.getTypeParser(oid, format)
  },
} as pg.CustomTypesConfig

export class DatabaseClosedError extends Error {
  constructor() {
    super('The database has been closed')
    this.name = 'DatabaseClosedError'
  }
}

export class DatabaseTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`The database did not answer within ${timeoutMs} ms`)
    this.name = 'DatabaseTimeoutError'
  }
}

const DEFAULT_POOL_SIZE = 10
// Socket slots beyond the app's pool: the migrator's connection and pools
// others open from `connection` (tests, scripts).
const EXTRA_SOCKET_CONNECTIONS = 8

const Options = z.object({
  url: z.string({ error: 'url must be a DATABASE_URL string' }),
  poolSize: z
    .number()
    .int('poolSize must be a whole number')
    .min(1, 'poolSize must be at least 1')
    .max(1000, 'poolSize must be at most 1000')
    .default(DEFAULT_POOL_SIZE),
})

export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  const parsed = Options.safeParse(options)
  if (!parsed.success) {
    throw new RangeError(`openDatabase: ${parsed.error.issues.map((i) => i.message).join('; ')}`)
  }
  const { url, poolSize } = parsed.data
  const logger = options.logger ?? silentLogger
  const location = parseDatabaseUrl(url)
  const started = performance.now()
  let connection: ConnectionParams
  let stopEmbedded: (() => Promise<void>) | undefined
  if (location.kind === 'pglite') {
    const fresh = location.dir === null || !existsSync(join(location.dir, 'PG_VERSION'))
    const server = await startEmbedded({
      dir: location.dir,
      maxConnections: poolSize + EXTRA_SOCKET_CONNECTIONS,
    })
    connection = server.connection
    stopEmbedded = () => server.close()
    logger.info(
      {
        dir: location.dir ?? ':memory:',
        created: fresh,
        port: connection.port,
        ms: Math.round(performance.now() - started),
      },
      fresh ? 'created embedded database (PGlite)' : 'opened embedded database (PGlite)',
    )
  } else {
    connection = connectionParamsFromUrl(location.url)
  }

  let pool: pg.Pool
  let prisma: PrismaClient
  try {
    pool = new pg.Pool({
      ...clientConfig(connection),
      max: poolSize,
      application_name: 'wxapp',
      // Prisma qualifies its own statements with the schema; raw ones
      // (`query`, `$queryRaw`) find their tables through the search path.
      // (A space in the startup options separates arguments: escaped.)
      ...(connection.schema
        ? { options: `-c search_path=${quoteIdent(connection.schema).replace(/[\\ ]/g, '\\$&')}` }
        : {}),
    })
    // Errors of idle connections (a server restart) would otherwise crash the
    // process; the next query reports the problem to its caller.
    pool.on('error', (error) => {
      logger.warn({ err: error }, 'database connection lost')
    })
    prisma = new PrismaClient({ adapter: new PrismaPg(pool, { schema: connection.schema }) })
  } catch (error) {
    await stopEmbedded?.()
    throw error
  }

  let closing: Promise<void> | undefined
  const close = (): Promise<void> => {
    closing ??= (async () => {
      let first: unknown
      const step = async (fn: () => Promise<void>): Promise<void> => {
        await fn().catch((error: unknown) => {
          first ??= error
        })
      }
      await step(() => prisma.$disconnect())
      await step(() => pool.end())
      if (stopEmbedded) await step(stopEmbedded)
      if (first !== undefined) throw first
    })()
    return closing
  }

  const named = location.kind === 'postgres'
  const query: Database['query'] = async (statement, values) => {
    if (closing) throw new DatabaseClosedError()
    const result = await pool.query({
      ...(named ? { name: statement.name } : {}),
      text: statement.text,
      values: [...values],
      types: PRISMA_COMPATIBLE_TYPES,
    })
    return result.rows
  }

  const ping = async (timeoutMs = 5000): Promise<void> => {
    if (closing) throw new DatabaseClosedError()
    let timer: NodeJS.Timeout | undefined
    const query = pool.query('SELECT 1')
    // The loser of the race must not become an unhandled rejection.
    query.catch(() => {})
    try {
      await Promise.race([
        query,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new DatabaseTimeoutError(timeoutMs)), timeoutMs)
        }),
      ])
    } finally {
      clearTimeout(timer)
    }
  }

  if (location.kind === 'postgres') {
    logger.debug({ url: redactDatabaseUrl(location.url), poolSize }, 'using PostgreSQL server')
  }
  return { prisma, kind: location.kind, connection, query, ping, close }
}
