/*
 * The jar against a real HTTP server on 127.0.0.1 that sends several
 * Set-Cookie headers per response. The transport simulates wx.request over
 * Node's fetch: the server's raw Set-Cookie headers (`getSetCookie()`) are
 * joined into one `Set-Cookie` string the way WeChat joins them (or QQ, with
 * ";"), and `res.cookies` is given or not. What the server receives back as
 * `Cookie` is what is checked.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { cookieRequest, createCookieJar, withCookies } from '../src/index'
import { manualClock, memoryStorage, pairs } from './helpers'

const REMEMBER_EXPIRES = 'Wed, 21 Oct 2026 07:28:00 GMT'

/** Set-Cookie headers per route (each item is one Set-Cookie header line). */
const ROUTES: Record<string, string[]> = {
  '/setup': ['old=stale; Path=/'],
  '/login': [
    'sid=s3ss10n; Path=/; HttpOnly', // session cookie
    `remember=yes; Expires=${REMEMBER_EXPIRES}; Path=/; SameSite=Lax`, // Expires with a comma
    'csrf=tok; Max-Age=60; Path=/', // Max-Age
    'scoped=api; Path=/api', // Path-scoped
    'foreign=1; Domain=example.com; Path=/', // another domain: rejected
    'secure_only=1; Secure; Path=/', // Secure over http: rejected
    'old=; Max-Age=0; Path=/', // deletes /setup's cookie
  ],
  '/logout': [`sid=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/`],
}

let server: Server
let base = ''
/** The Cookie header of every request the server saw, by path. */
let received: Array<{ path: string; cookie: string | null }> = []

function cookieOf(req: IncomingMessage): string | null {
  return typeof req.headers.cookie === 'string' ? req.headers.cookie : null
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] as string
    const cookie = cookieOf(req)
    received.push({ path, cookie })
    const setCookies = ROUTES[path]
    if (setCookies) res.setHeader('Set-Cookie', setCookies)
    res.setHeader('Content-Type', 'application/json')
    res.end(JSON.stringify({ path, cookie }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())))
})

beforeEach(() => {
  received = []
})

type Join = ',' | ', ' | ';'

/** wx.request's success result, made from a real response over Node's fetch. */
async function wxRequest(
  url: string,
  init: { method?: string; header?: Record<string, string> },
  options: { join: Join; withCookiesArray: boolean },
) {
  const response = await fetch(url, { method: init.method ?? 'GET', headers: init.header ?? {} })
  const header: Record<string, string> = {}
  response.headers.forEach((value, key) => {
    if (key !== 'set-cookie') header[key] = value
  })
  const raw = response.headers.getSetCookie()
  if (raw.length > 0) header['Set-Cookie'] = raw.join(options.join)
  const result: {
    statusCode: number
    header: Record<string, string>
    data: string
    cookies?: string[]
  } = { statusCode: response.status, header, data: await response.text() }
  if (options.withCookiesArray) result.cookies = raw
  return result
}

/** A taro-fetch-like function on top of wxRequest (headers lower-cased, get() only). */
function wxFetch(join: Join) {
  return async (url: string, init: { method?: string; headers?: Record<string, string> } = {}) => {
    const res = await wxRequest(
      url,
      { method: init.method, header: init.headers },
      { join, withCookiesArray: false },
    )
    const map = new Map(Object.keys(res.header).map((k) => [k.toLowerCase(), res.header[k]]))
    return {
      ok: res.statusCode >= 200 && res.statusCode < 300,
      status: res.statusCode,
      headers: { get: (name: string) => map.get(name.toLowerCase()) ?? null },
      json: async () => JSON.parse(res.data) as { path: string; cookie: string | null },
    }
  }
}

function lastCookie(path: string): string[] {
  const hit = received.filter((r) => r.path === path).pop()
  return pairs(hit?.cookie ?? null)
}

describe.each([
  ['WeChat "," join', ',' as Join],
  ['WeChat ", " join', ', ' as Join],
  ['QQ ";" join', ';' as Join],
])('withCookies over a wx.request simulation (%s)', (_label, join) => {
  it('login cookies come back with path scoping, rejections, deletion, expiry and relaunch', async () => {
    const clock = manualClock()
    const mem = memoryStorage()
    const jar = createCookieJar({ storage: mem.storage, now: clock.now })
    const f = withCookies(wxFetch(join), jar)

    await f(`${base}/setup`)
    await f(`${base}/echo`)
    expect(lastCookie('/echo')).toEqual(['old=stale'])

    const login = await f(`${base}/login`, { method: 'POST' })
    expect(login.ok).toBe(true)
    expect(lastCookie('/login')).toEqual(['old=stale'])

    // Root path: session, Expires and Max-Age cookies; not the /api one, the
    // other domain's, the Secure one (http), nor the deleted one.
    const echo = await (await f(`${base}/echo`)).json()
    expect(pairs(echo.cookie)).toEqual(['sid=s3ss10n', 'remember=yes', 'csrf=tok'])
    expect(lastCookie('/echo')).toEqual(['sid=s3ss10n', 'remember=yes', 'csrf=tok'])

    // Under /api: the Path=/api cookie first (longer path).
    await f(`${base}/api/echo`)
    expect(lastCookie('/api/echo')).toEqual([
      'scoped=api',
      'sid=s3ss10n',
      'remember=yes',
      'csrf=tok',
    ])
    await f(`${base}/apix`)
    expect(lastCookie('/apix')).not.toContain('scoped=api')

    // Max-Age=60 runs out on the injected clock.
    clock.advance(61_000)
    await f(`${base}/echo`)
    expect(lastCookie('/echo')).toEqual(['sid=s3ss10n', 'remember=yes'])

    // Relaunch: a new jar on the same storage.
    const relaunched = withCookies(
      wxFetch(join),
      createCookieJar({ storage: mem.storage, now: clock.now }),
    )
    await relaunched(`${base}/api/echo`)
    expect(lastCookie('/api/echo')).toEqual(['scoped=api', 'sid=s3ss10n', 'remember=yes'])

    // Logout deletes the session cookie (Expires in 1970); Expires then runs out.
    await relaunched(`${base}/logout`)
    await relaunched(`${base}/echo`)
    expect(lastCookie('/echo')).toEqual(['remember=yes'])
    clock.set(Date.parse(REMEMBER_EXPIRES))
    await relaunched(`${base}/echo`)
    expect(received.pop()?.cookie).toBeNull()
  })
})

describe('cookieRequest over a Taro.request simulation', () => {
  it.each([
    ['res.cookies present', true],
    ['header only', false],
  ])('%s: the server gets the cookies back', async (_label, withCookiesArray) => {
    const clock = manualClock()
    const jar = createCookieJar({ storage: memoryStorage().storage, now: clock.now })
    const taro = {
      request: (option: { url: string; method?: string; header?: Record<string, string> }) =>
        wxRequest(option.url, option, { join: ',', withCookiesArray }),
    }
    const request = cookieRequest(taro, jar)
    const res = await request({ url: `${base}/login`, method: 'POST' })
    expect(res.statusCode).toBe(200)
    const me = await request({ url: `${base}/api/echo`, header: { accept: 'application/json' } })
    expect(pairs(JSON.parse(me.data).cookie)).toEqual([
      'scoped=api',
      'sid=s3ss10n',
      'remember=yes',
      'csrf=tok',
    ])
    expect((await jar.list()).map((c) => c.name).sort()).toEqual([
      'csrf',
      'remember',
      'scoped',
      'sid',
    ])
  })
})

describe("withCookies over Node's own fetch (separate Set-Cookie headers)", () => {
  it('reads getSetCookie() and sends the cookies back', async () => {
    const jar = createCookieJar({ storage: memoryStorage().storage, now: manualClock().now })
    const f = withCookies(fetch, jar)
    await f(`${base}/login`, { method: 'POST' })
    const res = await f(`${base}/echo`, { headers: { accept: 'application/json' } })
    expect(res.ok).toBe(true)
    expect(lastCookie('/echo')).toEqual(['sid=s3ss10n', 'remember=yes', 'csrf=tok'])
  })
})
