/*
 * The platform adapters: fake Taro objects (shaped as Taro 4 behaves on weapp
 * and in H5 builds), and fakes of Douyin's `tt` and Alipay's `my` globals.
 */
import { describe, expect, it } from 'vitest'
import {
  alipayLoginSource,
  createSessionClient,
  memoryStorage,
  SessionLoginError,
  taroLoginSource,
  taroStorage,
  ttLoginSource,
} from '../src/client/index'
import { FakeMy, FakeTt } from './platform-fakes'

type LoginResult = { code?: string | null; errMsg?: string }

function fakeTaro(login: () => Promise<LoginResult>, checkSession: () => Promise<unknown>) {
  return { login, checkSession }
}

const ok = async () => ({ errMsg: 'checkSession:ok' })

describe('taroLoginSource', () => {
  it('returns the code of a successful Taro.login', async () => {
    const source = taroLoginSource(fakeTaro(async () => ({ code: 'c0de', errMsg: 'login:ok' }), ok))
    expect(await source.login()).toBe('c0de')
  })

  it('a login that resolves without a code (Taro production H5) is WECHAT_LOGIN_FAILED', async () => {
    for (const result of [{ errMsg: '暂时不支持 API' }, { code: '', errMsg: 'login:ok' }, {}]) {
      const source = taroLoginSource(fakeTaro(async () => result, ok))
      const error = await source.login().catch((e: unknown) => e)
      expect(error).toBeInstanceOf(SessionLoginError)
      expect(error).toMatchObject({ reason: 'WECHAT_LOGIN_FAILED' })
      if (result.errMsg) expect((error as Error).message).toContain(result.errMsg)
    }
  })

  it('a rejection with a plain { errMsg } object (not an Error) is WECHAT_LOGIN_FAILED', async () => {
    const rejection = { errMsg: 'login:fail 暂时不支持 API' }
    const source = taroLoginSource(fakeTaro(() => Promise.reject(rejection), ok))
    const error = (await source.login().catch((e: unknown) => e)) as SessionLoginError
    expect(error).toBeInstanceOf(SessionLoginError)
    expect(error.reason).toBe('WECHAT_LOGIN_FAILED')
    expect(error.message).toBe('wx.login failed: login:fail 暂时不支持 API')
    expect(error.cause).toBe(rejection)

    const thrown = taroLoginSource(fakeTaro(() => Promise.reject(new Error('boom')), ok))
    await expect(thrown.login()).rejects.toMatchObject({
      reason: 'WECHAT_LOGIN_FAILED',
      message: 'wx.login failed: boom',
    })
  })

  it('checkSession: ok -> true; rejection or a non-ok result (H5 stub) -> false', async () => {
    const login = async () => ({ code: 'c' })
    expect(await taroLoginSource(fakeTaro(login, ok)).checkSession()).toBe(true)
    expect(await taroLoginSource(fakeTaro(login, async () => undefined)).checkSession()).toBe(true)
    const expired = () => Promise.reject({ errMsg: 'checkSession:fail session time out' })
    expect(await taroLoginSource(fakeTaro(login, expired)).checkSession()).toBe(false)
    const h5 = async () => ({ errMsg: '暂时不支持 API' })
    expect(await taroLoginSource(fakeTaro(login, h5)).checkSession()).toBe(false)
  })

  it('drives a session client: the failure lands in the state, typed', async () => {
    const client = createSessionClient({
      source: taroLoginSource(fakeTaro(async () => ({ errMsg: '暂时不支持 API' }), ok)),
      storage: memoryStorage(),
      appid: 'wx-h5',
      login: async () => {
        throw new Error('not reached')
      },
    })
    await expect(client.ensureSession()).rejects.toBeInstanceOf(SessionLoginError)
    expect(client.getState().error?.reason).toBe('WECHAT_LOGIN_FAILED')
  })
})

describe('ttLoginSource (Douyin)', () => {
  it('a user logged in to Douyin: the code, not flagged anonymous; never forces the login window', async () => {
    const tt = new FakeTt()
    const source = ttLoginSource(tt)
    expect(await source.login()).toEqual({ code: 'tt-code-1' })
    expect(tt.forces).toEqual([false])
  })

  it('a user not logged in to Douyin: the anonymousCode, flagged anonymous', async () => {
    const tt = new FakeTt()
    tt.mode = 'anonymous'
    expect(await ttLoginSource(tt).login()).toEqual({ code: 'tt-anon-1', anonymous: true })
  })

  it('an empty code falls back to the anonymousCode', async () => {
    const source = ttLoginSource({
      login: (options) => options.success({ code: '', anonymousCode: 'anon', isLogin: false }),
    })
    expect(await source.login()).toEqual({ code: 'anon', anonymous: true })
  })

  it('neither code: WECHAT_LOGIN_FAILED naming tt.login, with its errMsg', async () => {
    const tt = new FakeTt()
    tt.mode = 'none'
    const error = await ttLoginSource(tt)
      .login()
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SessionLoginError)
    expect(error).toMatchObject({
      reason: 'WECHAT_LOGIN_FAILED',
      message: 'tt.login gave no code: login:ok',
    })
  })

  it('the fail callback, or a throwing tt.login: WECHAT_LOGIN_FAILED with the cause', async () => {
    const tt = new FakeTt()
    tt.mode = 'fail'
    const error = (await ttLoginSource(tt)
      .login()
      .catch((e: unknown) => e)) as SessionLoginError
    expect(error).toBeInstanceOf(SessionLoginError)
    expect(error.reason).toBe('WECHAT_LOGIN_FAILED')
    expect(error.message).toBe('tt.login failed: login:fail host login fail')
    expect(error.cause).toEqual({ errMsg: 'login:fail host login fail' })

    const throwing = ttLoginSource({
      login: () => {
        throw new Error('tt.login is not a function')
      },
    })
    await expect(throwing.login()).rejects.toMatchObject({
      reason: 'WECHAT_LOGIN_FAILED',
      message: 'tt.login failed: tt.login is not a function',
    })
  })

  it('checkSession follows tt.checkSession: success -> true, fail -> false', async () => {
    const tt = new FakeTt()
    const source = ttLoginSource(tt)
    expect(await source.checkSession?.()).toBe(true)
    tt.sessionValid = false
    expect(await source.checkSession?.()).toBe(false)
    expect(tt.checkCalls).toBe(2)
  })

  it('a base library without tt.checkSession gives a source without checkSession', () => {
    const source = ttLoginSource(new FakeTt({ checkSession: false }))
    expect(source.checkSession).toBeUndefined()
  })
})

describe('alipayLoginSource', () => {
  it('asks my.getAuthCode for auth_base (silent) and returns the authCode; no checkSession', async () => {
    const my = new FakeMy()
    const source = alipayLoginSource(my)
    expect(await source.login()).toBe('my-auth-1')
    expect(my.scopes).toEqual(['auth_base'])
    expect(source.checkSession).toBeUndefined()
  })

  it('a { error, errorMessage } failure: WECHAT_LOGIN_FAILED naming my.getAuthCode', async () => {
    const my = new FakeMy()
    my.mode = 'fail'
    const error = (await alipayLoginSource(my)
      .login()
      .catch((e: unknown) => e)) as SessionLoginError
    expect(error).toBeInstanceOf(SessionLoginError)
    expect(error.reason).toBe('WECHAT_LOGIN_FAILED')
    expect(error.message).toBe('my.getAuthCode failed: USER_CANCEL (11)')
    expect(error.cause).toEqual({ error: 11, errorMessage: 'USER_CANCEL' })
  })

  it('a success without authCode: WECHAT_LOGIN_FAILED', async () => {
    const my = new FakeMy()
    my.mode = 'no-code'
    await expect(alipayLoginSource(my).login()).rejects.toMatchObject({
      reason: 'WECHAT_LOGIN_FAILED',
      message: 'my.getAuthCode gave no authCode',
    })
  })

  it('an Error thrown by getAuthCode keeps its message', async () => {
    const source = alipayLoginSource({
      getAuthCode: () => {
        throw new Error('my.getAuthCode is not a function')
      },
    })
    await expect(source.login()).rejects.toMatchObject({
      reason: 'WECHAT_LOGIN_FAILED',
      message: 'my.getAuthCode failed: my.getAuthCode is not a function',
    })
  })
})

describe('taroStorage', () => {
  function fakeStorage() {
    const map = new Map<string, unknown>()
    return {
      map,
      getStorageSync: (key: string) => (map.has(key) ? map.get(key) : ''),
      setStorageSync: (key: string, data: string) => {
        map.set(key, data)
      },
      removeStorageSync: (key: string) => {
        map.delete(key)
      },
    }
  }

  it("reads '' (WeChat's missing key) and non-strings as null; forwards writes and removals", () => {
    const taro = fakeStorage()
    const storage = taroStorage(taro)
    expect(storage.getItem('k')).toBeNull()
    storage.setItem('k', 'v')
    expect(taro.map.get('k')).toBe('v')
    expect(storage.getItem('k')).toBe('v')
    taro.map.set('o', { not: 'a string' })
    expect(storage.getItem('o')).toBeNull()
    storage.removeItem('k')
    expect(storage.getItem('k')).toBeNull()
  })

  it('a warm launch through Taro storage needs no login', async () => {
    const taro = fakeStorage()
    const expiresAt = new Date(Date.now() + 3600_000).toISOString()
    taro.map.set('wxapp.session', JSON.stringify({ token: 'kept', expiresAt, appid: 'wx-a' }))
    let logins = 0
    const client = createSessionClient({
      source: taroLoginSource(
        fakeTaro(async () => {
          logins++
          return { code: 'c' }
        }, ok),
      ),
      storage: taroStorage(taro),
      appid: 'wx-a',
      login: async () => {
        throw new Error('not reached')
      },
    })
    expect(await client.ensureSession()).toBe('kept')
    expect(logins).toBe(0)
  })
})

describe('memoryStorage', () => {
  it('keeps strings, starts from initial contents, snapshots', () => {
    const storage = memoryStorage({ a: '1' })
    expect(storage.getItem('a')).toBe('1')
    expect(storage.getItem('toString')).toBeNull()
    storage.setItem('b', '2')
    storage.removeItem('a')
    expect(storage.snapshot()).toEqual({ b: '2' })
  })
})
