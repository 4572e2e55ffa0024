export {
  type Code2SessionResult,
  createWechatClient,
  WECHAT_API_BASE,
  type WechatClient,
  type WechatClientOptions,
} from './client'
export {
  errorForErrcode,
  WECHAT_ERROR_KINDS,
  WechatAccessTokenError,
  WechatApiError,
  WechatBusyError,
  WechatCodeInvalidError,
  WechatCodeUsedError,
  WechatCredentialsError,
  type WechatErrorDetails,
  type WechatErrorKind,
  WechatMalformedResponseError,
  WechatRateLimitedError,
  WechatUnavailableError,
  WechatUnexpectedError,
  WechatUserBlockedError,
} from './errors'
export { redact, type WechatFetch, type WechatLogger } from './http'
