/*
 * sessionLink + sessionHeaders with the real @trpc/client (httpBatchLink over
 * Node's fetch) against a real HTTP server on 127.0.0.1 serving a fake router
 * that follows the API contract.
 */
import { TRPCClientError } from '@trpc/client'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  memoryStorage,
  SessionLoginError,
  sessionLoginErrorOf,
  taroLoginSource,
} from '../src/client/index'
import { APPID, createApp, errorText, FakeApi, FakeLoginSource, sleep } from './client-fixtures'

const KEY = 'wxapp.session'

let server: FakeApi

beforeEach(async () => {
  server = new FakeApi()
  await server.start()
})

afterEach(async () => {
  await server.stop()
})

/** A first launch that logs in, leaving a stored session behind (for warm launches). */
async function loggedInStorage() {
  const storage = memoryStorage()
  const first = createApp(server.url, { source: new FakeLoginSource(server.wechat), storage })
  await first.api.user.me.query()
  server.resetCounters()
  return { storage, token: first.session.token as string }
}

function expectNoTokenIn(error: unknown) {
  const text = errorText(error)
  for (const token of server.issuedTokens) expect(text).not.toContain(token)
}

describe('launch', () => {
  it('cold launch logs in, then the call goes out with the token and the appid', async () => {
    const source = new FakeLoginSource(server.wechat)
    const storage = memoryStorage()
    const { api, session, fetches } = createApp(server.url, {
      source,
      storage,
      clientInfo: { platform: 'node' },
    })

    const me = await api.user.me.query()

    expect(me.id).toBe('user-1')
    expect(source.loginCalls).toBe(1)
    expect(server.count('auth.login')).toBe(1)
    expect(fetches).toHaveLength(2)
    const [login, call] = server.requests
    expect(login?.url).toContain('auth.login')
    expect(login?.authorization).toBeNull()
    expect(login?.appid).toBe(APPID)
    expect(call?.authorization).toBe(`Bearer ${session.token}`)
    expect(call?.appid).toBe(APPID)
    expect(JSON.parse(storage.snapshot()[KEY] ?? '{}')).toMatchObject({
      token: session.token,
      appid: APPID,
    })
  })

  it('warm launch (stored token, checkSession ok): zero HTTP requests and zero wx.login before the first call', async () => {
    const { storage, token } = await loggedInStorage()
    const source = new FakeLoginSource(server.wechat)
    const { api, session, fetches } = createApp(server.url, { source, storage })

    expect(await session.ensureSession()).toBe(token)
    expect(fetches).toHaveLength(0)
    expect(server.requests).toHaveLength(0)
    expect(source.loginCalls).toBe(0)
    expect(source.checkCalls).toBe(1)

    await api.user.me.query()
    expect(fetches).toHaveLength(1)
    expect(server.count('auth.login')).toBe(0)
    expect(server.meTokens).toEqual([token])
  })

  it('checkSession false: full login, new token stored and used', async () => {
    const { storage, token: old } = await loggedInStorage()
    const source = new FakeLoginSource(server.wechat)
    source.sessionValid = false
    const { api, session } = createApp(server.url, { source, storage })

    await api.user.me.query()

    expect(source.loginCalls).toBe(1)
    expect(server.count('auth.login')).toBe(1)
    expect(session.token).not.toBe(old)
    expect(server.meTokens).toEqual([session.token])
    expect(JSON.parse(storage.snapshot()[KEY] ?? '{}').token).toBe(session.token)
  })

  it('a stored token past its expiresAt: login without sending it to the server', async () => {
    const { storage, token: old } = await loggedInStorage()
    const source = new FakeLoginSource(server.wechat)
    // The device clock is a week later: the stored session is over.
    const later = Date.now() + 7 * 24 * 3600_000
    const { api } = createApp(server.url, { source, storage, now: () => later })

    await api.user.me.query()

    expect(source.checkCalls).toBe(0)
    expect(source.loginCalls).toBe(1)
    expect(server.requests.some((r) => r.authorization?.includes(old))).toBe(false)
    expect(server.requests.map((r) => r.url.split('?')[0])).toEqual([
      '/trpc/auth.login',
      '/trpc/user.me',
    ])
  })

  it('50 parallel calls at cold launch: one wx.login, one auth.login', async () => {
    const source = new FakeLoginSource(server.wechat)
    const { api } = createApp(server.url, { source, storage: memoryStorage() })
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, n) => api.user.echo.query({ n })),
    )
    expect(results).toEqual(Array.from({ length: 50 }, (_, n) => n))
    expect(source.loginCalls).toBe(1)
    expect(server.count('auth.login')).toBe(1)
  })
})

describe('refused tokens', () => {
  it('server-side expiry: one silent re-login, the call succeeds', async () => {
    const source = new FakeLoginSource(server.wechat)
    const storage = memoryStorage()
    const { api, session } = createApp(server.url, { source, storage })
    await api.user.me.query()
    const old = session.token
    server.expireAll()

    const me = await api.user.me.query()

    expect(me.id).toBe('user-2')
    expect(source.loginCalls).toBe(2)
    expect(server.count('auth.login')).toBe(2)
    expect(server.meTokens).toEqual([old, session.token])
    expect(session.token).not.toBe(old)
    expect(JSON.parse(storage.snapshot()[KEY] ?? '{}').token).toBe(session.token)
  })

  it('server-side revocation: one silent re-login, the call succeeds', async () => {
    const source = new FakeLoginSource(server.wechat)
    const { api, session } = createApp(server.url, { source, storage: memoryStorage() })
    await api.user.me.query()
    server.revoke(session.token ?? undefined)

    await expect(api.user.me.query()).resolves.toMatchObject({ id: 'user-2' })
    expect(source.loginCalls).toBe(2)
  })

  it('a stored token the server no longer knows (warm launch): re-login, the call succeeds', async () => {
    const { storage } = await loggedInStorage()
    server.sessions.clear()
    const source = new FakeLoginSource(server.wechat)
    const { api } = createApp(server.url, { source, storage })
    await expect(api.user.me.query()).resolves.toEqual({
      id: expect.any(String),
      nickname: null,
      avatarUrl: null,
    })
    expect(source.loginCalls).toBe(1)
    expect(server.count('user.me')).toBe(2)
  })

  it('50 parallel calls meeting an expired token: exactly one wx.login and one auth.login, all 50 succeed', async () => {
    const source = new FakeLoginSource(server.wechat)
    const { api } = createApp(server.url, { source, storage: memoryStorage() })
    await api.user.me.query()
    server.expireAll()
    server.resetCounters()
    source.loginCalls = 0
    server.loginDelayMs = 30

    const results = await Promise.all(
      Array.from({ length: 50 }, (_, n) => api.user.echo.query({ n })),
    )

    expect(results).toEqual(Array.from({ length: 50 }, (_, n) => n))
    expect(source.loginCalls).toBe(1)
    expect(server.count('auth.login')).toBe(1)
    // 50 refused, 50 retried; batched, so a handful of HTTP requests.
    expect(server.count('user.echo')).toBe(100)
    expect(server.requests.length).toBeLessThanOrEqual(4)
  })

  it('the retry happens once only: a refused fresh token surfaces the server error', async () => {
    const source = new FakeLoginSource(server.wechat)
    const { api } = createApp(server.url, { source, storage: memoryStorage() })
    await api.user.me.query()
    server.resetCounters()
    server.refuseAll = 'SESSION_EXPIRED'

    const error = await api.user.me.query().catch((e: unknown) => e)

    expect(error).toBeInstanceOf(TRPCClientError)
    expect((error as TRPCClientError<never>).data).toMatchObject({
      code: 'UNAUTHORIZED',
      reason: 'SESSION_EXPIRED',
    })
    expect(server.count('user.me')).toBe(2)
    expect(server.count('auth.login')).toBe(1)
    expectNoTokenIn(error)
    await sleep(30)
    expect(server.count('user.me')).toBe(2)
    expect(server.count('auth.login')).toBe(1)
  })

  it('a failed re-login (code already used): typed error for every caller, no loop, no further attempts', async () => {
    const source = new FakeLoginSource(server.wechat)
    const storage = memoryStorage()
    const { api, session } = createApp(server.url, { source, storage })
    await api.user.me.query()
    const usedCode = source.lastCode as string
    server.expireAll()
    server.resetCounters()
    source.next.push(async () => usedCode)

    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, n) => api.user.echo.query({ n })),
    )

    for (const result of results) {
      expect(result.status).toBe('rejected')
      const error = (result as PromiseRejectedResult).reason
      expect(error).toBeInstanceOf(TRPCClientError)
      const loginError = sessionLoginErrorOf(error)
      expect(loginError).toBeInstanceOf(SessionLoginError)
      expect(loginError).toMatchObject({
        reason: 'WECHAT_CODE_USED',
        code: 'BAD_REQUEST',
        httpStatus: 400,
      })
      expectNoTokenIn(error)
    }
    expect(source.loginCalls).toBe(2)
    expect(server.count('auth.login')).toBe(1)
    expect(server.count('user.echo')).toBe(10)
    expect(session.getState().status).toBe('error')
    // The refused token is gone from memory and storage.
    expect(session.token).toBeNull()
    expect(storage.snapshot()[KEY]).toBeUndefined()
    await sleep(30)
    expect(source.loginCalls).toBe(2)
    expect(server.count('auth.login')).toBe(1)

    // The next call (a user action) logs in again and works.
    await expect(api.user.me.query()).resolves.toEqual({
      id: expect.any(String),
      nickname: null,
      avatarUrl: null,
    })
    expect(source.loginCalls).toBe(3)
  })

  it('a failed re-login (platform gives no code): WECHAT_LOGIN_FAILED, auth.login not called', async () => {
    let code: string | undefined = 'x'
    const taro = {
      login: async () => ({
        code: code ? server.wechat.issueCode() : undefined,
        errMsg: 'login:ok',
      }),
      checkSession: async () => ({ errMsg: 'checkSession:ok' }),
    }
    const { api } = createApp(server.url, {
      source: taroLoginSource(taro),
      storage: memoryStorage(),
    })
    await api.user.me.query()
    server.expireAll()
    server.resetCounters()
    code = undefined

    const error = await api.user.me.query().catch((e: unknown) => e)

    expect(sessionLoginErrorOf(error)?.reason).toBe('WECHAT_LOGIN_FAILED')
    expect(server.count('auth.login')).toBe(0)
    expect(server.count('user.me')).toBe(1)
    expectNoTokenIn(error)
  })

  it('a failing first login surfaces a typed error (rate limited) and sends no protected call', async () => {
    server.loginFaults.push({ code: 'TOO_MANY_REQUESTS', reason: 'LOGIN_RATE_LIMITED' })
    const source = new FakeLoginSource(server.wechat)
    const { api, session } = createApp(server.url, { source, storage: memoryStorage() })

    const error = await api.user.me.query().catch((e: unknown) => e)

    expect(sessionLoginErrorOf(error)).toMatchObject({
      reason: 'LOGIN_RATE_LIMITED',
      code: 'TOO_MANY_REQUESTS',
      httpStatus: 429,
      retryable: true,
    })
    expect(server.count('user.me')).toBe(0)
    expect(session.getState()).toMatchObject({ status: 'error' })
  })

  it('an unreachable server is NETWORK_ERROR', async () => {
    const url = server.url
    await server.stop()
    const { api } = createApp(url, {
      source: new FakeLoginSource(server.wechat),
      storage: memoryStorage(),
    })
    const error = await api.user.me.query().catch((e: unknown) => e)
    expect(sessionLoginErrorOf(error)?.reason).toBe('NETWORK_ERROR')
  })

  it('other errors pass through untouched, UNAUTHORIZED without a session reason included', async () => {
    const source = new FakeLoginSource(server.wechat)
    const { api } = createApp(server.url, { source, storage: memoryStorage() })
    await api.user.me.query()

    const notFound = await api.user.missing.query().catch((e: unknown) => e)
    expect((notFound as TRPCClientError<never>).data).toMatchObject({
      code: 'NOT_FOUND',
      reason: 'NOT_FOUND',
    })
    const forbidden = await api.user.forbidden.query().catch((e: unknown) => e)
    expect((forbidden as TRPCClientError<never>).data).toMatchObject({
      code: 'UNAUTHORIZED',
      reason: 'PHONE_REQUIRED',
    })
    expect(sessionLoginErrorOf(forbidden)).toBeNull()
    expect(source.loginCalls).toBe(1)
    expect(server.count('user.missing')).toBe(1)
    expect(server.count('user.forbidden')).toBe(1)
  })
})

describe('logout and headers', () => {
  it('logout helper: auth.logout revokes the server session, storage and memory are cleared', async () => {
    const source = new FakeLoginSource(server.wechat)
    const storage = memoryStorage()
    const { api, session } = createApp(server.url, { source, storage })
    await api.user.me.query()
    const token = session.token as string

    await session.logout(() => api.auth.logout.mutate())

    expect(server.sessions.get(token)?.revoked).toBe(true)
    expect(session.token).toBeNull()
    expect(storage.snapshot()).toEqual({})
    expect(source.loginCalls).toBe(1)
  })

  it('logout at warm launch revokes the stored token without logging in', async () => {
    const { storage, token } = await loggedInStorage()
    const source = new FakeLoginSource(server.wechat)
    const { api, session } = createApp(server.url, { source, storage })

    await session.logout(() => api.auth.logout.mutate())

    expect(server.sessions.get(token)?.revoked).toBe(true)
    expect(source.loginCalls + source.checkCalls).toBe(0)
    expect(server.count('auth.login')).toBe(0)
    expect(storage.snapshot()).toEqual({})
  })

  it('auth.logout with a refused token neither logs in nor retries; the helper still clears', async () => {
    const source = new FakeLoginSource(server.wechat)
    const storage = memoryStorage()
    const { api, session } = createApp(server.url, { source, storage })
    await api.user.me.query()
    server.expireAll()

    const direct = await api.auth.logout.mutate().catch((e: unknown) => e)
    expect((direct as TRPCClientError<never>).data).toMatchObject({ reason: 'SESSION_EXPIRED' })
    await session.logout(() => api.auth.logout.mutate())

    expect(source.loginCalls).toBe(1)
    expect(server.count('auth.logout')).toBe(2)
    expect(storage.snapshot()).toEqual({})
  })

  it('appidHeader: false sends no x-wx-appid', async () => {
    const source = new FakeLoginSource(server.wechat)
    const { api } = createApp(
      server.url,
      { source, storage: memoryStorage() },
      { appidHeader: false },
    )
    await api.user.me.query()
    expect(server.requests.map((r) => r.appid)).toEqual([null, null])
  })

  it('storage that cannot be written: calls still succeed, one login for the launch', async () => {
    const storage = memoryStorage()
    storage.setItem = () => {
      throw new Error('storage full')
    }
    const source = new FakeLoginSource(server.wechat)
    const { api, session } = createApp(server.url, { source, storage })
    await api.user.me.query()
    await api.user.me.query()
    expect(source.loginCalls).toBe(1)
    expect(session.getState().status).toBe('logged-in')
    expect(server.requests.every((r) => r.url.includes('auth.login') || r.authorization)).toBe(true)
  })
})
