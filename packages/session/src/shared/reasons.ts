/*
 * Every machine reason a failure carries (`error.data.reason` from the
 * server, `SessionLoginError#reason` in the client), in one table: the tRPC
 * code and HTTP status the server answers it with, and whether trying again
 * can help. Each feature has its section, in the manner of better-auth's
 * `error-codes.ts`; every other list of reasons is derived from these, and the
 * app's texts are typed `Record<Reason, string>`, so a reason added here
 * without a text (or a text left for a removed reason) fails the type-check.
 *
 * A reason once published is never renamed: clients branch on it.
 * Type imports only: this module is bundled into the mini-program.
 */
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc'

export interface ReasonSpec {
  /** What the server answers with; null for reasons only the client gives. */
  readonly code: TRPC_ERROR_CODE_KEY | null
  readonly status: number | null
  /**
   * True when the same action can succeed later with nothing changed
   * elsewhere: after a wait, a fresh login or a fresh code. False when
   * something must change first (the input, the account, the configuration).
   */
  readonly retryable: boolean
}

type Table = Record<string, ReasonSpec>

/** A token that no longer opens a session: the client logs in again by itself (once for all calls). */
export const SESSION_ERRORS = {
  /** No token was sent to a procedure that needs one. */
  AUTH_REQUIRED: { code: 'UNAUTHORIZED', status: 401, retryable: true },
  /** The token is malformed, unknown, tampered with, or belongs to another app. */
  TOKEN_INVALID: { code: 'UNAUTHORIZED', status: 401, retryable: true },
  /** The session outlived its idle or absolute lifetime. */
  SESSION_EXPIRED: { code: 'UNAUTHORIZED', status: 401, retryable: true },
  /** The session was logged out (this device, or everywhere). */
  SESSION_REVOKED: { code: 'UNAUTHORIZED', status: 401, retryable: true },
} as const satisfies Table

/** What `auth.login` can fail with; the WeChat service reasons answer every call that needs WeChat. */
export const LOGIN_ERRORS = {
  /** The login code is unknown or expired (WeChat 40029): wx.login again. */
  WECHAT_CODE_INVALID: { code: 'BAD_REQUEST', status: 400, retryable: true },
  /** The login code was already exchanged (WeChat 40163): wx.login again. */
  WECHAT_CODE_USED: { code: 'BAD_REQUEST', status: 400, retryable: true },
  /** WeChat refuses this user as high-risk (40226). */
  WECHAT_USER_BLOCKED: { code: 'FORBIDDEN', status: 403, retryable: false },
  /** WeChat's per-user frequency limit (45011): wait a minute. */
  WECHAT_RATE_LIMITED: { code: 'TOO_MANY_REQUESTS', status: 429, retryable: true },
  /** WeChat stayed busy (-1) after bounded retries. */
  WECHAT_BUSY: { code: 'SERVICE_UNAVAILABLE', status: 503, retryable: true },
  /** WeChat did not answer in time, or answered unexpectedly. */
  WECHAT_UNAVAILABLE: { code: 'SERVICE_UNAVAILABLE', status: 503, retryable: true },
  /** WeChat refused the server's appid/secret: the server's configuration. */
  WECHAT_CREDENTIALS_INVALID: { code: 'INTERNAL_SERVER_ERROR', status: 500, retryable: false },
  /** The request names a mini-program this server does not serve. */
  APP_UNKNOWN: { code: 'BAD_REQUEST', status: 400, retryable: false },
  /** Too many logins from this client address or WeChat user. */
  LOGIN_RATE_LIMITED: { code: 'TOO_MANY_REQUESTS', status: 429, retryable: true },
  /** `auth.login` without a code, where no Cloud Hosting identity stands in for one. */
  LOGIN_CODE_REQUIRED: { code: 'BAD_REQUEST', status: 400, retryable: false },
  /** The login code (or the appid asked for) names another user than Cloud Hosting's headers. */
  LOGIN_IDENTITY_MISMATCH: { code: 'FORBIDDEN', status: 403, retryable: false },
} as const satisfies Table

/** Login failures only the client sees (the platform or the network failed, not the server). */
export const CLIENT_LOGIN_ERRORS = {
  /** `wx.login` failed or gave no code (Taro's H5 build has no WeChat login). */
  WECHAT_LOGIN_FAILED: { code: null, status: null, retryable: true },
  /** `auth.login` got no answer from the API server (offline, timeout, not a tRPC response). */
  NETWORK_ERROR: { code: null, status: null, retryable: true },
  /** The server refused the login with no login reason, or answered with no usable session. */
  LOGIN_FAILED: { code: null, status: null, retryable: false },
} as const satisfies Table

/** What `user.bindPhone` can fail with (besides the WeChat service reasons). */
export const PHONE_ERRORS = {
  /** The getPhoneNumber code is unknown, expired or used (WeChat 40029): tap the button again. */
  PHONE_CODE_INVALID: { code: 'BAD_REQUEST', status: 400, retryable: true },
  /** The code belongs to another WeChat user (40003). */
  PHONE_CODE_MISMATCH: { code: 'FORBIDDEN', status: 403, retryable: false },
  /** The app's paid phone-number quota is used up (1400001) or its daily limit reached (45009). */
  PHONE_QUOTA_EXHAUSTED: { code: 'SERVICE_UNAVAILABLE', status: 503, retryable: false },
} as const satisfies Table

/** What `wechat.decryptUserData` can fail with. */
export const DATA_ERRORS = {
  /** The data does not decrypt with the session_key the server holds (rotated by a newer wx.login). */
  DATA_DECRYPT_FAILED: { code: 'BAD_REQUEST', status: 400, retryable: true },
  /** The decrypted data is watermarked for another mini-program. */
  DATA_APPID_MISMATCH: { code: 'FORBIDDEN', status: 403, retryable: false },
  /** rawData does not match its signature (tampered, or signed with another session_key). */
  DATA_SIGNATURE_INVALID: { code: 'BAD_REQUEST', status: 400, retryable: true },
  /** The server holds no session_key for this login: log in again. */
  SESSION_KEY_MISSING: { code: 'PRECONDITION_FAILED', status: 412, retryable: true },
} as const satisfies Table

/** What `POST /uploads/avatar` can fail with (besides the session reasons). */
export const UPLOAD_ERRORS = {
  /** No file in a multipart/form-data body. */
  UPLOAD_MISSING: { code: 'BAD_REQUEST', status: 400, retryable: false },
  /** Larger than the server's UPLOAD_MAX_BYTES. */
  UPLOAD_TOO_LARGE: { code: 'PAYLOAD_TOO_LARGE', status: 413, retryable: false },
  /** Not a PNG, JPEG, GIF or WebP image (by its bytes). */
  UPLOAD_UNSUPPORTED_TYPE: { code: 'UNSUPPORTED_MEDIA_TYPE', status: 415, retryable: false },
  /** The object store holding uploads is down or too slow; nothing was stored. */
  UPLOAD_STORAGE_UNAVAILABLE: { code: 'SERVICE_UNAVAILABLE', status: 503, retryable: true },
  /** The client got no answer to the upload. */
  UPLOAD_FAILED: { code: null, status: null, retryable: true },
} as const satisfies Table

/** What WeChat's content security refuses (nicknames, avatars). */
export const CONTENT_ERRORS = {
  /** WeChat's msg_sec_check or media_check_async found the content risky: nothing was stored. */
  CONTENT_RISKY: { code: 'UNPROCESSABLE_CONTENT', status: 422, retryable: false },
} as const satisfies Table

/** What `/wechat/push` answers WeChat (or anyone posing as it) with. */
export const PUSH_ERRORS = {
  /** signature or msg_signature does not match the app's Token, or safe mode was required. */
  PUSH_SIGNATURE_INVALID: { code: 'UNAUTHORIZED', status: 401, retryable: false },
  /** timestamp is more than 5 minutes from the server's clock: a replay, or a wrong clock. */
  PUSH_TIMESTAMP_STALE: { code: 'UNAUTHORIZED', status: 401, retryable: false },
  /** Signed, but not a message: no JSON object, or it does not decrypt with the EncodingAESKey. */
  PUSH_MESSAGE_INVALID: { code: 'BAD_REQUEST', status: 400, retryable: false },
  /** The verdict names a check this server does not know (yet): WeChat should retry. */
  PUSH_TRACE_UNKNOWN: { code: 'SERVICE_UNAVAILABLE', status: 503, retryable: true },
  /** No message-push Token is configured: the endpoint is off. */
  PUSH_NOT_CONFIGURED: { code: 'NOT_FOUND', status: 404, retryable: false },
} as const satisfies Table

/** Failures of any request: its shape, its transport, or the server's condition. */
export const REQUEST_ERRORS = {
  /** Input failed validation; `error.data.fieldErrors` names the fields. */
  INVALID_INPUT: { code: 'BAD_REQUEST', status: 400, retryable: false },
  /** A header that must appear once (Authorization, x-wx-appid; on Cloud Hosting the X-WX-* identity) came several times. */
  HEADER_REPEATED: { code: 'BAD_REQUEST', status: 400, retryable: false },
  /** Not allowed, and no more specific reason applies. */
  FORBIDDEN: { code: 'FORBIDDEN', status: 403, retryable: false },
  /** The user's platform does not offer this (phone numbers are WeChat's: not on QQ, Douyin, Alipay). */
  PLATFORM_UNSUPPORTED: { code: 'FORBIDDEN', status: 403, retryable: false },
  /** No such procedure, route or record. */
  NOT_FOUND: { code: 'NOT_FOUND', status: 404, retryable: false },
  /** A query sent as POST, a mutation as GET. */
  METHOD_NOT_SUPPORTED: { code: 'METHOD_NOT_SUPPORTED', status: 405, retryable: false },
  /** The request took too long to arrive. */
  TIMEOUT: { code: 'TIMEOUT', status: 408, retryable: true },
  /** The body is larger than the server reads. */
  PAYLOAD_TOO_LARGE: { code: 'PAYLOAD_TOO_LARGE', status: 413, retryable: false },
  /** A body the server cannot read (not JSON). */
  UNSUPPORTED_MEDIA_TYPE: { code: 'UNSUPPORTED_MEDIA_TYPE', status: 415, retryable: false },
  /** Too many requests, with no more specific reason (a proxy's limit, say). */
  TOO_MANY_REQUESTS: { code: 'TOO_MANY_REQUESTS', status: 429, retryable: true },
  /** A bug on the server: its log has the cause (the answer never does). */
  INTERNAL_ERROR: { code: 'INTERNAL_SERVER_ERROR', status: 500, retryable: false },
  /** The server (or a proxy before it) cannot answer now. */
  SERVICE_UNAVAILABLE: { code: 'SERVICE_UNAVAILABLE', status: 503, retryable: true },
  /** The database is down or restarting (`/readyz` says 503 meanwhile). */
  DATABASE_UNAVAILABLE: { code: 'SERVICE_UNAVAILABLE', status: 503, retryable: true },
  /** The client could not tell what went wrong. */
  UNKNOWN: { code: null, status: null, retryable: false },
} as const satisfies Table

/** The one table: every reason of every feature. */
export const REASONS = {
  ...SESSION_ERRORS,
  ...LOGIN_ERRORS,
  ...CLIENT_LOGIN_ERRORS,
  ...PHONE_ERRORS,
  ...DATA_ERRORS,
  ...UPLOAD_ERRORS,
  ...CONTENT_ERRORS,
  ...PUSH_ERRORS,
  ...REQUEST_ERRORS,
} as const satisfies Table

export type Reason = keyof typeof REASONS
/** The reasons the server sends (the others only the client gives). */
export type ServerReason = {
  [K in Reason]: (typeof REASONS)[K]['code'] extends null ? never : K
}[Reason]
export type SessionReason = keyof typeof SESSION_ERRORS
export type LoginReason = keyof typeof LOGIN_ERRORS
export type ClientLoginReason = keyof typeof CLIENT_LOGIN_ERRORS
export type PhoneReason = keyof typeof PHONE_ERRORS
export type DataReason = keyof typeof DATA_ERRORS
export type ContentReason = keyof typeof CONTENT_ERRORS
export type PushReason = keyof typeof PUSH_ERRORS
export type UploadReason = Exclude<keyof typeof UPLOAD_ERRORS, 'UPLOAD_FAILED'>

// The one cast: Object.keys types its result as string[].
const keysOf = <T extends Table>(table: T) => Object.keys(table) as (keyof T & string)[]

export const SESSION_REASONS: readonly SessionReason[] = keysOf(SESSION_ERRORS)
export const LOGIN_REASONS: readonly LoginReason[] = keysOf(LOGIN_ERRORS)
export const CLIENT_LOGIN_REASONS: readonly ClientLoginReason[] = keysOf(CLIENT_LOGIN_ERRORS)
export const PHONE_REASONS: readonly PhoneReason[] = keysOf(PHONE_ERRORS)
export const DATA_REASONS: readonly DataReason[] = keysOf(DATA_ERRORS)
export const ALL_REASONS: readonly Reason[] = keysOf(REASONS)

const has = (table: object, reason: unknown): boolean =>
  // Object.hasOwn is ES2022: older WeChat clients run this module.
  // biome-ignore lint/suspicious/noPrototypeBuiltins: see above
  typeof reason === 'string' && Object.prototype.hasOwnProperty.call(table, reason)

export function isReason(reason: unknown): reason is Reason {
  return has(REASONS, reason)
}

/** True for a reason that a fresh login fixes. */
export function isSessionReason(reason: unknown): reason is SessionReason {
  return has(SESSION_ERRORS, reason)
}

export function isLoginReason(reason: unknown): reason is LoginReason {
  return has(LOGIN_ERRORS, reason)
}

/**
 * The reason for an error that carries none (tRPC's own, a framework's, a
 * proxy's): every tRPC code has one, so every answer names a reason.
 */
export const REASON_OF_CODE = {
  PARSE_ERROR: 'INVALID_INPUT',
  BAD_REQUEST: 'INVALID_INPUT',
  UNAUTHORIZED: 'AUTH_REQUIRED',
  PAYMENT_REQUIRED: 'FORBIDDEN',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  METHOD_NOT_SUPPORTED: 'METHOD_NOT_SUPPORTED',
  TIMEOUT: 'TIMEOUT',
  CONFLICT: 'INVALID_INPUT',
  PRECONDITION_FAILED: 'INVALID_INPUT',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  UNPROCESSABLE_CONTENT: 'INVALID_INPUT',
  PRECONDITION_REQUIRED: 'INVALID_INPUT',
  TOO_MANY_REQUESTS: 'TOO_MANY_REQUESTS',
  // The client went away: nobody reads the answer.
  CLIENT_CLOSED_REQUEST: 'TIMEOUT',
  INTERNAL_SERVER_ERROR: 'INTERNAL_ERROR',
  NOT_IMPLEMENTED: 'INTERNAL_ERROR',
  BAD_GATEWAY: 'SERVICE_UNAVAILABLE',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  GATEWAY_TIMEOUT: 'SERVICE_UNAVAILABLE',
} as const satisfies Record<TRPC_ERROR_CODE_KEY, ServerReason>

/** `REASON_OF_CODE` for any string: undefined when it is not a tRPC code. */
export function reasonOfCode(code: unknown): ServerReason | undefined {
  return has(REASON_OF_CODE, code) ? REASON_OF_CODE[code as TRPC_ERROR_CODE_KEY] : undefined
}
