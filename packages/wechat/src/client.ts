import { z } from 'zod'
import { WechatCodeInvalidError } from './errors'
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

export interface WechatClient {
  readonly appid: string
  /**
   * Exchanges a wx.login code (GET /sns/jscode2session). Retries errcode -1
   * only; a timeout is not retried (the code may already be used up) and
   * fails with WechatUnavailableError.
   */
  code2Session(code: string, options?: { signal?: AbortSignal }): Promise<Code2SessionResult>
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
  }
}
