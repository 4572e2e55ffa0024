import { type FastifyReply, type FastifyRequest, LogController } from 'fastify'
import { type Logger, pino } from 'pino'

/**
 * Paths that may hold secrets. Request and response headers are not logged
 * at all (see the serializers); these catch secrets passed as log fields.
 */
const TOP_LEVEL_PATHS = [
  'authorization',
  'token',
  'sessionKey',
  'session_key',
  'secret',
  'password',
]
const REDACT_PATHS = [...TOP_LEVEL_PATHS, ...TOP_LEVEL_PATHS.map((path) => `*.${path}`)]

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

/**
 * Fastify's two lines per request ("incoming request", "request completed"),
 * written exactly as Fastify writes them but through a logger without the
 * `*.x` redaction paths. pino applies a wildcard path to every field of
 * every line (and @pinojs/redact re-parses each path on each call): on these
 * two lines that was most of the cost of logging a request, for fields that
 * are fixed here and hold no secret (the request id, method, path, peer,
 * status, time). Every other line, and a request that ends in an error,
 * still goes through the request's own, fully redacting logger.
 */
export class RequestLogController extends LogController {
  readonly #lines: Logger

  constructor(logger: Logger) {
    super({ requestIdLogLabel: 'requestId' })
    this.#lines = logger.child({}, { redact: { paths: TOP_LEVEL_PATHS, censor: '[redacted]' } })
  }

  override incomingRequest(request: FastifyRequest): void {
    if (this.isLogDisabled(request)) return
    this.#lines.info({ requestId: request.id, req: request }, 'incoming request')
  }

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
    metadata?: Record<string, unknown>,
  ): void {
    if (error || this.isLogDisabled(request)) {
      super.requestCompleted(error, request, reply, metadata)
      return
    }
    this.#lines.info(
      { requestId: request.id, res: reply, responseTime: reply.elapsedTime },
      'request completed',
    )
  }
}
