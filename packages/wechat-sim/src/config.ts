import {
  appid,
  appSecretList,
  ConfigError,
  host,
  type LogLevel,
  loadEnv,
  logLevel,
  port,
  secret,
} from '@wxapp/env'
import { z } from 'zod'
import { SIM_DEV_APPID, SIM_DEV_SECRET } from './constants'
import type { SimApp } from './state'

const ENV = {
  HOST: host,
  PORT: port.default(4000),
  LOG_LEVEL: logLevel,
  WECHAT_APPID: appid.optional(),
  WECHAT_SECRET: secret.optional(),
  SIM_APPS: appSecretList.default([]),
  SIM_SEED: z.string().min(8, 'must be at least 8 characters').optional(),
}

export interface SimConfig {
  host: string
  port: number
  logLevel: LogLevel
  apps: SimApp[]
  /** Set: openids survive restarts. Unset: a random seed per process. */
  seed?: string
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
    seed: data.SIM_SEED,
  }
}

type ParsedEnv = ReturnType<typeof loadEnv<typeof ENV>>

/** WECHAT_APPID and WECHAT_SECRET go together; SIM_APPS may repeat an app, not change its secret. */
function appRules(present: Record<string, string>, parsed: ParsedEnv | undefined): string[] {
  const hasAppid = present.WECHAT_APPID !== undefined
  const hasSecret = present.WECHAT_SECRET !== undefined
  if (hasAppid && !hasSecret) return ['WECHAT_SECRET: must be set when WECHAT_APPID is']
  if (!hasAppid && hasSecret) return ['WECHAT_APPID: must be set when WECHAT_SECRET is']
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
