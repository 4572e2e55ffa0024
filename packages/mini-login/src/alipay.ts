/**
 * Alipay mini programs: `alipay.system.oauth.token` through the official
 * alipay-sdk, which signs the request (RSA2, the app's private key) and, with
 * validateSign, checks the answer's signature with Alipay's public key.
 *
 * The SDK's own errors quote the signature and the raw answer (the access
 * token, the user id), so none of them is passed on: each becomes a
 * WechatApiError built from fixed words, Alipay's codes kept as errcode
 * (`code`, e.g. 40002) and subCode (`sub_code`, e.g. isv.code-invalid).
 */
import { setTimeout as delay } from 'node:timers/promises'
import {
  redact,
  WechatApiError,
  WechatBusyError,
  WechatCodeInvalidError,
  WechatCredentialsError,
  type WechatErrorDetails,
  type WechatLogger,
  WechatMalformedResponseError,
  WechatUnavailableError,
  WechatUnexpectedError,
} from '@wxapp/wechat'
import { AlipayRequestError, AlipaySdk } from 'alipay-sdk'
import { z } from 'zod'
import { parsePrivateKey, parsePublicKeyPem } from './keys'
import { parseOptions } from './options'
import {
  type Code2SessionOptions,
  type MiniLoginClient,
  type MiniSession,
  refusedCode,
  validCode,
} from './types'

export const ALIPAY_GATEWAY = 'https://openapi.alipay.com/gateway.do'
const SERVICE = 'Alipay'
const API = 'alipay.system.oauth.token'
const MAX_ERRMSG = 200

export interface AlipayLoginClientOptions {
  appid: string
  /** The app's RSA2 private key, PEM (PKCS#1 or PKCS#8). */
  privateKey: string
  /** Alipay's public key (not the app's), PEM: every answer's signature is checked with it. */
  alipayPublicKey: string
  /** Default https://openapi.alipay.com/gateway.do. */
  gateway?: string
  /** Per attempt. Default 5000. */
  timeoutMs?: number
  /** Extra attempts after code 20000 (service unavailable). Default 2. */
  retries?: number
  /** First backoff; doubles per retry, with jitter. Default 200. */
  backoffMs?: number
  logger?: WechatLogger
  /** For tests: a number in [0, 1) for backoff jitter. */
  random?: () => number
}

const Options = z.object({
  appid: z.string({ error: 'must be a string' }).min(1, 'must not be empty'),
  privateKey: z.string({ error: 'must be a string' }).transform((value, ctx) => {
    const key = parsePrivateKey(value)
    if (key) return key
    ctx.addIssue({ code: 'custom', message: 'must be an RSA private key (PEM)' })
    return z.NEVER
  }),
  alipayPublicKey: z.string({ error: 'must be a string' }).transform((value, ctx) => {
    const pem = parsePublicKeyPem(value)
    if (pem) return pem
    ctx.addIssue({ code: 'custom', message: 'must be an RSA public key (PEM)' })
    return z.NEVER
  }),
  gateway: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).default(ALIPAY_GATEWAY),
  timeoutMs: z.number().int().min(1).max(120_000).default(5000),
  retries: z.number().int().min(0).max(10).default(2),
  backoffMs: z.number().int().min(0).max(60_000).default(200),
})

/** Alipay's gateway-wide codes (https://opendocs.alipay.com/common/02km9f). */
const SUCCESS = '10000'
const UNAVAILABLE = '20000'
/** Refusals of the app itself: its appid, its signature or key, its permissions. */
const CREDENTIAL_SUB_CODES = new Set([
  'isv.invalid-app-id',
  'isv.invalid-signature',
  'isv.invalid-signature-type',
  'isv.missing-signature-key',
  'isv.invalid-app-status',
  'isv.insufficient-isv-permissions',
])

/** Both keys come camelCase-free (camelcase: false), as Alipay sends them. */
const Token = z
  .object({
    user_id: z.string().min(1).max(128).optional(),
    open_id: z.string().min(1).max(128).optional(),
    access_token: z.string().min(1).max(2048),
  })
  .refine((b) => b.open_id !== undefined || b.user_id !== undefined)
  .transform(
    (b): MiniSession => ({
      platform: 'alipay',
      // open_id is the newer per-app id; user_id the older account-wide one.
      openid: (b.open_id ?? b.user_id) as string,
      sessionKey: null,
    }),
  )

const ErrorFields = z.object({
  code: z.string().regex(/^\d{1,9}$/),
  msg: z.string().optional(),
  sub_code: z.string().max(128).optional(),
  sub_msg: z.string().optional(),
})
type ErrorFields = z.infer<typeof ErrorFields>

const RawError = z.object({ error_response: ErrorFields })

/** Alipay's codes as the shared kinds (isv.code-invalid covers used and expired codes). */
export function alipayErrorFor(details: WechatErrorDetails & { errcode: number }): WechatApiError {
  if (details.subCode === 'isv.code-invalid') return new WechatCodeInvalidError(details)
  if (details.errcode === 20000) return new WechatBusyError(details)
  if (details.errcode === 40006 || (details.subCode && CREDENTIAL_SUB_CODES.has(details.subCode))) {
    return new WechatCredentialsError(details)
  }
  return new WechatUnexpectedError(details)
}

/** The network error's code (ECONNREFUSED…) or name: short fixed words, no URL. */
function networkDetail(error: unknown): { timeout: boolean; detail: string } {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if (/timeout/i.test(e.name)) return { timeout: true, detail: '' }
    const code = 'code' in e ? e.code : undefined
    if (typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,39}$/.test(code)) {
      return { timeout: code.includes('TIMEOUT'), detail: code }
    }
  }
  return { timeout: false, detail: 'network error' }
}

export type AlipayLoginClient = MiniLoginClient<'alipay'>

export function createAlipayLoginClient(options: AlipayLoginClientOptions): AlipayLoginClient {
  const { logger, random = Math.random, ...plain } = options
  const config = parseOptions(Options, plain, 'createAlipayLoginClient')
  const sdk = new AlipaySdk({
    appId: config.appid,
    privateKey: config.privateKey.pem,
    keyType: config.privateKey.keyType,
    alipayPublicKey: config.alipayPublicKey,
    gateway: config.gateway,
    signType: 'RSA2',
    timeout: config.timeoutMs,
    // Alipay's own field names, checked below by zod.
    camelcase: false,
  })
  const attempts = config.retries + 1
  const log = { service: SERVICE, api: API }

  return {
    platform: 'alipay',
    appid: config.appid,
    async code2Session(code: string, opts?: Code2SessionOptions): Promise<MiniSession> {
      if (!validCode(code)) return refusedCode(API, SERVICE)
      const signal = opts?.signal
      const fail = (error: WechatApiError): never => {
        logger?.warn(
          {
            ...log,
            kind: error.kind,
            errcode: error.errcode,
            subCode: error.subCode,
            attempts: error.attempts,
          },
          'platform request failed',
        )
        throw error
      }

      for (let attempt = 1; ; attempt++) {
        const details = (extra: Partial<WechatErrorDetails> = {}): WechatErrorDetails => ({
          api: API,
          service: SERVICE,
          errcode: null,
          attempts: attempt,
          ...extra,
        })
        // The SDK takes no signal: an abort is honoured before each request.
        if (signal?.aborted) {
          return fail(new WechatUnavailableError('aborted', 'aborted by the caller', details()))
        }

        let fields: Record<string, unknown>
        try {
          fields = await sdk.exec(
            API,
            { grant_type: 'authorization_code', code },
            { validateSign: true },
          )
        } catch (error) {
          const mapped = sdkFailure(error, code, details)
          if (mapped instanceof WechatApiError) {
            // Not retried: a request that reached Alipay may have used the code up.
            return fail(mapped)
          }
          fields = mapped
        }

        const failed = ErrorFields.safeParse(fields)
        if (failed.success && failed.data.code !== SUCCESS) {
          const info = errorDetails(failed.data, code, details)
          if (failed.data.code === UNAVAILABLE && attempt < attempts) {
            const full = config.backoffMs * 2 ** (attempt - 1)
            const delayMs = Math.round(full / 2 + (random() * full) / 2)
            logger?.warn(
              { ...log, attempt, delayMs, errcode: info.errcode },
              'platform request retried',
            )
            await delay(delayMs, undefined, { signal }).catch(() => {})
            continue
          }
          return fail(alipayErrorFor(info))
        }

        const parsed = Token.safeParse(fields)
        if (!parsed.success) {
          const where = parsed.error.issues.map((i) => i.path.join('.') || '(root)').join(', ')
          logger?.warn({ ...log, fields: where }, 'platform answer has an unexpected shape')
          return fail(new WechatMalformedResponseError(details()))
        }
        return parsed.data
      }
    },
  }
}

function errorDetails(
  fields: ErrorFields,
  code: string,
  details: (extra?: Partial<WechatErrorDetails>) => WechatErrorDetails,
): WechatErrorDetails & { errcode: number } {
  const text = [fields.msg, fields.sub_msg].filter(Boolean).join(': ')
  const errmsg = redact(text, [code])
    .replace(/\p{Cc}/gu, ' ')
    .slice(0, MAX_ERRMSG)
  return {
    ...details({ errmsg, ...(fields.sub_code ? { subCode: fields.sub_code } : {}) }),
    errcode: Number(fields.code),
  }
}

/**
 * What an exception from the SDK means: Alipay unreachable, an answer that
 * is not signed right or not the documented shape, or an error_response.
 * The SDK's signature check cuts the wrong text out of an error_response
 * (it looks for the method's key) and so refuses it; an error is no identity
 * to trust, so its fields are read from the raw answer unverified.
 */
function sdkFailure(
  error: unknown,
  code: string,
  details: (extra?: Partial<WechatErrorDetails>) => WechatErrorDetails,
): WechatApiError | Record<string, unknown> {
  if (!(error instanceof AlipayRequestError)) {
    return new WechatMalformedResponseError(details({ errmsg: 'the SDK refused the answer' }))
  }
  if (error.responseDataRaw !== undefined) {
    if (error.responseHttpStatus !== undefined && error.responseHttpStatus !== 200) {
      return new WechatUnavailableError(
        'http_status',
        `HTTP ${error.responseHttpStatus}`,
        details(),
      )
    }
    const status = /status: (\d{3})/.exec(error.message)?.[1]
    if (status && status !== '200') {
      return new WechatUnavailableError('http_status', `HTTP ${status}`, details())
    }
    let raw: unknown
    try {
      raw = JSON.parse(error.responseDataRaw)
    } catch {
      return new WechatMalformedResponseError(details())
    }
    const rawError = RawError.safeParse(raw)
    if (
      rawError.success &&
      !(typeof raw === 'object' && raw && `${API.replaceAll('.', '_')}_response` in raw)
    ) {
      return rawError.data.error_response
    }
    return new WechatMalformedResponseError(details({ errmsg: 'response signature invalid' }))
  }
  const { timeout, detail } = networkDetail(error.cause)
  return timeout
    ? new WechatUnavailableError('timeout', 'no answer in time', details())
    : new WechatUnavailableError('network', redact(detail, [code]), details())
}
