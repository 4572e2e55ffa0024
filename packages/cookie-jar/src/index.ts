/**
 * `@wxapp/cookie-jar`: a cookie jar for wx.request / Taro.request, which keep
 * none, for backends that keep cookie sessions.
 *
 * Runs in the mini-program (ES2017, no Node or DOM APIs); storage and Taro
 * come in through small structural interfaces.
 */
export {
  type CookieRequestTask,
  cookieRequest,
  type TaroRequestApi,
  type TaroRequestOptionLike,
  type TaroRequestTaskLike,
  withCookies,
} from './integrations'
export {
  type Cookie,
  type CookieJar,
  type CookieJarOptions,
  type CookieRejectReason,
  createCookieJar,
  DEFAULT_COOKIE_STORAGE_KEY,
  type KeyValueStorage,
  type RejectedCookie,
  type SetCookiesResult,
} from './jar'
export {
  readSetCookies,
  SET_COOKIE_ATTRIBUTE_NAMES,
  type SetCookieSource,
  type SplitOptions,
  splitSemicolonJoined,
  splitSetCookieHeader,
} from './split'
export { defaultPath, domainMatch, isPublicSuffixDefault, pathMatch } from './url'
