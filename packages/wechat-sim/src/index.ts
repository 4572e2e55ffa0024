export { ALIPAY_METHOD, AlipayGateway, type AlipayKeys, parseRsaKey, signContent } from './alipay'
export {
  API_PATHS,
  type ApiName,
  type ApiPath,
  type ApiStats,
  CODE_TTL_MS,
  CODE2SESSION_LIMIT,
  PLATFORMS,
  type Platform,
  RISKY_USER_PREFIX,
  SIM_DEV_ALIPAY_APPID,
  SIM_DEV_APPID,
  SIM_DEV_QQ_APPID,
  SIM_DEV_QQ_SECRET,
  SIM_DEV_SECRET,
  SIM_DEV_TT_APPID,
  SIM_DEV_TT_SECRET,
} from './constants'
export {
  ContentRuleSet,
  type ContentRules,
  type ContentRulesInput,
  ContentSecurity,
  type MediaCheckEvent,
  type Verdict,
} from './content'
export type {
  AlipayKeysResponse,
  ClockResponse,
  CodeResponse,
  FaultRequest,
  LoginRequest,
  PhoneCodeRequest,
  StatsResponse,
  UserRequest,
} from './protocol'
export { type PushConfigRequest, PushDelivery, type PushRecord, type PushTarget } from './push'
export { createSimServer, type SimServerOptions } from './server'
export {
  type AlipayError,
  type AlipayResult,
  type AlipayTokenBody,
  type Code2SessionBody,
  type PhoneNumberBody,
  type Result,
  type SimApp,
  SimInputError,
  SimState,
  type SimStateOptions,
  type StableTokenBody,
  type TtCode2SessionBody,
  type WechatError,
} from './state'
