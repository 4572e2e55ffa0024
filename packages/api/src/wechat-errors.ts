import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc'
import type { DataReason, LoginReason, PhoneReason } from '@wxapp/session/shared'
import {
  WechatApiError,
  WechatDataError,
  type WechatDataErrorKind,
  type WechatErrorKind,
} from '@wxapp/wechat'
import { ReasonedError } from './errors'

interface Mapped<TReason extends string> {
  code: TRPC_ERROR_CODE_KEY
  reason: TReason
  message: string
}

/** WeChat's own trouble, the same for every procedure that calls it. */
type ServiceReason = Extract<
  LoginReason,
  'WECHAT_BUSY' | 'WECHAT_UNAVAILABLE' | 'WECHAT_CREDENTIALS_INVALID' | 'WECHAT_RATE_LIMITED'
>

const BUSY: Mapped<ServiceReason> = {
  code: 'SERVICE_UNAVAILABLE',
  reason: 'WECHAT_BUSY',
  message: 'WeChat is busy: try again shortly',
}
const UNAVAILABLE: Mapped<ServiceReason> = {
  code: 'SERVICE_UNAVAILABLE',
  reason: 'WECHAT_UNAVAILABLE',
  message: 'WeChat did not answer in time: try again shortly',
}
const UNEXPECTED: Mapped<ServiceReason> = {
  code: 'SERVICE_UNAVAILABLE',
  reason: 'WECHAT_UNAVAILABLE',
  message: 'WeChat answered unexpectedly: try again shortly',
}
// The server's problem, not the client's: its app credentials.
const CREDENTIALS: Mapped<ServiceReason> = {
  code: 'INTERNAL_SERVER_ERROR',
  reason: 'WECHAT_CREDENTIALS_INVALID',
  message: 'The server cannot log in to WeChat: its app credentials were refused',
}
const TOKEN_REFUSED: Mapped<ServiceReason> = {
  code: 'SERVICE_UNAVAILABLE',
  reason: 'WECHAT_UNAVAILABLE',
  message: 'WeChat refused the server: try again shortly',
}

const LOGIN_ERRORS: Record<WechatErrorKind, Mapped<LoginReason>> = {
  CODE_INVALID: {
    code: 'BAD_REQUEST',
    reason: 'WECHAT_CODE_INVALID',
    message: 'The login code is unknown or expired: call wx.login again',
  },
  CODE_USED: {
    code: 'BAD_REQUEST',
    reason: 'WECHAT_CODE_USED',
    message: 'The login code was already used: call wx.login again',
  },
  USER_BLOCKED: {
    code: 'FORBIDDEN',
    reason: 'WECHAT_USER_BLOCKED',
    message: 'WeChat refuses to log this user in',
  },
  RATE_LIMITED: {
    code: 'TOO_MANY_REQUESTS',
    reason: 'WECHAT_RATE_LIMITED',
    message: 'WeChat limits how often this user can log in: try again in a minute',
  },
  BUSY,
  UNAVAILABLE,
  CREDENTIALS_INVALID: CREDENTIALS,
  ACCESS_TOKEN_INVALID: TOKEN_REFUSED,
  REFRESH_LIMITED: TOKEN_REFUSED,
  // Not answers code2Session gives: WeChat misbehaving, as far as login goes.
  OPENID_MISMATCH: UNEXPECTED,
  QUOTA_EXHAUSTED: UNEXPECTED,
  WATERMARK_MISMATCH: UNEXPECTED,
  UNEXPECTED,
  MALFORMED_RESPONSE: UNEXPECTED,
}

const PHONE_ERRORS: Record<
  WechatErrorKind,
  Mapped<PhoneReason | ServiceReason | 'WECHAT_USER_BLOCKED' | 'INTERNAL_ERROR'>
> = {
  // WeChat answers 40029 for unknown, expired and used codes alike.
  CODE_INVALID: {
    code: 'BAD_REQUEST',
    reason: 'PHONE_CODE_INVALID',
    message:
      'The phone number code is unknown, expired or used: ask the user to tap the button again',
  },
  CODE_USED: {
    code: 'BAD_REQUEST',
    reason: 'PHONE_CODE_INVALID',
    message:
      'The phone number code is unknown, expired or used: ask the user to tap the button again',
  },
  OPENID_MISMATCH: {
    code: 'FORBIDDEN',
    reason: 'PHONE_CODE_MISMATCH',
    message: 'The phone number code belongs to another WeChat user',
  },
  QUOTA_EXHAUSTED: {
    code: 'SERVICE_UNAVAILABLE',
    reason: 'PHONE_QUOTA_EXHAUSTED',
    message: "The app's WeChat phone number quota is used up: try again later",
  },
  USER_BLOCKED: {
    code: 'FORBIDDEN',
    reason: 'WECHAT_USER_BLOCKED',
    message: 'WeChat refuses this user',
  },
  RATE_LIMITED: {
    code: 'TOO_MANY_REQUESTS',
    reason: 'WECHAT_RATE_LIMITED',
    message: 'WeChat limits how often this can be done: try again in a minute',
  },
  BUSY,
  UNAVAILABLE,
  CREDENTIALS_INVALID: CREDENTIALS,
  // Still refused after one refresh, or a refresh WeChat's limits forbid.
  ACCESS_TOKEN_INVALID: TOKEN_REFUSED,
  REFRESH_LIMITED: TOKEN_REFUSED,
  // A number for another app: never stored, and nothing the client can fix.
  WATERMARK_MISMATCH: {
    code: 'INTERNAL_SERVER_ERROR',
    reason: 'INTERNAL_ERROR',
    message: 'WeChat answered with data for another app',
  },
  UNEXPECTED,
  MALFORMED_RESPONSE: UNEXPECTED,
}

const DATA_ERRORS: Record<WechatDataErrorKind, Mapped<DataReason | 'INVALID_INPUT'>> = {
  INPUT_MALFORMED: {
    code: 'BAD_REQUEST',
    reason: 'INVALID_INPUT',
    message: 'encryptedData and iv must be the base64 WeChat gave the app',
  },
  DECRYPT_FAILED: {
    code: 'BAD_REQUEST',
    reason: 'DATA_DECRYPT_FAILED',
    message:
      'The data does not decrypt with this login’s session key (WeChat may have rotated it): log in again, then get the data again',
  },
  APPID_MISMATCH: {
    code: 'FORBIDDEN',
    reason: 'DATA_APPID_MISMATCH',
    message: 'The data belongs to another mini-program',
  },
  SIGNATURE_INVALID: {
    code: 'BAD_REQUEST',
    reason: 'DATA_SIGNATURE_INVALID',
    message: 'rawData does not match its signature: log in again, then get the data again',
  },
}

function mapped<TReason extends string>(
  table: Record<string, Mapped<TReason>>,
  error: WechatApiError,
) {
  const entry = table[error.kind]
  if (!entry) throw error
  return new ReasonedError({ ...entry, cause: error })
}

/** The typed API error for a failed code2Session; anything not from WeChat is rethrown as is. */
export function wechatLoginError(error: unknown): ReasonedError {
  if (!(error instanceof WechatApiError)) throw error
  return mapped(LOGIN_ERRORS, error)
}

/** The typed API error for a failed getuserphonenumber (or its access token). */
export function wechatPhoneError(error: unknown): ReasonedError {
  if (!(error instanceof WechatApiError)) throw error
  return mapped(PHONE_ERRORS, error)
}

/** The typed API error for encrypted data or a rawData signature that does not check out. */
export function wechatDataError(error: unknown): ReasonedError {
  if (!(error instanceof WechatDataError)) throw error
  return new ReasonedError({ ...DATA_ERRORS[error.kind], cause: error })
}

/** For tests: every mapping, so none can be left out silently. */
export const WECHAT_ERROR_MAPS = { login: LOGIN_ERRORS, phone: PHONE_ERRORS, data: DATA_ERRORS }
