/**
 * `@wxapp/session/client`: login orchestration for the mini-program.
 *
 * Runs in the mini-program runtimes (WeChat, QQ, Douyin, Alipay), in Taro's H5
 * build and in Node: no Node APIs, no DOM, and the platform (its login API,
 * storage) comes in through small interfaces.
 */
export {
  CLIENT_LOGIN_REASONS,
  type ClientInfo,
  type ClientLoginReason,
  isReason,
  REASONS,
  type Reason,
  reasonOfCode,
  type StoredSession,
} from '../shared/index'
export {
  isSessionFailure,
  isSessionLoginError,
  SessionLoginError,
  type SessionLoginErrorOptions,
  type SessionLoginReason,
  sessionLoginErrorOf,
} from './errors'
export {
  DEFAULT_PUBLIC_PATHS,
  DEFAULT_REVOKE_PATHS,
  SESSION_CONTEXT_KEY,
  type SessionHeadersInput,
  type SessionHeadersOptions,
  type SessionLinkOptions,
  type SessionOperationContext,
  sessionHeaders,
  sessionLink,
} from './link'
export {
  type AlipayAuthApi,
  type AlipayAuthCodeResult,
  alipayLoginSource,
  type KeyValueStorage,
  type LoginCode,
  type LoginSource,
  memoryStorage,
  type PlatformCallbacks,
  type TaroLoginApi,
  type TaroStorageApi,
  type TtLoginApi,
  type TtLoginResult,
  taroLoginSource,
  taroStorage,
  ttLoginSource,
  type WechatLoginSource,
} from './platform'
export {
  createSessionClient,
  type LoginArgs,
  type LoginResult,
  type SessionClient,
  type SessionClientOptions,
  type SessionListener,
  type SessionState,
  type SessionStatus,
  type SessionUser,
  type StorageOperation,
} from './session-client'
export { type SessionAuth, type WithSessionOptions, withSession } from './with-session'
