/**
 * Whether an error means the database is unreachable or dropped the
 * connection (down, restarting, out of connections), not a bug or a refused
 * statement: callers answer those with 503 "try again later". Walks the
 * `cause` chain, since Prisma, its driver adapter and `pg` each wrap errors.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>()
  const pending = [error]
  while (pending.length > 0) {
    const e = pending.pop()
    if (!e || typeof e !== 'object' || seen.has(e)) continue
    seen.add(e)
    const { code, kind, name, message, cause, meta } = e as {
      code?: unknown
      kind?: unknown
      name?: unknown
      message?: unknown
      cause?: unknown
      meta?: { driverAdapterError?: unknown }
    }
    if (typeof kind === 'string') {
      if (UNAVAILABLE_KINDS.has(kind)) return true
      if (kind === 'postgres' && typeof code === 'string' && isUnavailableSqlState(code))
        return true
    }
    if (typeof code === 'string') {
      if (PRISMA_CODES.has(code) || NODE_CODES.has(code) || isUnavailableSqlState(code)) return true
    }
    if (name === 'DatabaseClosedError' || name === 'DatabaseTimeoutError') return true
    // pg's own wording when the server closes the connection under a query,
    // and when a query meets a client whose connection already failed.
    if (typeof message === 'string' && PG_CONNECTION_LOST.test(message)) return true
    // Prisma keeps the driver's error in meta (a P2039 "Database error"), not in cause.
    pending.push(cause, meta?.driverAdapterError)
  }
  return false
}

const PG_CONNECTION_LOST =
  /^(Connection terminated\b|Client has encountered a connection error and is not queryable)/

// Driver adapter error kinds (@prisma/driver-adapter-utils).
const UNAVAILABLE_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
])
// P1001 can't reach, P1002 timed out, P1008 operation timed out, P1017
// connection closed, P2024 timed out waiting for a pool connection.
const PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024'])
const NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH'])

/** Class 08 (connection exception), 53300 too many connections, 57P01-57P03 shutting down / cannot connect now. */
function isUnavailableSqlState(code: string): boolean {
  return /^08[0-9A-Z]{3}$/.test(code) || code === '53300' || /^57P0[123]$/.test(code)
}
