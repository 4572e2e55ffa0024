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
 *   attributes; see splitSemicolonJoined for how far that can be undone.
 *
 * Pieces are trimmed of spaces and tabs only: a CR or LF stays, and the jar
 * refuses the cookie that carries it.
 */
import { splitCookiesString } from 'set-cookie-parser'
import { trimWsp } from './parse'

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

/**
 * The lower-case attribute name of a ";" part when it is a known one; "" for
 * another part that can only be an attribute (a flag without "=", a part
 * without a name); null for an unknown `name=value`, which may start a cookie.
 */
function attributeNameOf(part: string): string | null {
  const eq = part.indexOf('=')
  const name = trimWsp(eq < 0 ? part : part.slice(0, eq)).toLowerCase()
  if (SET_COOKIE_ATTRIBUTE_NAMES.indexOf(name) >= 0) return name
  return eq < 0 || name === '' ? '' : null
}

/** An unknown `name=value` part and the attribute parts after it. */
interface Unit {
  parts: string[]
  /** Known attribute names among the attribute parts. */
  names: string[]
}

/** The flags a wrong split must not take away from a cookie. */
const GUARDED_FLAGS = ['secure', 'httponly']

function repeatsAny(names: readonly string[], unit: Unit): boolean {
  return unit.names.some((name) => names.indexOf(name) >= 0)
}

/**
 * Whether a cookie with attribute `names` could lose a Secure or HttpOnly if
 * units[from] started a new cookie: any such flag it lacks, from units[from]
 * up to the next unit that is evidently a new cookie (one that repeats an
 * attribute of the cookie grown by all the units before it). `nextNamed[i]` is
 * the first unit from i on with attribute names: the others change nothing,
 * and skipping them keeps this to a few steps (there are few attribute names
 * to add before one repeats), so a long header is not quadratic.
 */
function wouldLoseFlag(
  names: readonly string[],
  units: readonly Unit[],
  nextNamed: readonly number[],
  from: number,
): boolean {
  const grown = names.slice()
  for (let i = nextNamed[from] as number; i < units.length; i = nextNamed[i + 1] as number) {
    const unit = units[i] as Unit
    if (i > from && repeatsAny(grown, unit)) return false
    for (const name of unit.names) {
      if (GUARDED_FLAGS.indexOf(name) >= 0 && names.indexOf(name) < 0) return true
      grown.push(name)
    }
  }
  return false
}

/**
 * Splits one Set-Cookie string at each ";" that starts a new cookie (QQ's join).
 *
 * The first part starts a cookie. A known attribute name (Expires, Max-Age,
 * Domain, Path, Secure, HttpOnly, SameSite, Partitioned, Priority, ... in any
 * case, with or without "=") and any part without "=" continue it. An unknown
 * `name=value` is the ambiguous case: QQ's next cookie, or an extension
 * attribute of this one. The rule:
 *
 * 1. It starts a new cookie when its attributes repeat one the current cookie
 *    already has (`a=1; Path=/;b=2; Path=/api`): a cookie names each once.
 * 2. Otherwise it is an attribute of the current cookie when splitting there
 *    could take a Secure or HttpOnly away from it: one it lacks appears before
 *    the next part that rule 1 makes a new cookie (`sid=abc; Foo=bar;
 *    Path=/admin; Secure` stays one Secure cookie, Path and all).
 * 3. Otherwise it starts a new cookie: no flag is at stake (`a=1;b=2`).
 *
 * So a cookie never loses a Secure or HttpOnly that comes after it, unless a
 * repeated attribute says a new cookie has begun. The costs (a cookie read as
 * an attribute, an attribute read as a cookie) are in the README.
 */
export function splitSemicolonJoined(setCookie: string): string[] {
  const units: Unit[] = []
  for (const part of setCookie.split(';')) {
    const name = units.length === 0 ? null : attributeNameOf(part)
    const last = units[units.length - 1]
    if (name === null || last === undefined) {
      units.push({ parts: [part], names: [] })
    } else {
      last.parts.push(part)
      if (name !== '') last.names.push(name)
    }
  }
  const nextNamed: number[] = []
  nextNamed[units.length] = units.length
  for (let i = units.length - 1; i >= 0; i--) {
    nextNamed[i] = (units[i] as Unit).names.length > 0 ? i : (nextNamed[i + 1] as number)
  }
  const cookies: Unit[] = []
  let current: Unit | undefined
  units.forEach((unit, index) => {
    if (
      current !== undefined &&
      !repeatsAny(current.names, unit) &&
      wouldLoseFlag(current.names, units, nextNamed, index)
    ) {
      current.parts.push(...unit.parts)
      current.names.push(...unit.names)
      return
    }
    current = { parts: unit.parts.slice(), names: unit.names.slice() }
    cookies.push(current)
  })
  return cookies.map((cookie) => trimWsp(cookie.parts.join(';'))).filter((cookie) => cookie !== '')
}

/**
 * Splits a Set-Cookie header value that may join several cookies (WeChat's ","
 * join, QQ's ";" join) into one string per cookie.
 */
export function splitSetCookieHeader(header: string, options: SplitOptions = {}): string[] {
  const semicolons = options.semicolonJoined !== false
  const out: string[] = []
  for (const piece of splitCookiesString(header)) {
    // A piece of whitespace only is nothing; else spaces and tabs go, CR / LF stay.
    if (piece.trim() === '') continue
    const trimmed = trimWsp(piece)
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
