// The JSON itself, not @wxapp/env's index: this module reaches the H5 bundle.
import devApp from '@wxapp/env/dev-app.json'
import devPlatformApps from '@wxapp/env/dev-platform-apps.json'

/**
 * The simulator's documented development app (one file for every part of the
 * repository: @wxapp/env's dev-app.json): known when WECHAT_APPID and
 * WECHAT_SECRET are unset, so `pnpm dev` and tests work with no real
 * credentials. It exists only in the simulator; real WeChat rejects it.
 */
export const SIM_DEV_APPID: string = devApp.appid
export const SIM_DEV_SECRET: string = devApp.secret

/** The simulator's platforms: WeChat (weapp), QQ, Douyin (tt) and Alipay. */
export const PLATFORMS = ['weapp', 'qq', 'tt', 'alipay'] as const
export type Platform = (typeof PLATFORMS)[number]

/**
 * Development apps of the other platforms, known unless SIM_QQ_APPS /
 * SIM_TT_APPS / SIM_ALIPAY_APPID name others. Shaped like the real ones
 * (QQ: 10 digits, Douyin: tt + 16 hex, Alipay: 16 digits); they exist only
 * here. One file (@wxapp/env's dev-platform-apps.json), also read by `pnpm dev`.
 */
export const SIM_DEV_QQ_APPID: string = devPlatformApps.qq.appid
export const SIM_DEV_QQ_SECRET: string = devPlatformApps.qq.secret
export const SIM_DEV_TT_APPID: string = devPlatformApps.tt.appid
export const SIM_DEV_TT_SECRET: string = devPlatformApps.tt.secret
export const SIM_DEV_ALIPAY_APPID: string = devPlatformApps.alipay.appid

/** The WeChat API paths the simulator serves (and faults can target). */
export const API_PATHS = [
  '/sns/jscode2session',
  '/cgi-bin/stable_token',
  '/wxa/business/getuserphonenumber',
  '/wxa/checksession',
  '/wxa/msg_sec_check',
  '/wxa/media_check_async',
  // The other platforms' login APIs, each under its own prefix.
  '/qq/sns/jscode2session',
  '/tt/api/apps/v2/jscode2session',
  '/alipay/gateway.do',
] as const
export type ApiPath = (typeof API_PATHS)[number]

/** Per-app call counters, named after the last segment of each API path. */
export const API_NAMES = {
  '/sns/jscode2session': 'jscode2session',
  '/cgi-bin/stable_token': 'stable_token',
  '/wxa/business/getuserphonenumber': 'getuserphonenumber',
  '/wxa/checksession': 'checksession',
  '/wxa/msg_sec_check': 'msg_sec_check',
  '/wxa/media_check_async': 'media_check_async',
  // An app belongs to one platform, so QQ's and Douyin's exchanges share the name.
  '/qq/sns/jscode2session': 'jscode2session',
  '/tt/api/apps/v2/jscode2session': 'jscode2session',
  '/alipay/gateway.do': 'oauth_token',
} as const satisfies Record<ApiPath, string>
export type ApiName = (typeof API_NAMES)[ApiPath]
export type ApiStats = Record<ApiName, number>

/** Login and phone codes live 5 minutes (wx.login and getPhoneNumber docs). */
export const CODE_TTL_MS = 5 * 60_000
/** code2Session: at most 100 calls a minute per user. */
export const CODE2SESSION_LIMIT = 100
export const CODE2SESSION_WINDOW_MS = 60_000
/** stable_token: 7200 s life, rotated in its last 5 minutes, so expires_in >= 300. */
export const ACCESS_TOKEN_TTL_MS = 7200_000
export const ACCESS_TOKEN_RENEW_MS = 300_000
/** force_refresh: 20 a day, and one within 30 s of the last does not refresh. */
export const FORCE_REFRESH_PER_DAY = 20
export const FORCE_REFRESH_INTERVAL_MS = 30_000

/** A user whose name starts with this is high-risk: code2Session answers 40226. */
export const RISKY_USER_PREFIX = 'risky'

/** Content security: the openid must have visited the app (code2Session) within 2 hours (61010). */
export const VISIT_WINDOW_MS = 2 * 3_600_000
