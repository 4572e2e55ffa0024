/*
 * The RFC 6265 rules of the jar, with an injected clock: expiry (Expires with
 * its commas, Max-Age), Path, Domain, Secure, HttpOnly / SameSite, replacement
 * and the order of the Cookie header.
 */
import { describe, expect, it } from 'vitest'
import { createCookieJar, defaultPath, domainMatch, pathMatch } from '../src/index'
import { manualClock, memoryStorage, pairs, T0 } from './helpers'

const HOUR = 3_600_000

function setup(options: Partial<Parameters<typeof createCookieJar>[0]> = {}) {
  const clock = manualClock()
  const mem = memoryStorage()
  const jar = createCookieJar({ storage: mem.storage, now: clock.now, ...options })
  return { jar, clock, mem }
}

describe('basics', () => {
  it('stores a cookie and sends it back as name=value', async () => {
    const { jar } = setup()
    const result = await jar.setCookies('sid=abc123; Path=/', 'https://api.example.com/login')
    expect(result.rejected).toEqual([])
    expect(result.stored).toMatchObject([
      { name: 'sid', value: 'abc123', domain: 'api.example.com', hostOnly: true, path: '/' },
    ])
    expect(await jar.cookieHeader('https://api.example.com/user/me')).toBe('sid=abc123')
  })

  it('no cookie applies: null (not an empty header)', async () => {
    const { jar } = setup()
    expect(await jar.cookieHeader('https://api.example.com/')).toBeNull()
    await jar.setCookies('a=1', 'https://api.example.com/')
    expect(await jar.cookieHeader('https://other.example.org/')).toBeNull()
  })

  it('a string may join several cookies; an array holds one per item', async () => {
    const { jar } = setup()
    await jar.setCookies('a=1, b=2; Path=/', 'https://x.test/')
    await jar.setCookies(['c=3; Expires=Wed, 21 Oct 2026 07:28:00 GMT', 'd=4'], 'https://x.test/')
    expect(pairs(await jar.cookieHeader('https://x.test/'))).toEqual(['a=1', 'b=2', 'c=3', 'd=4'])
  })

  it('values are kept as sent, not URI-decoded; "=" inside a value survives', async () => {
    const { jar } = setup()
    await jar.setCookies(['v=a%20b%2Bc', 't=YWJj==', 'q="quoted"'], 'https://x.test/')
    expect(await jar.cookieHeader('https://x.test/')).toBe('v=a%20b%2Bc; t=YWJj==; q="quoted"')
  })

  it('rejects strings that are no cookie: no "=", an empty name', async () => {
    const { jar } = setup()
    const result = await jar.setCookies(['justavalue', '=novalue', 'ok=1'], 'https://x.test/')
    expect(result.rejected.map((r) => [r.setCookie, r.reason])).toEqual([
      ['justavalue', 'invalid'],
      ['=novalue', 'invalid'],
    ])
    expect(await jar.cookieHeader('https://x.test/')).toBe('ok=1')
  })

  it('cookies are not port-specific; the scheme only matters for Secure', async () => {
    const { jar } = setup()
    await jar.setCookies('a=1', 'http://x.test:8080/')
    expect(await jar.cookieHeader('http://x.test/')).toBe('a=1')
    expect(await jar.cookieHeader('https://X.TEST:8443/y?q=1#f')).toBe('a=1')
  })

  it('a request URL that is not absolute is a TypeError', async () => {
    const { jar } = setup()
    await expect(jar.cookieHeader('/relative')).rejects.toThrow(TypeError)
    await expect(jar.setCookies('a=1', 'api.example.com/x')).rejects.toThrow(TypeError)
  })
})

describe('expiry', () => {
  it('Expires (a date with a comma) makes a persistent cookie that is dropped once past', async () => {
    const { jar, clock } = setup()
    const expires = 'Wed, 21 Oct 2026 07:28:00 GMT'
    const { stored } = await jar.setCookies(`e=1; Expires=${expires}; Path=/`, 'https://x.test/')
    expect(stored[0]?.expires).toBe(Date.parse(expires))
    clock.set(Date.parse(expires) - 1)
    expect(await jar.cookieHeader('https://x.test/')).toBe('e=1')
    clock.set(Date.parse(expires))
    expect(await jar.cookieHeader('https://x.test/')).toBeNull()
    expect(await jar.list()).toEqual([])
  })

  it('no Expires / Max-Age: a session cookie (expires null) that never expires by clock', async () => {
    const { jar, clock } = setup()
    const { stored } = await jar.setCookies('s=1', 'https://x.test/')
    expect(stored[0]?.expires).toBeNull()
    clock.advance(10 * 365 * 24 * HOUR)
    expect(await jar.cookieHeader('https://x.test/')).toBe('s=1')
  })

  it('Max-Age counts seconds from the moment the jar receives the cookie', async () => {
    const { jar, clock } = setup()
    const { stored } = await jar.setCookies('m=1; Max-Age=60', 'https://x.test/')
    expect(stored[0]?.expires).toBe(T0 + 60_000)
    clock.advance(59_999)
    expect(await jar.cookieHeader('https://x.test/')).toBe('m=1')
    clock.advance(1)
    expect(await jar.cookieHeader('https://x.test/')).toBeNull()
  })

  it('Max-Age wins over Expires, whichever comes first', async () => {
    const { jar } = setup()
    const { stored } = await jar.setCookies(
      [
        'a=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT; Max-Age=60',
        'b=1; Max-Age=60; Expires=Wed, 21 Oct 2026 07:28:00 GMT',
        // Expires in the past, Max-Age in the future: kept.
        'c=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=60',
      ],
      'https://x.test/',
    )
    expect(stored.map((c) => [c.name, c.expires])).toEqual([
      ['a', T0 + 60_000],
      ['b', T0 + 60_000],
      ['c', T0 + 60_000],
    ])
  })

  it('Max-Age=0, a negative Max-Age or a past Expires deletes the cookie', async () => {
    const { jar } = setup()
    await jar.setCookies(['a=1', 'b=1', 'c=1', 'keep=1'], 'https://x.test/')
    const result = await jar.setCookies(
      ['a=; Max-Age=0', 'b=gone; Max-Age=-1', 'c=; Expires=Thu, 01 Jan 1970 00:00:00 GMT'],
      'https://x.test/',
    )
    expect(result.removed.map((c) => c.name)).toEqual(['a', 'b', 'c'])
    expect(result.stored).toEqual([])
    expect(await jar.cookieHeader('https://x.test/')).toBe('keep=1')
  })

  it('a deletion must name the same domain and path to delete', async () => {
    const { jar } = setup()
    await jar.setCookies('a=1; Path=/api', 'https://x.test/')
    const result = await jar.setCookies('a=; Max-Age=0; Path=/', 'https://x.test/')
    expect(result.removed).toEqual([])
    expect(await jar.cookieHeader('https://x.test/api')).toBe('a=1')
  })

  it('an unparsable Max-Age is ignored (Expires applies); an unparsable Expires too', async () => {
    const { jar } = setup()
    const { stored } = await jar.setCookies(
      ['a=1; Max-Age=soon; Expires=Wed, 21 Oct 2026 07:28:00 GMT', 'b=1; Expires=someday'],
      'https://x.test/',
    )
    expect(stored.map((c) => c.expires)).toEqual([
      Date.parse('Wed, 21 Oct 2026 07:28:00 GMT'),
      null,
    ])
  })

  it('list() drops expired cookies and the drop is written to storage', async () => {
    const { jar, clock, mem } = setup()
    await jar.setCookies(['short=1; Max-Age=10', 'long=1; Max-Age=1000'], 'https://x.test/')
    clock.advance(11_000)
    expect((await jar.list()).map((c) => c.name)).toEqual(['long'])
    expect(mem.map.get('wxapp.cookies')).not.toContain('short')
  })
})

describe('Path', () => {
  it('default-path: the request path up to its last "/"', async () => {
    expect(defaultPath('/api/v1/login')).toBe('/api/v1')
    expect(defaultPath('/login')).toBe('/')
    expect(defaultPath('/')).toBe('/')
    expect(defaultPath('')).toBe('/')
    expect(defaultPath('/api/v1/')).toBe('/api/v1')

    const { jar } = setup()
    const { stored } = await jar.setCookies('d=1', 'https://x.test/api/v1/login?next=/home')
    expect(stored[0]?.path).toBe('/api/v1')
    expect(await jar.cookieHeader('https://x.test/api/v1/me')).toBe('d=1')
    expect(await jar.cookieHeader('https://x.test/api/v1')).toBe('d=1')
    expect(await jar.cookieHeader('https://x.test/api/v10')).toBeNull()
    expect(await jar.cookieHeader('https://x.test/api')).toBeNull()
  })

  it('a Path that does not start with "/" (or is empty) means the default-path', async () => {
    const { jar } = setup()
    const { stored } = await jar.setCookies(['a=1; Path=api', 'b=1; Path='], 'https://x.test/u/v')
    expect(stored.map((c) => c.path)).toEqual(['/u', '/u'])
  })

  it('path-match: same path, or a prefix ending at a "/"', async () => {
    expect(pathMatch('/api', '/api')).toBe(true)
    expect(pathMatch('/api/', '/api')).toBe(true)
    expect(pathMatch('/api/x', '/api')).toBe(true)
    expect(pathMatch('/apix', '/api')).toBe(false)
    expect(pathMatch('/api/x', '/api/')).toBe(true)
    expect(pathMatch('/api', '/api/')).toBe(false)
    expect(pathMatch('/anything', '/')).toBe(true)
    expect(pathMatch('/API', '/api')).toBe(false)

    const { jar } = setup()
    await jar.setCookies(
      ['root=1; Path=/', 'api=1; Path=/api', 'slash=1; Path=/api/'],
      'https://x.test/',
    )
    expect(pairs(await jar.cookieHeader('https://x.test/'))).toEqual(['root=1'])
    expect(pairs(await jar.cookieHeader('https://x.test/api'))).toEqual(['api=1', 'root=1'])
    expect(pairs(await jar.cookieHeader('https://x.test/apix'))).toEqual(['root=1'])
    expect(pairs(await jar.cookieHeader('https://x.test/api/users?id=1'))).toEqual([
      'slash=1',
      'api=1',
      'root=1',
    ])
  })

  it('the query and fragment are not part of the path', async () => {
    const { jar } = setup()
    await jar.setCookies('a=1; Path=/p', 'https://x.test/')
    expect(await jar.cookieHeader('https://x.test?x=/p')).toBeNull()
    expect(await jar.cookieHeader('https://x.test/p?x=1#/q')).toBe('a=1')
  })
})

describe('Domain', () => {
  it('without Domain: host-only, not sent to subdomains or the parent', async () => {
    const { jar } = setup()
    await jar.setCookies('h=1', 'https://api.example.com/')
    expect(await jar.cookieHeader('https://api.example.com/')).toBe('h=1')
    expect(await jar.cookieHeader('https://v2.api.example.com/')).toBeNull()
    expect(await jar.cookieHeader('https://example.com/')).toBeNull()
  })

  it('Domain=example.com from a subdomain: sent to it and all its subdomains', async () => {
    const { jar } = setup()
    const { stored } = await jar.setCookies('d=1; Domain=.Example.COM', 'https://www.example.com/')
    expect(stored[0]).toMatchObject({ domain: 'example.com', hostOnly: false })
    expect(await jar.cookieHeader('https://example.com/')).toBe('d=1')
    expect(await jar.cookieHeader('https://api.example.com/')).toBe('d=1')
    expect(await jar.cookieHeader('https://a.b.example.com/')).toBe('d=1')
    expect(await jar.cookieHeader('https://badexample.com/')).toBeNull()
    expect(await jar.cookieHeader('https://example.com.evil.test/')).toBeNull()
  })

  it('rejects a Domain the request host does not domain-match', async () => {
    const { jar } = setup()
    const result = await jar.setCookies(
      ['a=1; Domain=other.com', 'b=1; Domain=api.example.com', 'c=1; Domain=ample.com'],
      'https://www.example.com/',
    )
    expect(result.rejected.map((r) => r.reason)).toEqual([
      'domain-mismatch',
      'domain-mismatch',
      'domain-mismatch',
    ])
    expect(await jar.list()).toEqual([])
    expect(domainMatch('www.example.com', 'example.com')).toBe(true)
    expect(domainMatch('www.example.com', 'ample.com')).toBe(false)
  })

  it('refuses public suffixes: single labels (com) and the common multi-label ones (com.cn)', async () => {
    const { jar } = setup()
    const result = await jar.setCookies(
      ['a=1; Domain=com', 'b=1; Domain=.cn', 'c=1; Domain=com.cn'],
      'https://shop.example.com.cn/',
    )
    expect(result.rejected.map((r) => r.reason)).toEqual([
      'public-suffix',
      'public-suffix',
      'public-suffix',
    ])
    const com = await jar.setCookies('d=1; Domain=com', 'https://example.com/')
    expect(com.rejected.map((r) => r.reason)).toEqual(['public-suffix'])
  })

  it('a public suffix equal to the request host is taken as host-only (localhost)', async () => {
    const { jar } = setup()
    const { stored } = await jar.setCookies('l=1; Domain=localhost', 'http://localhost:3000/')
    expect(stored[0]).toMatchObject({ domain: 'localhost', hostOnly: true })
    expect(await jar.cookieHeader('http://localhost/')).toBe('l=1')
    expect(await jar.cookieHeader('http://sub.localhost/')).toBeNull()
  })

  it('IP hosts only match themselves', async () => {
    const { jar } = setup()
    const result = await jar.setCookies(
      ['ip=1; Domain=127.0.0.1', 'part=1; Domain=0.0.1'],
      'http://127.0.0.1:3000/',
    )
    expect(result.rejected.map((r) => r.setCookie)).toEqual(['part=1; Domain=0.0.1'])
    expect(await jar.cookieHeader('http://127.0.0.1/')).toBe('ip=1')
    expect(await jar.cookieHeader('http://127.0.0.2/')).toBeNull()
  })

  it('isPublicSuffix can be replaced (a real Public Suffix List)', async () => {
    const { jar } = setup({
      isPublicSuffix: (domain) => domain === 'github.io' || !domain.includes('.'),
    })
    const result = await jar.setCookies(
      ['a=1; Domain=github.io', 'b=1; Domain=me.github.io'],
      'https://me.github.io/',
    )
    expect(result.rejected.map((r) => r.reason)).toEqual(['public-suffix'])
    expect(result.stored.map((c) => c.name)).toEqual(['b'])
  })
})

describe('Secure, HttpOnly, SameSite', () => {
  it('a Secure cookie goes over https only', async () => {
    const { jar } = setup()
    await jar.setCookies('s=1; Secure', 'https://x.test/')
    expect(await jar.cookieHeader('https://x.test/')).toBe('s=1')
    expect(await jar.cookieHeader('wss://x.test/')).toBe('s=1')
    expect(await jar.cookieHeader('http://x.test/')).toBeNull()
  })

  it('a Secure cookie from an http URL is rejected (RFC 6265bis)', async () => {
    const { jar } = setup()
    const result = await jar.setCookies('s=1; Secure', 'http://x.test/')
    expect(result.rejected.map((r) => r.reason)).toEqual(['secure-required'])
  })

  it('http may not replace or shadow a Secure cookie of the same name', async () => {
    const { jar } = setup()
    await jar.setCookies('s=secret; Secure; Path=/', 'https://x.test/')
    const result = await jar.setCookies(['s=evil; Path=/', 's=evil; Path=/sub'], 'http://x.test/')
    expect(result.rejected.map((r) => r.reason)).toEqual(['secure-conflict', 'secure-conflict'])
    expect(await jar.cookieHeader('https://x.test/sub')).toBe('s=secret')
  })

  it('__Secure- needs Secure; __Host- needs Secure, no Domain and Path=/', async () => {
    const { jar } = setup()
    const result = await jar.setCookies(
      [
        '__Secure-a=1',
        '__Secure-b=1; Secure',
        '__Host-c=1; Secure; Path=/',
        '__Host-d=1; Secure',
        '__Host-e=1; Secure; Path=/; Domain=x.test',
      ],
      'https://x.test/',
    )
    expect(result.stored.map((c) => c.name)).toEqual(['__Secure-b', '__Host-c'])
    expect(result.rejected.map((r) => r.reason)).toEqual([
      'secure-required',
      'secure-required',
      'secure-required',
    ])
  })

  it('HttpOnly is kept and the cookie is still sent (the jar is the HTTP client)', async () => {
    const { jar } = setup()
    const { stored } = await jar.setCookies('h=1; HttpOnly; SameSite=Strict', 'https://x.test/')
    expect(stored[0]).toMatchObject({ httpOnly: true, sameSite: 'Strict' })
    expect(await jar.cookieHeader('https://x.test/')).toBe('h=1')
  })

  it('SameSite is kept as sent and not enforced', async () => {
    const { jar } = setup()
    await jar.setCookies(['a=1; SameSite=None; Secure', 'b=1; SameSite=Lax'], 'https://x.test/')
    const list = await jar.list()
    expect(list.map((c) => c.sameSite)).toEqual(['None', 'Lax'])
    expect(await jar.cookieHeader('https://x.test/')).toBe('a=1; b=1')
  })
})

describe('replacement and order', () => {
  it('the same (name, domain, path) replaces the cookie and keeps its creation time', async () => {
    const { jar, clock } = setup()
    await jar.setCookies('a=1; Path=/', 'https://x.test/')
    clock.advance(1000)
    const { stored } = await jar.setCookies('a=2; Path=/; HttpOnly', 'https://x.test/')
    expect(stored[0]).toMatchObject({ value: '2', httpOnly: true, creation: T0 })
    expect(await jar.list()).toHaveLength(1)
    expect(await jar.cookieHeader('https://x.test/')).toBe('a=2')
  })

  it('a host-only and a domain cookie for the same domain and path are one cookie', async () => {
    const { jar } = setup()
    await jar.setCookies('a=1', 'https://example.com/')
    await jar.setCookies('a=2; Domain=example.com', 'https://example.com/')
    const list = await jar.list()
    expect(list).toHaveLength(1)
    expect(list[0]).toMatchObject({ value: '2', hostOnly: false })
  })

  it('another path or domain is another cookie with the same name', async () => {
    const { jar } = setup()
    await jar.setCookies(['a=root; Path=/', 'a=api; Path=/api'], 'https://www.example.com/')
    await jar.setCookies('a=dom; Domain=example.com; Path=/', 'https://www.example.com/')
    expect(await jar.list()).toHaveLength(3)
    expect(pairs(await jar.cookieHeader('https://www.example.com/api/x'))).toEqual([
      'a=api',
      'a=root',
      'a=dom',
    ])
  })

  it('Cookie header order: longer paths first, then earlier creation', async () => {
    const { jar, clock } = setup()
    await jar.setCookies('late=1; Path=/', 'https://x.test/')
    clock.advance(-1000) // creation times, not arrival order, decide
    await jar.setCookies('early=1; Path=/', 'https://x.test/')
    clock.set(T0 + 5000)
    await jar.setCookies(
      ['deep=1; Path=/a/b', 'mid=1; Path=/a', 'mid2=1; Path=/a'],
      'https://x.test/',
    )
    expect(pairs(await jar.cookieHeader('https://x.test/a/b/c'))).toEqual([
      'deep=1',
      'mid=1',
      'mid2=1',
      'early=1',
      'late=1',
    ])
  })

  it('cookiesFor returns the cookies of the header, copies in the same order', async () => {
    const { jar } = setup()
    await jar.setCookies(['a=1; Path=/', 'b=1; Path=/x'], 'https://x.test/')
    const list = await jar.cookiesFor('https://x.test/x')
    expect(list.map((c) => c.name)).toEqual(['b', 'a'])
    ;(list[0] as { value: string }).value = 'mutated'
    expect(await jar.cookieHeader('https://x.test/x')).toBe('b=1; a=1')
  })

  it('clear() empties the jar', async () => {
    const { jar } = setup()
    await jar.setCookies(['a=1', 'b=1'], 'https://x.test/')
    await jar.clear()
    expect(await jar.list()).toEqual([])
    expect(await jar.cookieHeader('https://x.test/')).toBeNull()
  })
})
