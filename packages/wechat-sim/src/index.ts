export {
  API_PATHS,
  type ApiName,
  type ApiPath,
  type ApiStats,
  CODE_TTL_MS,
  CODE2SESSION_LIMIT,
  RISKY_USER_PREFIX,
  SIM_DEV_APPID,
  SIM_DEV_SECRET,
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
  ClockResponse,
  FaultRequest,
  PhoneCodeRequest,
  StatsResponse,
  UserRequest,
} from './protocol'
export { type PushConfigRequest, PushDelivery, type PushRecord, type PushTarget } from './push'
export { createSimServer, type SimServerOptions } from './server'
export {
  type Code2SessionBody,
  type PhoneNumberBody,
  type Result,
  type SimApp,
  SimInputError,
  SimState,
  type SimStateOptions,
  type StableTokenBody,
  type WechatError,
} from './state'
