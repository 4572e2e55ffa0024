import { setTimeout as delay } from 'node:timers/promises'
import { Agent, type Dispatcher, request } from 'undici'
/**
 * The one way this package talks to WeChat: requestJson() builds the URL,
 * applies a timeout per attempt, retries errcode -1 with backoff, parses the
 * answer with zod and turns every failure into a typed WechatApiError.
 */
import type { z } from 'zod'
import {
  errorForErrcode,
  type WechatApiError,
  WechatBusyError,
  type WechatErrorDetails,
  WechatMalformedResponseError,
  WechatUnavailableError,
} from './errors'

/** The part of `fetch` this package uses (inject one in tests). */
export type WechatFetch = (
  url: string,
  init: {
    method: string
    headers?: Record<string, string>
    body?: string
    signal?: AbortSignal
  },
) => Promise<{ ok: boolean; status: number; text(): Promise<string> }>

/**
 * The default WechatFetch: undici's `request` on one keep-alive Agent, so
 * every call after the first reuses a connection to WeChat (no TCP or TLS
 * handshake per login) without the WHATWG layer of global `fetch` (Request,
 * Response, web streams), which cost more server CPU per login than the
 * exchange itself. An abort (the timeout, the caller) rejects with the
 * signal's reason, as fetch does.
 */
export function keepAliveFetch(dispatcher: Dispatcher = sharedAgent()): WechatFetch {
  return async (url, init) => {
    const res = await request(url, {
      method: init.method as Dispatcher.HttpMethod,
      headers: init.headers,
      body: init.body,
      signal: init.signal,
      dispatcher,
    })
    return {
      ok: res.statusCode >= 200 && res.statusCode < 300,
      status: res.statusCode,
      text: () => res.body.text(),
    }
  }
}

let agent: Agent | undefined
/** One pool per origin for the whole process (WeChat is one origin); idle sockets close after 30 s. */
function sharedAgent(): Agent {
  agent ??= new Agent({ keepAliveTimeout: 30_000, keepAliveMaxTimeout: 60_000 })
  return agent
}

/** pino-compatible; only these two levels are used. */
export interface WechatLogger {
  debug(fields: Record<string, unknown>, msg: string): void
  warn(fields: Record<string, unknown>, msg: string): void
}

/** An error in a platform's answer: its code (non-zero) and message, and a request id if any. */
export interface PlatformErrorBody {
  errcode: number
  errmsg: string
  rid?: string
}

export interface TransportOptions {
  /** Whose API, in errors and logs. Default `WeChat`. */
  service?: string
  /**
   * Finds the error in an answer. Default WeChat's `errcode`/`errmsg` (QQ's
   * too); Douyin's v2 API says `err_no`/`err_tips`. -1 is retried either way.
   */
  readError?: (json: unknown) => PlatformErrorBody | undefined
  /** The error for a non-zero code. Default WeChat's table (errorForErrcode). */
  errorFor?: (details: WechatErrorDetails & { errcode: number }) => WechatApiError
  baseUrl: string
  timeoutMs: number
  retries: number
  backoffMs: number
  fetch: WechatFetch
  logger?: WechatLogger
  /** Kept out of every error and log line (the app secret). */
  secrets: readonly string[]
  /** For tests: a number in [0, 1) for backoff jitter. */
  random?: () => number
}

export interface RequestSpec<T> {
  /** The API's name in errors and logs, e.g. `code2Session`. */
  api: string
  path: string
  method?: 'GET' | 'POST'
  query?: Record<string, string>
  body?: unknown
  /** The success shape (after WeChat's errcode was found to be absent or 0). */
  schema: z.ZodType<T>
  /** More values to keep out of errors and logs (the code, a token). */
  secrets?: readonly string[]
  /**
   * Safe to send twice: timeouts and network errors are then retried too.
   * Not for code exchanges, where a request that did reach WeChat used the
   * code up and a retry would report "code used".
   */
  idempotent?: boolean
  signal?: AbortSignal
}

export type RequestJson = <T>(spec: RequestSpec<T>) => Promise<T>

const MAX_ERRMSG = 200

const LONE_SURROGATES = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g

/**
 * Replaces every occurrence of each secret (and its URL-encoded forms) with
 * `[redacted]`. A secret may be anything a client sent (a login code), lone
 * surrogates included: encodeURIComponent throws on those, so they are
 * encoded as U+FFFD, as URLSearchParams sends them.
 */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text
  for (const secret of secrets) {
    if (secret.length < 4) continue
    const wellFormed = secret.replace(LONE_SURROGATES, '\ufffd')
    const forms = [
      secret,
      encodeURIComponent(wellFormed),
      new URLSearchParams({ s: wellFormed }).toString().slice(2),
    ]
    for (const form of new Set(forms)) {
      out = out.split(form).join('[redacted]')
    }
  }
  return out
}

const ErrcodeBody = (value: unknown): PlatformErrorBody | undefined => {
  if (typeof value !== 'object' || value === null || !('errcode' in value)) return undefined
  const { errcode, errmsg } = value as { errcode: unknown; errmsg?: unknown }
  if (typeof errcode !== 'number' || errcode === 0) return undefined
  return { errcode, errmsg: typeof errmsg === 'string' ? errmsg : '' }
}

/** The network error's code (ECONNREFUSED…) or name: short, fixed words, no URL. */
function networkDetail(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined
  const code =
    (typeof cause === 'object' && cause !== null && 'code' in cause && cause.code) ||
    (typeof error === 'object' && error !== null && 'code' in error && error.code)
  if (typeof code === 'string' && /^[A-Z0-9_]{2,40}$/.test(code)) return code
  return error instanceof Error ? error.name : 'unknown error'
}

export function createTransport(opts: TransportOptions): RequestJson {
  const base = opts.baseUrl.replace(/\/+$/, '')
  const random = opts.random ?? Math.random
  const service = opts.service ?? 'WeChat'
  const readError = opts.readError ?? ErrcodeBody
  const errorFor = opts.errorFor ?? errorForErrcode

  return async function requestJson<T>(spec: RequestSpec<T>): Promise<T> {
    const secrets = [...opts.secrets, ...(spec.secrets ?? [])]
    const method = spec.method ?? 'GET'
    const query = spec.query ? `?${new URLSearchParams(spec.query)}` : ''
    // Holds the secret: never logged, never put in an error.
    const url = `${base}${spec.path}${query}`
    const attempts = opts.retries + 1
    const log = opts.service
      ? { service, api: spec.api, path: spec.path }
      : { api: spec.api, path: spec.path }

    const fail = (error: WechatApiError): never => {
      opts.logger?.warn(
        { ...log, kind: error.kind, errcode: error.errcode, attempts: error.attempts },
        'wechat request failed',
      )
      throw error
    }

    for (let attempt = 1; ; attempt++) {
      const started = performance.now()
      const details = (extra: Partial<WechatErrorDetails> = {}): WechatErrorDetails => ({
        api: spec.api,
        service,
        errcode: null,
        attempts: attempt,
        ...extra,
      })
      const backoff = async (why: Record<string, unknown>) => {
        const full = opts.backoffMs * 2 ** (attempt - 1)
        // "Equal jitter": half fixed, half random, so retries spread out.
        const delayMs = Math.round(full / 2 + (random() * full) / 2)
        opts.logger?.warn({ ...log, attempt, delayMs, ...why }, 'wechat request retried')
        // An abort ends the wait early; the caller's next step sees it.
        await delay(delayMs, undefined, { signal: spec.signal }).catch(() => {})
      }
      // AbortSignal.any only when there is a caller's signal to join (it costs a little).
      const timeout = AbortSignal.timeout(opts.timeoutMs)
      const signal = spec.signal ? AbortSignal.any([timeout, spec.signal]) : timeout

      let status: number
      let text: string
      try {
        const res = await opts.fetch(url, {
          method,
          headers: spec.body === undefined ? undefined : { 'content-type': 'application/json' },
          body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
          signal,
        })
        status = res.status
        text = await res.text()
      } catch (error) {
        const aborted = spec.signal?.aborted === true
        const timedOut = !aborted && error instanceof Error && error.name === 'TimeoutError'
        const reason = aborted ? 'aborted' : timedOut ? 'timeout' : 'network'
        const detail = aborted
          ? 'aborted by the caller'
          : timedOut
            ? `no answer within ${opts.timeoutMs} ms`
            : redact(networkDetail(error), secrets)
        if (!aborted && spec.idempotent && attempt < attempts) {
          await backoff({ reason })
          continue
        }
        return fail(
          new WechatUnavailableError(reason, detail, details({ cause: new Error(detail) })),
        )
      }
      opts.logger?.debug(
        { ...log, attempt, status, ms: Math.round(performance.now() - started) },
        'wechat answered',
      )

      if (status !== 200) {
        if (spec.idempotent && attempt < attempts) {
          await backoff({ status })
          continue
        }
        return fail(new WechatUnavailableError('http_status', `HTTP ${status}`, details()))
      }

      let json: unknown
      try {
        json = JSON.parse(text)
      } catch {
        return fail(new WechatMalformedResponseError(details()))
      }

      const wechatError = readError(json)
      if (wechatError) {
        const errmsg = redact(wechatError.errmsg, secrets)
          .replace(/\p{Cc}/gu, ' ')
          .slice(0, MAX_ERRMSG)
        const rid =
          wechatError.rid?.match(/^[0-9a-zA-Z-]{1,64}$/)?.[0] ??
          /rid: ([0-9a-zA-Z-]{1,64})/.exec(errmsg)?.[1]
        const info = details({ errcode: wechatError.errcode, errmsg, rid })
        if (wechatError.errcode === -1) {
          if (attempt < attempts) {
            await backoff({ errcode: -1 })
            if (spec.signal?.aborted) {
              return fail(new WechatUnavailableError('aborted', 'aborted by the caller', info))
            }
            continue
          }
          return fail(new WechatBusyError(info))
        }
        return fail(errorFor({ ...info, errcode: wechatError.errcode }))
      }

      const parsed = spec.schema.safeParse(json)
      if (!parsed.success) {
        // Only where the shape is wrong, never the values (they may be secret).
        const where = parsed.error.issues.map((i) => i.path.join('.') || '(root)').join(', ')
        opts.logger?.warn({ ...log, fields: where }, 'wechat answer has an unexpected shape')
        return fail(new WechatMalformedResponseError(details()))
      }
      return parsed.data
    }
  }
}
