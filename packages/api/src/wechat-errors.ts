import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc'
import type { LoginReason } from '@wxapp/session/shared'
import { WechatApiError, type WechatErrorKind } from '@wxapp/wechat'
import { ReasonedError } from './errors'

const LOGIN_ERRORS: Record<
  WechatErrorKind,
  { code: TRPC_ERROR_CODE_KEY; reason: LoginReason; message: string }
> = {
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
  BUSY: {
    code: 'SERVICE_UNAVAILABLE',
    reason: 'WECHAT_BUSY',
    message: 'WeChat is busy: try again shortly',
  },
  UNAVAILABLE: {
    code: 'SERVICE_UNAVAILABLE',
    reason: 'WECHAT_UNAVAILABLE',
    message: 'WeChat did not answer in time: try again shortly',
  },
  // The rest are the server's problem, not the client's: its credentials, or
  // an answer from WeChat it does not understand.
  CREDENTIALS_INVALID: {
    code: 'INTERNAL_SERVER_ERROR',
    reason: 'WECHAT_CREDENTIALS_INVALID',
    message: 'The server cannot log in to WeChat: its app credentials were refused',
  },
  ACCESS_TOKEN_INVALID: {
    code: 'SERVICE_UNAVAILABLE',
    reason: 'WECHAT_UNAVAILABLE',
    message: 'WeChat refused the server: try again shortly',
  },
  UNEXPECTED: {
    code: 'SERVICE_UNAVAILABLE',
    reason: 'WECHAT_UNAVAILABLE',
    message: 'WeChat answered unexpectedly: try again shortly',
  },
  MALFORMED_RESPONSE: {
    code: 'SERVICE_UNAVAILABLE',
    reason: 'WECHAT_UNAVAILABLE',
    message: 'WeChat answered unexpectedly: try again shortly',
  },
}

/** The typed API error for a failed code2Session; anything not from WeChat is rethrown as is. */
export function wechatLoginError(error: unknown): ReasonedError {
  if (!(error instanceof WechatApiError)) throw error
  const mapped = LOGIN_ERRORS[error.kind]
  return new ReasonedError({ ...mapped, cause: error })
}
