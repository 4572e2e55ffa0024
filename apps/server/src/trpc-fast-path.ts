import type { AnyTRPCProcedure, AnyTRPCRouter, TRPCError } from '@trpc/server'
import type { FastifyTRPCPluginOptions } from '@trpc/server/adapters/fastify'
// A static import, so a self-contained bundle carries the version with the code it compiled in.
import trpcServerPackage from '@trpc/server/package.json' with { type: 'json' }
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'

/**
 * A fast path in front of tRPC's Fastify plugin. tRPC v11 turns every Node
 * request into a Fetch `Request` and streams back a `Response`; profiled,
 * that cost several times the call itself (docs/performance.md). This answers
 * plain JSON queries and mutations (GET, or POST with a JSON body, batched or
 * not, of existing procedures with the right method) straight from the Node
 * request, with tRPC's own procedures, error formatter and status codes: the
 * same bytes (test/trpc-fast-path.test.ts compares). Anything else (streams,
 * subscriptions, connection params, unknown paths, other content types) goes
 * on to tRPC unchanged. On the wire: Content-Length instead of chunked.
 *
 * It calls tRPC internals (`unstable-core-do-not-import`), so it is on only
 * for the @trpc/server version it was compared with: after an upgrade, run
 * the comparison test, then move this pin.
 */
export const TESTED_TRPC_SERVER_VERSION = '11.25.2'

type Core = typeof import('@trpc/server/unstable-core-do-not-import')
/** The internals used, checked to exist before the fast path goes on. */
const CORE_FUNCTIONS = [
  'getErrorShape',
  'getHTTPStatusCode',
  'getProcedureAtPath',
  'getTRPCErrorFromUnknown',
  'isAsyncIterable',
  'isObject',
  'isPromise',
  'transformTRPCResponse',
  'TRPCError',
] as const

/** The @trpc/server version this build was made with (its package.json, read at build time). */
export function installedTrpcServerVersion(): string {
  return trpcServerPackage.version
}

export interface TrpcFastPathOptions<TRouter extends AnyTRPCRouter, TContext> {
  /** What the stock handler gets (router, createContext, onError). */
  trpcOptions: FastifyTRPCPluginOptions<TRouter>['trpcOptions']
  /** The fast path's context: the same as `trpcOptions.createContext` gives. */
  createContext: (request: FastifyRequest) => TContext
  /** Told why the fast path is off (an untested @trpc/server). */
  warn: (details: object, message: string) => void
  /** The installed @trpc/server version (tests give another). */
  version?: string
}

type CallResult = [TRPCError, undefined] | [undefined, unknown]

// Procedure names as our routers have them: anything else (escapes, odd
// characters) is left to the stock handler, which decodes it its own way.
const PLAIN_PATH = /^[\w.,-]+$/
// What the stock handler would percent-encode or cut (a fragment) when it
// builds a URL of the request: left to it.
const PLAIN_URL = /^[\x21-\x22\x24-\x7e]*$/
const ACCEPTED_METHOD = { query: 'GET', mutation: 'POST' } as const
const NO_PARAMS = new URLSearchParams()

function isJsonContentType(value: string | undefined): boolean {
  if (value === undefined) return false
  return value.toLowerCase().split(';', 1)[0]?.trim() === 'application/json'
}

/** tRPC's check: data it could only send as a stream. */
function isDataStream(core: Core, value: unknown): boolean {
  const { isAsyncIterable, isObject, isPromise } = core
  if (!isObject(value)) return false
  if (isAsyncIterable(value)) return true
  const values = Object.values(value)
  return values.some(isPromise) || values.some(isAsyncIterable)
}

/** The stock handler refuses (500) a Host that does not make a URL: so does the fast path, by leaving it to it. */
const hostValidity = new Map<string, boolean>()
function plainHost(host: string | undefined): boolean {
  if (host === undefined) return true
  let valid = hostValidity.get(host)
  if (valid === undefined) {
    try {
      new URL('/', `http://${host}`)
      valid = true
    } catch {
      valid = false
    }
    if (hostValidity.size > 100) hostValidity.clear()
    hostValidity.set(host, valid)
  }
  return valid
}

/**
 * The fast path as a preHandler hook for tRPC's plugin routes, or null (and a
 * warning) when the installed @trpc/server is not the tested one.
 */
export async function createTrpcFastPath<TRouter extends AnyTRPCRouter, TContext>(
  opts: TrpcFastPathOptions<TRouter, TContext>,
): Promise<preHandlerAsyncHookHandler | null> {
  const version = opts.version ?? installedTrpcServerVersion()
  if (version !== TESTED_TRPC_SERVER_VERSION) {
    opts.warn(
      { installed: version, tested: TESTED_TRPC_SERVER_VERSION },
      'tRPC fast path off: @trpc/server is not the version it was tested with (see trpc-fast-path.ts)',
    )
    return null
  }
  const core: Core = await import('@trpc/server/unstable-core-do-not-import')
  const missing = CORE_FUNCTIONS.filter((name) => typeof core[name] !== 'function')
  if (missing.length > 0) {
    opts.warn({ missing }, 'tRPC fast path off: tRPC internals it uses are missing')
    return null
  }
  const fast = fastPathOf(core, opts)
  return async (request, reply) => {
    const { path } = request.params as { path: string }
    if (await fast(request, reply, path)) return reply
  }
}

/** Answers a request and resolves true, or resolves false (having sent nothing) to leave it to tRPC. */
function fastPathOf<TRouter extends AnyTRPCRouter, TContext>(
  core: Core,
  opts: TrpcFastPathOptions<TRouter, TContext>,
): (request: FastifyRequest, reply: FastifyReply, path: string) => Promise<boolean> {
  const {
    defaultTransformer,
    getErrorShape,
    getHTTPStatusCode,
    getProcedureAtPath,
    getTRPCErrorFromUnknown,
    isObject,
    transformTRPCResponse,
  } = core
  const { trpcOptions } = opts
  const router = trpcOptions.router
  const config = router._def._config
  const deserialize = (value: unknown) => config.transformer.input.deserialize(value)
  // Without a transformer, tRPC's transformTRPCResponse copies the answer to
  // the same JSON: skipped then.
  const transform: typeof transformTRPCResponse =
    config.transformer === defaultTransformer
      ? (_config, value) => value as never
      : transformTRPCResponse
  const procedures = router._def.procedures as Record<string, AnyTRPCProcedure | undefined>
  const onError = trpcOptions.onError

  /** Answers the request and returns true, or returns false to leave it to the stock handler. */
  async function fast(
    request: FastifyRequest,
    reply: FastifyReply,
    path: string,
  ): Promise<boolean> {
    const method = request.method
    if (method !== 'GET' && method !== 'POST') return false
    const headers = request.headers
    if (headers['trpc-accept'] !== undefined) return false
    if (headers.accept?.includes('application/jsonl')) return false
    const contentType = headers['content-type']
    if (method === 'POST' || contentType !== undefined) {
      if (!isJsonContentType(contentType)) return false
    }
    if (!PLAIN_PATH.test(path)) return false
    const url = request.url
    if (!PLAIN_URL.test(url) || !plainHost(headers.host)) return false
    const queryAt = url.indexOf('?')
    const search = queryAt < 0 ? NO_PARAMS : new URLSearchParams(url.slice(queryAt + 1))
    if (search.has('connectionParams')) return false
    const isBatchCall = search.get('batch') === '1'
    const paths = isBatchCall ? path.split(',') : [path]

    const calls: AnyTRPCProcedure[] = []
    let type: 'query' | 'mutation' | undefined
    for (const name of paths) {
      // Own names only (never Object.prototype's); lazy routers load as tRPC does.
      const procedure = Object.hasOwn(procedures, name)
        ? procedures[name]
        : ((await getProcedureAtPath(router, name)) as AnyTRPCProcedure | null)
      if (!procedure) return false
      const procedureType = procedure._def.type
      if (procedureType === 'subscription' || (type !== undefined && procedureType !== type)) {
        return false
      }
      type = procedureType
      calls.push(procedure)
    }
    if (type === undefined || ACCEPTED_METHOD[type] !== method) return false

    // The input, as the stock handler reads it (but eagerly: input that does
    // not parse is left to it, since it fails only the calls that read it).
    let text: string | null
    if (method === 'GET') {
      text = search.get('input')
    } else {
      if (typeof request.body !== 'string') return false
      text = request.body
    }
    let inputs: unknown
    if (text) {
      try {
        inputs = JSON.parse(text)
      } catch {
        return false
      }
    }
    const byIndex: Record<number, unknown> = Object.create(null)
    if (inputs !== undefined) {
      if (!isBatchCall) {
        byIndex[0] = deserialize(inputs)
      } else {
        if (!isObject(inputs)) return false
        for (let index = 0; index < paths.length; index++) {
          const input = (inputs as Record<number, unknown>)[index]
          if (input !== undefined) byIndex[index] = deserialize(input)
        }
      }
    }
    // tRPC reports the input of a failed call only when some call read it.
    let inputsRead = false
    const reportedInput = (index: number) => (inputsRead ? byIndex[index] : undefined)

    let ctx: TContext
    try {
      ctx = opts.createContext(request)
    } catch {
      return false
    }

    // One call, as tRPC's resolveResponse makes it. Procedures get no abort
    // signal: none of ours reads one, and an AbortController per request
    // cost more than the rest of this function (tRPC's own server-side
    // callers pass none either).
    const call = async (procedure: AnyTRPCProcedure, index: number): Promise<CallResult> => {
      const callPath = paths[index] as string
      try {
        const data: unknown = await procedure({
          path: callPath,
          getRawInput: async () => {
            inputsRead = true
            return byIndex[index]
          },
          ctx,
          type: procedure._def.type,
          signal: undefined,
          batchIndex: index,
        })
        return [undefined, data]
      } catch (cause) {
        const error = getTRPCErrorFromUnknown(cause)
        onError?.({
          error,
          path: callPath,
          input: reportedInput(index),
          ctx: ctx as never,
          type: procedure._def.type,
          req: request as never,
        })
        return [error, undefined]
      }
    }
    const errorShape = (error: TRPCError, index: number) =>
      getErrorShape({
        config,
        ctx,
        error,
        input: reportedInput(index),
        path: paths[index],
        type: calls[index]?._def.type ?? 'unknown',
      })

    let status: number
    let body: string
    try {
      if (!isBatchCall) {
        const [error, data] = await call(calls[0] as AnyTRPCProcedure, 0)
        if (!error && isDataStream(core, data)) throw streamError(core)
        if (error) {
          const response = { error: errorShape(error, 0) }
          status = getHTTPStatusCode([response], [error])
          body = JSON.stringify(transform(config, response))
        } else {
          status = 200
          body = JSON.stringify(transform(config, { result: { data } }))
        }
      } else {
        const results = await Promise.all(calls.map(call))
        const errors: (TRPCError | undefined)[] = []
        const responses = results.map(([error, data], index) => {
          const failure = error ?? (isDataStream(core, data) ? streamError(core) : undefined)
          errors.push(failure)
          return failure ? { error: errorShape(failure, index) } : { result: { data } }
        })
        status = getHTTPStatusCode(responses, errors)
        body = JSON.stringify(transform(config, responses))
      }
    } catch (cause) {
      // What tRPC answers when building the answer fails (say, data JSON cannot hold).
      const error = getTRPCErrorFromUnknown(cause)
      onError?.({
        error,
        path: undefined,
        input: undefined,
        ctx: ctx as never,
        type,
        req: request as never,
      })
      const response = {
        error: getErrorShape({ config, ctx, error, input: undefined, path: undefined, type }),
      }
      status = getHTTPStatusCode(response, [error])
      body = JSON.stringify(transform(config, response))
    }
    // A Buffer: Fastify would add "; charset=utf-8" to a string's content type,
    // which tRPC's answers do not carry.
    reply
      .code(status)
      .header('vary', 'trpc-accept, accept')
      .header('content-type', 'application/json')
      .send(Buffer.from(body))
    return true
  }
  return fast
}

function streamError(core: Core): TRPCError {
  return new core.TRPCError({
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: 'Cannot use stream-like response in non-streaming request - use httpBatchStreamLink',
  })
}
