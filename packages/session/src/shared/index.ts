/**
 * The session vocabulary both ends share: header names, the machine reasons
 * an error carries in `error.data.reason`, and the shapes exchanged at login.
 * No runtime dependencies: this module is bundled into the mini-program.
 */

/** `Authorization: Bearer <token>` carries the session token on every call. */
export const AUTH_HEADER = 'authorization'
export const AUTH_SCHEME = 'Bearer'
/** Names the mini-program a request comes from (when the server serves several). */
export const APPID_HEADER = 'x-wx-appid'

/**
 * Reasons that mean "this token no longer opens a session": the client
 * answers each by logging in again (once, shared by every call in flight).
 */
export const SESSION_REASONS = [
  /** No token was sent to a procedure that needs one. */
  'AUTH_REQUIRED',
  /** The token is malformed, unknown, tampered with, or belongs to another app. */
  'TOKEN_INVALID',
  /** The session outlived its idle or absolute lifetime. */
  'SESSION_EXPIRED',
  /** The session was logged out (this device, or everywhere). */
  'SESSION_REVOKED',
] as const
export type SessionReason = (typeof SESSION_REASONS)[number]

/** Reasons `auth.login` can fail with. */
export const LOGIN_REASONS = [
  /** The login code is unknown or expired (WeChat 40029): get a new one with wx.login. */
  'WECHAT_CODE_INVALID',
  /** The login code was already exchanged (WeChat 40163): get a new one. */
  'WECHAT_CODE_USED',
  /** WeChat refuses this user as high-risk (40226). */
  'WECHAT_USER_BLOCKED',
  /** WeChat's per-user frequency limit (45011): wait and retry. */
  'WECHAT_RATE_LIMITED',
  /** WeChat stayed busy (-1) after bounded retries: retry later (503). */
  'WECHAT_BUSY',
  /** WeChat did not answer in time: retry later (503). */
  'WECHAT_UNAVAILABLE',
  /** The server's appid/secret were refused by WeChat: a server configuration problem. */
  'WECHAT_CREDENTIALS_INVALID',
  /** The request names a mini-program this server does not serve. */
  'APP_UNKNOWN',
  /** Too many logins from this client or WeChat user: wait and retry (429). */
  'LOGIN_RATE_LIMITED',
] as const
export type LoginReason = (typeof LOGIN_REASONS)[number]

/** Reasons `user.bindPhone` can fail with (besides WeChat's service reasons above). */
export const PHONE_REASONS = [
  /** The getPhoneNumber code is unknown, expired or used (WeChat 40029): tap the button again. */
  'PHONE_CODE_INVALID',
  /** The code belongs to another WeChat user (40003). */
  'PHONE_CODE_MISMATCH',
  /** The app's paid phone-number quota is used up (1400001) or its daily limit reached (503). */
  'PHONE_QUOTA_EXHAUSTED',
] as const
export type PhoneReason = (typeof PHONE_REASONS)[number]

/** Reasons `wechat.decryptUserData` can fail with. */
export const DATA_REASONS = [
  /**
   * The data does not decrypt with the session_key the server holds: WeChat
   * rotated it (a newer wx.login). Log in again, then get the data again.
   */
  'DATA_DECRYPT_FAILED',
  /** The decrypted data is for another mini-program. */
  'DATA_APPID_MISMATCH',
  /** rawData does not match its signature (tampered, or signed with another session_key). */
  'DATA_SIGNATURE_INVALID',
  /** The server holds no session_key for this login: log in again. */
  'SESSION_KEY_MISSING',
] as const
export type DataReason = (typeof DATA_REASONS)[number]

const sessionReasons: ReadonlySet<string> = new Set(SESSION_REASONS)

/** True for a reason that a fresh login fixes. */
export function isSessionReason(reason: unknown): reason is SessionReason {
  return typeof reason === 'string' && sessionReasons.has(reason)
}

/** What the client tells the server about itself at login (shown in the session list). */
export interface ClientInfo {
  /** `weapp`, `h5`, `node`… */
  platform?: string
  /** Device model, e.g. `iPhone 15`. */
  model?: string
  /** OS, e.g. `iOS 17.4`. */
  system?: string
  /** WeChat or app version. */
  version?: string
}

/** The token as the client stores it. */
export interface StoredSession {
  token: string
  /** ISO time after which the server will refuse the token unless renewed. */
  expiresAt: string
  /** The mini-program the token was issued for. */
  appid: string
}

/** Formats the Authorization header value for a token. */
export function bearer(token: string): string {
  return `${AUTH_SCHEME} ${token}`
}
