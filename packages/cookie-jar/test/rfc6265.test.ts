/*
 * RFC 6265 section 5 as the jar applies it to one Set-Cookie string: the
 * attribute parsing of 5.2, the cookie-date algorithm of 5.1.1, the Domain
 * rules of 5.2.3 / 5.3, control characters (6265bis 5.6) and cookie names
 * that are Object.prototype keys.
 */
import { describe, expect, it } from 'vitest'
import { createCookieJar, domainMatch } from '../src/index'
import { manualClock, memoryStorage, pairs, T0 } from './helpers'

function setup(start = T0) {
  const clock = manualClock(start)
  const mem = memoryStorage()
  const jar = createCookieJar({ storage: mem.storage, now: clock.now })
  return { jar, clock, mem }
}

/** Each string as one cookie (an array item: no splitting), from `url`. */
async function store(setCookie: string, url = 'https://www.x.test/dir/page') {
  const { jar } = setup()
  return jar.setCookies([setCookie], url)
}

describe('5.2: attributes', () => {
  it('attribute names match case-insensitively', async () => {
    const { stored, rejected } = await store(
      'a=1; sEcUrE; HTTPONLY; pAtH=/p; DOMAIN=X.Test; max-AGE=60; SAMESITE=lax',
    )
    expect(rejected).toEqual([])
    expect(stored[0]).toMatchObject({
      domain: 'x.test',
      hostOnly: false,
      path: '/p',
      secure: true,
      httpOnly: true,
      expires: T0 + 60_000,
      sameSite: 'lax',
    })
  })

  it('unknown attributes are ignored, whatever their name', async () => {
    const { stored } = await store(
      'a=1; Foo=bar; Comment=hi; Version=1; Port=80; name=evil; value=evil; constructor=x; __proto__=y; toString; Path=/p',
    )
    expect(stored).toHaveLength(1)
    expect(stored[0]).toMatchObject({ name: 'a', value: '1', path: '/p', secure: false })
    expect(Object.keys(stored[0] ?? {}).sort()).toEqual([
      'creation',
      'domain',
      'expires',
      'hostOnly',
      'httpOnly',
      'name',
      'path',
      'secure',
      'value',
    ])
  })

  it('WSP around names and values is trimmed; "=" after the first stays in the value', async () => {
    const { stored } = await store(' a = 1 ;\tPath = /p ; Max-Age =\t60 ;; ;')
    expect(stored[0]).toMatchObject({ name: 'a', value: '1', path: '/p', expires: T0 + 60_000 })
    const eq = await store('b==x=; Path=/a=b')
    expect(eq.stored[0]).toMatchObject({ name: 'b', value: '=x=', path: '/a=b' })
  })

  it('Secure and HttpOnly count with any value', async () => {
    const { stored } = await store('a=1; Secure=no; HttpOnly=false')
    expect(stored[0]).toMatchObject({ secure: true, httpOnly: true })
  })

  it('the last attribute of a name wins (5.3)', async () => {
    const { stored } = await store(
      'a=1; Path=/a; Path=/b; SameSite=Lax; SameSite=Strict; Max-Age=60; Max-Age=120; Domain=x.test; Domain=www.x.test',
    )
    expect(stored[0]).toMatchObject({
      path: '/b',
      sameSite: 'Strict',
      expires: T0 + 120_000,
      domain: 'www.x.test',
      hostOnly: false,
    })
    // The last Path does not start with "/": it is the default-path (5.2.4).
    expect((await store('a=1; Path=/a; Path=b')).stored[0]?.path).toBe('/dir')
    // The last Expires wins, two valid ones.
    const two = await store(
      'a=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT; Expires=Thu, 22 Oct 2026 07:28:00 GMT',
    )
    expect(two.stored[0]?.expires).toBe(Date.UTC(2026, 9, 22, 7, 28, 0))
  })

  it('an attribute that is ignored leaves the earlier one of its name in force', async () => {
    const maxAge = await store('a=1; Max-Age=60; Max-Age=soon')
    expect(maxAge.stored[0]?.expires).toBe(T0 + 60_000)
    // "21 Oct 2026" has no time: not a cookie-date, so the first Expires stays.
    const expires = await store('a=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT; Expires=21 Oct 2026')
    expect(expires.stored[0]?.expires).toBe(Date.UTC(2026, 9, 21, 7, 28, 0))
  })

  it('Max-Age wins over Expires; Max-Age <= 0 deletes even with a future Expires', async () => {
    const { jar } = setup()
    await jar.setCookies(['a=1', 'keep=1'], 'https://x.test/')
    const { removed, stored } = await jar.setCookies(
      ['a=; Expires=Wed, 21 Oct 2026 07:28:00 GMT; Max-Age=0', 'b=1; Max-Age=5; Expires=junk'],
      'https://x.test/',
    )
    expect(removed.map((c) => c.name)).toEqual(['a'])
    expect(stored.map((c) => [c.name, c.expires])).toEqual([['b', T0 + 5000]])
  })

  it.each([['+60'], ['60s'], ['1e3'], ['6 0'], ['0x10'], ['-'], ['- 5'], [''], ['60.5']])(
    'Max-Age=%j is not an integer: ignored (the Expires applies)',
    async (maxAge) => {
      const expires = 'Wed, 21 Oct 2026 07:28:00 GMT'
      const withExpires = await store(`a=1; Max-Age=${maxAge}; Expires=${expires}`)
      expect(withExpires.stored[0]?.expires).toBe(Date.UTC(2026, 9, 21, 7, 28, 0))
      const alone = await store(`a=1; Max-Age=${maxAge}`)
      expect(alone.stored[0]?.expires).toBeNull()
    },
  )

  it('a huge Max-Age is capped at the latest Date', async () => {
    const { stored } = await store('a=1; Max-Age=99999999999999999999999')
    expect(stored[0]?.expires).toBe(8.64e15)
  })
})

/** Epoch ms of a UTC date. */
const utc = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0) =>
  Date.UTC(y, mo - 1, d, h, mi, s)

/**
 * The expiry the jar reads from `Expires=<date>`, or null when the date is
 * not a cookie-date (the attribute is ignored: a session cookie). The clock
 * stands before 1601, so every valid date is in the future and gets stored.
 */
async function expiresOf(date: string): Promise<number | null | undefined> {
  const { jar } = setup(Date.UTC(1500, 0, 1))
  const { stored } = await jar.setCookies([`d=1; Expires=${date}`], 'https://x.test/')
  return stored[0]?.expires
}

describe('5.1.1: Expires is a cookie-date', () => {
  it.each([
    // The usual formats.
    ['Wed, 21 Oct 2026 07:28:00 GMT', utc(2026, 10, 21, 7, 28, 0)],
    ['Sun, 06 Nov 1994 08:49:37 GMT', utc(1994, 11, 6, 8, 49, 37)],
    ['Sunday, 06-Nov-94 08:49:37 GMT', utc(1994, 11, 6, 8, 49, 37)],
    ['Sun Nov  6 08:49:37 1994', utc(1994, 11, 6, 8, 49, 37)],
    ['Thu, 10 Apr 2008 13:00:00 GMT', utc(2008, 4, 10, 13, 0, 0)],
    // Always UTC: a zone, named or numeric, is a token that matches nothing.
    ['Wed, 21 Oct 2026 07:28:00 +0800', utc(2026, 10, 21, 7, 28, 0)],
    ['Wed, 21 Oct 2026 07:28:00 PST', utc(2026, 10, 21, 7, 28, 0)],
    ['21 Oct 2026 07:28:00', utc(2026, 10, 21, 7, 28, 0)],
    // Any order; the first token that fits a field takes it.
    ['2026 Oct 21 07:28:00', utc(2026, 10, 21, 7, 28, 0)],
    ['07:28:00 Oct 21 2026', utc(2026, 10, 21, 7, 28, 0)],
    ['Apr 10 08 13:00:00', utc(2008, 4, 10, 13, 0, 0)],
    ['08 Apr 10 13:00:00', utc(2010, 4, 8, 13, 0, 0)],
    // Two-digit years: 70-99 are 19xx, 00-69 are 20xx (a four-digit 0070 too).
    ['Thu, 01 Jan 70 00:00:01 GMT', utc(1970, 1, 1, 0, 0, 1)],
    ['31 Dec 99 23:59:59', utc(1999, 12, 31, 23, 59, 59)],
    ['01 Jan 00 00:00:00', utc(2000, 1, 1)],
    ['01 Jan 69 00:00:00', utc(2069, 1, 1)],
    ['1 Jan 0070 0:0:0', utc(1970, 1, 1)],
    // Months by their first three letters, any case; fields of one digit.
    ['Wed, 21 oCtObEr 2026 7:8:9 gmt', utc(2026, 10, 21, 7, 8, 9)],
    ['21 Octopus 2026 07:28:00', utc(2026, 10, 21, 7, 28, 0)],
    // A field may be followed by a non-digit and anything.
    ['21st Oct 2026 7:28:00am', utc(2026, 10, 21, 7, 28, 0)],
    ['21 Oct 2026abc 07:28:00:99', utc(2026, 10, 21, 7, 28, 0)],
    // Every delimiter separates tokens (the "absurd but valid" example).
    ['Tue!#01&Jan<2019?00:24:20}GMT', utc(2019, 1, 1, 0, 24, 20)],
    ['  ,21-Oct-2026 07:28:00,  ', utc(2026, 10, 21, 7, 28, 0)],
    // Range edges.
    ['29 Feb 2024 12:00:00', utc(2024, 2, 29, 12, 0, 0)],
    ['01 Jan 1601 00:00:00 GMT', utc(1601, 1, 1)],
    ['31 Dec 9999 23:59:59 GMT', utc(9999, 12, 31, 23, 59, 59)],
  ])('%j is %d', async (date, expected) => {
    expect(await expiresOf(date)).toBe(expected)
  })

  it.each([
    [''],
    ['someday'],
    ['21 Oct 2026'], // no time
    ['21 Oct 2026 07:28'], // no seconds: not a time
    ['07:28:00 21 Oct'], // no year
    ['21 2026 07:28:00'], // no month
    ['Oct 2026 07:28:00'], // no day: four digits are not a day-of-month
    ['32 Oct 2026 07:28:00'],
    ['0 Oct 2026 07:28:00'],
    ['31 Apr 2026 07:28:00'], // no such date
    ['29 Feb 2025 00:00:00'],
    ['21 Oct 2026 24:00:00'],
    ['21 Oct 2026 07:60:00'],
    ['21 Oct 2026 07:28:60'], // no leap seconds
    ['21 Oct 2026 123:00:00'],
    ['21 Oct 1600 07:28:00'], // before 1601
    ['21 Oct 126 07:28:00'], // year 126
    ['21 Oct 20260 07:28:00'], // five digits are no year
    ['Jan 70 01 00:00:00'], // "70" comes first, so it is the day-of-month: 70 > 31
    ['2026-10-21T07:28:00Z'], // ISO 8601: no month token, "21T07..." is no time
    ['2026/10/21 07:28:00'],
    ['1792569600'],
  ])('%j is not a cookie-date: the Expires is ignored', async (date) => {
    expect(await expiresOf(date)).toBeNull()
  })
})

describe('5.2.3 / 5.3: Domain', () => {
  const FROM = 'https://www.example.com/'

  it('one leading dot is ignored; two are not', async () => {
    const one = await store('a=1; Domain=.example.com', FROM)
    expect(one.stored[0]).toMatchObject({ domain: 'example.com', hostOnly: false })
    const two = await store('a=1; Domain=..example.com', FROM)
    expect(two.rejected.map((r) => r.reason)).toEqual(['domain-mismatch'])
  })

  it('a trailing dot refuses the cookie (example.com. is another domain), from any host', async () => {
    for (const domain of ['example.com.', '.example.com.', 'www.example.com.']) {
      const result = await store(`a=1; Domain=${domain}`, FROM)
      expect(result.rejected.map((r) => r.reason)).toEqual(['domain-mismatch'])
      const fromDotted = await store(`a=1; Domain=${domain}`, 'https://www.example.com./')
      expect(fromDotted.rejected.map((r) => r.reason)).toEqual(['domain-mismatch'])
    }
  })

  it('an empty Domain is ignored: host-only, or the earlier Domain stays', async () => {
    for (const cookie of ['a=1; Domain=', 'a=1; Domain', 'a=1; Domain=  ']) {
      const { stored } = await store(cookie, FROM)
      expect(stored[0]).toMatchObject({ domain: 'www.example.com', hostOnly: true })
    }
    for (const cookie of ['a=1; Domain=example.com; Domain=', 'a=1; Domain=example.com; Domain']) {
      const { stored } = await store(cookie, FROM)
      expect(stored[0]).toMatchObject({ domain: 'example.com', hostOnly: false })
    }
  })

  it('"Domain=." is a Domain of "" (the dot removed): host-only', async () => {
    const { stored } = await store('a=1; Domain=example.com; Domain=.', FROM)
    expect(stored[0]).toMatchObject({ domain: 'www.example.com', hostOnly: true })
  })

  it('domain-match (5.1.3)', () => {
    expect(domainMatch('example.com', 'example.com')).toBe(true)
    expect(domainMatch('www.example.com', 'example.com')).toBe(true)
    expect(domainMatch('a.b.example.com', 'example.com')).toBe(true)
    expect(domainMatch('wwwexample.com', 'example.com')).toBe(false)
    expect(domainMatch('example.com', 'www.example.com')).toBe(false)
    expect(domainMatch('example.com', 'example.com.')).toBe(false)
    expect(domainMatch('example.com.', 'example.com')).toBe(false)
    expect(domainMatch('1.2.3.4', '2.3.4')).toBe(false)
    expect(domainMatch('1.2.3.4', '1.2.3.4')).toBe(true)
    expect(domainMatch('[::1]', '[::1]')).toBe(true)
    expect(domainMatch('[fe80::1:2]', '1:2]')).toBe(false)
  })

  it('a domain cookie is sent to the domain and its subdomains only', async () => {
    const { jar } = setup()
    await jar.setCookies(['a=1; Domain=.Example.COM'], FROM)
    expect(await jar.cookieHeader('https://example.com/')).toBe('a=1')
    expect(await jar.cookieHeader('https://deep.api.example.com/')).toBe('a=1')
    expect(await jar.cookieHeader('https://badexample.com/')).toBeNull()
    expect(await jar.cookieHeader('https://example.com.evil.test/')).toBeNull()
  })
})

/** The CTLs of 6265bis 5.6 step 1 (%x00-08 / %x0A-1F / %x7F: HTAB is whitespace). */
const CTLS = ['\x00', '\x01', '\x08', '\n', '\r', '\x0b', '\x0c', '\x1b', '\x1f', '\x7f']

describe('control characters: the Set-Cookie is ignored entirely', () => {
  it.each(CTLS.map((c) => [JSON.stringify(c), c]))(
    '%s in a name, a value or an attribute',
    async (_label, c) => {
      const { jar } = setup()
      const strings = [
        `a${c}b=1`,
        `a=1${c}2`,
        `${c}a=1`,
        `a=1${c}`,
        `a=1; Path=/${c}`,
        `a=1; ${c}Secure`,
      ]
      const result = await jar.setCookies(strings, 'https://x.test/')
      expect(result.stored).toEqual([])
      expect(result.rejected.map((r) => r.reason)).toEqual(strings.map(() => 'invalid'))
      expect(await jar.list()).toEqual([])
    },
  )

  it('a header injection attempt stores nothing', async () => {
    const { jar } = setup()
    const result = await jar.setCookies(
      ['sid=1\r\nSet-Cookie: admin=1', 'x=1\r\n'],
      'https://x.test/',
    )
    expect(result.stored).toEqual([])
    expect(await jar.cookieHeader('https://x.test/')).toBeNull()
  })

  it('also in a joined header: only the cookie with the CTL is refused', async () => {
    const { jar } = setup()
    const result = await jar.setCookies('a=1\n, b=2;c=3\x00; Path=/', 'https://x.test/')
    expect(result.rejected.map((r) => r.reason)).toEqual(['invalid', 'invalid'])
    expect(await jar.cookieHeader('https://x.test/')).toBe('b=2')
  })

  it('HTAB is whitespace, not a refused CTL: trimmed around names and values', async () => {
    const { stored } = await store('\ta\t=\t1\t;\tPath=/p')
    expect(stored[0]).toMatchObject({ name: 'a', value: '1', path: '/p' })
  })
})

describe('names that are Object.prototype keys are ordinary cookie names', () => {
  const NAMES = [
    'constructor',
    '__proto__',
    'toString',
    'hasOwnProperty',
    'valueOf',
    'isPrototypeOf',
    '__defineGetter__',
    'prototype',
  ]

  it('stored, sent back, replaced, deleted and kept across a relaunch', async () => {
    const { jar, clock, mem } = setup()
    const before = Object.getOwnPropertyNames(Object.prototype).sort()
    const result = await jar.setCookies(
      NAMES.map((name) => `${name}=${name}-1; Path=/`),
      'https://x.test/',
    )
    expect(result.rejected).toEqual([])
    expect(result.stored.map((c) => c.name)).toEqual(NAMES)
    expect(pairs(await jar.cookieHeader('https://x.test/'))).toEqual(
      NAMES.map((name) => `${name}=${name}-1`),
    )

    await jar.setCookies(
      ['constructor=2; Path=/', '__proto__=; Max-Age=0; Path=/'],
      'https://x.test/',
    )
    const relaunched = createCookieJar({ storage: mem.storage, now: clock.now })
    const header = pairs(await relaunched.cookieHeader('https://x.test/'))
    expect(header).toContain('constructor=2')
    expect(header).not.toContain('__proto__=__proto__-1')
    expect(header).toHaveLength(NAMES.length - 1)

    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(before)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('also in a joined header', async () => {
    const { jar } = setup()
    await jar.setCookies('constructor=1, __proto__=2;toString=3', 'https://x.test/')
    expect(await jar.cookieHeader('https://x.test/')).toBe('constructor=1; __proto__=2; toString=3')
  })
})
