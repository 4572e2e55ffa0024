/*
 * Login orchestration for the mini-program (see docs/design.md, "The login flow").
 *
 * - Launch: a stored token for this appid, not past its expiresAt, plus a valid
 *   wx.checkSession = logged in, with no network call. Otherwise a full login:
 *   wx.login -> code -> auth.login -> token stored.
 * - Every login is single flight: callers that arrive while one runs share it.
 * - relogin(staleToken) replaces a token the server refused; callers holding an
 *   older token than the current one get the current one without a new login.
 *
 * No Node APIs and no DOM: runs in the WeChat runtime, in H5 and in Node.
 */
import type { ClientInfo, StoredSession } from '../shared/index'
import { SessionLoginError, toSessionLoginError, toWechatLoginError } from './errors'
import type { KeyValueStorage, WechatLoginSource } from './platform'

/** The user `auth.login` returns. */
export interface SessionUser {
  id: string
  nickname: string | null
  avatarUrl: string | null
}

/** What `auth.login` returns. */
export interface LoginResult<TUser = SessionUser> {
  token: string
  /** ISO time: the absolute end of the session. */
  expiresAt: string
  user: TUser
}

/** What the `login` function gets: pass it to `auth.login` as it is. */
export interface LoginArgs {
  code: string
  appid: string
  client?: ClientInfo
}

export type SessionStatus = 'idle' | 'logging-in' | 'logged-in' | 'error'

/** The session as the UI sees it (never the token). */
export interface SessionState<TUser = SessionUser> {
  readonly status: SessionStatus
  /** The user of the last login; null before one (a warm launch does not fetch it). */
  readonly user: TUser | null
  /** When the current session ends (ISO), if there is one. */
  readonly expiresAt: string | null
  /** The error of the last failed login; cleared by the next success. */
  readonly error: SessionLoginError | null
}

export type SessionListener<TUser = SessionUser> = (state: SessionState<TUser>) => void

export type StorageOperation = 'read' | 'write' | 'remove'

export interface SessionClientOptions<TUser = SessionUser> {
  source: WechatLoginSource
  storage: KeyValueStorage
  /** Calls `auth.login`, e.g. `(args) => api.auth.login.mutate(args)`. */
  login: (args: LoginArgs) => Promise<LoginResult<TUser>>
  /** The mini-program's appid: tokens stored for another app are ignored. */
  appid: string
  /** Sent with each login (shown in the session list). */
  clientInfo?: ClientInfo | (() => ClientInfo | undefined)
  /** Storage key of the stored session (default `wxapp.session`). */
  storageKey?: string
  /** Clock in ms (default Date.now). */
  now?: () => number
  /** A token this close to its expiresAt counts as expired (default 30 s). */
  expiryMarginMs?: number
  /** Called on every state change (like `subscribe`). */
  onChange?: SessionListener<TUser>
  /**
   * Storage failures never fail a login: a token that cannot be stored lives in
   * memory for this launch (the next launch logs in again). Reported here.
   */
  onStorageError?: (error: unknown, operation: StorageOperation) => void
}

export interface SessionClient<TUser = SessionUser> {
  readonly appid: string
  /** The current token, or null (none yet, or logged out). */
  readonly token: string | null
  /** A usable token: the current one, the stored one (launch rule) or a new login. */
  ensureSession(): Promise<string>
  /**
   * Replaces a token the server refused. If the current token already differs
   * from `staleToken`, returns it without logging in; otherwise every caller
   * shares one login. On failure, the refused token is dropped.
   */
  relogin(staleToken: string | null): Promise<string>
  /**
   * Ends the session locally (memory and storage). `revoke` (e.g.
   * `() => api.auth.logout.mutate()`) is called first, while the token is still
   * there, when there is a session; its failure is ignored.
   */
  logout(revoke?: () => Promise<unknown>): Promise<void>
  /** The token to send without logging in (current, else stored): for logout calls. */
  peekToken(): Promise<string | null>
  getState(): SessionState<TUser>
  subscribe(listener: SessionListener<TUser>): () => void
}

const DEFAULT_STORAGE_KEY = 'wxapp.session'
const DEFAULT_EXPIRY_MARGIN_MS = 30_000

interface CurrentSession extends StoredSession {
  /**
   * The device clock said this freshly issued session was already over (a wrong
   * clock): its expiry is left to the server (a 401 starts a re-login).
   */
  ignoreLocalExpiry?: boolean
}

function noop(): void {}

function parseStored(raw: string | null, appid: string): StoredSession | null {
  if (typeof raw !== 'string' || raw === '') return null
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch {
    return null
  }
  if (!value || typeof value !== 'object') return null
  const { token, expiresAt, appid: storedAppid } = value as Partial<Record<string, unknown>>
  if (typeof token !== 'string' || token === '') return null
  if (typeof expiresAt !== 'string' || typeof storedAppid !== 'string') return null
  if (storedAppid !== appid) return null
  return { token, expiresAt, appid: storedAppid }
}

function isLoginResult(value: unknown): value is LoginResult<unknown> {
  if (!value || typeof value !== 'object') return false
  const { token, expiresAt } = value as { token?: unknown; expiresAt?: unknown }
  return (
    typeof token === 'string' &&
    token !== '' &&
    typeof expiresAt === 'string' &&
    !Number.isNaN(Date.parse(expiresAt))
  )
}

export function createSessionClient<TUser = SessionUser>(
  options: SessionClientOptions<TUser>,
): SessionClient<TUser> {
  const { source, storage, appid } = options
  const storageKey = options.storageKey ?? DEFAULT_STORAGE_KEY
  const now = options.now ?? (() => Date.now())
  const margin = options.expiryMarginMs ?? DEFAULT_EXPIRY_MARGIN_MS
  const onStorageError = options.onStorageError ?? noop

  let current: CurrentSession | null = null
  /** The launch rule (stored token + checkSession) runs once per client. */
  let restored = false
  let flight: Promise<string> | null = null
  let state: SessionState<TUser> = { status: 'idle', user: null, expiresAt: null, error: null }
  const listeners: SessionListener<TUser>[] = []
  if (options.onChange) listeners.push(options.onChange)

  function setState(next: Partial<SessionState<TUser>>): void {
    state = { ...state, ...next }
    const snapshot = state
    for (const listener of listeners.slice()) {
      try {
        listener(snapshot)
      } catch {
        // A UI listener must not break a login.
      }
    }
  }

  function isFresh(session: CurrentSession): boolean {
    if (session.ignoreLocalExpiry) return true
    const end = Date.parse(session.expiresAt)
    return !Number.isNaN(end) && now() < end - margin
  }

  // Storage: sync or async, and any of it may throw. Never fatal.
  async function readStored(): Promise<StoredSession | null> {
    try {
      return parseStored(await storage.getItem(storageKey), appid)
    } catch (error) {
      onStorageError(error, 'read')
      return null
    }
  }
  async function writeStored(session: StoredSession): Promise<void> {
    try {
      await storage.setItem(storageKey, JSON.stringify(session))
    } catch (error) {
      onStorageError(error, 'write')
    }
  }
  async function removeStored(): Promise<void> {
    try {
      await storage.removeItem(storageKey)
    } catch (error) {
      onStorageError(error, 'remove')
    }
  }

  async function checkSession(): Promise<boolean> {
    try {
      return (await source.checkSession()) === true
    } catch {
      return false
    }
  }

  function clientInfo(): ClientInfo | undefined {
    const info = options.clientInfo
    if (typeof info !== 'function') return info
    try {
      return info()
    } catch {
      return undefined
    }
  }

  function fail(error: SessionLoginError): never {
    setState({ status: 'error', error })
    throw error
  }

  /** wx.login -> code -> auth.login -> store. */
  async function fullLogin(): Promise<string> {
    restored = true
    setState({ status: 'logging-in' })

    let code: string
    try {
      code = await source.login()
    } catch (error) {
      return fail(toWechatLoginError(error))
    }
    if (typeof code !== 'string' || code === '') {
      return fail(new SessionLoginError('WECHAT_LOGIN_FAILED', 'wx.login gave no code'))
    }

    const args: LoginArgs = { code, appid }
    const info = clientInfo()
    if (info) args.client = info
    let result: LoginResult<TUser>
    try {
      result = await options.login(args)
    } catch (error) {
      return fail(toSessionLoginError(error))
    }
    if (!isLoginResult(result)) {
      return fail(
        new SessionLoginError('LOGIN_FAILED', 'Login failed: the answer holds no usable session'),
      )
    }

    const session: CurrentSession = { token: result.token, expiresAt: result.expiresAt, appid }
    if (!isFresh(session)) session.ignoreLocalExpiry = true
    current = session
    await writeStored({ token: session.token, expiresAt: session.expiresAt, appid })
    setState({ status: 'logged-in', user: result.user, expiresAt: session.expiresAt, error: null })
    return session.token
  }

  /** Runs `task` unless a login is already running; everybody shares the running one. */
  function singleFlight(task: () => Promise<string>): Promise<string> {
    if (flight) return flight
    const running: Promise<string> = task().then(
      (token) => {
        if (flight === running) flight = null
        return token
      },
      (error: unknown) => {
        if (flight === running) flight = null
        throw error
      },
    )
    flight = running
    return running
  }

  async function launch(): Promise<string> {
    if (!restored) {
      restored = true
      const stored = await readStored()
      if (stored && isFresh(stored) && (await checkSession())) {
        current = stored
        setState({ status: 'logged-in', expiresAt: stored.expiresAt, error: null })
        return stored.token
      }
    }
    return fullLogin()
  }

  function ensureSession(): Promise<string> {
    if (flight) return flight
    if (current && isFresh(current)) return Promise.resolve(current.token)
    return singleFlight(launch)
  }

  async function relogin(staleToken: string | null): Promise<string> {
    if (flight) {
      // Shares the running login, and its failure.
      const token = await flight
      if (token !== staleToken) return token
    } else if (current && current.token !== staleToken && isFresh(current)) {
      return current.token
    }
    return singleFlight(async () => {
      try {
        return await fullLogin()
      } catch (error) {
        // The server refused that token: do not offer it again.
        if (current && current.token === staleToken) {
          current = null
          await removeStored()
        }
        throw error
      }
    })
  }

  async function settle(): Promise<void> {
    while (flight) {
      try {
        await flight
      } catch {
        // The login's own callers get its error.
      }
    }
  }

  async function logout(revoke?: () => Promise<unknown>): Promise<void> {
    await settle()
    if (revoke) {
      if (!current) {
        // Warm launch before any call: revoke the stored session (no checkSession needed).
        const stored = await readStored()
        if (stored) current = stored
      }
      if (current) {
        try {
          await revoke()
        } catch {
          // Best effort: the local session ends anyway.
        }
      }
    }
    current = null
    restored = true
    await removeStored()
    setState({ status: 'idle', user: null, expiresAt: null, error: null })
  }

  async function peekToken(): Promise<string | null> {
    await settle()
    if (current) return current.token
    const stored = await readStored()
    return stored ? stored.token : null
  }

  return {
    appid,
    get token() {
      return current ? current.token : null
    },
    ensureSession,
    relogin,
    logout,
    peekToken,
    getState: () => state,
    subscribe(listener) {
      listeners.push(listener)
      return () => {
        const index = listeners.indexOf(listener)
        if (index >= 0) listeners.splice(index, 1)
      }
    },
  }
}
