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
  /** Forced access-token refresh refused: 20 a day and 30 s apart (ours or WeChat's 45009). */
  'REFRESH_LIMITED',
  /** 40003: the openid is not the one the code belongs to (another user's phone code). */
  'OPENID_MISMATCH',
  /** 1400001 (paid quota used up) or 45009 (daily call limit): no more calls today. */
  'QUOTA_EXHAUSTED',
  /** WeChat's answer carries another app's watermark: not data for this app. */
  'WATERMARK_MISMATCH',
  /** Timeout, network failure or a non-200 answer: WeChat could not be reached. */
  'UNAVAILABLE',
  /** An errcode this client has no family for. */
  'UNEXPECTED',
  /** An answer that is not the documented shape. */
  'MALFORMED_RESPONSE',
  /** 61010: the openid has not visited the app in the last 2 hours (content security). */
  'USER_INACTIVE',
  /** 40129: the scene value is not one WeChat knows (or refused before sending). */
  'SCENE_INVALID',
  /** Refused before sending: the input breaks WeChat's documented limits (too long, empty…). */
  'INPUT_INVALID',
] as const
export type WechatErrorKind = (typeof WECHAT_ERROR_KINDS)[number]

export interface WechatErrorDetails {
  /** The API called, e.g. `code2Session`. */
  api: string
  /** Whose API, in messages: `WeChat` unless said (the QQ, Douyin and Alipay clients reuse these errors). */
  service?: string
  /** The platform's own detail code where it has one besides errcode (Alipay's `sub_code`). */
  subCode?: string
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
  readonly service: string
  readonly subCode?: string
  readonly attempts: number

  constructor(kind: WechatErrorKind, message: string, details: WechatErrorDetails) {
    super(message, details.cause ? { cause: details.cause } : undefined)
    this.kind = kind
    this.errcode = details.errcode
    this.errmsg = details.errmsg
    this.rid = details.rid
    this.api = details.api
    this.service = details.service ?? 'WeChat'
    this.subCode = details.subCode
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
      const sub = details.subCode ? ` [${details.subCode}]` : ''
      const rid = details.rid ? ` [rid ${details.rid}]` : ''
      super(
        kind,
        `${details.service ?? 'WeChat'} ${details.api}: ${what}${code}${sub}${rid}`,
        details,
      )
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
  'busy through every attempt',
) {}
export class WechatCredentialsError extends family(
  'CREDENTIALS_INVALID',
  'WechatCredentialsError',
  'the appid/secret (or this server) was refused — check the configuration',
) {}
export class WechatAccessTokenError extends family(
  'ACCESS_TOKEN_INVALID',
  'WechatAccessTokenError',
  'the access token is invalid or expired',
) {}
export class WechatOpenidMismatchError extends family(
  'OPENID_MISMATCH',
  'WechatOpenidMismatchError',
  'the openid does not match the code',
) {}
export class WechatQuotaExhaustedError extends family(
  'QUOTA_EXHAUSTED',
  'WechatQuotaExhaustedError',
  'the call quota is used up',
) {}
export class WechatWatermarkMismatchError extends family(
  'WATERMARK_MISMATCH',
  'WechatWatermarkMismatchError',
  "the answer's watermark names another app",
) {}
export class WechatUnexpectedError extends family(
  'UNEXPECTED',
  'WechatUnexpectedError',
  'answered with an unexpected errcode',
) {}
export class WechatMalformedResponseError extends family(
  'MALFORMED_RESPONSE',
  'WechatMalformedResponseError',
  'answered with a malformed response',
) {}

export class WechatUserInactiveError extends family(
  'USER_INACTIVE',
  'WechatUserInactiveError',
  'the user has not visited the app in the last 2 hours',
) {}
export class WechatSceneInvalidError extends family(
  'SCENE_INVALID',
  'WechatSceneInvalidError',
  'the scene is invalid',
) {}
export class WechatInputInvalidError extends family(
  'INPUT_INVALID',
  'WechatInputInvalidError',
  "the input breaks WeChat's limits",
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
    super(
      'UNAVAILABLE',
      `${details.service ?? 'WeChat'} ${details.api}: unavailable (${detail})`,
      details,
    )
  }
}

/**
 * A forced access-token refresh that WeChat's limits forbid: `limit` says
 * which (20 a day, Beijing time; or 30 s since the last one). errcode is 45009
 * when WeChat said so, null when the provider's own bookkeeping did.
 */
export class WechatRefreshLimitedError extends WechatApiError {
  override name = 'WechatRefreshLimitedError'
  declare readonly kind: 'REFRESH_LIMITED'
  constructor(
    readonly limit: 'daily' | 'interval',
    details: WechatErrorDetails,
  ) {
    const what =
      limit === 'daily'
        ? 'the daily limit of forced access-token refreshes is reached'
        : 'a forced access-token refresh ran less than 30 s ago'
    const code = details.errcode === null ? '' : ` (errcode ${details.errcode})`
    super('REFRESH_LIMITED', `WeChat ${details.api}: ${what}${code}`, details)
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
  if (errcode === 40003) return new WechatOpenidMismatchError(details)
  if (errcode === 1400001 || errcode === 45009) return new WechatQuotaExhaustedError(details)
  if (errcode === 61010) return new WechatUserInactiveError(details)
  if (errcode === 40129) return new WechatSceneInvalidError(details)
  if (CREDENTIALS.has(errcode)) return new WechatCredentialsError(details)
  if (ACCESS_TOKEN.has(errcode)) return new WechatAccessTokenError(details)
  return new WechatUnexpectedError(details)
}
