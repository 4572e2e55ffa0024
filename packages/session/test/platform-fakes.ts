/*
 * Fakes of each platform's login API, shaped as the platforms answer: Taro's
 * promise API (WeChat, QQ), Douyin's callback-style `tt` global and Alipay's
 * callback-style `my` global. Each issues numbered codes and records calls.
 */
import type {
  AlipayAuthApi,
  AlipayAuthCodeResult,
  PlatformCallbacks,
  TaroLoginApi,
  TtLoginApi,
  TtLoginResult,
} from '../src/client/index'

/** Platforms answer asynchronously: so do the fakes. */
function later(run: () => void): void {
  setTimeout(run, 1)
}

/** Fake Taro for weapp and qq: `Taro.login` / `Taro.checkSession`. */
export class FakeTaro implements TaroLoginApi {
  loginCalls = 0
  checkCalls = 0
  sessionValid = true
  /** The next login rejects with this (once). */
  failNext: unknown = null
  private counter = 0

  constructor(private readonly prefix = 'wx') {}

  async login(): Promise<{ code?: string | null; errMsg?: string }> {
    this.loginCalls++
    await new Promise((resolve) => later(() => resolve(undefined)))
    if (this.failNext !== null) {
      const error = this.failNext
      this.failNext = null
      throw error
    }
    return { code: `${this.prefix}-code-${++this.counter}`, errMsg: 'login:ok' }
  }

  async checkSession(): Promise<unknown> {
    this.checkCalls++
    if (!this.sessionValid) throw { errMsg: 'checkSession:fail session time out' }
    return { errMsg: 'checkSession:ok' }
  }
}

/**
 * How Douyin's tt.login answers: `logged-in` (code and anonymousCode),
 * `anonymous` (not logged in to Douyin: anonymousCode only), `none` (neither),
 * `fail` (the fail callback).
 */
export type TtMode = 'logged-in' | 'anonymous' | 'none' | 'fail'

/** Fake `tt` global: callback-style login and (optionally) checkSession. */
export class FakeTt implements TtLoginApi {
  mode: TtMode = 'logged-in'
  loginCalls = 0
  checkCalls = 0
  sessionValid = true
  /** The `force` of each tt.login call. */
  readonly forces: boolean[] = []
  checkSession?: TtLoginApi['checkSession']
  private counter = 0

  constructor(options: { checkSession?: boolean } = {}) {
    if (options.checkSession !== false) {
      this.checkSession = (callbacks: PlatformCallbacks<unknown>) => {
        this.checkCalls++
        later(() =>
          this.sessionValid
            ? callbacks.success({ errMsg: 'checkSession:ok' })
            : callbacks.fail({ errMsg: 'checkSession:fail session expired' }),
        )
      }
    }
  }

  login(options: { force: boolean } & PlatformCallbacks<TtLoginResult>): void {
    this.loginCalls++
    this.forces.push(options.force)
    const n = ++this.counter
    const mode = this.mode
    later(() => {
      if (mode === 'fail') return options.fail({ errMsg: 'login:fail host login fail' })
      if (mode === 'none') return options.success({ errMsg: 'login:ok', isLogin: false })
      const anonymousCode = `tt-anon-${n}`
      if (mode === 'anonymous') {
        return options.success({ anonymousCode, isLogin: false, errMsg: 'login:ok' })
      }
      options.success({ code: `tt-code-${n}`, anonymousCode, isLogin: true, errMsg: 'login:ok' })
    })
  }
}

/** How Alipay's my.getAuthCode answers. */
export type MyMode = 'ok' | 'fail' | 'no-code'

/** Fake `my` global: callback-style getAuthCode (Alipay has no checkSession). */
export class FakeMy implements AlipayAuthApi {
  mode: MyMode = 'ok'
  loginCalls = 0
  /** The `scopes` of each getAuthCode call. */
  readonly scopes: Array<string | string[]> = []
  private counter = 0

  getAuthCode(
    options: { scopes: string | string[] } & PlatformCallbacks<AlipayAuthCodeResult>,
  ): void {
    this.loginCalls++
    this.scopes.push(options.scopes)
    const n = ++this.counter
    const mode = this.mode
    later(() => {
      if (mode === 'fail') return options.fail({ error: 11, errorMessage: 'USER_CANCEL' })
      if (mode === 'no-code') return options.success({ authSuccessScopes: [] })
      options.success({ authCode: `my-auth-${n}`, authSuccessScopes: ['auth_base'] })
    })
  }
}
