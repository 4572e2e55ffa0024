import { type Logger, pino } from 'pino'

/**
 * Paths that may hold secrets. Request and response headers are not logged
 * at all (see the serializers); these catch secrets passed as log fields.
 */
const REDACT_PATHS = [
  'authorization',
  'token',
  'sessionKey',
  'session_key',
  'secret',
  'password',
  '*.authorization',
  '*.token',
  '*.sessionKey',
  '*.session_key',
  '*.secret',
  '*.password',
]

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'wxapp-server' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: {
        // Method, path and peer only: query strings and headers can carry
        // codes and tokens, so they stay out of the log.
        req: (req: { method?: string; url?: string; socket?: { remoteAddress?: string } }) => ({
          method: req.method,
          path: req.url?.split('?')[0],
          remoteAddress: req.socket?.remoteAddress,
        }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
        err: pino.stdSerializers.err,
      },
    },
    destination,
  )
}
