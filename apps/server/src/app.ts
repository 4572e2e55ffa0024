import { randomUUID } from 'node:crypto'
import cors from '@fastify/cors'
import { type FastifyTRPCPluginOptions, fastifyTRPCPlugin } from '@trpc/server/adapters/fastify'
import { type ApiServices, type AppRouter, appRouter, type Context } from '@wxapp/api'
import { APPID_HEADER, AUTH_HEADER } from '@wxapp/session/shared'
import Fastify, { type FastifyRequest, LogController } from 'fastify'
import type { Logger } from 'pino'
import { requestAuth } from './request-auth'
import { type UploadOptions, uploadRoutes } from './uploads'

export interface AppOptions {
  services: ApiServices
  logger: Logger
  /** Who may set the client address through X-Forwarded-For (Fastify's trustProxy). */
  trustProxy?: boolean | number | string[]
  /** Browser origins allowed to call the API (the H5 preview). */
  corsOrigins?: string[]
  /** How long /readyz waits for the database before it answers 503. */
  readinessTimeoutMs?: number
  /** Avatar uploads: where they are kept and how large they may be. */
  uploads: Omit<UploadOptions, 'services'>
}

function createContext(services: ApiServices, request: FastifyRequest): Context {
  return {
    services,
    requestId: request.id,
    clientIp: request.ip,
    ...requestAuth(request),
    log: request.log,
  }
}

// A client-supplied request id is kept only when it is short and plain, so it
// cannot inject anything into log lines.
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/

export async function buildApp({
  services,
  logger,
  trustProxy = false,
  corsOrigins = [],
  readinessTimeoutMs = 1000,
  uploads,
}: AppOptions) {
  const { db } = services
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
    // A hop count trusts that many proxies in front of the server.
    trustProxy:
      typeof trustProxy === 'number'
        ? (_address: string, hop: number) => hop < trustProxy
        : trustProxy,
  })

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id)
  })

  if (corsOrigins.length > 0) {
    await app.register(cors, {
      origin: corsOrigins,
      allowedHeaders: ['content-type', AUTH_HEADER, APPID_HEADER, 'x-request-id', 'trpc-accept'],
      exposedHeaders: ['x-request-id'],
      maxAge: 600,
    })
  }

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

  await app.register(uploadRoutes, { ...uploads, services })

  await app.register(fastifyTRPCPlugin, {
    prefix: '/trpc',
    trpcOptions: {
      router: appRouter,
      createContext: ({ req }) => createContext(services, req),
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
