/*
 * The session client alone: a fake login source, memory storage and a fake
 * `login` function (no HTTP). The HTTP path is in client-link.test.ts.
 */
import { describe, expect, it, vi } from 'vitest'
import {
  createSessionClient,
  type KeyValueStorage,
  type LoginArgs,
  type LoginResult,
  memoryStorage,
  SessionLoginError,
  type SessionState,
} from '../src/client/index'
import type { StoredSession } from '../src/shared/index'
import { FakeLoginSource, sleep } from './client-fixtures'

const APPID = 'wx-unit'
const KEY = 'wxapp.session'
const T0 = Date.parse('2026-03-01T00:00:00Z')
const DAY = 24 * 3600_000

function stored(token: string, expiresAt: number, appid = APPID): string {
  const session: StoredSession = { token, expiresAt: new Date(expiresAt).toISOString(), appid }
  return JSON.stringify(session)
}

function setup(
  options: {
    storage?: KeyValueStorage
    now?: () => number
    login?: (args: LoginArgs) => Promise<LoginResult>
    clientInfo?: { platform: string }
  } = {},
) {
  const source = new FakeLoginSource()
  const storage = options.storage ?? memoryStorage()
  const logins: LoginArgs[] = []
  let tokenCounter = 0
  const login =
    options.login ??
    (async (args: LoginArgs): Promise<LoginResult> => {
      logins.push(args)
      await sleep(5)
      return {
        token: `tok-${++tokenCounter}`,
        expiresAt: new Date(T0 + DAY).toISOString(),
        user: { id: 'u1', nickname: 'Mei', avatarUrl: null },
      }
    })
  const states: SessionState[] = []
  const storageErrors: string[] = []
  const client = createSessionClient({
    source,
    storage,
    appid: APPID,
    login,
    now: options.now ?? (() => T0),
    clientInfo: options.clientInfo,
    onChange: (state) => states.push(state),
    onStorageError: (_error, operation) => storageErrors.push(operation),
  })
  return { client, source, storage, logins, states, storageErrors }
}

describe('ensureSession', () => {
  it('cold launch: wx.login, auth.login with code, appid and client info, then stores the session', async () => {
    const storage = memoryStorage()
    const { client, source, logins, states } = setup({ storage, clientInfo: { platform: 'node' } })
    expect(client.token).toBeNull()
    expect(client.getState().status).toBe('idle')

    const token = await client.ensureSession()

    expect(token).toBe('tok-1')
    expect(client.token).toBe('tok-1')
    expect(source.loginCalls).toBe(1)
    expect(logins).toEqual([{ code: source.lastCode, appid: APPID, client: { platform: 'node' } }])
    expect(JSON.parse(storage.snapshot()[KEY] ?? 'null')).toEqual({
      token: 'tok-1',
      expiresAt: new Date(T0 + DAY).toISOString(),
      appid: APPID,
    })
    expect(states.map((s) => s.status)).toEqual(['logging-in', 'logged-in'])
    expect(client.getState()).toMatchObject({
      status: 'logged-in',
      user: { id: 'u1', nickname: 'Mei' },
      error: null,
    })
    // Later calls use the token in memory.
    expect(await client.ensureSession()).toBe('tok-1')
    expect(source.loginCalls).toBe(1)
  })

  it('warm launch: stored token + valid checkSession = no login at all, checkSession once', async () => {
    const storage = memoryStorage({ [KEY]: stored('kept', T0 + DAY) })
    const { client, source, logins } = setup({ storage })

    expect(await client.ensureSession()).toBe('kept')
    expect(await client.ensureSession()).toBe('kept')

    expect(source.checkCalls).toBe(1)
    expect(source.loginCalls).toBe(0)
    expect(logins).toHaveLength(0)
    expect(client.getState()).toMatchObject({ status: 'logged-in', user: null })
  })

  it('checkSession false: full login, the new token replaces the stored one', async () => {
    const storage = memoryStorage({ [KEY]: stored('old', T0 + DAY) })
    const { client, source } = setup({ storage })
    source.sessionValid = false

    expect(await client.ensureSession()).toBe('tok-1')
    expect(source.checkCalls).toBe(1)
    expect(source.loginCalls).toBe(1)
    expect(JSON.parse(storage.snapshot()[KEY] ?? '{}').token).toBe('tok-1')
  })

  it('a checkSession that throws counts as expired', async () => {
    const storage = memoryStorage({ [KEY]: stored('old', T0 + DAY) })
    const { client, source } = setup({ storage })
    source.checkSession = async () => {
      throw new Error('boom')
    }
    expect(await client.ensureSession()).toBe('tok-1')
  })

  it('a stored token past expiresAt (or inside the margin) logs in without checkSession', async () => {
    for (const expiresAt of [T0 - 1, T0 + 10_000]) {
      const storage = memoryStorage({ [KEY]: stored('old', expiresAt) })
      const { client, source } = setup({ storage })
      expect(await client.ensureSession()).toBe('tok-1')
      expect(source.checkCalls).toBe(0)
      expect(source.loginCalls).toBe(1)
    }
  })

  it('ignores a token stored for another appid, and corrupt storage', async () => {
    for (const raw of [stored('other', T0 + DAY, 'wx-other'), '{not json', '""', '{"token":1}']) {
      const { client, source } = setup({ storage: memoryStorage({ [KEY]: raw }) })
      expect(await client.ensureSession()).toBe('tok-1')
      expect(source.loginCalls).toBe(1)
    }
  })

  it('the token expiring locally later in the launch causes a new login', async () => {
    let now = T0
    const { client, source } = setup({ now: () => now })
    await client.ensureSession()
    now = T0 + DAY
    expect(await client.ensureSession()).toBe('tok-2')
    expect(source.loginCalls).toBe(2)
  })

  it('concurrent callers at cold launch share one login', async () => {
    const { client, source, logins } = setup()
    const tokens = await Promise.all(Array.from({ length: 20 }, () => client.ensureSession()))
    expect(new Set(tokens)).toEqual(new Set(['tok-1']))
    expect(source.loginCalls).toBe(1)
    expect(logins).toHaveLength(1)
  })

  it('concurrent callers at warm launch share one checkSession', async () => {
    const storage = memoryStorage({ [KEY]: stored('kept', T0 + DAY) })
    const { client, source } = setup({ storage })
    const tokens = await Promise.all(Array.from({ length: 10 }, () => client.ensureSession()))
    expect(new Set(tokens)).toEqual(new Set(['kept']))
    expect(source.checkCalls).toBe(1)
  })

  it('a device clock far ahead does not cause a login per call', async () => {
    // The server says the session ends in a day; the phone believes that is long past.
    const { client, source } = setup({ now: () => T0 + 30 * DAY })
    expect(await client.ensureSession()).toBe('tok-1')
    expect(await client.ensureSession()).toBe('tok-1')
    expect(source.loginCalls).toBe(1)
  })
})

describe('relogin', () => {
  it('returns the current token without a login when it already differs from the stale one', async () => {
    const { client, source } = setup()
    await client.ensureSession()
    expect(await client.relogin('some-older-token')).toBe('tok-1')
    expect(source.loginCalls).toBe(1)
  })

  it('many callers with the same stale token share one login', async () => {
    const { client, source, logins } = setup()
    const stale = await client.ensureSession()
    const tokens = await Promise.all(Array.from({ length: 50 }, () => client.relogin(stale)))
    expect(new Set(tokens)).toEqual(new Set(['tok-2']))
    expect(source.loginCalls).toBe(2)
    expect(logins).toHaveLength(2)
    // A late caller with the old token gets the new one, no login.
    expect(await client.relogin(stale)).toBe('tok-2')
    expect(source.loginCalls).toBe(2)
  })

  it('joins a login already running', async () => {
    const { client, source } = setup()
    const first = client.ensureSession()
    const second = client.relogin(null)
    expect(await first).toBe('tok-1')
    expect(await second).toBe('tok-1')
    expect(source.loginCalls).toBe(1)
  })

  it('a failed re-login rejects every waiter with one typed error and drops the refused token', async () => {
    const storage = memoryStorage()
    const { client, source, states } = setup({ storage })
    const stale = await client.ensureSession()
    source.next.push(async () => {
      throw { errMsg: 'login:fail network' }
    })

    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => client.relogin(stale)),
    )
    const reasons = results.map((r) => (r.status === 'rejected' ? r.reason : null))
    expect(reasons.every((e) => e instanceof SessionLoginError)).toBe(true)
    expect(new Set(reasons).size).toBe(1)
    const error = reasons[0] as SessionLoginError
    expect(error.reason).toBe('WECHAT_LOGIN_FAILED')
    expect(error.message).toContain('login:fail network')
    expect(source.loginCalls).toBe(2)

    expect(client.token).toBeNull()
    expect(storage.snapshot()[KEY]).toBeUndefined()
    expect(states.at(-1)).toMatchObject({ status: 'error', error })
    // Nothing retried on its own.
    await sleep(20)
    expect(source.loginCalls).toBe(2)
  })
})

describe('login failures are typed', () => {
  function failingLogin(error: unknown) {
    return async (): Promise<LoginResult> => {
      throw error
    }
  }

  it('a server login reason becomes the error reason, with code and status', async () => {
    const serverError = Object.assign(new Error('WeChat is busy'), {
      data: { code: 'SERVICE_UNAVAILABLE', httpStatus: 503, reason: 'WECHAT_BUSY' },
    })
    const { client } = setup({ login: failingLogin(serverError) })
    const error = await client.ensureSession().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SessionLoginError)
    expect(error).toMatchObject({
      name: 'SessionLoginError',
      reason: 'WECHAT_BUSY',
      code: 'SERVICE_UNAVAILABLE',
      httpStatus: 503,
      retryable: true,
    })
    expect((error as SessionLoginError).cause).toBe(serverError)
    expect(client.getState()).toMatchObject({ status: 'error', error })
  })

  it('a server error without a login reason is LOGIN_FAILED; no answer is NETWORK_ERROR', async () => {
    const internal = { data: { code: 'INTERNAL_SERVER_ERROR', reason: 'INTERNAL_ERROR' } }
    const a = setup({ login: failingLogin(internal) })
    await expect(a.client.ensureSession()).rejects.toMatchObject({
      reason: 'LOGIN_FAILED',
      retryable: false,
    })
    const b = setup({ login: failingLogin(new TypeError('fetch failed')) })
    await expect(b.client.ensureSession()).rejects.toMatchObject({
      reason: 'NETWORK_ERROR',
      retryable: true,
    })
  })

  it('no code from the platform: WECHAT_LOGIN_FAILED without calling auth.login', async () => {
    const { client, source, logins } = setup()
    source.next.push(async () => '')
    await expect(client.ensureSession()).rejects.toMatchObject({ reason: 'WECHAT_LOGIN_FAILED' })
    expect(logins).toHaveLength(0)
  })

  it('an answer without a usable session is LOGIN_FAILED', async () => {
    const login = async () => ({ token: '', expiresAt: 'never' }) as unknown as LoginResult
    const { client } = setup({ login })
    await expect(client.ensureSession()).rejects.toMatchObject({ reason: 'LOGIN_FAILED' })
  })

  it('after a failure the next call tries again, and success clears the error', async () => {
    let fail = true
    let n = 0
    const login = async (): Promise<LoginResult> => {
      if (fail) throw { data: { code: 'TOO_MANY_REQUESTS', reason: 'LOGIN_RATE_LIMITED' } }
      return { token: `t${++n}`, expiresAt: new Date(T0 + DAY).toISOString(), user: null as never }
    }
    const { client } = setup({ login })
    await expect(client.ensureSession()).rejects.toMatchObject({ reason: 'LOGIN_RATE_LIMITED' })
    fail = false
    expect(await client.ensureSession()).toBe('t1')
    expect(client.getState()).toMatchObject({ status: 'logged-in', error: null })
  })
})

describe('logout', () => {
  it('clears memory and storage; the next call logs in again', async () => {
    const storage = memoryStorage()
    const { client, source } = setup({ storage })
    await client.ensureSession()
    await client.logout()
    expect(client.token).toBeNull()
    expect(storage.snapshot()).toEqual({})
    expect(client.getState()).toEqual({ status: 'idle', user: null, expiresAt: null, error: null })
    expect(await client.ensureSession()).toBe('tok-2')
    expect(source.loginCalls).toBe(2)
  })

  it('calls revoke while the token is still there, and ignores its failure', async () => {
    const { client, storage } = setup()
    await client.ensureSession()
    const seen: Array<string | null> = []
    await client.logout(async () => {
      seen.push(client.token)
      throw new Error('offline')
    })
    expect(seen).toEqual(['tok-1'])
    expect(client.token).toBeNull()
    expect((storage as ReturnType<typeof memoryStorage>).snapshot()).toEqual({})
  })

  it('at warm launch, revokes the stored session without logging in; no session, no revoke', async () => {
    const storage = memoryStorage({ [KEY]: stored('kept', T0 + DAY) })
    const { client, source } = setup({ storage })
    expect(await client.peekToken()).toBe('kept')
    const revoke = vi.fn(async () => {
      expect(client.token).toBe('kept')
    })
    await client.logout(revoke)
    expect(revoke).toHaveBeenCalledTimes(1)
    expect(source.loginCalls + source.checkCalls).toBe(0)
    expect(storage.snapshot()).toEqual({})

    const again = vi.fn(async () => {})
    await client.logout(again)
    expect(again).not.toHaveBeenCalled()
  })

  it('waits for a running login before clearing', async () => {
    const { client } = setup()
    const pending = client.ensureSession()
    await client.logout()
    expect(await pending).toBe('tok-1')
    expect(client.token).toBeNull()
  })
})

describe('storage', () => {
  it('a setItem that throws does not fail the login: the token lives in memory', async () => {
    const storage = memoryStorage()
    storage.setItem = () => {
      throw new Error('quota exceeded')
    }
    const { client, source, storageErrors } = setup({ storage })
    expect(await client.ensureSession()).toBe('tok-1')
    expect(await client.ensureSession()).toBe('tok-1')
    expect(source.loginCalls).toBe(1)
    expect(storageErrors).toEqual(['write'])
  })

  it('a getItem that rejects counts as no stored session; removeItem failures are reported', async () => {
    const storage: KeyValueStorage = {
      getItem: () => Promise.reject(new Error('io')),
      setItem: () => undefined,
      removeItem: () => {
        throw new Error('io')
      },
    }
    const { client, storageErrors } = setup({ storage })
    expect(await client.ensureSession()).toBe('tok-1')
    await client.logout()
    expect(client.token).toBeNull()
    expect(storageErrors).toEqual(['read', 'remove'])
  })

  it('works with asynchronous storage', async () => {
    const map = new Map<string, string>([[KEY, stored('kept', T0 + DAY)]])
    const storage: KeyValueStorage = {
      getItem: async (key) => map.get(key) ?? null,
      setItem: async (key, value) => {
        map.set(key, value)
      },
      removeItem: async (key) => {
        map.delete(key)
      },
    }
    const { client, source } = setup({ storage })
    expect(await client.ensureSession()).toBe('kept')
    expect(source.loginCalls).toBe(0)
    await client.logout()
    expect(map.size).toBe(0)
  })
})

describe('state subscription', () => {
  it('notifies subscribers until they unsubscribe; a throwing listener breaks nothing', async () => {
    const { client } = setup()
    const seen: string[] = []
    client.subscribe(() => {
      throw new Error('bad listener')
    })
    const unsubscribe = client.subscribe((state) => seen.push(state.status))
    await client.ensureSession()
    unsubscribe()
    await client.logout()
    expect(seen).toEqual(['logging-in', 'logged-in'])
    expect(client.getState().status).toBe('idle')
  })

  it('never exposes the token in the state', async () => {
    const { client, states } = setup()
    const token = await client.ensureSession()
    expect(JSON.stringify(states)).not.toContain(token)
  })
})
