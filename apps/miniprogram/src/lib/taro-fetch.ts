/*
 * A `fetch` for the mini-program runtime (which has none), built on Taro.request.
 *
 * It implements what @trpc/client's httpBatchLink / httpLink use and little more:
 * request: url, method, headers, a string body, an abort signal;
 * response: `ok`, `status`, `statusText`, `headers.get()`, `json()`, `text()`.
 * No streams, no FormData/Blob bodies, no cookies (wx.request keeps no cookie jar).
 *
 * Errors follow fetch: a network failure rejects with a TypeError, an abort rejects
 * with the signal's reason (an Error named "AbortError" by default); any HTTP status,
 * 4xx and 5xx included, resolves.
 */
import Taro from '@tarojs/taro'
import { type AbortSignalLike, createAbortError } from './abort-controller'

type HeaderRecord = Record<string, string | readonly string[] | undefined>

/** Headers as fetch accepts them: a record, a list of pairs, or a Headers-like object. */
export type HeadersInput =
  | HeaderRecord
  | ReadonlyArray<readonly [string, string]>
  | ReadonlyArray<readonly string[]>
  | { forEach(callback: (value: string, key: string) => void): void }

export interface TaroFetchInit {
  method?: string
  headers?: HeadersInput | null
  /** Only strings (JSON) are sent; tRPC's JSON links never send anything else. */
  body?: unknown
  signal?: AbortSignalLike | null
}

export interface TaroFetchHeaders {
  get(name: string): string | null
  has(name: string): boolean
  forEach(callback: (value: string, key: string) => void): void
}

export interface TaroFetchResponse {
  readonly ok: boolean
  readonly status: number
  readonly statusText: string
  readonly url: string
  readonly headers: TaroFetchHeaders
  json(): Promise<unknown>
  text(): Promise<string>
}

export type TaroFetch = (
  input: string | { toString(): string },
  init?: TaroFetchInit,
) => Promise<TaroFetchResponse>

export interface TaroFetchOptions {
  /** Per-request timeout in ms, passed to Taro.request (WeChat's default is 60000). */
  timeout?: number
}

/** What Taro.request resolves with (the part we read). */
interface RequestResult {
  statusCode: number
  data: unknown
  header?: Record<string, unknown>
}

/** The promise Taro.request returns, with the task's abort() mixed in. */
type RequestTaskLike = PromiseLike<RequestResult> & { abort?: () => void }

type HttpMethod = 'OPTIONS' | 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE' | 'TRACE' | 'CONNECT'
const METHODS: readonly HttpMethod[] = [
  'OPTIONS',
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'TRACE',
  'CONNECT',
]

function toMethod(method: string | undefined): HttpMethod {
  const upper = (method ?? 'GET').toUpperCase()
  const found = METHODS.find((m) => m === upper)
  if (!found) throw new TypeError(`taro-fetch: unsupported method ${method}`)
  return found
}

/** Flattens any HeadersInput into a plain record (repeated values joined with ", "). */
export function normalizeHeaders(headers: HeadersInput | null | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  if (!headers) return out
  const add = (key: string, value: string) => {
    const existing = Object.keys(out).find((k) => k.toLowerCase() === key.toLowerCase())
    if (existing !== undefined) out[existing] = `${out[existing]}, ${value}`
    else out[key] = value
  }
  if (Array.isArray(headers)) {
    for (const pair of headers as ReadonlyArray<readonly string[]>) {
      const [key, value] = pair
      if (key !== undefined && value !== undefined) add(key, value)
    }
  } else if (typeof (headers as { forEach?: unknown }).forEach === 'function') {
    const iterable = headers as { forEach(cb: (value: string, key: string) => void): void }
    iterable.forEach((value, key) => {
      add(key, value)
    })
  } else {
    const record = headers as HeaderRecord
    for (const key of Object.keys(record)) {
      const value = record[key]
      if (value === undefined) continue
      add(key, typeof value === 'string' ? value : value.join(', '))
    }
  }
  return out
}

function createHeaders(raw: Record<string, unknown> | undefined): TaroFetchHeaders {
  const map: Record<string, string> = {}
  if (raw) {
    for (const key of Object.keys(raw)) {
      const value = raw[key]
      if (value === undefined || value === null) continue
      map[key.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value)
    }
  }
  return {
    get: (name) => map[name.toLowerCase()] ?? null,
    has: (name) => name.toLowerCase() in map,
    forEach: (callback) => {
      for (const key of Object.keys(map)) callback(map[key] as string, key)
    },
  }
}

function bodyText(data: unknown): string {
  if (data === undefined || data === null) return ''
  if (typeof data === 'string') return data
  // Taro parsed it after all (e.g. a platform that ignores dataType): hand back JSON text.
  return JSON.stringify(data)
}

function createResponse(url: string, result: RequestResult): TaroFetchResponse {
  const text = bodyText(result.data)
  const status = result.statusCode
  let consumed = false
  const consume = (): string => {
    if (consumed) throw new TypeError('taro-fetch: body has already been consumed')
    consumed = true
    return text
  }
  return {
    ok: status >= 200 && status < 300,
    status,
    statusText: '',
    url,
    headers: createHeaders(result.header),
    text: () => new Promise<string>((resolve) => resolve(consume())),
    json: () => new Promise<unknown>((resolve) => resolve(JSON.parse(consume()))),
  }
}

/** The message of a failed Taro API call (its errMsg), or of any other error. */
export function errMsg(reason: unknown): string {
  if (reason && typeof reason === 'object') {
    const { errMsg: msg, message } = reason as { errMsg?: unknown; message?: unknown }
    if (typeof msg === 'string') return msg
    if (typeof message === 'string') return message
  }
  return String(reason)
}

/** Creates a fetch implementation on top of Taro.request. */
export function createTaroFetch(options: TaroFetchOptions = {}): TaroFetch {
  return function taroFetch(input, init = {}) {
    return new Promise<TaroFetchResponse>((resolve, reject) => {
      const url = String(input)
      const signal = init.signal ?? undefined
      if (signal?.aborted) {
        reject(signal.reason ?? createAbortError())
        return
      }

      let settled = false
      let task: RequestTaskLike | undefined
      const onAbort = () => {
        if (settled) return
        settled = true
        task?.abort?.()
        reject(signal?.reason ?? createAbortError())
      }
      const finish = () => {
        settled = true
        signal?.removeEventListener('abort', onAbort)
      }

      const body = init.body
      if (body !== undefined && body !== null && typeof body !== 'string') {
        reject(new TypeError('taro-fetch: only string bodies are supported'))
        return
      }

      try {
        const request: Taro.request.Option<unknown, string> = {
          url,
          method: toMethod(init.method),
          header: normalizeHeaders(init.headers),
          // Keep the body as text: json() parses it, as fetch does.
          dataType: 'text',
          responseType: 'text',
        }
        if (typeof body === 'string') request.data = body
        if (options.timeout !== undefined) request.timeout = options.timeout
        // H5's Taro.request is fetch underneath and takes the (native) signal.
        if (process.env.TARO_ENV === 'h5' && signal) {
          ;(request as { signal?: unknown }).signal = signal
        }
        task = Taro.request(request) as unknown as RequestTaskLike
      } catch (error) {
        reject(error)
        return
      }

      signal?.addEventListener('abort', onAbort, { once: true })
      task.then(
        (result) => {
          if (settled) return
          finish()
          resolve(createResponse(url, result))
        },
        (reason: unknown) => {
          if (settled) return
          finish()
          const error = new TypeError(`Network request failed: ${errMsg(reason)}`)
          ;(error as { cause?: unknown }).cause = reason
          reject(error)
        },
      )
    })
  }
}

/** The default instance. */
export const taroFetch: TaroFetch = createTaroFetch()
