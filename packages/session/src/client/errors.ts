/*
 * Typed login errors. A SessionLoginError says why a login could not give the
 * client a session, with a stable machine `reason` to branch on. Messages are
 * written here, never copied from a request: no token can end up in one.
 */
import {
  type ClientLoginReason,
  isLoginReason,
  isSessionReason,
  type LoginReason,
  REASONS,
} from '../shared/index'

export type SessionLoginReason = LoginReason | ClientLoginReason

export interface SessionLoginErrorOptions {
  /** The tRPC error code the server answered with (`SERVICE_UNAVAILABLE`…). */
  code?: string
  httpStatus?: number
  cause?: unknown
}

/** A login (first or re-login) failed: no session could be obtained. */
export class SessionLoginError extends Error {
  readonly reason: SessionLoginReason
  /** The tRPC error code, when the server answered. */
  readonly code: string | undefined
  readonly httpStatus: number | undefined
  /** True when the same login may succeed later (the UI can offer a retry). */
  readonly retryable: boolean
  constructor(reason: SessionLoginReason, message: string, options: SessionLoginErrorOptions = {}) {
    super(message)
    // Keeps instanceof working when a compiler turns classes into functions.
    Object.setPrototypeOf(this, SessionLoginError.prototype)
    this.name = 'SessionLoginError'
    this.reason = reason
    this.code = options.code
    this.httpStatus = options.httpStatus
    this.retryable = REASONS[reason].retryable
    // Error's `cause` option is ES2022: set the property by hand.
    Object.defineProperty(this, 'cause', {
      value: options.cause,
      enumerable: false,
      writable: true,
      configurable: true,
    })
  }
}

export function isSessionLoginError(error: unknown): error is SessionLoginError {
  return error instanceof SessionLoginError
}

/** Finds the SessionLoginError behind an error (a TRPCClientError wraps it as `cause`). */
export function sessionLoginErrorOf(error: unknown): SessionLoginError | null {
  let current: unknown = error
  for (let depth = 0; depth < 5 && current; depth++) {
    if (current instanceof SessionLoginError) return current
    current = typeof current === 'object' ? (current as { cause?: unknown }).cause : undefined
  }
  return null
}

/** The `data` of a tRPC error (`TRPCClientError#data`), when the server sent one. */
export interface TRPCErrorDataLike {
  code: string
  httpStatus?: number
  reason?: unknown
}

export function errorDataOf(error: unknown): TRPCErrorDataLike | null {
  if (!error || typeof error !== 'object') return null
  const data = (error as { data?: unknown }).data
  if (!data || typeof data !== 'object') return null
  const code = (data as { code?: unknown }).code
  return typeof code === 'string' ? (data as TRPCErrorDataLike) : null
}

/** True for an answer that a fresh login fixes: `UNAUTHORIZED` with a session reason. */
export function isSessionFailure(error: unknown): boolean {
  const data = errorDataOf(error)
  return data !== null && data.code === 'UNAUTHORIZED' && isSessionReason(data.reason)
}

/** WeChat's `errMsg` (or an Error's message) from whatever a platform call rejected with. */
export function platformMessage(reason: unknown): string {
  if (reason && typeof reason === 'object') {
    const { errMsg, message } = reason as { errMsg?: unknown; message?: unknown }
    if (typeof errMsg === 'string') return errMsg
    if (typeof message === 'string') return message
  }
  if (typeof reason === 'string') return reason
  return 'unknown error'
}

/** Classifies what the `login` function (usually `auth.login`) threw. */
export function toSessionLoginError(error: unknown): SessionLoginError {
  if (error instanceof SessionLoginError) return error
  const data = errorDataOf(error)
  if (data) {
    const options = { code: data.code, httpStatus: data.httpStatus, cause: error }
    if (isLoginReason(data.reason)) {
      return new SessionLoginError(data.reason, `Login failed: ${data.reason}`, options)
    }
    const detail = typeof data.reason === 'string' ? `${data.code}/${data.reason}` : data.code
    return new SessionLoginError('LOGIN_FAILED', `Login failed: ${detail}`, options)
  }
  return new SessionLoginError(
    'NETWORK_ERROR',
    'Login failed: the API server could not be reached',
    { cause: error },
  )
}

/** Classifies what a login source's `login()` threw. */
export function toWechatLoginError(error: unknown): SessionLoginError {
  if (error instanceof SessionLoginError) return error
  return new SessionLoginError(
    'WECHAT_LOGIN_FAILED',
    `wx.login failed: ${platformMessage(error)}`,
    {
      cause: error,
    },
  )
}
