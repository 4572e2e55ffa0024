/*
 * The platform behind two small interfaces, so the same session code runs on
 * Taro (weapp), in the H5 preview (a WeChat simulator over HTTP) and in Node
 * tests. Taro is injected, never imported: this package does not depend on it.
 */
import { platformMessage, SessionLoginError } from './errors'

/** Where login codes come from: `wx.login` / `wx.checkSession`, or a stand-in. */
export interface WechatLoginSource {
  /** A fresh login code (single use, 5 minutes). Rejects when there is none. */
  login(): Promise<string>
  /** Whether WeChat still holds the session_key of the last login. */
  checkSession(): Promise<boolean>
}

/** Persistent key/value strings: Taro storage, localStorage, memory. Sync or async. */
export interface KeyValueStorage {
  getItem(key: string): string | null | Promise<string | null>
  setItem(key: string, value: string): void | Promise<void>
  removeItem(key: string): void | Promise<void>
}

/** The part of the Taro object the login source uses (typed structurally). */
export interface TaroLoginApi {
  login(): PromiseLike<{ code?: string | null; errMsg?: string }>
  checkSession(): PromiseLike<unknown>
}

/** The part of the Taro object the storage adapter uses (typed structurally). */
export interface TaroStorageApi {
  getStorageSync(key: string): unknown
  setStorageSync(key: string, data: string): void
  removeStorageSync(key: string): void
}

/** A successful WeChat callback says `<api>:ok`; Taro's H5 stubs resolve with other texts. */
function isOkResult(result: unknown): boolean {
  if (!result || typeof result !== 'object') return true
  const errMsg = (result as { errMsg?: unknown }).errMsg
  return typeof errMsg !== 'string' || /:\s*ok$/.test(errMsg)
}

/**
 * `Taro.login` / `Taro.checkSession` as a login source. A login that resolves
 * without a code (Taro's production H5 build does) or rejects with a plain
 * `{ errMsg }` object fails with a SessionLoginError `WECHAT_LOGIN_FAILED`.
 */
export function taroLoginSource(taro: TaroLoginApi): WechatLoginSource {
  return {
    async login() {
      let result: { code?: string | null; errMsg?: string } | undefined
      try {
        result = await taro.login()
      } catch (error) {
        throw new SessionLoginError(
          'WECHAT_LOGIN_FAILED',
          `wx.login failed: ${platformMessage(error)}`,
          { cause: error },
        )
      }
      const code = result && typeof result.code === 'string' ? result.code : ''
      if (!code) {
        const detail = result && typeof result.errMsg === 'string' ? `: ${result.errMsg}` : ''
        throw new SessionLoginError('WECHAT_LOGIN_FAILED', `wx.login gave no code${detail}`)
      }
      return code
    },
    async checkSession() {
      try {
        return isOkResult(await taro.checkSession())
      } catch {
        // wx.checkSession rejects when the session_key expired.
        return false
      }
    },
  }
}

/**
 * Taro's synchronous storage (wx storage on weapp, localStorage on H5).
 * `getStorageSync` answers `''` for a missing key: read as null.
 *
 * On H5, pass an object whose methods call `Taro.getStorageSync(…)` etc.
 * by name: Taro's H5 build links each API where the code names it, so the
 * `Taro` object handed over whole lacks them there (seen with Taro 4.2).
 */
export function taroStorage(taro: TaroStorageApi): KeyValueStorage {
  return {
    getItem(key) {
      const value = taro.getStorageSync(key)
      return typeof value === 'string' && value !== '' ? value : null
    },
    setItem(key, value) {
      taro.setStorageSync(key, value)
    },
    removeItem(key) {
      taro.removeStorageSync(key)
    },
  }
}

/** In-memory storage (tests, or a platform without storage). */
export function memoryStorage(initial?: Record<string, string>): KeyValueStorage & {
  /** The current contents, for assertions. */
  snapshot(): Record<string, string>
} {
  // A Map, not an object: no prototype keys, and no Object.hasOwn (ES2022).
  const map = new Map<string, string>()
  if (initial) for (const key of Object.keys(initial)) map.set(key, initial[key] as string)
  return {
    getItem: (key) => {
      const value = map.get(key)
      return value === undefined ? null : value
    },
    setItem: (key, value) => {
      map.set(key, String(value))
    },
    removeItem: (key) => {
      map.delete(key)
    },
    snapshot: () => {
      const copy: Record<string, string> = {}
      map.forEach((value, key) => {
        copy[key] = value
      })
      return copy
    },
  }
}
