/*
 * Getting the individual Set-Cookie strings out of a mini-program response.
 *
 * - `res.cookies` (WeChat base library >= 2.10.0) is already one string per
 *   cookie: used as is.
 * - `res.header['Set-Cookie']` joins several Set-Cookie headers in one string.
 *   WeChat joins them with "," — which also occurs inside `Expires=Wed, 21 Oct
 *   2026 07:28:00 GMT` — so the string is split with set-cookie-parser's
 *   `splitCookiesString`, which only splits at a comma followed by `name=`.
 * - QQ on Android joins them with ";", the separator of a cookie's own
 *   attributes. After the first `name=value`, every `;`-separated part of one
 *   cookie is an attribute, and attribute names are a short, known list. So a
 *   part shaped `name=value` whose name is not a known attribute name
 *   (Expires, Max-Age, Domain, Path, SameSite, Priority, ...) starts the next
 *   cookie. Flags without "=" (Secure, HttpOnly) stay attributes.
 *   The price: a cookie named like an attribute (`path=...`) cannot start a
 *   joined cookie, and an unknown `name=value` extension attribute is read as
 *   a cookie of its own; turn this off with `semicolonJoined: false` when the
 *   backend sends such attributes and the app never runs in QQ.
 */
import { splitCookiesString } from 'set-cookie-parser'

/**
 * Attribute names (lower case) that may carry "=value" inside one Set-Cookie
 * string: RFC 6265's, RFC 6265bis', RFC 2109/2965's, and browsers' extensions.
 */
export const SET_COOKIE_ATTRIBUTE_NAMES: readonly string[] = [
  'expires',
  'max-age',
  'domain',
  'path',
  'secure',
  'httponly',
  'samesite',
  'partitioned',
  'priority',
  'sameparty',
  'version',
  'comment',
  'commenturl',
  'discard',
  'port',
]

export interface SplitOptions {
  /**
   * Also split cookies joined with ";" (QQ on Android), telling a new cookie
   * from an attribute by the known attribute names. Default true.
   */
  semicolonJoined?: boolean
}

function isAttributePart(part: string): boolean {
  const eq = part.indexOf('=')
  // A flag (`Secure`, `HttpOnly`) or a part without a name: never a cookie.
  if (eq <= 0) return true
  const name = part.slice(0, eq).trim().toLowerCase()
  return name === '' || SET_COOKIE_ATTRIBUTE_NAMES.indexOf(name) >= 0
}

/** Splits one Set-Cookie string at each ";" that starts a new `name=value` (QQ's join). */
export function splitSemicolonJoined(setCookie: string): string[] {
  const parts = setCookie.split(';')
  const cookies: string[] = []
  let current: string[] = []
  for (const part of parts) {
    if (current.length > 0 && !isAttributePart(part)) {
      cookies.push(current.join(';').trim())
      current = []
    }
    current.push(part)
  }
  if (current.length > 0) cookies.push(current.join(';').trim())
  return cookies.filter((cookie) => cookie !== '')
}

/**
 * Splits a Set-Cookie header value that may join several cookies (WeChat's ","
 * join, QQ's ";" join) into one string per cookie.
 */
export function splitSetCookieHeader(header: string, options: SplitOptions = {}): string[] {
  const semicolons = options.semicolonJoined !== false
  const out: string[] = []
  for (const piece of splitCookiesString(header)) {
    const trimmed = piece.trim()
    if (!trimmed) continue
    if (semicolons) out.push(...splitSemicolonJoined(trimmed))
    else out.push(trimmed)
  }
  return out
}

/**
 * The parts of a response that may carry cookies: wx.request / Taro.request
 * (`cookies`, `header`) and fetch-like responses (`headers`).
 */
export interface SetCookieSource {
  /** wx.request's `res.cookies`: one Set-Cookie string per cookie. */
  cookies?: unknown
  /** wx.request's / Taro.request's `res.header`: a plain record, names in any case. */
  header?: unknown
  /** A fetch-like response's headers: `getSetCookie()`, `get(name)` or a plain record. */
  headers?: unknown
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string')
}

/** Set-Cookie values of a plain header record, whatever the case of the name. */
function fromRecord(record: object, options: SplitOptions): string[] | null {
  let found: string[] | null = null
  const values = record as Record<string, unknown>
  for (const key of Object.keys(values)) {
    if (key.toLowerCase() !== 'set-cookie') continue
    const value = values[key]
    found = found ?? []
    // An array holds separate headers (Node's IncomingMessage); a string may join several.
    if (isStringArray(value)) found.push(...value.filter((item) => item.trim() !== ''))
    else if (typeof value === 'string') found.push(...splitSetCookieHeader(value, options))
  }
  return found
}

function fromHeaders(headers: unknown, options: SplitOptions): string[] | null {
  if (!headers || typeof headers !== 'object') return null
  const like = headers as { getSetCookie?: unknown; get?: unknown }
  if (typeof like.getSetCookie === 'function') {
    const list: unknown = (like.getSetCookie as () => unknown).call(headers)
    if (isStringArray(list)) return list
  }
  if (typeof like.get === 'function') {
    const value: unknown = (like.get as (name: string) => unknown).call(headers, 'set-cookie')
    return typeof value === 'string' ? splitSetCookieHeader(value, options) : []
  }
  return fromRecord(headers, options)
}

/**
 * The individual Set-Cookie strings of a response: `res.cookies` when the
 * platform gives a non-empty one, else the Set-Cookie header(s), split.
 */
export function readSetCookies(response: SetCookieSource, options: SplitOptions = {}): string[] {
  if (!response || typeof response !== 'object') return []
  const { cookies } = response
  if (isStringArray(cookies) && cookies.length > 0) {
    return cookies.filter((cookie) => cookie.trim() !== '')
  }
  return fromHeaders(response.header, options) ?? fromHeaders(response.headers, options) ?? []
}
