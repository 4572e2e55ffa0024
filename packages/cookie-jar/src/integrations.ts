/*
 * Putting the jar between the app and the network: around a fetch-like
 * function (the app's taro-fetch, or any fetch) or around Taro.request.
 * Taro is injected, never imported: this package does not depend on it.
 */
import type { CookieJar } from './jar'
import type { SetCookieSource } from './split'

/** The URL of a fetch input: a string, a URL-like object, or a Request-like `{ url }`. */
function urlOf(input: unknown): string {
  if (typeof input === 'string') return input
  if (typeof input === 'object' && input !== null) {
    const url = (input as { url?: unknown }).url
    if (typeof url === 'string') return url
  }
  return String(input)
}

/** Any headers shape (record, pairs, Headers-like) as a plain record, with `cookie` added. */
function withCookieHeader(headers: unknown, cookie: string): Record<string, string> {
  const out: Record<string, string> = {}
  const add = (key: string, value: string) => {
    const existing = Object.keys(out).find((k) => k.toLowerCase() === key.toLowerCase())
    if (existing === undefined) out[key] = value
    else
      out[existing] = `${out[existing]}${existing.toLowerCase() === 'cookie' ? '; ' : ', '}${value}`
  }
  if (Array.isArray(headers)) {
    for (const pair of headers as unknown[]) {
      if (!Array.isArray(pair)) continue
      const [key, value] = pair as unknown[]
      if (typeof key === 'string' && value !== undefined && value !== null) add(key, String(value))
    }
  } else if (headers && typeof (headers as { forEach?: unknown }).forEach === 'function') {
    const iterable = headers as { forEach(cb: (value: string, key: string) => void): void }
    iterable.forEach((value, key) => {
      add(key, value)
    })
  } else if (headers && typeof headers === 'object') {
    const record = headers as Record<string, unknown>
    for (const key of Object.keys(record)) {
      const value = record[key]
      if (value === undefined || value === null) continue
      add(key, Array.isArray(value) ? value.join(', ') : String(value))
    }
  }
  // The caller's own Cookie header (if any) comes first, the jar's cookies after it.
  add('Cookie', cookie)
  return out
}

/** The jar's Cookie header for `url`; null when none applies or the URL is not absolute. */
async function cookieFor(jar: CookieJar, url: string): Promise<string | null> {
  try {
    return await jar.cookieHeader(url)
  } catch {
    // Not an absolute URL: the request itself reports that, not the jar.
    return null
  }
}

async function store(jar: CookieJar, response: unknown, url: string): Promise<void> {
  if (!response || typeof response !== 'object') return
  try {
    await jar.storeResponse(response as SetCookieSource, url)
  } catch {
    // Storage failures are the jar's onStorageError; the response still goes to the caller.
  }
}

/**
 * Wraps a fetch-like function (`(url, init) => Promise<response>`): each
 * request carries the jar's `Cookie` header, and each response's Set-Cookie
 * (its `cookies` array, `headers.getSetCookie()`, `headers.get('set-cookie')`
 * or a header record in any case) goes into the jar before the response is
 * handed back. Pass URL strings: a Request object's own headers would be
 * replaced by `init.headers`.
 */
export function withCookies<Input, Init extends object, Res>(
  fetchLike: (input: Input, init?: Init) => Promise<Res>,
  jar: CookieJar,
): (input: Input, init?: Init) => Promise<Res> {
  return async (input, init) => {
    const url = urlOf(input)
    const cookie = await cookieFor(jar, url)
    let nextInit = init
    if (cookie !== null) {
      const headers = init ? (init as { headers?: unknown }).headers : undefined
      nextInit = { ...(init ?? {}), headers: withCookieHeader(headers, cookie) } as Init
    }
    const response = await fetchLike(input, nextInit)
    await store(jar, response, url)
    return response
  }
}

/** The part of a Taro.request option the wrapper reads. */
export interface TaroRequestOptionLike {
  url: string
  header?: unknown
}

/** What Taro.request returns: a promise (RequestTask) with `abort()`. */
export type TaroRequestTaskLike<Result> = PromiseLike<Result> & { abort?: () => void }

/** The part of the Taro object the wrapper uses (typed structurally). */
export interface TaroRequestApi<Option extends TaroRequestOptionLike, Result> {
  request(option: Option): TaroRequestTaskLike<Result>
}

/** The wrapper's task: a promise with `abort()` (before the request starts, or of the running one). */
export type CookieRequestTask<Result> = Promise<Result> & { abort(): void }

/**
 * Taro.request with the jar: adds the `Cookie` header to `option.header`, and
 * stores the Set-Cookie of each success result (`res.cookies` when the base
 * library gives it, else `res.header['Set-Cookie']` split) before resolving.
 * Use the promise it returns (a `success` callback may run before the store).
 */
export function cookieRequest<Option extends TaroRequestOptionLike, Result>(
  taro: TaroRequestApi<Option, Result>,
  jar: CookieJar,
): (option: Option) => CookieRequestTask<Result> {
  return (option) => {
    let aborted = false
    let task: TaroRequestTaskLike<Result> | undefined
    const run = async (): Promise<Result> => {
      const cookie = await cookieFor(jar, option.url)
      if (aborted) {
        throw Object.assign(new Error('request:fail abort'), { errMsg: 'request:fail abort' })
      }
      const request =
        cookie === null ? option : { ...option, header: withCookieHeader(option.header, cookie) }
      task = taro.request(request)
      const result = await task
      await store(jar, result, option.url)
      return result
    }
    return Object.assign(run(), {
      abort() {
        aborted = true
        task?.abort?.()
      },
    })
  }
}
