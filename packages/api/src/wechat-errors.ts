import type { DataReason, LoginReason, PhoneReason } from '@wxapp/session/shared'
import {
  WechatApiError,
  WechatDataError,
  type WechatDataErrorKind,
  type WechatErrorKind,
} from '@wxapp/wechat'
import type { ApiLogger } from './context'
import { ReasonedError } from './errors'

/** The reason (and, where the default does not fit, the message) for one kind of WeChat failure. */
interface Mapped<TReason> {
  reason: TReason
  message?: string
}

/** WeChat's own trouble, the same for every procedure that calls it. */
type ServiceReason = Extract<
  LoginReason,
  | 'WECHAT_BUSY'
  | 'WECHAT_UNAVAILABLE'
  | 'WECHAT_CREDENTIALS_INVALID'
  | 'WECHAT_RATE_LIMITED'
  | 'WECHAT_USER_BLOCKED'
>

const UNEXPECTED: Mapped<ServiceReason> = {
  reason: 'WECHAT_UNAVAILABLE',
  message: 'WeChat answered unexpectedly: try again shortly',
}
// Still refused after one refresh, or a refresh WeChat's limits forbid.
const TOKEN_REFUSED: Mapped<ServiceReason> = {
  reason: 'WECHAT_UNAVAILABLE',
  message: 'WeChat refused the server: try again shortly',
}
const SERVICE = {
  USER_BLOCKED: { reason: 'WECHAT_USER_BLOCKED' },
  RATE_LIMITED: { reason: 'WECHAT_RATE_LIMITED' },
  BUSY: { reason: 'WECHAT_BUSY' },
  UNAVAILABLE: { reason: 'WECHAT_UNAVAILABLE' },
  // The server's problem, not the client's: its app credentials.
  CREDENTIALS_INVALID: { reason: 'WECHAT_CREDENTIALS_INVALID' },
  ACCESS_TOKEN_INVALID: TOKEN_REFUSED,
  REFRESH_LIMITED: TOKEN_REFUSED,
  UNEXPECTED,
  MALFORMED_RESPONSE: UNEXPECTED,
  // Content-security answers (USER_INACTIVE is 61010, an openid not seen for
  // 2 h): content checks handle them; elsewhere WeChat misbehaving.
  USER_INACTIVE: UNEXPECTED,
  SCENE_INVALID: UNEXPECTED,
  INPUT_INVALID: UNEXPECTED,
} as const satisfies Partial<Record<WechatErrorKind, Mapped<ServiceReason>>>

const LOGIN_ERRORS: Record<WechatErrorKind, Mapped<LoginReason>> = {
  ...SERVICE,
  CODE_INVALID: { reason: 'WECHAT_CODE_INVALID' },
  CODE_USED: { reason: 'WECHAT_CODE_USED' },
  USER_BLOCKED: { reason: 'WECHAT_USER_BLOCKED', message: 'WeChat refuses to log this user in' },
  RATE_LIMITED: {
    reason: 'WECHAT_RATE_LIMITED',
    message: 'WeChat limits how often this user can log in: try again in a minute',
  },
  // Not answers code2Session gives: WeChat misbehaving, as far as login goes.
  OPENID_MISMATCH: UNEXPECTED,
  QUOTA_EXHAUSTED: UNEXPECTED,
  WATERMARK_MISMATCH: UNEXPECTED,
}

const PHONE_ERRORS: Record<
  WechatErrorKind,
  Mapped<PhoneReason | ServiceReason | 'INTERNAL_ERROR'>
> = {
  ...SERVICE,
  // WeChat answers 40029 for unknown, expired and used codes alike.
  CODE_INVALID: { reason: 'PHONE_CODE_INVALID' },
  CODE_USED: { reason: 'PHONE_CODE_INVALID' },
  OPENID_MISMATCH: { reason: 'PHONE_CODE_MISMATCH' },
  QUOTA_EXHAUSTED: { reason: 'PHONE_QUOTA_EXHAUSTED' },
  // A number for another app: never stored, and nothing the client can fix.
  WATERMARK_MISMATCH: {
    reason: 'INTERNAL_ERROR',
    message: 'WeChat answered with data for another app',
  },
}

const DATA_ERRORS: Record<WechatDataErrorKind, Mapped<DataReason | 'INVALID_INPUT'>> = {
  INPUT_MALFORMED: {
    reason: 'INVALID_INPUT',
    message: 'encryptedData and iv must be the base64 WeChat gave the app',
  },
  DECRYPT_FAILED: { reason: 'DATA_DECRYPT_FAILED' },
  APPID_MISMATCH: { reason: 'DATA_APPID_MISMATCH' },
  SIGNATURE_INVALID: { reason: 'DATA_SIGNATURE_INVALID' },
}

function mapped<TReason extends Mapped<ReasonedError['reason']>>(
  entry: TReason | undefined,
  error: Error,
): ReasonedError {
  if (!entry) throw error
  return new ReasonedError(entry.reason, { message: entry.message, cause: error })
}

/** The typed API error for a failed code2Session; anything not from WeChat is rethrown as is. */
export function wechatLoginError(error: unknown): ReasonedError {
  if (!(error instanceof WechatApiError)) throw error
  return mapped(LOGIN_ERRORS[error.kind], error)
}

/** The typed API error for a failed getuserphonenumber (or its access token). */
export function wechatPhoneError(error: unknown): ReasonedError {
  if (!(error instanceof WechatApiError)) throw error
  return mapped(PHONE_ERRORS[error.kind], error)
}

/** The typed API error for encrypted data or a rawData signature that does not check out. */
export function wechatDataError(error: unknown): ReasonedError {
  if (!(error instanceof WechatDataError)) throw error
  return mapped(DATA_ERRORS[error.kind], error)
}

/**
 * Runs a call to WeChat; a failure becomes the typed API error `toError`
 * gives, and one that is the server's fault (its credentials, WeChat's data
 * for another app) is logged with its cause for the operator.
 */
export async function callWechat<T>(
  log: ApiLogger,
  appid: string,
  toError: (error: unknown) => ReasonedError,
  call: () => Promise<T>,
): Promise<T> {
  try {
    return await call()
  } catch (error) {
    const mapped = toError(error)
    if (mapped.code === 'INTERNAL_SERVER_ERROR') {
      log.error(
        { err: error, appid, reason: mapped.reason },
        'WeChat call failed on the server side',
      )
    }
    throw mapped
  }
}

/** For tests: every mapping, so none can be left out silently. */
export const WECHAT_ERROR_MAPS = { login: LOGIN_ERRORS, phone: PHONE_ERRORS, data: DATA_ERRORS }
