/*
 * Splitting what the platforms hand over: WeChat's comma-joined Set-Cookie
 * header (Expires dates contain commas), QQ's ";"-joined one, `res.cookies`
 * arrays, and header names in any case.
 */
import { describe, expect, it } from 'vitest'
import {
  createCookieJar,
  readSetCookies,
  splitSemicolonJoined,
  splitSetCookieHeader,
} from '../src/index'
import { memoryStorage } from './helpers'

const WECHAT_JOINED =
  'a=1; Path=/; Expires=Wed, 21 Oct 2026 07:28:00 GMT; HttpOnly,b=2; Path=/api, c=3; Max-Age=60'

describe('splitSetCookieHeader: WeChat joins with ","', () => {
  it('splits at commas between cookies, not inside Expires dates', () => {
    expect(splitSetCookieHeader(WECHAT_JOINED)).toEqual([
      'a=1; Path=/; Expires=Wed, 21 Oct 2026 07:28:00 GMT; HttpOnly',
      'b=2; Path=/api',
      'c=3; Max-Age=60',
    ])
  })

  it('keeps a single cookie whole, Expires comma and all', () => {
    const one = 'sid=abc; Expires=Thu, 01 Jan 2026 00:00:00 GMT; Path=/; Secure; SameSite=Lax'
    expect(splitSetCookieHeader(one)).toEqual([one])
  })

  it('two Expires dates in a row, with and without a space after the joining comma', () => {
    const joined =
      'x=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT,y=2; expires=Thu, 22 Oct 2026 07:28:00 GMT, z=3'
    expect(splitSetCookieHeader(joined)).toEqual([
      'x=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT',
      'y=2; expires=Thu, 22 Oct 2026 07:28:00 GMT',
      'z=3',
    ])
  })

  it('values with "=" and base64 padding survive', () => {
    expect(splitSetCookieHeader('t=YWJj==; Path=/,u=a=b')).toEqual(['t=YWJj==; Path=/', 'u=a=b'])
  })

  it('an empty header is no cookie', () => {
    expect(splitSetCookieHeader('')).toEqual([])
    expect(splitSetCookieHeader('  ')).toEqual([])
  })
})

describe('splitSetCookieHeader: QQ (Android) joins with ";"', () => {
  it('a known attribute name continues the cookie, any other name=value starts the next', () => {
    const qq = 'a=1; Path=/; HttpOnly;b=2; Path=/api; c=3; Max-Age=60; Domain=example.com'
    expect(splitSetCookieHeader(qq)).toEqual([
      'a=1; Path=/; HttpOnly',
      'b=2; Path=/api',
      'c=3; Max-Age=60; Domain=example.com',
    ])
  })

  it('attribute names in any case; flags (Secure, HttpOnly, Partitioned) never start a cookie', () => {
    const qq =
      'a=1; PATH=/; secure; SAMESITE=None; Partitioned; priority=High;b=2; EXPIRES=Wed, 21 Oct 2026 07:28:00 GMT'
    expect(splitSetCookieHeader(qq)).toEqual([
      'a=1; PATH=/; secure; SAMESITE=None; Partitioned; priority=High',
      'b=2; EXPIRES=Wed, 21 Oct 2026 07:28:00 GMT',
    ])
  })

  it('a ";" join and a "," join in one string (Expires commas included)', () => {
    const mixed = 'a=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT;b=2, c=3; Path=/x'
    expect(splitSetCookieHeader(mixed)).toEqual([
      'a=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT',
      'b=2',
      'c=3; Path=/x',
    ])
  })

  it('semicolonJoined: false reads an unknown name=value as an attribute', () => {
    const withExtension = 'a=1; Path=/; ext=yes'
    expect(splitSetCookieHeader(withExtension)).toEqual(['a=1; Path=/', 'ext=yes'])
    expect(splitSetCookieHeader(withExtension, { semicolonJoined: false })).toEqual([withExtension])
  })

  it('splitSemicolonJoined leaves a single cookie as it is', () => {
    expect(splitSemicolonJoined('a=1; Path=/; Secure')).toEqual(['a=1; Path=/; Secure'])
  })
})

describe('splitSetCookieHeader: ";" joins and unknown attributes', () => {
  it.each([
    // An unknown name=value followed by flags the cookie lacks is an attribute: the flags stay.
    [
      'sid=abc; Foo=bar; Path=/admin; Secure; HttpOnly',
      ['sid=abc; Foo=bar; Path=/admin; Secure; HttpOnly'],
    ],
    ['sid=abc; Path=/; Foo=bar; Secure', ['sid=abc; Path=/; Foo=bar; Secure']],
    ['sid=abc; Foo=bar; HttpOnly', ['sid=abc; Foo=bar; HttpOnly']],
    // Two unknown attributes: the flags after the second are still the cookie's.
    [
      'sid=abc; Foo=bar; Path=/; Bar=baz; HttpOnly; Secure',
      ['sid=abc; Foo=bar; Path=/; Bar=baz; HttpOnly; Secure'],
    ],
    // The cookie already has the flag: nothing to lose, so QQ's join is split.
    ['a=1; Secure;b=2; Secure', ['a=1; Secure', 'b=2; Secure']],
    // A part that repeats one of the cookie's attributes is the next cookie.
    [
      'sid=1; Path=/; HttpOnly;csrf=2; Path=/; Secure',
      ['sid=1; Path=/; HttpOnly', 'csrf=2; Path=/; Secure'],
    ],
    [
      'a=1; Path=/;b=2; Path=/x; Ext=1; Secure;c=3; Path=/',
      ['a=1; Path=/', 'b=2; Path=/x; Ext=1; Secure', 'c=3; Path=/'],
    ],
    // No flag at stake: split (an unknown attribute becomes a cookie of its own).
    ['sid=abc; Foo=bar; Path=/admin', ['sid=abc', 'Foo=bar; Path=/admin']],
    // What cannot be told apart from an extension attribute: one cookie, the flags kept.
    ['a=1;b=2; Secure', ['a=1;b=2; Secure']],
    ['a=1; Secure;b=2; HttpOnly', ['a=1; Secure;b=2; HttpOnly']],
    ['sid=1; HttpOnly;csrf=2; Secure', ['sid=1; HttpOnly;csrf=2; Secure']],
    // The documented hole: a repeated attribute after an unknown one reads as a new cookie.
    ['a=1; Path=/; Foo=bar; Path=/; Secure', ['a=1; Path=/', 'Foo=bar; Path=/; Secure']],
  ])('%j', (header, expected) => {
    expect(splitSetCookieHeader(header)).toEqual(expected)
    expect(splitSemicolonJoined(header)).toEqual(expected)
  })

  it('long joins: flag-less cookies all split; a flag at the very end keeps them one cookie', () => {
    const names = Array.from({ length: 2000 }, (_, i) => `c${i}=1`)
    expect(splitSemicolonJoined(names.join(';'))).toEqual(names)
    expect(splitSemicolonJoined(`${names.join(';')}; Secure`)).toEqual([
      `${names.join(';')}; Secure`,
    ])
  })

  it('the jar keeps Secure and HttpOnly of a cookie with an unknown attribute', async () => {
    const jar = createCookieJar({ storage: memoryStorage().storage })
    const result = await jar.setCookies(
      'sid=abc; Foo=bar; Path=/admin; Secure; HttpOnly',
      'https://x.test/admin/login',
    )
    expect(result.rejected).toEqual([])
    expect(result.stored).toMatchObject([
      { name: 'sid', value: 'abc', path: '/admin', secure: true, httpOnly: true },
    ])
    expect(await jar.cookieHeader('https://x.test/admin/users')).toBe('sid=abc')
    expect(await jar.cookieHeader('http://x.test/admin/users')).toBeNull()
  })
})

describe('readSetCookies', () => {
  it('prefers a non-empty res.cookies array (base library >= 2.10.0), taken as is', () => {
    const res = {
      cookies: ['a=1; Path=/; Expires=Wed, 21 Oct 2026 07:28:00 GMT', 'b=2; ext=x'],
      header: { 'Set-Cookie': 'ignored=1' },
    }
    expect(readSetCookies(res)).toEqual(res.cookies)
  })

  it('falls back to the header when res.cookies is missing or empty', () => {
    expect(readSetCookies({ cookies: [], header: { 'Set-Cookie': WECHAT_JOINED } })).toHaveLength(3)
    expect(readSetCookies({ header: { 'Set-Cookie': WECHAT_JOINED } })).toHaveLength(3)
  })

  it('finds the header in any case: Set-Cookie, set-cookie, SET-COOKIE', () => {
    for (const name of ['Set-Cookie', 'set-cookie', 'SET-COOKIE', 'set-Cookie']) {
      expect(readSetCookies({ header: { [name]: 'a=1, b=2' } })).toEqual(['a=1', 'b=2'])
    }
  })

  it('an array header value holds one cookie per item (Node-style records)', () => {
    const list = ['a=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT', 'b=2']
    expect(readSetCookies({ headers: { 'set-cookie': list } })).toEqual(list)
  })

  it('fetch-like headers: getSetCookie() when present, else get("set-cookie") split', () => {
    const list = ['a=1; Path=/', 'b=2; Expires=Wed, 21 Oct 2026 07:28:00 GMT']
    expect(readSetCookies({ headers: { getSetCookie: () => list, get: () => 'x=1' } })).toEqual(
      list,
    )
    const joined = { get: (name: string) => (name === 'set-cookie' ? list.join(', ') : null) }
    expect(readSetCookies({ headers: joined })).toEqual(list)
    expect(readSetCookies({ headers: { get: () => null } })).toEqual([])
  })

  it('a real Headers object (one Set-Cookie per append)', () => {
    const headers = new Headers()
    headers.append('Set-Cookie', 'a=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT')
    headers.append('Set-Cookie', 'b=2')
    expect(readSetCookies({ headers })).toEqual([
      'a=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT',
      'b=2',
    ])
  })

  it('no cookies: no header, empty header, not an object', () => {
    expect(readSetCookies({ header: { 'Content-Type': 'text/plain' } })).toEqual([])
    expect(readSetCookies({ header: { 'Set-Cookie': '' } })).toEqual([])
    expect(readSetCookies({})).toEqual([])
    expect(readSetCookies(null as never)).toEqual([])
  })

  it('QQ ";" joins in the header are split too (and not with semicolonJoined: false)', () => {
    const res = { header: { 'Set-Cookie': 'a=1; Path=/;b=2; Path=/api' } }
    expect(readSetCookies(res)).toEqual(['a=1; Path=/', 'b=2; Path=/api'])
    expect(readSetCookies(res, { semicolonJoined: false })).toEqual(['a=1; Path=/;b=2; Path=/api'])
  })
})
