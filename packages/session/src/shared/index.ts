/**
 * The session vocabulary both ends share: header names, the machine reasons
 * an error carries in `error.data.reason` (reasons.ts), and the shapes
 * exchanged at login. No runtime dependencies: this module is bundled into
 * the mini-program.
 */
export * from './reasons'

/** `Authorization: Bearer <token>` carries the session token on every call. */
export const AUTH_HEADER = 'authorization'
export const AUTH_SCHEME = 'Bearer'
/** Names the mini-program a request comes from (when the server serves several). */
export const APPID_HEADER = 'x-wx-appid'

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
