import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server'
import type { AppRouter } from './root'

export {
  CLOUD_IDENTITY_HEADERS,
  type CloudIdentity,
  cloudIdentityOf,
  type RequestHeaders,
} from './cloud-identity'
export type { ApiLogger, ApiServices, Context, LoginLimits } from './context'
export { REASON_MESSAGES, ReasonedError, reasonOf } from './errors'
export { type AppRouter, appRouter } from './root'
export {
  type AccessTokenCacheOptions,
  type AccessTokenLockMode,
  createAccessTokenCache,
} from './services/access-token-cache'
export {
  type CodeExchange,
  type CodeExchanger,
  createMiniApps,
  type MiniApp,
  type MiniApps,
  PLATFORM_NAMES,
  type PlatformApp,
  type WechatApp,
  wechatApp,
} from './services/apps'
export {
  applyMediaVerdict,
  type ContentStatus,
  knownAvatarVerdict,
  type MediaVerdict,
  type MediaVerdictOutcome,
  recheckContent,
  removeRiskyFiles,
  submitAvatarCheck,
} from './services/content-check'
export {
  type ApiServicesOptions,
  createApiServices,
  type ServicesLogger,
} from './services/index'
export { createRateLimiter, type RateLimiter, type RateLimitResult } from './services/rate-limit'
export { createCallerFactory, databaseUnavailable } from './trpc'
export { maskPhone, type PublicUser } from './users'

export type RouterInputs = inferRouterInputs<AppRouter>
export type RouterOutputs = inferRouterOutputs<AppRouter>
