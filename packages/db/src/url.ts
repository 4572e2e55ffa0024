import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'

/** Where the database named by DATABASE_URL lives. */
export type DatabaseLocation =
  | { kind: 'postgres'; url: string }
  /** `dir: null` is a throwaway in-memory database (`pglite:memory:`). */
  | { kind: 'pglite'; dir: string | null }

export type DatabaseKind = DatabaseLocation['kind']

const ACCEPTED =
  'postgresql://user:password@host:port/database (a PostgreSQL server), ' +
  'pglite:<directory> (the embedded database kept in that folder) or ' +
  'pglite:memory: (a throwaway embedded database)'

/** A DATABASE_URL that names no database we can open; the message never holds the URL. */
export class DatabaseUrlError extends Error {
  constructor(reason: string) {
    super(`DATABASE_URL ${reason}; expected ${ACCEPTED}`)
    this.name = 'DatabaseUrlError'
  }
}

/**
 * The directory a person ran the command in. pnpm (like npm) runs package
 * scripts inside the package but records the caller's directory in INIT_CWD;
 * a relative path typed on the command line means that one.
 */
export function invocationDir(): string {
  return process.env.INIT_CWD || process.cwd()
}

/**
 * Parses a DATABASE_URL. Relative `pglite:` directories are resolved against
 * `cwd` (default: where the command was run, see invocationDir).
 */
export function parseDatabaseUrl(raw: string, cwd: string = invocationDir()): DatabaseLocation {
  const value = raw.trim()
  if (value === '') throw new DatabaseUrlError('is empty')
  if (/^postgres(ql)?:\/\//i.test(value)) {
    let parsed: URL
    try {
      parsed = new URL(value)
    } catch {
      throw new DatabaseUrlError('is not a valid postgresql:// URL')
    }
    if (parsed.hostname === '' && !parsed.searchParams.has('host')) {
      throw new DatabaseUrlError('has no host')
    }
    return { kind: 'postgres', url: value }
  }
  if (value.toLowerCase().startsWith('pglite:')) {
    const rest = value.slice('pglite:'.length)
    if (rest === 'memory:') return { kind: 'pglite', dir: null }
    // `pglite://path` is a common slip for `pglite:path`; accept it as the same thing.
    const dir = rest.startsWith('//') ? rest.slice(2) : rest
    if (dir === '') throw new DatabaseUrlError('names no folder after pglite:')
    return { kind: 'pglite', dir: resolve(cwd, dir) }
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(value)?.[1]
  throw new DatabaseUrlError(
    scheme ? `uses the unsupported scheme "${scheme}:"` : 'is not a URL this server understands',
  )
}

/** The nearest ancestor of `from` holding pnpm-workspace.yaml, else `from` itself. */
export function findWorkspaceRoot(from: string = process.cwd()): string {
  let dir = resolve(from)
  for (;;) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir
    const parent = dirname(dir)
    if (parent === dir) return resolve(from)
    dir = parent
  }
}

/** `pglite:<workspace root>/data/pglite`: the zero-setup embedded database. */
export function defaultDatabaseUrl(cwd: string = invocationDir()): string {
  return `pglite:${join(findWorkspaceRoot(cwd), 'data', 'pglite')}`
}

/** The URL with any password replaced, safe for logs and error messages. */
export function redactDatabaseUrl(raw: string): string {
  const value = raw.trim()
  if (!/^postgres(ql)?:\/\//i.test(value)) return value
  try {
    const url = new URL(value)
    if (url.password !== '') url.password = '***'
    for (const key of [...url.searchParams.keys()]) {
      if (/pass|secret|key/i.test(key)) url.searchParams.set(key, '***')
    }
    return url.toString()
  } catch {
    // Unparseable: keep only the scheme, since a password may sit anywhere in it.
    return `${value.split(':')[0]}://***`
  }
}

/** The pg connection parameters a PostgreSQL URL stands for. */
export interface ConnectionParams {
  host: string
  port: number
  user: string
  password: string
  database: string
  /** TLS settings derived from sslmode; undefined for a plain connection. */
  ssl?: { rejectUnauthorized: boolean } | undefined
  /** The PostgreSQL schema Prisma uses (`?schema=`), default public. */
  schema?: string | undefined
}

/**
 * Splits a postgresql:// URL into separate parameters. Pools are always given
 * these rather than the connection string: in pg a connection string
 * overrides a `database` given next to it, which would point a "shadow" pool
 * at the main database.
 */
export function connectionParamsFromUrl(raw: string): ConnectionParams {
  let url: URL
  try {
    url = new URL(raw.trim())
  } catch {
    throw new DatabaseUrlError('is not a valid postgresql:// URL')
  }
  const q = url.searchParams
  const sslmode = q.get('sslmode')
  const ssl =
    sslmode === 'require' || sslmode === 'prefer' || sslmode === 'no-verify'
      ? { rejectUnauthorized: false }
      : sslmode === 'verify-ca' || sslmode === 'verify-full'
        ? { rejectUnauthorized: true }
        : undefined
  const port = Number(q.get('port') ?? (url.port || process.env.PGPORT || '5432'))
  const user =
    decodeURIComponent(url.username) ||
    q.get('user') ||
    process.env.PGUSER ||
    process.env.USER ||
    'postgres'
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new DatabaseUrlError('has an invalid port')
  }
  return {
    // `?host=/run/postgresql` names a Unix socket directory, as in libpq.
    host: q.get('host') ?? decodeURIComponent(url.hostname.replace(/^\[|\]$/g, '')),
    port,
    // Missing parts fall back as in libpq: PG* variables, then the OS user.
    user,
    password: decodeURIComponent(url.password) || q.get('password') || process.env.PGPASSWORD || '',
    database:
      decodeURIComponent(url.pathname.replace(/^\//, '')) ||
      q.get('dbname') ||
      process.env.PGDATABASE ||
      user,
    ssl,
    schema: q.get('schema') ?? undefined,
  }
}
