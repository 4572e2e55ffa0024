import type { WechatFetch, WechatLogger } from '@wxapp/wechat'
import { WechatCodeInvalidError } from '@wxapp/wechat'

export type MiniPlatform = 'qq' | 'tt' | 'alipay'

/** One shape for every platform's code exchange. */
export interface MiniSession {
  platform: MiniPlatform
  /** The user within this app: QQ/Douyin `openid`, Alipay `open_id` else `user_id`. */
  openid: string
  /** Where the platform gives one (QQ, Douyin; Alipay does not). */
  unionid?: string
  /** Signs and encrypts user data (QQ, Douyin); Alipay has none. Never log it. */
  sessionKey: string | null
  /** Douyin only: an `anonymous_code` exchange, a user not logged in to the host app. */
  anonymous?: boolean
}

export interface Code2SessionOptions {
  signal?: AbortSignal
}

export interface MiniLoginClient<P extends MiniPlatform = MiniPlatform> {
  readonly platform: P
  readonly appid: string
  /**
   * Exchanges a login code. Codes are single-use, so a timeout is not retried
   * (the request may have used the code up): only "busy" is, with backoff.
   * Failures are WechatApiError with the kinds the API already maps.
   */
  code2Session(code: string, options?: Code2SessionOptions): Promise<MiniSession>
}

/** The options QQ's and Douyin's clients share (the same as the WeChat client's). */
export interface HttpClientOptions {
  appid: string
  secret: string
  baseUrl?: string
  /** Per attempt. Default 5000. */
  timeoutMs?: number
  /** Extra attempts after "busy" (-1). Default 2. */
  retries?: number
  /** First backoff; doubles per retry, with jitter. Default 200. */
  backoffMs?: number
  fetch?: WechatFetch
  logger?: WechatLogger
}

/** Longer than any platform's code; nonsense is refused before a request. */
export const MAX_CODE_LENGTH = 512

export function validCode(code: unknown): code is string {
  return typeof code === 'string' && code.length > 0 && code.length <= MAX_CODE_LENGTH
}

export function refusedCode(api: string, service: string): Promise<never> {
  return Promise.reject(new WechatCodeInvalidError({ api, service, errcode: null, attempts: 0 }))
}
