import { randomUUID } from 'node:crypto'
import { type FastifyTRPCPluginOptions, fastifyTRPCPlugin } from '@trpc/server/adapters/fastify'
import { type AppRouter, appRouter, type Context } from '@wxapp/api'
import type { Database } from '@wxapp/db'
import Fastify, { LogController } from 'fastify'
import type { Logger } from 'pino'

export interface AppOptions {
  db: Database
  logger: Logger
  /** How long /readyz waits for the database before it answers 503. */
  readinessTimeoutMs?: number
}

// A client-supplied request id is kept only when it is short and plain, so it
// cannot inject anything into log lines.
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/

export async function buildApp({ db, logger, readinessTimeoutMs = 1000 }: AppOptions) {
  const app = Fastify({
    loggerInstance: logger,
    genReqId: (req) => {
      const given = req.headers['x-request-id']
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID()
    },
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    // Batched GETs put every procedure name in the path.
    routerOptions: { maxParamLength: 5000 },
    // Keep-alive sockets with no request in flight are closed at shutdown;
    // sockets with one are left to finish it.
    forceCloseConnections: 'idle',
    trustProxy: false,
  })

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id)
  })

  app.get('/healthz', async () => ({ status: 'ok' }))

  app.get('/readyz', async (request, reply) => {
    try {
      await db.ping(readinessTimeoutMs)
      return { status: 'ready', database: 'up' }
    } catch (error) {
      request.log.warn({ err: error }, 'readiness check failed: database did not answer')
      return reply.code(503).send({ status: 'unavailable', database: 'down' })
    }
  })

  await app.register(fastifyTRPCPlugin, {
    prefix: '/trpc',
    trpcOptions: {
      router: appRouter,
      createContext: ({ req }): Context => ({ db, requestId: req.id }),
      onError({ error, path, req }) {
        // Client mistakes are answered with a typed error and need no log
        // line; anything else is a bug worth a full record.
        if (error.code === 'INTERNAL_SERVER_ERROR') {
          req.log.error({ err: error.cause ?? error, path }, 'tRPC procedure failed')
        }
      },
    } satisfies FastifyTRPCPluginOptions<AppRouter>['trpcOptions'],
  })

  return app
}
