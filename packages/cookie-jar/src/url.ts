/*
 * The URL and matching rules of RFC 6265 (sections 5.1.3, 5.1.4, 5.4).
 *
 * The mini-program runtime has no reliable `URL` global (and this package
 * type-checks without DOM types), so request URLs are taken apart here: only
 * the scheme, the host and the path matter to cookies.
 */

/** What a cookie decision needs from a request URL. */
export interface RequestTarget {
  /** Lower-case scheme without ':' (`https`). */
  scheme: string
  /** Canonical host: lower case, no port, no trailing dot; IPv6 in brackets. */
  host: string
  /** The URL's path (no query or fragment); `/` when the URL has none. */
  path: string
  /** Whether the scheme is a secure one (https, wss). */
  secure: boolean
}

const ABSOLUTE_URL = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)([^?#]*)/

/** Parses an absolute http(s) URL. Throws a TypeError for anything else. */
export function parseRequestUrl(url: string): RequestTarget {
  const match = ABSOLUTE_URL.exec(String(url).trim())
  if (!match) throw new TypeError(`cookie-jar: not an absolute URL: ${url}`)
  const scheme = (match[1] as string).toLowerCase()
  let authority = match[2] as string
  const at = authority.lastIndexOf('@')
  if (at >= 0) authority = authority.slice(at + 1)
  let host: string
  if (authority.charAt(0) === '[') {
    const end = authority.indexOf(']')
    host = end > 0 ? authority.slice(0, end + 1) : authority
  } else {
    const colon = authority.indexOf(':')
    host = colon >= 0 ? authority.slice(0, colon) : authority
  }
  host = canonicalDomain(host)
  if (!host) throw new TypeError(`cookie-jar: URL has no host: ${url}`)
  const path = match[3] || '/'
  return { scheme, host, path, secure: scheme === 'https' || scheme === 'wss' }
}

/** Lower case, without leading or trailing dots (a `Domain=.example.com` attribute, `example.com.`). */
export function canonicalDomain(domain: string): string {
  return domain.trim().toLowerCase().replace(/^\.+/, '').replace(/\.+$/, '')
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/

/** An IPv4 address or a bracketed IPv6 address: such hosts only match themselves. */
export function isIpAddress(host: string): boolean {
  return IPV4.test(host) || host.charAt(0) === '['
}

/** RFC 6265 5.1.3: `host` domain-matches `domain` (both canonical). */
export function domainMatch(host: string, domain: string): boolean {
  if (host === domain) return true
  if (isIpAddress(host)) return false
  return host.length > domain.length && host.slice(-(domain.length + 1)) === `.${domain}`
}

/** RFC 6265 5.1.4: the default-path of a request path (its "directory"). */
export function defaultPath(requestPath: string): string {
  if (requestPath.charAt(0) !== '/') return '/'
  const lastSlash = requestPath.lastIndexOf('/')
  if (lastSlash === 0) return '/'
  return requestPath.slice(0, lastSlash)
}

/** RFC 6265 5.1.4: `requestPath` path-matches `cookiePath`. */
export function pathMatch(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true
  if (requestPath.slice(0, cookiePath.length) !== cookiePath) return false
  return (
    cookiePath.charAt(cookiePath.length - 1) === '/' ||
    requestPath.charAt(cookiePath.length) === '/'
  )
}

/**
 * Multi-label public suffixes common for mini-program backends. Without the
 * full Public Suffix List the jar refuses these and every single-label domain
 * (`com`, `cn`); pass `isPublicSuffix` to use a real list.
 */
const KNOWN_PUBLIC_SUFFIXES = [
  'com.cn',
  'net.cn',
  'org.cn',
  'gov.cn',
  'edu.cn',
  'ac.cn',
  'mil.cn',
  'com.hk',
  'com.tw',
  'com.mo',
  'co.uk',
  'org.uk',
  'co.jp',
  'com.au',
  'com.sg',
]

/** The default public-suffix check: a single label (`com`, `localhost`) or a known suffix. */
export function isPublicSuffixDefault(domain: string): boolean {
  return domain.indexOf('.') < 0 || KNOWN_PUBLIC_SUFFIXES.indexOf(domain) >= 0
}
