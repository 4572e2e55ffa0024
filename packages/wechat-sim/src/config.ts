import type { KeyObject } from 'node:crypto'
import {
  appid,
  appSecretList,
  ConfigError,
  duration,
  host,
  httpUrl,
  type LogLevel,
  loadEnv,
  logLevel,
  port,
  secret,
} from '@wxapp/env'
import { z } from 'zod'
import { parseRsaKey } from './alipay'
import {
  SIM_DEV_ALIPAY_APPID,
  SIM_DEV_APPID,
  SIM_DEV_QQ_APPID,
  SIM_DEV_QQ_SECRET,
  SIM_DEV_SECRET,
  SIM_DEV_TT_APPID,
  SIM_DEV_TT_SECRET,
} from './constants'
import type { SimApp } from './state'

/** An RSA key as PEM or bare base64 DER; the message never echoes the value. */
const rsaKey = (kind: 'public' | 'private') =>
  z.string().transform((value, ctx): KeyObject => {
    try {
      return parseRsaKey(value, kind)
    } catch {
      ctx.addIssue({
        code: 'custom',
        message: `must be an RSA ${kind} key (PEM, or base64 DER as Alipay's console gives it)`,
      })
      return z.NEVER
    }
  })

const ENV = {
  HOST: host,
  PORT: port.default(4000),
  LOG_LEVEL: logLevel,
  WECHAT_APPID: appid.optional(),
  WECHAT_SECRET: secret.optional(),
  SIM_APPS: appSecretList.default([]),
  SIM_QQ_APPS: appSecretList.optional(),
  SIM_TT_APPS: appSecretList.optional(),
  SIM_ALIPAY_APPID: appid.optional(),
  SIM_ALIPAY_APP_PUBLIC_KEY: rsaKey('public').optional(),
  SIM_ALIPAY_PRIVATE_KEY: rsaKey('private').optional(),
  SIM_SEED: z.string().min(8, 'must be at least 8 characters').optional(),
  SIM_PUSH_URL: httpUrl.optional(),
  SIM_PUSH_TOKEN: z
    .string()
    .min(1, 'must not be empty')
    .max(128, 'must be at most 128 characters')
    .optional(),
  SIM_PUSH_AES_KEY: z
    .string()
    .regex(/^[A-Za-z0-9+/]{43}$/, 'must be 43 base64 characters (an EncodingAESKey)')
    .optional(),
  SIM_PUSH_RETRY_DELAY: duration.default(1000),
  SIM_MEDIA_CHECK_DELAY: duration.default(100),
}

export interface SimConfig {
  host: string
  port: number
  logLevel: LogLevel
  apps: SimApp[]
  /** SIM_QQ_APPS / SIM_TT_APPS, else each platform's development app. */
  qqApps: SimApp[]
  ttApps: SimApp[]
  /** Unset keys are generated at start (GET /sim/alipay-keys hands out what a client needs). */
  alipay: { appid: string; appPublicKey?: KeyObject; privateKey?: KeyObject }
  /** Set: openids survive restarts. Unset: a random seed per process. */
  seed?: string
  /** SIM_PUSH_*: every app's push URL (AES key set: safe mode); /sim/push-config overrides per app. */
  push?: { url: string; token: string; aesKey: string | null }
  pushRetryDelayMs: number
  mediaCheckDelayMs: number
}

export { ConfigError }

/**
 * Reads the environment once at start. Every problem is reported, each naming
 * its variable; values are never echoed, since they hold secrets.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): SimConfig {
  const data = loadEnv(ENV, { env, check: appRules })
  return {
    host: data.HOST,
    port: data.PORT,
    logLevel: data.LOG_LEVEL,
    apps: appsOf(data),
    qqApps: data.SIM_QQ_APPS ?? [{ appid: SIM_DEV_QQ_APPID, secret: SIM_DEV_QQ_SECRET }],
    ttApps: data.SIM_TT_APPS ?? [{ appid: SIM_DEV_TT_APPID, secret: SIM_DEV_TT_SECRET }],
    alipay: {
      appid: data.SIM_ALIPAY_APPID ?? SIM_DEV_ALIPAY_APPID,
      ...(data.SIM_ALIPAY_APP_PUBLIC_KEY ? { appPublicKey: data.SIM_ALIPAY_APP_PUBLIC_KEY } : {}),
      ...(data.SIM_ALIPAY_PRIVATE_KEY ? { privateKey: data.SIM_ALIPAY_PRIVATE_KEY } : {}),
    },
    seed: data.SIM_SEED,
    ...(data.SIM_PUSH_URL && data.SIM_PUSH_TOKEN
      ? {
          push: {
            url: data.SIM_PUSH_URL,
            token: data.SIM_PUSH_TOKEN,
            aesKey: data.SIM_PUSH_AES_KEY ?? null,
          },
        }
      : {}),
    pushRetryDelayMs: data.SIM_PUSH_RETRY_DELAY,
    mediaCheckDelayMs: data.SIM_MEDIA_CHECK_DELAY,
  }
}

type ParsedEnv = ReturnType<typeof loadEnv<typeof ENV>>

/** WECHAT_APPID and WECHAT_SECRET go together; SIM_APPS may repeat an app, not change its secret. */
function appRules(present: Record<string, string>, parsed: ParsedEnv | undefined): string[] {
  const hasAppid = present.WECHAT_APPID !== undefined
  const hasSecret = present.WECHAT_SECRET !== undefined
  if (hasAppid && !hasSecret) return ['WECHAT_SECRET: must be set when WECHAT_APPID is']
  if (!hasAppid && hasSecret) return ['WECHAT_APPID: must be set when WECHAT_SECRET is']
  const push = present.SIM_PUSH_URL !== undefined
  if (push && present.SIM_PUSH_TOKEN === undefined) {
    return ['SIM_PUSH_TOKEN: must be set when SIM_PUSH_URL is']
  }
  if (!push && (present.SIM_PUSH_TOKEN ?? present.SIM_PUSH_AES_KEY) !== undefined) {
    return ['SIM_PUSH_URL: must be set when SIM_PUSH_TOKEN or SIM_PUSH_AES_KEY is']
  }
  if (!parsed) return []
  const problems: string[] = []
  const known = new Map<string, string>()
  for (const app of mainApp(parsed)) known.set(app.appid, app.secret)
  parsed.SIM_APPS.forEach((app, i) => {
    const secret = known.get(app.appid)
    if (secret !== undefined && secret !== app.secret) {
      problems.push(`SIM_APPS: entry ${i + 1} gives appid ${app.appid} a second, different secret`)
    }
    known.set(app.appid, secret ?? app.secret)
  })
  // An appid names one app of one platform: /sim/login finds the platform by it.
  const owner = new Map<string, string>([...known.keys()].map((id) => [id, 'SIM_APPS']))
  const claim = (variable: string, ids: string[]) => {
    const seen = new Map<string, string>()
    for (const id of ids) {
      const other = owner.get(id)
      if (other !== undefined && other !== variable) {
        problems.push(`${variable}: appid ${id} is already an app of ${other}`)
      }
      seen.set(id, variable)
    }
    for (const [id, v] of seen) owner.set(id, v)
  }
  claim(
    'SIM_QQ_APPS',
    (parsed.SIM_QQ_APPS ?? []).map((a) => a.appid),
  )
  claim(
    'SIM_TT_APPS',
    (parsed.SIM_TT_APPS ?? []).map((a) => a.appid),
  )
  claim('SIM_ALIPAY_APPID', parsed.SIM_ALIPAY_APPID ? [parsed.SIM_ALIPAY_APPID] : [])
  return problems
}

/** WECHAT_APPID's app, else the development app. */
function mainApp(data: ParsedEnv): SimApp[] {
  if (data.WECHAT_APPID && data.WECHAT_SECRET) {
    return [{ appid: data.WECHAT_APPID, secret: data.WECHAT_SECRET }]
  }
  return [{ appid: SIM_DEV_APPID, secret: SIM_DEV_SECRET }]
}

function appsOf(data: ParsedEnv): SimApp[] {
  const apps = mainApp(data)
  for (const app of data.SIM_APPS) {
    if (!apps.some((a) => a.appid === app.appid)) apps.push(app)
  }
  return apps
}
