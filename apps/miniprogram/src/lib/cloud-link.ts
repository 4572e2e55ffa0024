/*
 * A terminating tRPC link over WeChat Cloud Hosting's wx.cloud.callContainer
 * (Taro.cloud.callContainer) instead of HTTP: used when the app is built with
 * TARO_APP_CLOUD_ENV and TARO_APP_CLOUD_SERVICE (see ./trpc.ts). Each
 * operation is one call, as tRPC's httpLink makes it (no batching: the
 * gateway carries one request at a time, and a GET's input rides in its
 * path): a query is GET /trpc/<path>?input=<json>, a mutation POST
 * /trpc/<path> with a JSON body. Answers are read as httpLink reads them, so
 * an error becomes a TRPCClientError with the server's `data` (code, reason)
 * and sessionLink's one re-login on a session reason works unchanged.
 *
 * Headers: the session's Authorization as the HTTP link sends it, and
 * X-WX-SERVICE. Not the app's own x-wx-appid: behind the gateway that header
 * is the gateway's X-WX-APPID (the same name; names are case-insensitive),
 * set for the calling mini-program, and a copy of ours next to it would be
 * refused as HEADER_REPEATED by a server running with WECHAT_CLOUD_HOSTING.
 */
import { TRPCClientError, type TRPCLink } from '@trpc/client'
import type { AnyRouter } from '@trpc/server'
import { observable } from '@trpc/server/observable'
import { APPID_HEADER } from '@wxapp/session/shared'
import { errMsg } from './taro-fetch'

/**
 * The part of Taro.cloud this link uses, typed here once: Taro's typings
 * give callContainer `any` data and disagree on what init returns.
 */
export interface CloudContainerApi {
  init(config: { env: string }): unknown
  callContainer(options: CallContainerOptions): PromiseLike<CallContainerResult>
}

export interface CallContainerOptions {
  config: { env: string }
  path: string
  method: 'GET' | 'POST'
  header: Record<string, string>
  data?: string
  dataType: 'text'
  responseType: 'text'
  timeout?: number
}

export interface CallContainerResult {
  statusCode: number
  data: unknown
  header?: Record<string, unknown>
}

export interface CloudLinkOptions {
  /** Taro.cloud, or a fake in tests. */
  cloud: CloudContainerApi
  /** The Cloud Hosting environment id (TARO_APP_CLOUD_ENV). */
  env: string
  /** The service name (TARO_APP_CLOUD_SERVICE), sent as X-WX-SERVICE. */
  service: string
  /** Headers of one operation (sessionHeaders(session) forwards the token sessionLink chose). */
  headers?: (input: { op: { context?: unknown } }) => Record<string, string>
  /** Where tRPC is mounted on the server (default `/trpc`). */
  basePath?: string
}

/** What the server answers: tRPC's JSON envelope, a result or an error. */
interface Envelope {
  result?: { data?: unknown }
  error?: { message?: unknown; code?: unknown; data?: unknown }
}

function parseBody(data: unknown): Envelope | null {
  let value = data
  if (typeof data === 'string') {
    try {
      value = JSON.parse(data)
    } catch {
      return null
    }
  }
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Envelope)
    : null
}

// init must run once before any call; once per cloud object, however many
// clients or links are made on it.
const initialized = new WeakSet<CloudContainerApi>()

export function cloudContainerLink<TRouter extends AnyRouter>(
  options: CloudLinkOptions,
): TRPCLink<TRouter> {
  const { cloud, env, service } = options
  const basePath = (options.basePath ?? '/trpc').replace(/\/+$/, '')
  const ensureInit = () => {
    if (initialized.has(cloud)) return
    initialized.add(cloud)
    cloud.init({ env })
  }

  return () =>
    ({ op }) =>
      observable((observer) => {
        if (op.type === 'subscription') {
          observer.error(
            TRPCClientError.from<TRouter>(
              new Error('Subscriptions need a socket: not over Cloud Hosting'),
            ),
          )
          return () => {}
        }
        let stopped = false
        const header: Record<string, string> = {}
        for (const [name, value] of Object.entries(options.headers?.({ op }) ?? {})) {
          if (name.toLowerCase() !== APPID_HEADER) header[name] = value
        }
        header['X-WX-SERVICE'] = service
        const query = op.type === 'query'
        const input = op.input === undefined ? undefined : JSON.stringify(op.input)
        const request: CallContainerOptions = {
          config: { env },
          path:
            `${basePath}/${op.path}` +
            (query && input !== undefined ? `?input=${encodeURIComponent(input)}` : ''),
          method: query ? 'GET' : 'POST',
          header: query ? header : { ...header, 'content-type': 'application/json' },
          // Text both ways: the body is parsed here, as the HTTP link parses fetch's.
          dataType: 'text',
          responseType: 'text',
        }
        if (!query && input !== undefined) request.data = input

        const fail = (cause: Error | Envelope) => {
          if (!stopped) observer.error(TRPCClientError.from<TRouter>(cause))
        }
        let pending: PromiseLike<CallContainerResult>
        try {
          ensureInit()
          pending = cloud.callContainer(request)
        } catch (error) {
          fail(new Error(`Network request failed: ${errMsg(error)}`))
          return () => {}
        }
        pending.then(
          (response) => {
            if (stopped) return
            const body = parseBody(response.data)
            const ok = response.statusCode >= 200 && response.statusCode < 300
            if (body?.error && typeof body.error === 'object') {
              // tRPC's error shape: TRPCClientError.from keeps its data (code, reason).
              fail({ error: body.error })
            } else if (ok && body?.result && typeof body.result === 'object') {
              observer.next({
                result: { type: 'data', data: body.result.data },
                context: { response: { statusCode: response.statusCode } },
              })
              observer.complete()
            } else {
              fail(new Error(`Unexpected answer from Cloud Hosting (HTTP ${response.statusCode})`))
            }
          },
          (reason: unknown) => fail(new Error(`Network request failed: ${errMsg(reason)}`)),
        )
        return () => {
          // callContainer has no abort: the answer, when it comes, is dropped.
          stopped = true
        }
      })
}
