/**
 * QQ mini programs: `GET /sns/jscode2session` on api.q.qq.com, WeChat's
 * fields and errcodes (40029 invalid, 40163 used, 45011 rate limit, -1 busy,
 * 40013/40125 bad appid/secret), so WeChat's transport and table apply as is.
 */
import { z } from 'zod'
import { platformTransport } from './options'
import {
  type HttpClientOptions,
  type MiniLoginClient,
  type MiniSession,
  refusedCode,
  validCode,
} from './types'

export const QQ_API_BASE = 'https://api.q.qq.com'
const SERVICE = 'QQ'
const API = 'code2Session'

const Body = z
  .object({
    openid: z.string().min(1).max(128),
    // QQ's session_key is base64 like WeChat's; its length is not documented, so not pinned.
    session_key: z
      .string()
      .min(1)
      .max(256)
      .regex(/^[A-Za-z0-9+/]+={0,2}$/),
    unionid: z.string().min(1).max(128).optional(),
  })
  .transform(
    (b): MiniSession => ({
      platform: 'qq',
      openid: b.openid,
      sessionKey: b.session_key,
      ...(b.unionid === undefined ? {} : { unionid: b.unionid }),
    }),
  )

export function createQqLoginClient(options: HttpClientOptions): MiniLoginClient<'qq'> {
  const { config, requestJson } = platformTransport(options, {
    service: SERVICE,
    defaultBase: QQ_API_BASE,
    who: 'createQqLoginClient',
  })
  return {
    platform: 'qq',
    appid: config.appid,
    code2Session(code, opts) {
      if (!validCode(code)) return refusedCode(API, SERVICE)
      return requestJson({
        api: API,
        path: '/sns/jscode2session',
        query: {
          appid: config.appid,
          secret: config.secret,
          js_code: code,
          grant_type: 'authorization_code',
        },
        schema: Body,
        secrets: [code],
        signal: opts?.signal,
      })
    },
  }
}
