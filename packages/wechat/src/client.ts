import { z } from 'zod'
import { WechatCodeInvalidError, WechatWatermarkMismatchError } from './errors'
import { createTransport, type RequestJson, type WechatFetch, type WechatLogger } from './http'

export const WECHAT_API_BASE = 'https://api.weixin.qq.com'

const Options = z.object({
  appid: z.string({ error: 'must be a string' }).min(1, 'must not be empty'),
  secret: z.string({ error: 'must be a string' }).min(1, 'must not be empty'),
  baseUrl: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
    .default(WECHAT_API_BASE),
  timeoutMs: z.number().int().min(1).max(120_000).default(5000),
  retries: z.number().int().min(0).max(10).default(2),
  backoffMs: z.number().int().min(0).max(60_000).default(200),
})

export interface WechatClientOptions {
  appid: string
  secret: string
  /** Default https://api.weixin.qq.com; the simulator's URL in dev and tests. */
  baseUrl?: string
  /** Per attempt. Default 5000. */
  timeoutMs?: number
  /** Extra attempts after errcode -1 (system busy). Default 2, so at most 3 requests. */
  retries?: number
  /** First backoff; doubles per retry, with jitter. Default 200. */
  backoffMs?: number
  fetch?: WechatFetch
  logger?: WechatLogger
}

export interface Code2SessionResult {
  openid: string
  /** Signs and encrypts the user's data: keep it on the server, never log it. */
  sessionKey: string
  /** Present when the app is bound to an Open Platform account. */
  unionid?: string
}

export interface StableAccessToken {
  /** Keep it on the server, never log it. */
  accessToken: string
  /** Seconds left, by WeChat's clock, when WeChat answered. */
  expiresIn: number
}

/** `phone_info` of getuserphonenumber, its watermark checked against the app. */
export interface PhoneInfo {
  /** With the country code for numbers outside mainland China. */
  phoneNumber: string
  /** Without the country code. */
  purePhoneNumber: string
  countryCode: string
  watermark: { appid: string; timestamp: number }
}

export interface WechatClient {
  readonly appid: string
  /**
   * Exchanges a wx.login code (GET /sns/jscode2session). Retries errcode -1
   * only; a timeout is not retried (the code may already be used up) and
   * fails with WechatUnavailableError.
   */
  code2Session(code: string, options?: { signal?: AbortSignal }): Promise<Code2SessionResult>
  /**
   * POST /cgi-bin/stable_token. Idempotent, so timeouts and network errors
   * are retried too. Normal mode returns WeChat's current token; forceRefresh
   * replaces it (20 a day, 30 s apart: use it through an AccessTokenProvider).
   */
  getStableAccessToken(options?: {
    forceRefresh?: boolean
    signal?: AbortSignal
  }): Promise<StableAccessToken>
  /**
   * POST /wxa/business/getuserphonenumber for a getPhoneNumber button's code,
   * naming the user's openid (WeChat refuses another user's code with 40003).
   * Not retried on a timeout (the code is single-use). Fails with
   * WechatWatermarkMismatchError when the answer is for another app.
   */
  getUserPhoneNumber(
    accessToken: string,
    input: { code: string; openid: string },
    options?: { signal?: AbortSignal },
  ): Promise<PhoneInfo>
}

/** WeChat's session_key is 16 random bytes in base64 (the AES-128 key for user data). */
const SessionKey = z
  .string()
  .refine((s) => /^[A-Za-z0-9+/]+={0,2}$/.test(s) && Buffer.from(s, 'base64').length === 16)

const Code2SessionBody = z
  .object({
    openid: z.string().min(1).max(128),
    session_key: SessionKey,
    unionid: z.string().min(1).max(128).optional(),
  })
  .transform(
    (b): Code2SessionResult => ({
      openid: b.openid,
      sessionKey: b.session_key,
      ...(b.unionid === undefined ? {} : { unionid: b.unionid }),
    }),
  )

const StableTokenBody = z
  .object({
    access_token: z.string().min(1).max(2048),
    expires_in: z.number().int().positive(),
  })
  .transform((b): StableAccessToken => ({ accessToken: b.access_token, expiresIn: b.expires_in }))

const PhoneNumberBody = z
  .object({
    phone_info: z.object({
      phoneNumber: z.string().min(1).max(32),
      purePhoneNumber: z.string().regex(/^\d{1,20}$/),
      countryCode: z.string().regex(/^\d{1,4}$/),
      watermark: z.object({ appid: z.string(), timestamp: z.number() }),
    }),
  })
  .transform((b): PhoneInfo => b.phone_info)

/** Longer than any WeChat code; a bound so nonsense is refused before a request. */
const MAX_CODE_LENGTH = 512

export function createWechatClient(options: WechatClientOptions): WechatClient {
  const { fetch: injected, logger, ...plain } = options
  const parsed = Options.safeParse(plain)
  if (!parsed.success) {
    // Names the option, never its value (one of them is the secret).
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)
    throw new TypeError(`createWechatClient: ${problems.join('; ')}`)
  }
  const config = parsed.data
  const requestJson: RequestJson = createTransport({
    baseUrl: config.baseUrl,
    timeoutMs: config.timeoutMs,
    retries: config.retries,
    backoffMs: config.backoffMs,
    fetch: injected ?? ((url, init) => globalThis.fetch(url, init)),
    logger,
    secrets: [config.secret],
  })

  return {
    appid: config.appid,
    code2Session(code, opts) {
      if (typeof code !== 'string' || code.length === 0 || code.length > MAX_CODE_LENGTH) {
        return Promise.reject(
          new WechatCodeInvalidError({ api: 'code2Session', errcode: null, attempts: 0 }),
        )
      }
      return requestJson({
        api: 'code2Session',
        path: '/sns/jscode2session',
        query: {
          appid: config.appid,
          secret: config.secret,
          js_code: code,
          grant_type: 'authorization_code',
        },
        schema: Code2SessionBody,
        secrets: [code],
        signal: opts?.signal,
      })
    },
    async getStableAccessToken(opts) {
      const result = await requestJson({
        api: 'stableToken',
        path: '/cgi-bin/stable_token',
        method: 'POST',
        body: {
          grant_type: 'client_credential',
          appid: config.appid,
          secret: config.secret,
          force_refresh: opts?.forceRefresh === true,
        },
        schema: StableTokenBody,
        idempotent: true,
        signal: opts?.signal,
      })
      return result
    },
    async getUserPhoneNumber(accessToken, input, opts) {
      const api = 'getUserPhoneNumber'
      if (
        typeof input.code !== 'string' ||
        input.code.length === 0 ||
        input.code.length > MAX_CODE_LENGTH
      ) {
        throw new WechatCodeInvalidError({ api, errcode: null, attempts: 0 })
      }
      const info = await requestJson({
        api,
        path: '/wxa/business/getuserphonenumber',
        method: 'POST',
        query: { access_token: accessToken },
        body: { code: input.code, openid: input.openid },
        schema: PhoneNumberBody,
        secrets: [accessToken, input.code],
        signal: opts?.signal,
      })
      if (info.watermark.appid !== config.appid) {
        throw new WechatWatermarkMismatchError({ api, errcode: null, attempts: 1 })
      }
      return info
    },
  }
}
