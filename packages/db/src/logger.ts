/**
 * The logging surface @wxapp/db uses: a subset of pino's, so the server
 * passes its logger as is. Messages are plain English; objects hold details.
 */
export interface DatabaseLogger {
  debug(details: object, message: string): void
  info(details: object, message: string): void
  warn(details: object, message: string): void
}

export const silentLogger: DatabaseLogger = {
  debug() {},
  info() {},
  warn() {},
}
