/*
 * Persistence: loaded lazily once, written on change, read back by a new jar
 * (a relaunch), and a corrupt or failing storage does not break requests.
 */
import { describe, expect, it } from 'vitest'
import { createCookieJar, DEFAULT_COOKIE_STORAGE_KEY } from '../src/index'
import { asyncStorage, manualClock, memoryStorage, T0 } from './helpers'

const URL = 'https://api.example.com/'

describe('lazy load, write on change', () => {
  it('reads storage once, on first use, not at creation', async () => {
    const mem = memoryStorage()
    const jar = createCookieJar({ storage: mem.storage })
    expect(mem.calls.get).toBe(0)
    await Promise.all([jar.cookieHeader(URL), jar.cookieHeader(URL), jar.list()])
    await jar.setCookies('a=1', URL)
    expect(mem.calls.get).toBe(1)
  })

  it('writes when cookies change, not on reads that change nothing', async () => {
    const mem = memoryStorage()
    const jar = createCookieJar({ storage: mem.storage })
    await jar.cookieHeader(URL)
    await jar.setCookies('', URL)
    await jar.setCookies('x=1; Domain=other.test', URL) // rejected: no change
    expect(mem.calls.set).toBe(0)
    await jar.setCookies('a=1', URL)
    expect(mem.calls.set).toBe(1)
    await jar.cookieHeader(URL)
    await jar.list()
    expect(mem.calls.set).toBe(1)
    await jar.setCookies('nothing=; Max-Age=0', URL) // deletes nothing
    expect(mem.calls.set).toBe(1)
  })

  it('stores versioned JSON under wxapp.cookies (or storageKey)', async () => {
    const mem = memoryStorage()
    const clock = manualClock()
    await createCookieJar({ storage: mem.storage, now: clock.now }).setCookies(
      'a=1; Max-Age=60; HttpOnly',
      URL,
    )
    expect(DEFAULT_COOKIE_STORAGE_KEY).toBe('wxapp.cookies')
    expect(JSON.parse(mem.map.get('wxapp.cookies') ?? '')).toEqual({
      version: 1,
      cookies: [
        {
          name: 'a',
          value: '1',
          domain: 'api.example.com',
          hostOnly: true,
          path: '/',
          secure: false,
          httpOnly: true,
          expires: T0 + 60_000,
          creation: T0,
        },
      ],
    })
    await createCookieJar({ storage: mem.storage, storageKey: 'other' }).setCookies('b=1', URL)
    expect(mem.map.get('other')).toContain('"b"')
  })

  it('clear() removes the storage key', async () => {
    const mem = memoryStorage()
    const jar = createCookieJar({ storage: mem.storage })
    await jar.setCookies('a=1', URL)
    await jar.clear()
    expect(mem.map.has('wxapp.cookies')).toBe(false)
  })
})

describe('relaunch: a new jar on the same storage', () => {
  it('sees the cookies of the last launch, session cookies included by default', async () => {
    const mem = memoryStorage()
    const clock = manualClock()
    const first = createCookieJar({ storage: mem.storage, now: clock.now })
    await first.setCookies(['sid=s1', 'p=1; Max-Age=3600; Path=/api'], URL)

    const second = createCookieJar({ storage: mem.storage, now: clock.now })
    expect(await second.cookieHeader(`${URL}api/me`)).toBe('p=1; sid=s1')
    expect(await second.list()).toEqual(await first.list())
  })

  it('cookies that expired while the app was closed are gone', async () => {
    const mem = memoryStorage()
    const clock = manualClock()
    await createCookieJar({ storage: mem.storage, now: clock.now }).setCookies(
      ['short=1; Max-Age=60', 'long=1; Max-Age=86400'],
      URL,
    )
    clock.advance(3_600_000)
    const next = createCookieJar({ storage: mem.storage, now: clock.now })
    expect(await next.cookieHeader(URL)).toBe('long=1')
    expect(mem.map.get('wxapp.cookies')).not.toContain('short')
  })

  it('persistSessionCookies: false keeps session cookies for this launch only', async () => {
    const mem = memoryStorage()
    const first = createCookieJar({ storage: mem.storage, persistSessionCookies: false })
    await first.setCookies(['sid=s1', 'p=1; Max-Age=3600'], URL)
    expect(await first.cookieHeader(URL)).toBe('sid=s1; p=1')
    const second = createCookieJar({ storage: mem.storage, persistSessionCookies: false })
    expect(await second.cookieHeader(URL)).toBe('p=1')
  })

  it('works the same over async storage, concurrent calls included', async () => {
    const mem = asyncStorage()
    const first = createCookieJar({ storage: mem.storage })
    await Promise.all([
      first.setCookies('a=1', URL),
      first.setCookies('b=2', URL),
      first.cookieHeader(URL),
      first.setCookies('c=3; Path=/x', URL),
    ])
    await first.setCookies('b=; Max-Age=0', URL)
    const second = createCookieJar({ storage: mem.storage })
    expect(await second.cookieHeader(`${URL}x/y`)).toBe('c=3; a=1')
    await second.clear()
    expect(mem.map.size).toBe(0)
  })
})

describe('corrupt or failing storage', () => {
  const clock = manualClock()

  it.each([
    ['not JSON', '{"version":1,"cookies":['],
    ['another version', '{"version":99,"cookies":[]}'],
    ['not an object', '"hello"'],
    ['cookies not an array', '{"version":1,"cookies":{}}'],
    ['null', 'null'],
  ])('%s: starts empty, works, and the next change overwrites it', async (_label, text) => {
    const mem = memoryStorage({ 'wxapp.cookies': text })
    const jar = createCookieJar({ storage: mem.storage, now: clock.now })
    expect(await jar.cookieHeader(URL)).toBeNull()
    await jar.setCookies('a=1', URL)
    expect(await jar.cookieHeader(URL)).toBe('a=1')
    expect(JSON.parse(mem.map.get('wxapp.cookies') ?? '')).toMatchObject({ version: 1 })
  })

  it('keeps the valid records and drops the broken ones', async () => {
    const good = {
      name: 'ok',
      value: '1',
      domain: 'api.example.com',
      hostOnly: true,
      path: '/',
      secure: false,
      httpOnly: false,
      expires: null,
      creation: T0,
    }
    const text = JSON.stringify({
      version: 1,
      cookies: [
        good,
        { ...good, name: '' },
        { ...good, name: 'nopath', path: 'relative' },
        { ...good, name: 'badexp', expires: 'tomorrow' },
        { ...good, name: 'nodomain', domain: 7 },
        null,
        'string',
      ],
    })
    const jar = createCookieJar({
      storage: memoryStorage({ 'wxapp.cookies': text }).storage,
      now: clock.now,
    })
    expect((await jar.list()).map((c) => c.name)).toEqual(['ok'])
  })

  it('a getItem that throws or rejects: reported, and the jar works in memory', async () => {
    const errors: Array<[unknown, string]> = []
    const jar = createCookieJar({
      storage: {
        getItem: () => Promise.reject(new Error('storage down')),
        setItem: () => {
          throw new Error('quota')
        },
        removeItem: () => undefined,
      },
      onStorageError: (error, operation) => errors.push([(error as Error).message, operation]),
    })
    await jar.setCookies('a=1', URL)
    expect(await jar.cookieHeader(URL)).toBe('a=1')
    expect(errors).toEqual([
      ['storage down', 'load'],
      ['quota', 'save'],
    ])
  })

  it('a throwing onStorageError does not break the jar either', async () => {
    const jar = createCookieJar({
      storage: {
        getItem: () => {
          throw new Error('x')
        },
        setItem: () => Promise.reject(new Error('y')),
        removeItem: () => undefined,
      },
      onStorageError: () => {
        throw new Error('reporter failed')
      },
    })
    await jar.setCookies('a=1', URL)
    expect(await jar.cookieHeader(URL)).toBe('a=1')
  })
})
