/*
 * The platform adapters with fake Taro objects (shaped as Taro 4 behaves on
 * weapp and in H5 builds).
 */
import { describe, expect, it } from 'vitest'
import {
  createSessionClient,
  memoryStorage,
  SessionLoginError,
  taroLoginSource,
  taroStorage,
} from '../src/client/index'

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
