export {
  ALIPAY_GATEWAY,
  type AlipayLoginClient,
  type AlipayLoginClientOptions,
  alipayErrorFor,
  createAlipayLoginClient,
} from './alipay'
export {
  type AppSecret,
  AppSecrets,
  type MiniLoginConfig,
  MiniLoginConfigError,
  parseMiniLoginEnv,
} from './config'
export { type ParsedPrivateKey, parsePrivateKey, parsePublicKeyPem } from './keys'
export { createQqLoginClient, QQ_API_BASE } from './qq'
export {
  createTtLoginClient,
  TT_API_BASE,
  TT_ERRCODES,
  type TtCode2SessionOptions,
  type TtLoginClient,
} from './tt'
export type {
  Code2SessionOptions,
  HttpClientOptions,
  MiniLoginClient,
  MiniPlatform,
  MiniSession,
} from './types'
