/*
 * One Set-Cookie string to its name, value and attributes: RFC 6265 section
 * 5.2, with RFC 6265bis' refusal of control characters.
 *
 * Not set-cookie-parser's parseSetCookie: it drops cookies named like an
 * Object.prototype key (`constructor`, `__proto__`), reads Expires with
 * `new Date`, keeps CTLs and lets an empty Domain replace an earlier one.
 * (Its splitCookiesString is still used, in split.ts.)
 */
import { parseCookieDate } from './cookie-date'

/** What the jar needs of one Set-Cookie string; each attribute is the last valid one of its name (5.3). */
export interface ParsedSetCookie {
  name: string
  /** As sent, not URI-decoded. */
  value: string
  /** Epoch ms of the last valid Expires. */
  expires?: number
  /** Seconds of the last valid Max-Age (it wins over Expires). */
  maxAge?: number
  /** The last non-empty Domain, lower case, one leading "." removed: may be "" (`Domain=.`) or end with ".". */
  domain?: string
  /** The last Path as sent; the jar uses the default-path unless it starts with "/" (5.2.4). */
  path?: string
  secure: boolean
  httpOnly: boolean
  /** The last SameSite value as sent. */
  sameSite?: string
}

function isWsp(code: number): boolean {
  return code === 0x20 || code === 0x09
}

/** 5.2 trims only WSP (space, tab), not every whitespace String#trim knows. */
export function trimWsp(text: string): string {
  let start = 0
  let end = text.length
  while (start < end && isWsp(text.charCodeAt(start))) start++
  while (end > start && isWsp(text.charCodeAt(end - 1))) end--
  return text.slice(start, end)
}

/** A CTL other than HTAB: %x00-08 / %x0A-1F / %x7F. */
export function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if ((code <= 0x1f && code !== 0x09) || code === 0x7f) return true
  }
  return false
}

const INTEGER = /^-?\d+$/

/** RFC 6265 5.2; null when the string is to be ignored entirely. */
export function parseSetCookieString(setCookie: string): ParsedSetCookie | null {
  // 6265bis 5.6 step 1: a NUL, a CR LF (header injection) or another CTL anywhere voids the string.
  if (hasControlCharacter(setCookie)) return null
  const parts = setCookie.split(';')
  const pair = parts[0] ?? ''
  const eq = pair.indexOf('=')
  // Steps 2 and 5: no "=" or an empty name is no cookie.
  if (eq < 0) return null
  const name = trimWsp(pair.slice(0, eq))
  if (name === '') return null
  const cookie: ParsedSetCookie = {
    name,
    value: trimWsp(pair.slice(eq + 1)),
    secure: false,
    httpOnly: false,
  }
  for (let i = 1; i < parts.length; i++) {
    const av = parts[i] ?? ''
    const avEq = av.indexOf('=')
    const attributeName = trimWsp(avEq < 0 ? av : av.slice(0, avEq)).toLowerCase()
    const attributeValue = avEq < 0 ? '' : trimWsp(av.slice(avEq + 1))
    // A later attribute overwrites an earlier one (5.3 takes the last); an
    // ignored one (invalid value) leaves it; unknown names are ignored.
    switch (attributeName) {
      case 'expires': {
        // 5.2.1: not a cookie-date, the attribute is ignored.
        const time = parseCookieDate(attributeValue)
        if (time !== null) cookie.expires = time
        break
      }
      case 'max-age':
        // 5.2.2: an optional "-" and digits only; anything else is ignored.
        if (INTEGER.test(attributeValue)) cookie.maxAge = Number(attributeValue)
        break
      case 'domain':
        // 5.2.3: an empty value is ignored (the earlier Domain stays); one leading "." is dropped.
        if (attributeValue !== '') {
          const domain = attributeValue.charAt(0) === '.' ? attributeValue.slice(1) : attributeValue
          cookie.domain = domain.toLowerCase()
        }
        break
      case 'path':
        cookie.path = attributeValue
        break
      case 'secure':
        cookie.secure = true
        break
      case 'httponly':
        cookie.httpOnly = true
        break
      case 'samesite':
        cookie.sameSite = attributeValue
        break
    }
  }
  return cookie
}
