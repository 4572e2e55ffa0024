import { randomBytes } from 'node:crypto'
import pg from 'pg'
import type { ConnectionParams } from './url'

export interface TemporaryDatabase {
  name: string
  connection: ConnectionParams
  /**
   * Drops the database. Close every pool on it first: a plain DROP waits 5 s
   * for other sessions and then fails; `force` ends them (PostgreSQL 13+).
   */
  drop(): Promise<void>
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}

export function clientConfig(params: ConnectionParams): pg.ClientConfig {
  return {
    host: params.host,
    port: params.port,
    user: params.user,
    password: params.password,
    database: params.database,
    ssl: params.ssl,
    connectionTimeoutMillis: 10_000,
  }
}

async function withClient<T>(
  params: ConnectionParams,
  fn: (c: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client(clientConfig(params))
  // A connection error after connect() (server restart) must not crash the process.
  client.on('error', () => {})
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end().catch(() => {})
  }
}

/**
 * Creates a uniquely named database on the server `admin` connects to. The
 * returned connection names every parameter separately (never a connection
 * string, which would override the database name in pg).
 */
export async function createTemporaryDatabase(
  admin: ConnectionParams,
  prefix: string,
  { force = false }: { force?: boolean } = {},
): Promise<TemporaryDatabase> {
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(5).toString('hex')}`
  await withClient(admin, (c) => c.query(`CREATE DATABASE ${quoteIdent(name)}`))
  let dropped: Promise<void> | undefined
  return {
    name,
    connection: { ...admin, database: name },
    drop() {
      dropped ??= withClient(admin, async (c) => {
        const plain = `DROP DATABASE IF EXISTS ${quoteIdent(name)}`
        if (!force) {
          await c.query(plain)
          return
        }
        try {
          await c.query(`${plain} WITH (FORCE)`)
        } catch (error) {
          // 42601: PostgreSQL before 13 has no FORCE.
          if ((error as { code?: string }).code !== '42601') throw error
          await c.query(plain)
        }
      })
      return dropped
    },
  }
}
