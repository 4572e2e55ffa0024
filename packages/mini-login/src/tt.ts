/**
 * Douyin (Toutiao) mini programs: `POST /api/apps/v2/jscode2session` with a
 * JSON body; errors are `err_no`/`err_tips` (0 is success), the answer is in
 * `data`. Errors: 40015 appid, 40017 secret, 40018 code, 40019
 * anonymous_code, 40020 both codes empty, -1 system error (retried).
 * https://developer.open-douyin.com/docs/resource/zh-CN/mini-app/develop/server/log-in/code-2-session
 */
import {
  WechatCodeInvalidError,
  WechatCredentialsError,
  WechatUnexpectedError,
} from '@wxapp/wechat'
import type { PlatformErrorBody } from '@wxapp/wechat/transport'
import { z } from 'zod'
import { platformTransport } from './options'
import {
  type Code2SessionOptions,
  type HttpClientOptions,
  type MiniLoginClient,
  type MiniSession,
  refusedCode,
  validCode,
} from './types'

export const TT_API_BASE = 'https://developer.toutiao.com'
const SERVICE = 'Douyin'
const API = 'code2Session'

/** Douyin's err_no table mapped to the shared kinds (40018 covers used codes too). */
export const TT_ERRCODES = {
  40015: 'CREDENTIALS_INVALID',
  40017: 'CREDENTIALS_INVALID',
  40018: 'CODE_INVALID',
  40019: 'CODE_INVALID',
  40020: 'CODE_INVALID',
} as const

const ErrorBody = z.object({
  err_no: z.number().int(),
  err_tips: z.string().optional(),
  log_id: z.string().optional(),
})

function readError(json: unknown): PlatformErrorBody | undefined {
  const parsed = ErrorBody.safeParse(json)
  // No err_no at all is not an error here: the success schema then refuses the shape.
  if (!parsed.success || parsed.data.err_no === 0) return undefined
  const { err_no, err_tips, log_id } = parsed.data
  return { errcode: err_no, errmsg: err_tips ?? '', rid: log_id }
}

const Id = z.string().min(1).max(128)
// Douyin sends "" for fields that do not apply (no unionid, no anonymous_openid).
const OptionalId = z
  .string()
  .max(128)
  .optional()
  .transform((s) => (s ? s : undefined))
const SessionKey = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[A-Za-z0-9+/]+={0,2}$/)

const LoggedIn = z
  .object({
    err_no: z.literal(0),
    data: z.object({ openid: Id, session_key: SessionKey, unionid: OptionalId }),
  })
  .transform(
    ({ data }): MiniSession => ({
      platform: 'tt',
      openid: data.openid,
      sessionKey: data.session_key,
      ...(data.unionid === undefined ? {} : { unionid: data.unionid }),
    }),
  )

const Anonymous = z
  .object({ err_no: z.literal(0), data: z.object({ anonymous_openid: Id }) })
  .transform(
    ({ data }): MiniSession => ({
      platform: 'tt',
      openid: data.anonymous_openid,
      sessionKey: null,
      anonymous: true,
    }),
  )

export interface TtCode2SessionOptions extends Code2SessionOptions {
  /** The code is tt.login's `anonymousCode` (a user not logged in to Douyin): sent as anonymous_code. */
  anonymous?: boolean
}

export interface TtLoginClient extends MiniLoginClient<'tt'> {
  code2Session(code: string, options?: TtCode2SessionOptions): Promise<MiniSession>
}

export function createTtLoginClient(options: HttpClientOptions): TtLoginClient {
  const { config, requestJson } = platformTransport(options, {
    service: SERVICE,
    defaultBase: TT_API_BASE,
    who: 'createTtLoginClient',
    errors: {
      readError,
      errorFor: (details) => {
        const kind = TT_ERRCODES[details.errcode as keyof typeof TT_ERRCODES]
        if (kind === 'CODE_INVALID') return new WechatCodeInvalidError(details)
        if (kind === 'CREDENTIALS_INVALID') return new WechatCredentialsError(details)
        return new WechatUnexpectedError(details)
      },
    },
  })
  return {
    platform: 'tt',
    appid: config.appid,
    code2Session(code, opts) {
      if (!validCode(code)) return refusedCode(API, SERVICE)
      const anonymous = opts?.anonymous === true
      return requestJson({
        api: API,
        path: '/api/apps/v2/jscode2session',
        method: 'POST',
        body: {
          appid: config.appid,
          secret: config.secret,
          code: anonymous ? '' : code,
          anonymous_code: anonymous ? code : '',
        },
        schema: anonymous ? Anonymous : LoggedIn,
        secrets: [code],
        signal: opts?.signal,
      })
    },
  }
}
