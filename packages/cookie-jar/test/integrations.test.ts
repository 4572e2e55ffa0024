/*
 * withCookies and cookieRequest with fake transports: which Cookie header goes
 * out, and which Set-Cookie comes back into the jar.
 */
import { describe, expect, it } from 'vitest'
import { cookieRequest, createCookieJar, withCookies } from '../src/index'
import { manualClock, memoryStorage } from './helpers'

const BASE = 'https://api.example.com'

function newJar() {
  return createCookieJar({ storage: memoryStorage().storage, now: manualClock().now })
}

interface Sent {
  input: unknown
  init: { headers?: unknown; method?: string } | undefined
}

/** A fetch-like stub: records requests, answers with the given response. */
function stubFetch(response: (n: number) => object = () => ({ headers: { get: () => null } })) {
  const sent: Sent[] = []
  const fetchLike = async (input: unknown, init?: { headers?: unknown; method?: string }) => {
    sent.push({ input, init })
    return { ok: true, status: 200, json: async () => ({}), ...response(sent.length) }
  }
  return { sent, fetchLike }
}

describe('withCookies', () => {
  it('sends no Cookie header (and the same init) while the jar has none for the URL', async () => {
    const { sent, fetchLike } = stubFetch()
    const init = { method: 'POST', headers: { 'content-type': 'application/json' } }
    await withCookies(fetchLike, newJar())(`${BASE}/trpc/x`, init)
    expect(sent[0]?.init).toBe(init)
  })

  it('stores the Set-Cookie of a response and sends it on the next request', async () => {
    const { sent, fetchLike } = stubFetch((n) =>
      n === 1
        ? {
            headers: {
              get: (name: string) =>
                name === 'set-cookie'
                  ? 'sid=1; Path=/; HttpOnly, t=2; Expires=Wed, 21 Oct 2026 07:28:00 GMT'
                  : null,
            },
          }
        : { headers: { get: () => null } },
    )
    const jar = newJar()
    const fetchWithCookies = withCookies(fetchLike, jar)
    const first = await fetchWithCookies(`${BASE}/login`, { method: 'POST' })
    expect(first.status).toBe(200)
    await fetchWithCookies(`${BASE}/me`, {
      method: 'GET',
      headers: { 'content-type': 'application/json' },
    })
    expect(sent[1]?.init).toEqual({
      method: 'GET',
      headers: { 'content-type': 'application/json', Cookie: 'sid=1; t=2' },
    })
  })

  it('reads res.cookies when the response carries it', async () => {
    const { fetchLike } = stubFetch(() => ({ cookies: ['a=1; Path=/'], headers: {} }))
    const jar = newJar()
    await withCookies(fetchLike, jar)(`${BASE}/`)
    expect(await jar.cookieHeader(`${BASE}/`)).toBe('a=1')
  })

  it('merges into any headers shape; a caller Cookie comes first', async () => {
    const { sent, fetchLike } = stubFetch()
    const jar = newJar()
    await jar.setCookies('j=1', `${BASE}/`)
    const f = withCookies(fetchLike, jar)
    await f(`${BASE}/a`, { headers: [['X-A', '1']] })
    await f(`${BASE}/b`, { headers: new Headers({ 'x-b': '2', cookie: 'mine=0' }) })
    await f(`${BASE}/c`, { headers: { COOKIE: 'mine=0' } })
    await f(`${BASE}/d`)
    expect(sent.map((s) => s.init?.headers)).toEqual([
      { 'X-A': '1', Cookie: 'j=1' },
      { cookie: 'mine=0; j=1', 'x-b': '2' },
      { COOKIE: 'mine=0; j=1' },
      { Cookie: 'j=1' },
    ])
  })

  it('takes the URL of URL objects and Request-like inputs', async () => {
    const { sent, fetchLike } = stubFetch()
    const jar = newJar()
    await jar.setCookies('j=1', `${BASE}/`)
    const f = withCookies(fetchLike, jar)
    await f(new URL(`${BASE}/u`))
    await f({ url: `${BASE}/r` })
    expect(sent.map((s) => s.init?.headers)).toEqual([{ Cookie: 'j=1' }, { Cookie: 'j=1' }])
  })

  it('a relative URL goes out untouched (the transport reports it)', async () => {
    const { sent, fetchLike } = stubFetch()
    await withCookies(fetchLike, newJar())('/relative', { method: 'GET' })
    expect(sent[0]?.init).toEqual({ method: 'GET' })
  })

  it('a failing transport rejects as before, and stores nothing', async () => {
    const jar = newJar()
    const failing = async (_url: string) => {
      throw new TypeError('Network request failed')
    }
    await expect(withCookies(failing, jar)(`${BASE}/`)).rejects.toThrow('Network request failed')
    expect(await jar.list()).toEqual([])
  })
})

/** A fake Taro with request() only, as weapp's Taro.request resolves. */
function fakeTaro(result: (option: { url: string; header?: unknown }) => object) {
  const options: Array<{ url: string; header?: unknown; method?: string }> = []
  let aborts = 0
  return {
    options,
    aborts: () => aborts,
    request(option: { url: string; header?: unknown; method?: string }) {
      options.push(option)
      const promise = Promise.resolve({
        statusCode: 200,
        data: {},
        errMsg: 'request:ok',
        ...result(option),
      })
      return Object.assign(promise, {
        abort() {
          aborts++
        },
      })
    },
  }
}

describe('cookieRequest (Taro.request)', () => {
  it('adds the Cookie header and stores res.cookies (base library >= 2.10.0)', async () => {
    const taro = fakeTaro((option) =>
      option.url.endsWith('/login')
        ? {
            header: { 'Set-Cookie': 'ignored=1' },
            cookies: ['sid=s1; Path=/; HttpOnly', 'e=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT'],
          }
        : { header: {} },
    )
    const jar = newJar()
    const request = cookieRequest(taro, jar)
    const res = await request({ url: `${BASE}/login`, method: 'POST' })
    expect(res.statusCode).toBe(200)
    await request({ url: `${BASE}/me`, header: { 'content-type': 'application/json' } })
    expect(taro.options[0]?.header).toBeUndefined()
    expect(taro.options[1]?.header).toEqual({
      'content-type': 'application/json',
      Cookie: 'sid=s1; e=1',
    })
  })

  it('falls back to the joined Set-Cookie header (WeChat "," and QQ ";" joins)', async () => {
    for (const header of [
      { 'Set-Cookie': 'a=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT, b=2; Path=/' },
      { 'set-cookie': 'a=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT;b=2; Path=/' },
    ]) {
      const jar = newJar()
      await cookieRequest(
        fakeTaro(() => ({ header })),
        jar,
      )({ url: `${BASE}/` })
      expect(await jar.cookieHeader(`${BASE}/`)).toBe('a=1; b=2')
    }
  })

  it('abort() before the request starts rejects with request:fail abort; later it aborts the task', async () => {
    const taro = fakeTaro(() => ({ header: {} }))
    const request = cookieRequest(taro, newJar())
    const early = request({ url: `${BASE}/` })
    early.abort()
    await expect(early).rejects.toMatchObject({ errMsg: 'request:fail abort' })
    expect(taro.options).toHaveLength(0)

    const running = request({ url: `${BASE}/` })
    await new Promise((resolve) => setTimeout(resolve, 0))
    running.abort()
    await running
    expect(taro.aborts()).toBe(1)
  })

  it('a failing Taro.request rejects with its own error', async () => {
    const jar = newJar()
    const taro = {
      request: (_option: { url: string }) =>
        Promise.reject({ errMsg: 'request:fail timeout' }) as Promise<{ header: object }>,
    }
    await expect(cookieRequest(taro, jar)({ url: `${BASE}/` })).rejects.toEqual({
      errMsg: 'request:fail timeout',
    })
  })
})
