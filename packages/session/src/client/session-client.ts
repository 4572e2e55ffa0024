/*
 * Login orchestration for the mini-program (the README's "Logging in: how it
 * works" draws the flow).
 *
 * - Launch: a stored token for this appid, not past its expiresAt, plus a valid
 *   checkSession (where the platform has one; Alipay has none) = logged in, with
 *   no network call. Otherwise a full login: the source's login -> code ->
 *   auth.login -> token stored.
 * - Every login is single flight: callers that arrive while one runs share it.
 * - relogin(staleToken) replaces a token the server refused; callers holding an
 *   older token than the current one get the current one without a new login.
 *
 * The same on every platform: only the login source differs (./platform.ts).
 * No Node APIs and no DOM: runs in the mini-program runtimes, in H5 and in Node.
 */
import type { ClientInfo, StoredSession } from '../shared/index'
import { SessionLoginError, toSessionLoginError, toWechatLoginError } from './errors'
import type { KeyValueStorage, LoginCode, LoginSource } from './platform'
import {
  readStored,
  removeStored,
  type SessionStorage,
  type StorageOperation,
  writeStored,
} from './stored-session'

export type { StorageOperation } from './stored-session'

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
  /** `code` is Douyin's anonymousCode (exchanged as `anonymous_code`); set only when true. */
  anonymous?: true
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

export interface SessionClientOptions<TUser = SessionUser> {
  source: LoginSource
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

/** Everything a client holds: its settings, and the little that changes. */
interface Client<TUser> {
  readonly options: SessionClientOptions<TUser>
  readonly stored: SessionStorage
  readonly now: () => number
  readonly marginMs: number
  readonly listeners: SessionListener<TUser>[]
  current: CurrentSession | null
  /** The launch rule (stored token + checkSession where there is one) runs once per client. */
  restored: boolean
  /** The login running now, shared by every caller. */
  flight: Promise<string> | null
  state: SessionState<TUser>
}

function setState<TUser>(client: Client<TUser>, next: Partial<SessionState<TUser>>): void {
  client.state = { ...client.state, ...next }
  const snapshot = client.state
  for (const listener of client.listeners.slice()) {
    try {
      listener(snapshot)
    } catch {
      // A UI listener must not break a login.
    }
  }
}

function isFresh<TUser>(client: Client<TUser>, session: CurrentSession): boolean {
  if (session.ignoreLocalExpiry) return true
  const end = Date.parse(session.expiresAt)
  return !Number.isNaN(end) && client.now() < end - client.marginMs
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

/** The platform's checkSession; without one (Alipay) the stored token's own validity decides. */
async function checkSession(source: LoginSource): Promise<boolean> {
  if (typeof source.checkSession !== 'function') return true
  try {
    return (await source.checkSession()) === true
  } catch {
    return false
  }
}

function clientInfo<TUser>(options: SessionClientOptions<TUser>): ClientInfo | undefined {
  const info = options.clientInfo
  if (typeof info !== 'function') return info
  try {
    return info()
  } catch {
    return undefined
  }
}

function fail<TUser>(client: Client<TUser>, error: SessionLoginError): never {
  setState(client, { status: 'error', error })
  throw error
}

/** A source's answer as a code and its anonymous flag; null without a usable code. */
function loginCodeOf(answer: string | LoginCode | null | undefined): LoginCode | null {
  if (typeof answer === 'string') return answer === '' ? null : { code: answer }
  if (!answer || typeof answer !== 'object') return null
  if (typeof answer.code !== 'string' || answer.code === '') return null
  return answer.anonymous === true ? { code: answer.code, anonymous: true } : { code: answer.code }
}

/** The source's login -> code -> auth.login -> store. */
async function fullLogin<TUser>(client: Client<TUser>): Promise<string> {
  const { options } = client
  client.restored = true
  setState(client, { status: 'logging-in' })

  let answer: string | LoginCode
  try {
    answer = await options.source.login()
  } catch (error) {
    return fail(client, toWechatLoginError(error))
  }
  const loginCode = loginCodeOf(answer)
  if (!loginCode) {
    return fail(client, new SessionLoginError('WECHAT_LOGIN_FAILED', 'The login gave no code'))
  }

  const args: LoginArgs = { code: loginCode.code, appid: options.appid }
  if (loginCode.anonymous) args.anonymous = true
  const info = clientInfo(options)
  if (info) args.client = info
  let result: LoginResult<TUser>
  try {
    result = await options.login(args)
  } catch (error) {
    return fail(client, toSessionLoginError(error))
  }
  if (!isLoginResult(result)) {
    return fail(
      client,
      new SessionLoginError('LOGIN_FAILED', 'Login failed: the answer holds no usable session'),
    )
  }

  const { token, expiresAt } = result
  const session: CurrentSession = { token, expiresAt, appid: options.appid }
  if (!isFresh(client, session)) session.ignoreLocalExpiry = true
  client.current = session
  await writeStored(client.stored, { token, expiresAt, appid: options.appid })
  setState(client, { status: 'logged-in', user: result.user, expiresAt, error: null })
  return token
}

/** Runs `task` unless a login is already running; everybody shares the running one. */
function singleFlight<TUser>(client: Client<TUser>, task: () => Promise<string>): Promise<string> {
  if (client.flight) return client.flight
  const running: Promise<string> = task().then(
    (token) => {
      if (client.flight === running) client.flight = null
      return token
    },
    (error: unknown) => {
      if (client.flight === running) client.flight = null
      throw error
    },
  )
  client.flight = running
  return running
}

/**
 * The launch rule: a stored, unexpired token and a valid checkSession need no
 * login; a source without checkSession (Alipay) goes by the token alone.
 */
async function launch<TUser>(client: Client<TUser>): Promise<string> {
  if (!client.restored) {
    client.restored = true
    const stored = await readStored(client.stored)
    if (stored && isFresh(client, stored) && (await checkSession(client.options.source))) {
      client.current = stored
      setState(client, { status: 'logged-in', expiresAt: stored.expiresAt, error: null })
      return stored.token
    }
  }
  return fullLogin(client)
}

function ensureSession<TUser>(client: Client<TUser>): Promise<string> {
  if (client.flight) return client.flight
  if (client.current && isFresh(client, client.current)) {
    return Promise.resolve(client.current.token)
  }
  return singleFlight(client, () => launch(client))
}

async function relogin<TUser>(client: Client<TUser>, staleToken: string | null): Promise<string> {
  if (client.flight) {
    // Shares the running login, and its failure.
    const token = await client.flight
    if (token !== staleToken) return token
  } else if (
    client.current &&
    client.current.token !== staleToken &&
    isFresh(client, client.current)
  ) {
    return client.current.token
  }
  return singleFlight(client, async () => {
    try {
      return await fullLogin(client)
    } catch (error) {
      // The server refused that token: do not offer it again.
      if (client.current && client.current.token === staleToken) {
        client.current = null
        await removeStored(client.stored)
      }
      throw error
    }
  })
}

/** Waits for the running login (if any) to end, whatever its outcome. */
async function settle<TUser>(client: Client<TUser>): Promise<void> {
  while (client.flight) {
    try {
      await client.flight
    } catch {
      // The login's own callers get its error.
    }
  }
}

async function logout<TUser>(
  client: Client<TUser>,
  revoke?: () => Promise<unknown>,
): Promise<void> {
  await settle(client)
  if (revoke) {
    // Warm launch before any call: revoke the stored session (no checkSession needed).
    if (!client.current) client.current = await readStored(client.stored)
    if (client.current) {
      try {
        await revoke()
      } catch {
        // Best effort: the local session ends anyway.
      }
    }
  }
  client.current = null
  client.restored = true
  await removeStored(client.stored)
  setState(client, { status: 'idle', user: null, expiresAt: null, error: null })
}

async function peekToken<TUser>(client: Client<TUser>): Promise<string | null> {
  await settle(client)
  if (client.current) return client.current.token
  const stored = await readStored(client.stored)
  return stored ? stored.token : null
}

export function createSessionClient<TUser = SessionUser>(
  options: SessionClientOptions<TUser>,
): SessionClient<TUser> {
  const client: Client<TUser> = {
    options,
    stored: {
      storage: options.storage,
      key: options.storageKey ?? DEFAULT_STORAGE_KEY,
      appid: options.appid,
      onError: options.onStorageError ?? (() => {}),
    },
    now: options.now ?? (() => Date.now()),
    marginMs: options.expiryMarginMs ?? DEFAULT_EXPIRY_MARGIN_MS,
    listeners: options.onChange ? [options.onChange] : [],
    current: null,
    restored: false,
    flight: null,
    state: { status: 'idle', user: null, expiresAt: null, error: null },
  }
  return {
    appid: options.appid,
    get token() {
      return client.current ? client.current.token : null
    },
    ensureSession: () => ensureSession(client),
    relogin: (staleToken) => relogin(client, staleToken),
    logout: (revoke) => logout(client, revoke),
    peekToken: () => peekToken(client),
    getState: () => client.state,
    subscribe(listener) {
      client.listeners.push(listener)
      return () => {
        const index = client.listeners.indexOf(listener)
        if (index >= 0) client.listeners.splice(index, 1)
      }
    },
  }
}
