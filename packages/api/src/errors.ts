import { TRPCError } from '@trpc/server'
import { REASONS, reasonOfCode, type ServerReason } from '@wxapp/session/shared'

/**
 * What the server says with each reason when the call site has nothing more
 * precise (English, for developers; the app shows its own texts). The tRPC
 * code comes from the reasons table in @wxapp/session/shared.
 */
export const REASON_MESSAGES = {
  AUTH_REQUIRED: 'Log in first: this call needs a session token',
  TOKEN_INVALID: 'The session token is not valid for this app',
  SESSION_EXPIRED: 'The session has expired: log in again',
  SESSION_REVOKED: 'The session was logged out: log in again',
  WECHAT_CODE_INVALID: 'The login code is unknown or expired: call wx.login again',
  WECHAT_CODE_USED: 'The login code was already used: call wx.login again',
  WECHAT_USER_BLOCKED: 'WeChat refuses this user',
  WECHAT_RATE_LIMITED: 'WeChat limits how often this can be done: try again in a minute',
  WECHAT_BUSY: 'WeChat is busy: try again shortly',
  WECHAT_UNAVAILABLE: 'WeChat did not answer in time: try again shortly',
  WECHAT_CREDENTIALS_INVALID:
    'The server cannot log in to WeChat: its app credentials were refused',
  APP_UNKNOWN: 'This server does not serve that mini-program',
  LOGIN_RATE_LIMITED: 'Too many logins: try again in a minute',
  LOGIN_CODE_REQUIRED: 'Log in with the code of wx.login',
  LOGIN_IDENTITY_MISMATCH:
    'The login code belongs to another WeChat user or app than the one calling',
  PHONE_CODE_INVALID:
    'The phone number code is unknown, expired or used: ask the user to tap the button again',
  PHONE_CODE_MISMATCH: 'The phone number code belongs to another WeChat user',
  PHONE_QUOTA_EXHAUSTED: "The app's WeChat phone number quota is used up: try again later",
  DATA_DECRYPT_FAILED:
    'The data does not decrypt with this login’s session key (WeChat may have rotated it): log in again, then get the data again',
  DATA_APPID_MISMATCH: 'The data belongs to another mini-program',
  DATA_SIGNATURE_INVALID:
    'rawData does not match its signature: log in again, then get the data again',
  SESSION_KEY_MISSING: 'The server holds no WeChat session key for this login: log in again',
  UPLOAD_MISSING: 'No file in the upload',
  UPLOAD_TOO_LARGE: 'The file is too large',
  UPLOAD_UNSUPPORTED_TYPE: 'The avatar must be a PNG, JPEG, GIF or WebP image',
  UPLOAD_STORAGE_UNAVAILABLE: 'The file storage is not available right now: try again shortly',
  CONTENT_RISKY:
    "WeChat's content security refused this content (a nickname or an image): nothing was stored",
  PUSH_SIGNATURE_INVALID: "The push's signature does not match this app's message-push Token",
  PUSH_TIMESTAMP_STALE: "The push's timestamp is more than 5 minutes from the server's clock",
  PUSH_MESSAGE_INVALID: 'The push is not a message this server can read',
  PUSH_TRACE_UNKNOWN: 'No content check has this trace_id yet: push again later',
  PUSH_NOT_CONFIGURED: 'Message push is not configured on this server (WECHAT_PUSH_TOKEN)',
  INVALID_INPUT: 'Invalid input',
  HEADER_REPEATED: 'A header that must appear once was sent several times',
  FORBIDDEN: 'Not allowed',
  PLATFORM_UNSUPPORTED: "This is not available on the user's mini-program platform",
  NOT_FOUND: 'Not found',
  METHOD_NOT_SUPPORTED: 'Method not supported',
  TIMEOUT: 'The request timed out',
  PAYLOAD_TOO_LARGE: 'The request body is too large',
  UNSUPPORTED_MEDIA_TYPE: 'Send the input as JSON (content-type: application/json)',
  TOO_MANY_REQUESTS: 'Too many requests: try again shortly',
  INTERNAL_ERROR: 'Internal server error',
  SERVICE_UNAVAILABLE: 'The service is not available right now: try again shortly',
  DATABASE_UNAVAILABLE: 'The database is not available right now: try again shortly',
} as const satisfies Record<ServerReason, string>

/** A TRPCError that carries a stable reason for clients; its code is the reason's. */
export class ReasonedError<TReason extends ServerReason = ServerReason> extends TRPCError {
  readonly reason: TReason

  constructor(reason: TReason, opts: { message?: string; cause?: unknown } = {}) {
    super({
      code: REASONS[reason].code,
      message: opts.message ?? REASON_MESSAGES[reason],
      cause: opts.cause,
    })
    this.reason = reason
  }
}

/** The reason an error answers with: its own, else the one of its tRPC code. */
export function reasonOf(error: TRPCError): ServerReason {
  if (error instanceof ReasonedError) return error.reason
  return reasonOfCode(error.code) ?? 'INTERNAL_ERROR'
}
