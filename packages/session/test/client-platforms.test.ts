/*
 * The session client over each platform's login source, each over a fake of that
 * platform's API: the same launch rule, single flight and re-login everywhere,
 * with only what the platform offers differing (Douyin's anonymous code, Alipay's
 * missing checkSession).
 */
import { describe, expect, it } from 'vitest'
import {
  alipayLoginSource,
  createSessionClient,
  type LoginArgs,
  type LoginResult,
  type LoginSource,
  memoryStorage,
  taroLoginSource,
  ttLoginSource,
} from '../src/client/index'
import type { StoredSession } from '../src/shared/index'
import { sleep } from './client-fixtures'
import { FakeMy, FakeTaro, FakeTt } from './platform-fakes'

const APPID = 'app-under-test'
const KEY = 'wxapp.session'
const T0 = Date.parse('2026-03-01T00:00:00Z')
const DAY = 24 * 3600_000

/** One platform as the tests drive it: its source, and its fake's knobs. */
interface Platform {
  source: LoginSource
  /** Platform login calls so far (Taro.login, tt.login, my.getAuthCode). */
  logins(): number
  /** checkSession calls so far (always 0 without one). */
  checks(): number
  /** Makes the platform's checkSession fail from now on; null where there is none. */
  expireSession: (() => void) | null
  /** The LoginArgs fields the n-th login (from 1) sends, besides appid. */
  expected(n: number): Pick<LoginArgs, 'code' | 'anonymous'>
}

function weapp(prefix = 'wx'): Platform {
  const taro = new FakeTaro(prefix)
  return {
    source: taroLoginSource(taro),
    logins: () => taro.loginCalls,
    checks: () => taro.checkCalls,
    expireSession: () => {
      taro.sessionValid = false
    },
    expected: (n) => ({ code: `${prefix}-code-${n}` }),
  }
}

function douyin(anonymous: boolean): Platform {
  const tt = new FakeTt()
  tt.mode = anonymous ? 'anonymous' : 'logged-in'
  return {
    source: ttLoginSource(tt),
    logins: () => tt.loginCalls,
    checks: () => tt.checkCalls,
    expireSession: () => {
      tt.sessionValid = false
    },
    expected: (n) =>
      anonymous ? { code: `tt-anon-${n}`, anonymous: true } : { code: `tt-code-${n}` },
  }
}

function alipay(): Platform {
  const my = new FakeMy()
  return {
    source: alipayLoginSource(my),
    logins: () => my.loginCalls,
    checks: () => 0,
    expireSession: null,
    expected: (n) => ({ code: `my-auth-${n}` }),
  }
}

const PLATFORMS: Array<[string, () => Platform]> = [
  ['weapp', () => weapp('wx')],
  ['qq', () => weapp('qq')],
  ['tt (logged in to Douyin)', () => douyin(false)],
  ['tt (anonymous)', () => douyin(true)],
  ['alipay', alipay],
]

function stored(token: string, expiresAt: number): string {
  const session: StoredSession = {
    token,
    expiresAt: new Date(expiresAt).toISOString(),
    appid: APPID,
  }
  return JSON.stringify(session)
}

function setup(source: LoginSource, initial?: Record<string, string>) {
  const storage = memoryStorage(initial)
  const logins: LoginArgs[] = []
  let tokens = 0
  const client = createSessionClient({
    source,
    storage,
    appid: APPID,
    now: () => T0,
    clientInfo: { platform: 'test' },
    login: async (args): Promise<LoginResult> => {
      logins.push(args)
      await sleep(5)
      return {
        token: `tok-${++tokens}`,
        expiresAt: new Date(T0 + DAY).toISOString(),
        user: { id: 'u1', nickname: null, avatarUrl: null },
      }
    },
  })
  return { client, storage, logins }
}

describe.each(PLATFORMS)('session client on %s', (_name, make) => {
  it('a full login sends the code (anonymous only for a Douyin anonymousCode), appid and client', async () => {
    const platform = make()
    const { client, storage, logins } = setup(platform.source)
    expect(await client.ensureSession()).toBe('tok-1')
    expect(platform.logins()).toBe(1)
    expect(logins).toEqual([
      { ...platform.expected(1), appid: APPID, client: { platform: 'test' } },
    ])
    // The flag is absent, not `false`, where the code is not anonymous.
    if (!platform.expected(1).anonymous) expect(logins[0]).not.toHaveProperty('anonymous')
    expect(JSON.parse(storage.snapshot()[KEY] ?? '{}')).toMatchObject({
      token: 'tok-1',
      appid: APPID,
    })
  })

  it('a warm launch with a fresh stored token needs no login', async () => {
    const platform = make()
    const { client, logins } = setup(platform.source, { [KEY]: stored('kept', T0 + DAY) })
    expect(await client.ensureSession()).toBe('kept')
    expect(await client.ensureSession()).toBe('kept')
    expect(platform.logins()).toBe(0)
    expect(logins).toHaveLength(0)
    // checkSession once where the platform has one; Alipay goes by the token alone.
    expect(platform.checks()).toBe(platform.expireSession ? 1 : 0)
  })

  it('a stored token past its expiresAt logs in, without asking checkSession', async () => {
    const platform = make()
    const { client, logins } = setup(platform.source, { [KEY]: stored('old', T0 - 1) })
    expect(await client.ensureSession()).toBe('tok-1')
    expect(platform.checks()).toBe(0)
    expect(platform.logins()).toBe(1)
    expect(logins[0]).toMatchObject(platform.expected(1))
  })

  it('concurrent ensureSession calls share one login', async () => {
    const platform = make()
    const { client, logins } = setup(platform.source)
    const tokens = await Promise.all(Array.from({ length: 10 }, () => client.ensureSession()))
    expect(new Set(tokens)).toEqual(new Set(['tok-1']))
    expect(platform.logins()).toBe(1)
    expect(logins).toHaveLength(1)
  })

  it('a refused token: concurrent relogins share one new login with a fresh code', async () => {
    const platform = make()
    const { client, storage, logins } = setup(platform.source, { [KEY]: stored('kept', T0 + DAY) })
    const stale = await client.ensureSession()
    expect(stale).toBe('kept')
    const tokens = await Promise.all(Array.from({ length: 10 }, () => client.relogin(stale)))
    expect(new Set(tokens)).toEqual(new Set(['tok-1']))
    expect(platform.logins()).toBe(1)
    expect(logins).toEqual([
      { ...platform.expected(1), appid: APPID, client: { platform: 'test' } },
    ])
    expect(JSON.parse(storage.snapshot()[KEY] ?? '{}').token).toBe('tok-1')
    // A late caller with the refused token gets the new one without a login.
    expect(await client.relogin(stale)).toBe('tok-1')
    expect(platform.logins()).toBe(1)
  })
})

describe.each(PLATFORMS.filter(([name]) => name !== 'alipay'))(
  'warm launch on %s (a platform with checkSession)',
  (_name, make) => {
    it("logs in again when the platform's checkSession fails", async () => {
      const platform = make()
      expect(platform.source.checkSession).toBeTypeOf('function')
      platform.expireSession?.()
      const { client, storage, logins } = setup(platform.source, { [KEY]: stored('old', T0 + DAY) })
      expect(await client.ensureSession()).toBe('tok-1')
      expect(platform.checks()).toBe(1)
      expect(platform.logins()).toBe(1)
      expect(logins[0]).toMatchObject(platform.expected(1))
      expect(JSON.parse(storage.snapshot()[KEY] ?? '{}').token).toBe('tok-1')
    })
  },
)

describe('warm launch on alipay (no checkSession)', () => {
  it('goes by the stored token alone: fresh -> used, no login; expired -> login', async () => {
    const fresh = alipay()
    expect(fresh.source.checkSession).toBeUndefined()
    const a = setup(fresh.source, { [KEY]: stored('kept', T0 + DAY) })
    expect(await a.client.ensureSession()).toBe('kept')
    expect(fresh.logins()).toBe(0)
    expect(a.client.getState()).toMatchObject({ status: 'logged-in', user: null })

    const expired = alipay()
    const b = setup(expired.source, { [KEY]: stored('old', T0 + 10_000) })
    expect(await b.client.ensureSession()).toBe('tok-1')
    expect(expired.logins()).toBe(1)
    expect(b.logins).toEqual([{ code: 'my-auth-1', appid: APPID, client: { platform: 'test' } }])
  })

  it("ignores another app's stored token", async () => {
    const platform = alipay()
    const other: StoredSession = {
      token: 'other',
      expiresAt: new Date(T0 + DAY).toISOString(),
      appid: 'another-app',
    }
    const { client } = setup(platform.source, { [KEY]: JSON.stringify(other) })
    expect(await client.ensureSession()).toBe('tok-1')
    expect(platform.logins()).toBe(1)
  })
})

describe('platform login failures through the session client', () => {
  it('Douyin with neither code, and Alipay refusing, end in WECHAT_LOGIN_FAILED without auth.login', async () => {
    const tt = new FakeTt()
    tt.mode = 'none'
    const my = new FakeMy()
    my.mode = 'fail'
    for (const [source, message] of [
      [ttLoginSource(tt), 'tt.login gave no code: login:ok'],
      [alipayLoginSource(my), 'my.getAuthCode failed: USER_CANCEL (11)'],
    ] as const) {
      const { client, logins } = setup(source)
      await expect(client.ensureSession()).rejects.toMatchObject({
        reason: 'WECHAT_LOGIN_FAILED',
        message,
      })
      expect(logins).toHaveLength(0)
      expect(client.getState()).toMatchObject({ status: 'error' })
    }
  })

  it('a stand-in source that answers { code } or { code, anonymous } objects works too', async () => {
    const answers = [{ code: 'plain' }, { code: 'anon', anonymous: true as const }]
    const { client, logins } = setup({ login: async () => answers.shift() ?? '' })
    const first = await client.ensureSession()
    await client.relogin(first)
    expect(logins.map(({ code, anonymous }) => ({ code, anonymous }))).toEqual([
      { code: 'plain', anonymous: undefined },
      { code: 'anon', anonymous: true },
    ])
  })
})
