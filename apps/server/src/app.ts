import { randomUUID } from 'node:crypto'
import cors from '@fastify/cors'
import { type FastifyTRPCPluginOptions, fastifyTRPCPlugin } from '@trpc/server/adapters/fastify'
import {
  type ApiServices,
  type AppRouter,
  appRouter,
  CLOUD_IDENTITY_HEADERS,
  type Context,
  cloudIdentityOf,
  databaseUnavailable,
  ReasonedError,
} from '@wxapp/api'
import { APPID_HEADER, AUTH_HEADER } from '@wxapp/session/shared'
import Fastify, { type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify'
import type { Logger } from 'pino'
import type { WechatPushConfig } from './config'
import { clientErrorHandler, errorBody, statusOf } from './http-errors'
import { RequestLogController } from './logger'
import { repeatedHeader, requestAuth } from './request-auth'
import { createTrpcFastPath } from './trpc-fast-path'
import { type UploadOptions, uploadRoutes } from './uploads'
import { wechatPushRoutes } from './wechat-push'

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
  /**
   * Answer plain JSON tRPC calls without tRPC's fetch adapter (the default;
   * see trpc-fast-path.ts). Off: every call goes through the adapter.
   */
  trpcFastPath?: boolean
  /** True once the server is shutting down: /readyz answers 503 so balancers stop sending. */
  draining?: () => boolean
  /**
   * WECHAT_CLOUD_HOSTING: the X-WX-* identity headers of WeChat Cloud
   * Hosting's gateway are trusted (see @wxapp/api's cloud-identity.ts).
   * Off (the default), they are not read at all.
   */
  cloudHosting?: boolean
  /** The apps whose WeChat message push `/wechat/push` takes (none: it answers 404). */
  push?: readonly WechatPushConfig[]
}

function createContext(
  services: ApiServices,
  request: FastifyRequest,
  cloudHosting: boolean,
): Context {
  return {
    services,
    requestId: request.id,
    clientIp: request.ip,
    ...requestAuth(request),
    cloudIdentity: cloudIdentityOf(request.headers, cloudHosting),
    log: request.log,
  }
}

/** How much of a refused body is read (and dropped) so that its 413 reaches the client. */
const DRAIN_LIMIT_BYTES = 16 * 1024 * 1024

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
  trpcFastPath = true,
  draining = () => false,
  cloudHosting = false,
  push = [],
}: AppOptions) {
  const { db } = services
  const app = Fastify({
    loggerInstance: logger,
    genReqId: (req) => {
      const given = req.headers['x-request-id']
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID()
    },
    logController: new RequestLogController(logger),
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
    // Whatever is refused before a route runs answers in tRPC's error shape
    // too (a reason in error.data), never in Fastify's or Node's own.
    clientErrorHandler,
    frameworkErrors: (error, _request, reply) => {
      ;(reply as FastifyReply).code(statusOf(error)).send(errorBody(statusOf(error)))
    },
  })

  app.setNotFoundHandler((_request, reply) => {
    reply.code(404).send(errorBody(404))
  })
  app.setErrorHandler<FastifyError>((error, request, reply) => {
    // The same answer as a tRPC call gets while the database is away.
    const unavailable = databaseUnavailable(error)
    if (unavailable) {
      request.log.warn({ err: error }, 'database unavailable')
      return reply.code(503).send(errorBody(503, unavailable.message, unavailable.reason))
    }
    const status = statusOf(error)
    if (status >= 500) request.log.error({ err: error }, 'request failed')
    // Fastify closes the connection on a body it refuses while the client is
    // still sending it, so the client meets a reset instead of this answer.
    // Below DRAIN_LIMIT_BYTES the rest is read and dropped (Node does it once
    // the answer is sent) and the 413 gets through; beyond it, close.
    const declared = Number(request.headers['content-length'])
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' && declared <= DRAIN_LIMIT_BYTES) {
      reply.removeHeader('connection')
    }
    reply.code(status).send(errorBody(status))
  })

  // Behind Cloud Hosting the gateway's identity headers must come once too:
  // Node joins repeated ones, and which copy the gateway set is unknowable.
  // Without the flag they mean nothing here, so their repeats do not matter.
  const onceHeaders: readonly string[] = cloudHosting
    ? [AUTH_HEADER, APPID_HEADER, ...CLOUD_IDENTITY_HEADERS]
    : [AUTH_HEADER, APPID_HEADER]
  // Callback style: an async hook costs a promise and a turn of the event loop per request.
  app.addHook('onRequest', (request, reply, done) => {
    const repeated = repeatedHeader(request.raw.rawHeaders, onceHeaders)
    if (repeated === null) return done()
    reply
      .code(400)
      .send(errorBody(400, `Send one ${repeated} header, not several`, 'HEADER_REPEATED'))
  })
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id)
    // Once stopping, no socket stays open for the next request: a keep-alive
    // answer to a request in flight would hold the close up for Fastify's
    // 72 s keep-alive (the shutdown timer then kills the process), and the
    // balancer's next request belongs on another instance anyway.
    if (draining()) reply.header('connection', 'close')
    done(null, payload)
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
    if (draining()) return reply.code(503).send({ status: 'draining' })
    try {
      await db.ping(readinessTimeoutMs)
      return { status: 'ready', database: 'up' }
    } catch (error) {
      request.log.warn({ err: error }, 'readiness check failed: database did not answer')
      return reply.code(503).send({ status: 'unavailable', database: 'down' })
    }
  })

  await app.register(uploadRoutes, { ...uploads, services })
  await app.register(wechatPushRoutes, { services, apps: push })

  const trpcOptions = {
    router: appRouter,
    createContext: ({ req }) => createContext(services, req, cloudHosting),
    onError({ error, path, req }) {
      // Client mistakes are answered with a typed error and need no log
      // line; anything else is a bug worth a full record.
      if (error.code === 'INTERNAL_SERVER_ERROR') {
        req.log.error({ err: error.cause ?? error, path }, 'tRPC procedure failed')
      } else if (error instanceof ReasonedError && error.reason === 'DATABASE_UNAVAILABLE') {
        req.log.warn({ err: error.cause, path }, 'database unavailable')
      }
    },
  } satisfies FastifyTRPCPluginOptions<AppRouter>['trpcOptions']
  const fastPath = trpcFastPath
    ? await createTrpcFastPath({
        trpcOptions,
        createContext: (req) => createContext(services, req, cloudHosting),
        warn: (details, message) => logger.warn(details, message),
      })
    : null
  // tRPC mounted the stock way; the fast path, when on, answers in front of
  // it from a hook on its routes only.
  await app.register(async (scope) => {
    if (fastPath) scope.addHook('preHandler', fastPath)
    await scope.register(fastifyTRPCPlugin, { prefix: '/trpc', trpcOptions })
  })

  return app
}
