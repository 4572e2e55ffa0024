/*
 * The platform behind small interfaces, so the same session code runs on
 * WeChat, QQ, Douyin and Alipay (Taro builds), in the H5 preview (a WeChat
 * simulator over HTTP) and in Node tests. Neither Taro nor any platform SDK is
 * imported: each source takes a structurally typed slice of the API it calls.
 *
 * Login sources, one per platform:
 * - taroLoginSource: `Taro.login` / `Taro.checkSession` (WeChat, QQ).
 * - ttLoginSource: Douyin's `tt.login({ force: false })`, its `code`, else its
 *   `anonymousCode` (flagged `anonymous`); `tt.checkSession` when present.
 * - alipayLoginSource: `my.getAuthCode({ scopes: 'auth_base' })`; Alipay has no
 *   checkSession, so the stored token's own validity decides a warm launch.
 */
import { platformMessage, SessionLoginError } from './errors'

/** A login code, and whether it is Douyin's `anonymousCode` (the server exchanges it as `anonymous_code`). */
export interface LoginCode {
  code: string
  /** Set only for an anonymous code. */
  anonymous?: true
}

/** Where login codes come from: one platform's login API, or a stand-in. */
export interface LoginSource {
  /** A fresh login code (single use, minutes). Rejects when there is none. */
  login(): Promise<string | LoginCode>
  /**
   * Whether the platform still holds the session of the last login. Absent where
   * the platform has no such check (Alipay): the stored token's own validity
   * decides, and a token the server refuses starts a re-login.
   */
  checkSession?(): Promise<boolean>
}

/**
 * A source with WeChat's `wx.login` / `wx.checkSession` pair (WeChat, QQ, the H5
 * simulator): a LoginSource whose checkSession is always there. The name predates
 * the other platforms; code that calls `checkSession()` directly relies on it.
 */
export interface WechatLoginSource extends LoginSource {
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
 * `Taro.login` / `Taro.checkSession` as a login source (WeChat, QQ). A login that resolves
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

/** The success and failure callbacks of a platform's callback-style API. */
export interface PlatformCallbacks<T> {
  success(result: T): void
  fail(error: unknown): void
}

/**
 * Calls a callback-style platform API as a promise. The platforms' own globals
 * (`tt`, `my`) are called here, not Taro's promise wrappers, and not every base
 * library answers with a promise, so callbacks it is. A synchronous throw (an
 * API the base library lacks) rejects too.
 */
function callApi<T>(invoke: (callbacks: PlatformCallbacks<T>) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    invoke({ success: resolve, fail: reject })
  })
}

/** What Douyin's `tt.login` succeeds with. */
export interface TtLoginResult {
  /** Only for a user logged in to the Douyin app. */
  code?: string | null
  /** Identifies the device; given whether or not the user is logged in. */
  anonymousCode?: string | null
  isLogin?: boolean
  errMsg?: string
}

/** The part of Douyin's `tt` global the login source uses (typed structurally). */
export interface TtLoginApi {
  login(options: { force: boolean } & PlatformCallbacks<TtLoginResult>): void
  checkSession?(options: PlatformCallbacks<unknown>): void
}

/**
 * Douyin's `tt.login` as a login source. `force: false`: a user not logged in to
 * the Douyin app is not shown its login window (the default, `true`, does, and
 * fails when they cancel); they get only an `anonymousCode`, sent flagged
 * `anonymous`. `tt.checkSession` is used where the base library has it.
 */
export function ttLoginSource(tt: TtLoginApi): LoginSource {
  const source: LoginSource = {
    async login() {
      let result: TtLoginResult | undefined
      try {
        result = await callApi<TtLoginResult>((callbacks) =>
          tt.login({ force: false, ...callbacks }),
        )
      } catch (error) {
        throw new SessionLoginError(
          'WECHAT_LOGIN_FAILED',
          `tt.login failed: ${platformMessage(error)}`,
          { cause: error },
        )
      }
      if (result && typeof result.code === 'string' && result.code !== '') {
        return { code: result.code }
      }
      if (result && typeof result.anonymousCode === 'string' && result.anonymousCode !== '') {
        return { code: result.anonymousCode, anonymous: true }
      }
      const detail = result && typeof result.errMsg === 'string' ? `: ${result.errMsg}` : ''
      throw new SessionLoginError('WECHAT_LOGIN_FAILED', `tt.login gave no code${detail}`)
    },
  }
  const check = tt.checkSession
  if (typeof check === 'function') {
    source.checkSession = async () => {
      try {
        await callApi<unknown>((callbacks) => check.call(tt, callbacks))
        return true
      } catch {
        // tt.checkSession fails when the session expired (or there was none).
        return false
      }
    }
  }
  return source
}

/** What Alipay's `my.getAuthCode` succeeds with. */
export interface AlipayAuthCodeResult {
  authCode?: string | null
  authSuccessScopes?: unknown
  authErrorScopes?: unknown
}

/** The part of Alipay's `my` global the login source uses (typed structurally). */
export interface AlipayAuthApi {
  getAuthCode(
    options: { scopes: string | string[] } & PlatformCallbacks<AlipayAuthCodeResult>,
  ): void
}

/** Alipay fails with `{ error, errorMessage }`; WeChat-style `errMsg` and Errors read as usual. */
function alipayMessage(reason: unknown): string {
  if (reason && typeof reason === 'object') {
    const { error, errorMessage } = reason as { error?: unknown; errorMessage?: unknown }
    if (typeof errorMessage === 'string') {
      return typeof error === 'number' || typeof error === 'string'
        ? `${errorMessage} (${error})`
        : errorMessage
    }
  }
  return platformMessage(reason)
}

/**
 * Alipay's `my.getAuthCode` with `auth_base` (silent authorization: no prompt,
 * the server gets the user id from the code) as a login source. Called on `my`
 * itself, so the scope and Alipay's `{ error, errorMessage }` failures do not
 * depend on Taro's login alias (Taro 4.2's Alipay plugin does map login to
 * getAuthCode with auth_base). Alipay has no checkSession, so this source has none.
 */
export function alipayLoginSource(my: AlipayAuthApi): LoginSource {
  return {
    async login() {
      let result: AlipayAuthCodeResult | undefined
      try {
        result = await callApi<AlipayAuthCodeResult>((callbacks) =>
          my.getAuthCode({ scopes: 'auth_base', ...callbacks }),
        )
      } catch (error) {
        throw new SessionLoginError(
          'WECHAT_LOGIN_FAILED',
          `my.getAuthCode failed: ${alipayMessage(error)}`,
          { cause: error },
        )
      }
      if (result && typeof result.authCode === 'string' && result.authCode !== '') {
        return result.authCode
      }
      throw new SessionLoginError('WECHAT_LOGIN_FAILED', 'my.getAuthCode gave no authCode')
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
