/**
 * Typed errors for WeChat's server API: one class per errcode family, all
 * extending WechatApiError with the errcode and a stable `kind` that callers
 * switch on (the API maps kinds to its login reasons).
 *
 * No message, property or cause ever holds the app secret, a code, a token
 * or a session_key: messages are built from fixed text, WeChat's errmsg is
 * redacted, and causes are rebuilt from sanitised text.
 */

export const WECHAT_ERROR_KINDS = [
  /** 40029: the code is unknown, expired, or belongs to another app. */
  'CODE_INVALID',
  /** 40163: the code was already exchanged. */
  'CODE_USED',
  /** 40226: WeChat refuses this user as high-risk. */
  'USER_BLOCKED',
  /** 45011: WeChat's per-user frequency limit. */
  'RATE_LIMITED',
  /** -1: WeChat stayed busy through every retry. */
  'BUSY',
  /** 40013/40125/41002/41004/40164: WeChat refuses our appid/secret (or our IP). */
  'CREDENTIALS_INVALID',
  /** 40001/40014/41001/42001: the access token is invalid, stale or expired. */
  'ACCESS_TOKEN_INVALID',
  /** Timeout, network failure or a non-200 answer: WeChat could not be reached. */
  'UNAVAILABLE',
  /** An errcode this client has no family for. */
  'UNEXPECTED',
  /** An answer that is not the documented shape. */
  'MALFORMED_RESPONSE',
] as const
export type WechatErrorKind = (typeof WECHAT_ERROR_KINDS)[number]

export interface WechatErrorDetails {
  /** The API called, e.g. `code2Session`. */
  api: string
  /** WeChat's errcode; null when WeChat sent none (timeout, malformed answer). */
  errcode: number | null
  /** WeChat's errmsg, redacted and shortened. */
  errmsg?: string
  /** WeChat's request id from errmsg (`rid: …`), for WeChat support. */
  rid?: string
  /** How many requests were sent (0 when refused before sending). */
  attempts: number
  /** A sanitised cause (network errors): never the original, which may quote the URL. */
  cause?: Error
}

export class WechatApiError extends Error {
  override name = 'WechatApiError'
  readonly kind: WechatErrorKind
  readonly errcode: number | null
  readonly errmsg?: string
  readonly rid?: string
  readonly api: string
  readonly attempts: number

  constructor(kind: WechatErrorKind, message: string, details: WechatErrorDetails) {
    super(message, details.cause ? { cause: details.cause } : undefined)
    this.kind = kind
    this.errcode = details.errcode
    this.errmsg = details.errmsg
    this.rid = details.rid
    this.api = details.api
    this.attempts = details.attempts
  }
}

/** Builds a subclass whose message says what happened in fixed words. */
function family<K extends WechatErrorKind>(kind: K, errorName: string, what: string) {
  return class extends WechatApiError {
    override name = errorName
    declare readonly kind: K
    constructor(details: WechatErrorDetails) {
      const code = details.errcode === null ? '' : ` (errcode ${details.errcode})`
      const rid = details.rid ? ` [rid ${details.rid}]` : ''
      super(kind, `WeChat ${details.api}: ${what}${code}${rid}`, details)
    }
  }
}

export class WechatCodeInvalidError extends family(
  'CODE_INVALID',
  'WechatCodeInvalidError',
  'the code is invalid or expired',
) {}
export class WechatCodeUsedError extends family(
  'CODE_USED',
  'WechatCodeUsedError',
  'the code was already used',
) {}
export class WechatUserBlockedError extends family(
  'USER_BLOCKED',
  'WechatUserBlockedError',
  'WeChat blocks this user as high-risk',
) {}
export class WechatRateLimitedError extends family(
  'RATE_LIMITED',
  'WechatRateLimitedError',
  'frequency limit reached',
) {}
export class WechatBusyError extends family(
  'BUSY',
  'WechatBusyError',
  'WeChat stayed busy through every attempt',
) {}
export class WechatCredentialsError extends family(
  'CREDENTIALS_INVALID',
  'WechatCredentialsError',
  'WeChat refused the appid/secret (or this server) — check the configuration',
) {}
export class WechatAccessTokenError extends family(
  'ACCESS_TOKEN_INVALID',
  'WechatAccessTokenError',
  'the access token is invalid or expired',
) {}
export class WechatUnexpectedError extends family(
  'UNEXPECTED',
  'WechatUnexpectedError',
  'WeChat answered with an unexpected errcode',
) {}
export class WechatMalformedResponseError extends family(
  'MALFORMED_RESPONSE',
  'WechatMalformedResponseError',
  'WeChat answered with a malformed response',
) {}

/** Timeout, network failure or non-200: `reason` says which, in fixed words. */
export class WechatUnavailableError extends WechatApiError {
  override name = 'WechatUnavailableError'
  declare readonly kind: 'UNAVAILABLE'
  constructor(
    readonly reason: 'timeout' | 'network' | 'http_status' | 'aborted',
    detail: string,
    details: WechatErrorDetails,
  ) {
    super('UNAVAILABLE', `WeChat ${details.api}: unavailable (${detail})`, details)
  }
}

const CREDENTIALS = new Set([40013, 40125, 41002, 41004, 40164])
const ACCESS_TOKEN = new Set([40001, 40014, 41001, 42001])

/** The error for a non-zero errcode (-1 included: callers retry before they get here). */
export function errorForErrcode(details: WechatErrorDetails & { errcode: number }): WechatApiError {
  const { errcode } = details
  if (errcode === 40029) return new WechatCodeInvalidError(details)
  if (errcode === 40163) return new WechatCodeUsedError(details)
  if (errcode === 40226) return new WechatUserBlockedError(details)
  if (errcode === 45011) return new WechatRateLimitedError(details)
  if (errcode === -1) return new WechatBusyError(details)
  if (CREDENTIALS.has(errcode)) return new WechatCredentialsError(details)
  if (ACCESS_TOKEN.has(errcode)) return new WechatAccessTokenError(details)
  return new WechatUnexpectedError(details)
}
