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
 * One line per request, on completion, with what Fastify splits over two
 * ("incoming request", "request completed"): the request id, method, path,
 * peer, status and time, as most production servers log (an access log).
 * Written through a logger without the `*.x` redaction paths: pino applies a
 * wildcard path to every field of every line, and on this line, whose fields
 * are fixed here and hold no secret, that was most of the cost of logging a
 * request. A request that ends in an error gets its line, with the cause,
 * from the request's own, fully redacting logger.
 */
export class RequestLogController extends LogController {
  readonly #lines: Logger

  constructor(logger: Logger) {
    super({ requestIdLogLabel: 'requestId' })
    this.#lines = logger.child({}, { redact: { paths: TOP_LEVEL_PATHS, censor: '[redacted]' } })
  }

  // Nothing on arrival: the completion line says all of it.
  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (this.isLogDisabled(request)) return
    if (error) {
      reply.log.error(
        { req: request, res: reply, err: error, responseTime: reply.elapsedTime },
        'request errored',
      )
      return
    }
    this.#lines.info(
      { requestId: request.id, req: request, res: reply, responseTime: reply.elapsedTime },
      'request completed',
    )
  }
}
