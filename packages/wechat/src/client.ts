import { z } from 'zod'
import {
  WechatCodeInvalidError,
  WechatInputInvalidError,
  WechatSceneInvalidError,
  WechatWatermarkMismatchError,
} from './errors'
import {
  createTransport,
  keepAliveFetch,
  type RequestJson,
  type WechatFetch,
  type WechatLogger,
} from './http'

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

/** Content-security scenes: 1 profile, 2 comment, 3 forum, 4 social log. */
export type ContentScene = 1 | 2 | 3 | 4
export type ContentSuggest = 'pass' | 'review' | 'risky'

export interface MsgSecCheckInput {
  /** A user of this app who visited it in the last 2 hours (else 61010). */
  openid: string
  scene: ContentScene
  /** At most 2500 characters. User data: never logged. */
  content: string
}

export interface MsgSecCheckResult {
  /** Decide by this: pass, review (a human should look) or risky (refuse). */
  suggest: ContentSuggest
  /** WeChat's label: 100 normal, 10001 ad, 20001 politics, 20002 porn, 20003 abuse… */
  label: number
  traceId: string
}

export interface MediaCheckInput {
  openid: string
  scene: ContentScene
  /** An http(s) URL WeChat can download. Kept out of logs (it may be signed). */
  mediaUrl: string
  mediaType: 'image' | 'audio'
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
  /**
   * POST /wxa/msg_sec_check (version 2): checks user text. Idempotent, so
   * -1, timeouts and network errors are retried. Content over 2500
   * characters or a bad scene is refused before sending (attempts 0).
   */
  msgSecCheck(
    accessToken: string,
    input: MsgSecCheckInput,
    options?: { signal?: AbortSignal },
  ): Promise<MsgSecCheckResult>
  /**
   * POST /wxa/media_check_async (version 2): WeChat downloads the media and
   * pushes the verdict later (event wxa_media_check, see push.ts) naming the
   * trace id returned here. Retries -1 only: a timed-out request may have
   * started a check, and a second one would push a second verdict.
   */
  mediaCheckAsync(
    accessToken: string,
    input: MediaCheckInput,
    options?: { signal?: AbortSignal },
  ): Promise<{ traceId: string }>
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

const TraceId = z.string().min(1).max(256)

const MsgSecCheckBody = z
  .object({
    result: z.object({
      suggest: z.enum(['pass', 'review', 'risky']),
      label: z.number().int(),
    }),
    trace_id: TraceId,
  })
  .transform(
    (b): MsgSecCheckResult => ({
      suggest: b.result.suggest,
      label: b.result.label,
      traceId: b.trace_id,
    }),
  )

const MediaCheckBody = z
  .object({ trace_id: TraceId })
  .transform((b): { traceId: string } => ({ traceId: b.trace_id }))

/** msg_sec_check's limit: "不超过2500字", counted in characters (code points). */
export const MSG_SEC_CHECK_MAX_CHARS = 2500
const SCENES: readonly number[] = [1, 2, 3, 4]
const MEDIA_TYPES = { audio: 1, image: 2 } as const
const MAX_OPENID_LENGTH = 128
const MAX_MEDIA_URL_LENGTH = 2048

function validOpenid(openid: unknown): openid is string {
  return typeof openid === 'string' && openid.length > 0 && openid.length <= MAX_OPENID_LENGTH
}

function validMediaUrl(value: unknown): value is string {
  if (typeof value !== 'string' || value.length > MAX_MEDIA_URL_LENGTH) return false
  try {
    const url = new URL(value)
    return url.protocol === 'http:' || url.protocol === 'https:'
  } catch {
    return false
  }
}

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
    fetch: injected ?? keepAliveFetch(),
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
    async msgSecCheck(accessToken, input, opts) {
      const api = 'msgSecCheck'
      const refused = { api, errcode: null, attempts: 0 }
      if (!SCENES.includes(input.scene)) throw new WechatSceneInvalidError(refused)
      const { content } = input
      if (
        typeof content !== 'string' ||
        content.length === 0 ||
        [...content].length > MSG_SEC_CHECK_MAX_CHARS ||
        !validOpenid(input.openid)
      ) {
        throw new WechatInputInvalidError(refused)
      }
      return requestJson({
        api,
        path: '/wxa/msg_sec_check',
        method: 'POST',
        query: { access_token: accessToken },
        body: { version: 2, openid: input.openid, scene: input.scene, content },
        schema: MsgSecCheckBody,
        // The content is user data: kept out of errors and logs like a secret.
        secrets: [accessToken, content],
        idempotent: true,
        signal: opts?.signal,
      })
    },
    async mediaCheckAsync(accessToken, input, opts) {
      const api = 'mediaCheckAsync'
      const refused = { api, errcode: null, attempts: 0 }
      if (!SCENES.includes(input.scene)) throw new WechatSceneInvalidError(refused)
      if (
        !validOpenid(input.openid) ||
        !validMediaUrl(input.mediaUrl) ||
        !Object.hasOwn(MEDIA_TYPES, input.mediaType)
      ) {
        throw new WechatInputInvalidError(refused)
      }
      return requestJson({
        api,
        path: '/wxa/media_check_async',
        method: 'POST',
        query: { access_token: accessToken },
        body: {
          media_url: input.mediaUrl,
          media_type: MEDIA_TYPES[input.mediaType],
          version: 2,
          openid: input.openid,
          scene: input.scene,
        },
        schema: MediaCheckBody,
        secrets: [accessToken, input.mediaUrl],
        signal: opts?.signal,
      })
    },
  }
}
