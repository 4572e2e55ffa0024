/*
 * A cookie jar for wx.request, which keeps none (RFC 6265 section 5.3 storage
 * model, 5.4 Cookie header), persisted in key/value storage.
 *
 * Runs in the mini-program: ES2017, no Node or DOM APIs; storage comes in
 * through the structural KeyValueStorage interface (the one of
 * `@wxapp/session/client`: `taroStorage(Taro)` fits), sync or async.
 */
import { parseSetCookieString } from './parse'
import {
  readSetCookies,
  type SetCookieSource,
  type SplitOptions,
  splitSetCookieHeader,
} from './split'
import {
  defaultPath,
  domainMatch,
  isPublicSuffixDefault,
  parseRequestUrl,
  pathMatch,
  type RequestTarget,
} from './url'

/** Persistent key/value strings (Taro storage, localStorage, memory). Sync or async. */
export interface KeyValueStorage {
  getItem(key: string): string | null | Promise<string | null>
  setItem(key: string, value: string): void | Promise<void>
  removeItem(key: string): void | Promise<void>
}

/** A cookie in the jar. Plain JSON data, as stored. */
export interface Cookie {
  name: string
  /** The value as the server sent it (not URI-decoded). */
  value: string
  /** Canonical domain: the request host for a host-only cookie. */
  domain: string
  /** True without a Domain attribute: sent to exactly `domain`, not to its subdomains. */
  hostOnly: boolean
  path: string
  /** Sent over https (wss) only. */
  secure: boolean
  /** Kept for completeness: the jar is the HTTP client, so HttpOnly cookies are sent. */
  httpOnly: boolean
  /** As sent (`Strict`, `Lax`, `None`); kept, not enforced (a mini-program has no sites). */
  sameSite?: string
  /** Expiry in epoch ms, or null for a session cookie (no Expires / Max-Age). */
  expires: number | null
  /** When the jar first stored this (name, domain, path), epoch ms. */
  creation: number
}

/** Why a Set-Cookie string was not stored. */
export type CookieRejectReason =
  /** Not a cookie: no `name=`, an empty name, or a control character (NUL, CR, LF, ...) anywhere. */
  | 'invalid'
  /** Domain attribute the request host does not domain-match (another site, or a trailing "."). */
  | 'domain-mismatch'
  /** Domain attribute is a public suffix (`com`, `com.cn`): a cookie for every site under it. */
  | 'public-suffix'
  /** Secure cookie from a non-secure URL, or a `__Secure-` / `__Host-` name whose rules are broken. */
  | 'secure-required'
  /** A non-secure URL tried to replace or shadow a Secure cookie (RFC 6265bis). */
  | 'secure-conflict'

export interface RejectedCookie {
  setCookie: string
  reason: CookieRejectReason
}

export interface SetCookiesResult {
  /** Cookies stored (new or replacing one with the same name, domain and path). */
  stored: Cookie[]
  /** Cookies deleted by a Set-Cookie that expired them (Max-Age <= 0, Expires in the past). */
  removed: Cookie[]
  rejected: RejectedCookie[]
}

export interface CookieJarOptions extends SplitOptions {
  storage: KeyValueStorage
  /** Storage key of the jar. Default `wxapp.cookies`. */
  storageKey?: string
  /** Clock in epoch ms (tests inject one). Default `Date.now`. */
  now?: () => number
  /**
   * Keep session cookies (no Expires / Max-Age) across launches. Default true:
   * a mini-program is killed in the background often, and a cookie session
   * would otherwise end with it. False keeps them in memory for this jar only.
   */
  persistSessionCookies?: boolean
  /**
   * Whether a Domain attribute names a public suffix, for which no cookie is
   * stored. Default: any single label (`com`, `cn`) and a few multi-label
   * suffixes (`com.cn`, `co.uk`, ...). Plug in a Public Suffix List here.
   */
  isPublicSuffix?: (domain: string) => boolean
  /** Called when storage fails to load or save; the jar goes on in memory. */
  onStorageError?: (error: unknown, operation: 'load' | 'save') => void
}

export interface CookieJar {
  /**
   * Stores the cookies of a response to `requestUrl`. A string is one
   * Set-Cookie header value, possibly several cookies joined (WeChat's ",",
   * QQ's ";"); an array holds one cookie per item (`res.cookies`).
   */
  setCookies(
    setCookieHeaders: string | readonly string[] | null | undefined,
    requestUrl: string,
  ): Promise<SetCookiesResult>
  /** Stores the cookies of a wx.request / Taro.request / fetch-like response. */
  storeResponse(response: SetCookieSource, requestUrl: string): Promise<SetCookiesResult>
  /** The `Cookie` header value for a request to `requestUrl`, or null when no cookie applies. */
  cookieHeader(requestUrl: string): Promise<string | null>
  /** The cookies sent to `requestUrl`, in Cookie header order. */
  cookiesFor(requestUrl: string): Promise<Cookie[]>
  /** Every unexpired cookie in the jar (copies). */
  list(): Promise<Cookie[]>
  /** Removes every cookie, from memory and storage (a logout). */
  clear(): Promise<void>
}

export const DEFAULT_COOKIE_STORAGE_KEY = 'wxapp.cookies'

const STORAGE_VERSION = 1
/** The latest time a Date can hold. */
const MAX_TIME = 8.64e15
function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}

/** A stored record back to a Cookie, or null when it is not one (corrupt storage). */
function reviveCookie(raw: unknown): Cookie | null {
  if (!isObject(raw)) return null
  const { name, value, domain, hostOnly, path, secure, httpOnly, sameSite, expires, creation } = raw
  if (typeof name !== 'string' || name === '' || typeof value !== 'string') return null
  if (typeof domain !== 'string' || domain === '' || typeof path !== 'string') return null
  if (path.charAt(0) !== '/') return null
  if (expires !== null && (typeof expires !== 'number' || !Number.isFinite(expires))) return null
  if (typeof creation !== 'number' || !Number.isFinite(creation)) return null
  const cookie: Cookie = {
    name,
    value,
    domain,
    hostOnly: hostOnly === true,
    path,
    secure: secure === true,
    httpOnly: httpOnly === true,
    expires,
    creation,
  }
  if (typeof sameSite === 'string') cookie.sameSite = sameSite
  return cookie
}

function deserialize(text: string | null): Cookie[] {
  if (typeof text !== 'string' || text === '') return []
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    return []
  }
  if (!isObject(data) || data.version !== STORAGE_VERSION || !Array.isArray(data.cookies)) return []
  const cookies: Cookie[] = []
  for (const raw of data.cookies) {
    const cookie = reviveCookie(raw)
    if (cookie) cookies.push(cookie)
  }
  return cookies
}

function copy(cookie: Cookie): Cookie {
  return { ...cookie }
}

function sameKey(a: Cookie, b: Cookie): boolean {
  return a.name === b.name && a.domain === b.domain && a.path === b.path
}

interface Candidate {
  cookie: Cookie
  /** True when the cookie is already expired on arrival: it only deletes. */
  expired: boolean
}

export function createCookieJar(options: CookieJarOptions): CookieJar {
  const {
    storage,
    storageKey = DEFAULT_COOKIE_STORAGE_KEY,
    now = Date.now,
    persistSessionCookies = true,
    isPublicSuffix = isPublicSuffixDefault,
    onStorageError,
  } = options
  const splitOptions: SplitOptions = { semicolonJoined: options.semicolonJoined !== false }

  /** In insertion order (creation order, a replaced cookie keeps its place). */
  let cookies: Cookie[] = []
  let loading: Promise<void> | null = null
  let writing: Promise<void> = Promise.resolve()

  function report(error: unknown, operation: 'load' | 'save') {
    if (!onStorageError) return
    try {
      onStorageError(error, operation)
    } catch {
      // A failing reporter must not break requests.
    }
  }

  /** Reads storage once, on first use. */
  function load(): Promise<void> {
    if (!loading) {
      loading = (async () => {
        let text: string | null = null
        try {
          text = await storage.getItem(storageKey)
        } catch (error) {
          report(error, 'load')
        }
        // Every operation waits for this load before it touches `cookies`.
        cookies = deserialize(text)
      })()
    }
    return loading
  }

  /** Queues a write of the jar as it is when the write runs (writes stay in order). */
  function persist(): Promise<void> {
    writing = writing
      .then(() => {
        const kept = persistSessionCookies ? cookies : cookies.filter((c) => c.expires !== null)
        if (kept.length === 0) return storage.removeItem(storageKey)
        return storage.setItem(
          storageKey,
          JSON.stringify({ version: STORAGE_VERSION, cookies: kept }),
        )
      })
      .then(undefined, (error: unknown) => report(error, 'save'))
    return writing
  }

  /** Drops expired cookies; true when any was dropped. */
  function purgeExpired(): boolean {
    const time = now()
    const before = cookies.length
    cookies = cookies.filter((cookie) => cookie.expires === null || cookie.expires > time)
    return cookies.length !== before
  }

  function upsert(cookie: Cookie) {
    const index = cookies.findIndex((existing) => sameKey(existing, cookie))
    if (index >= 0) cookies[index] = cookie
    else cookies.push(cookie)
  }

  /** RFC 6265 5.3 steps 1-10 (and 6265bis' Secure rules): a parsed cookie or why not. */
  function evaluate(
    setCookie: string,
    target: RequestTarget,
    time: number,
  ): Candidate | CookieRejectReason {
    const parsed = parseSetCookieString(setCookie)
    if (!parsed) return 'invalid'

    let expires: number | null = null
    if (parsed.maxAge !== undefined) {
      // Max-Age wins over Expires; <= 0 means "the earliest time", i.e. delete.
      expires = parsed.maxAge <= 0 ? 0 : Math.min(time + parsed.maxAge * 1000, MAX_TIME)
    } else if (parsed.expires !== undefined) {
      expires = parsed.expires
    }

    // 5.3 steps 4-6. An empty domain-attribute (none, or `Domain=.`) means host-only.
    const domainAttribute = parsed.domain ?? ''
    let domain = target.host
    let hostOnly = true
    if (domainAttribute) {
      // `example.com.` is another domain than `example.com` (the request host is
      // canonical without the dot), so it cannot domain-match: the cookie is
      // refused, as in 6265bis and Chrome and Firefox.
      if (domainAttribute.charAt(domainAttribute.length - 1) === '.') return 'domain-mismatch'
      if (isPublicSuffix(domainAttribute)) {
        // A public suffix is only allowed as the request host itself (e.g. `localhost`).
        if (domainAttribute !== target.host) return 'public-suffix'
      } else if (!domainMatch(target.host, domainAttribute)) {
        return 'domain-mismatch'
      } else {
        domain = domainAttribute
        hostOnly = false
      }
    }

    const path =
      parsed.path !== undefined && parsed.path.charAt(0) === '/'
        ? parsed.path
        : defaultPath(target.path)
    const secure = parsed.secure

    if (secure && !target.secure) return 'secure-required'
    const name = parsed.name
    if (name.slice(0, 9).toLowerCase() === '__secure-' && !secure) return 'secure-required'
    if (
      name.slice(0, 7).toLowerCase() === '__host-' &&
      (!secure || !hostOnly || parsed.path !== '/')
    ) {
      return 'secure-required'
    }

    const cookie: Cookie = {
      name,
      value: parsed.value,
      domain,
      hostOnly,
      path,
      secure,
      httpOnly: parsed.httpOnly,
      expires,
      creation: time,
    }
    if (parsed.sameSite) cookie.sameSite = parsed.sameSite

    if (!target.secure) {
      // 6265bis: an insecure origin may not overwrite or shadow a Secure cookie.
      const conflict = cookies.some(
        (existing) =>
          existing.secure &&
          existing.name === name &&
          (domainMatch(existing.domain, domain) || domainMatch(domain, existing.domain)) &&
          pathMatch(path, existing.path),
      )
      if (conflict) return 'secure-conflict'
    }

    return { cookie, expired: expires !== null && expires <= time }
  }

  async function setCookies(
    setCookieHeaders: string | readonly string[] | null | undefined,
    requestUrl: string,
  ): Promise<SetCookiesResult> {
    const target = parseRequestUrl(requestUrl)
    const strings =
      typeof setCookieHeaders === 'string'
        ? splitSetCookieHeader(setCookieHeaders, splitOptions)
        : (setCookieHeaders ?? []).filter((s) => typeof s === 'string' && s.trim() !== '')
    const result: SetCookiesResult = { stored: [], removed: [], rejected: [] }
    if (strings.length === 0) return result

    await load()
    const time = now()
    let changed = purgeExpired()
    for (const setCookie of strings) {
      // Not trimmed: the parser trims WSP only, and a CR or LF at an end refuses the cookie.
      const outcome = evaluate(setCookie, target, time)
      if (typeof outcome === 'string') {
        result.rejected.push({ setCookie, reason: outcome })
        continue
      }
      const { cookie, expired } = outcome
      const index = cookies.findIndex((existing) => sameKey(existing, cookie))
      const old = index >= 0 ? cookies[index] : undefined
      if (expired) {
        if (old) {
          cookies.splice(index, 1)
          result.removed.push(copy(old))
          changed = true
        }
        continue
      }
      // A replacement keeps the creation time of the cookie it replaces.
      if (old) cookie.creation = old.creation
      upsert(cookie)
      result.stored.push(copy(cookie))
      changed = true
    }
    if (changed) await persist()
    return result
  }

  async function cookiesFor(requestUrl: string): Promise<Cookie[]> {
    const target = parseRequestUrl(requestUrl)
    await load()
    if (purgeExpired()) await persist()
    const matching: Array<{ cookie: Cookie; order: number }> = []
    cookies.forEach((cookie, order) => {
      const hostOk = cookie.hostOnly
        ? target.host === cookie.domain
        : domainMatch(target.host, cookie.domain)
      if (!hostOk || !pathMatch(target.path, cookie.path)) return
      if (cookie.secure && !target.secure) return
      matching.push({ cookie, order })
    })
    // Longer paths first, then earlier creation (array order breaks ties: sort may be unstable).
    matching.sort(
      (a, b) =>
        b.cookie.path.length - a.cookie.path.length ||
        a.cookie.creation - b.cookie.creation ||
        a.order - b.order,
    )
    return matching.map((entry) => copy(entry.cookie))
  }

  return {
    setCookies,
    storeResponse(response, requestUrl) {
      return setCookies(readSetCookies(response, splitOptions), requestUrl)
    },
    cookiesFor,
    async cookieHeader(requestUrl) {
      const list = await cookiesFor(requestUrl)
      if (list.length === 0) return null
      return list.map((cookie) => `${cookie.name}=${cookie.value}`).join('; ')
    },
    async list() {
      await load()
      if (purgeExpired()) await persist()
      return cookies.map(copy)
    },
    async clear() {
      await load()
      cookies = []
      await persist()
    },
  }
}
