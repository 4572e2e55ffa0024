import { z } from 'zod'
import { SIM_DEV_APPID, SIM_DEV_SECRET } from './constants'
import type { SimApp } from './state'

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
const APPID = /^[A-Za-z0-9_-]{1,64}$/
const SECRET = /^[\x21-\x7e]{1,128}$/
const appidMessage = 'must be 1-64 letters, digits, _ or -'
const secretMessage = 'must be 1-128 printable characters without spaces'

const EnvSchema = z.object({
  HOST: z.string().trim().min(1, 'must not be empty').default('127.0.0.1'),
  PORT: z.coerce
    .number({ error: 'must be a whole number between 0 and 65535' })
    .int('must be a whole number between 0 and 65535')
    .min(0, 'must be a whole number between 0 and 65535')
    .max(65535, 'must be a whole number between 0 and 65535')
    .default(4000),
  LOG_LEVEL: z
    .enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` })
    .default('info'),
  WECHAT_APPID: z.string().regex(APPID, appidMessage).optional(),
  WECHAT_SECRET: z.string().regex(SECRET, secretMessage).optional(),
  SIM_APPS: z.string().optional(),
  SIM_SEED: z.string().min(8, 'must be at least 8 characters').optional(),
})

export interface SimConfig {
  host: string
  port: number
  logLevel: (typeof LOG_LEVELS)[number]
  apps: SimApp[]
  /** Set: openids survive restarts. Unset: a random seed per process. */
  seed?: string
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.name = 'ConfigError'
  }
}

/**
 * Reads the environment once at start. Every problem is reported, each naming
 * its variable; values are never echoed, since they hold secrets.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): SimConfig {
  // An empty variable means "not set", as in most shells' `FOO= cmd`.
  const present = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v !== ''),
  )
  const parsed = EnvSchema.safeParse(present)
  const problems: string[] = []
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      problems.push(`${issue.path.join('.')}: ${issue.message}`)
    }
  }
  const data = parsed.success ? parsed.data : undefined

  const apps: SimApp[] = []
  const hasAppid = present.WECHAT_APPID !== undefined
  const hasSecret = present.WECHAT_SECRET !== undefined
  if (hasAppid && !hasSecret) problems.push('WECHAT_SECRET: must be set when WECHAT_APPID is')
  else if (!hasAppid && hasSecret) problems.push('WECHAT_APPID: must be set when WECHAT_SECRET is')
  else if (!hasAppid) apps.push({ appid: SIM_DEV_APPID, secret: SIM_DEV_SECRET })
  else if (data?.WECHAT_APPID && data.WECHAT_SECRET) {
    apps.push({ appid: data.WECHAT_APPID, secret: data.WECHAT_SECRET })
  }

  const entries = (present.SIM_APPS ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '')
  entries.forEach((entry, i) => {
    const at = entry.indexOf(':')
    const id = at < 0 ? entry : entry.slice(0, at)
    const key = at < 0 ? '' : entry.slice(at + 1)
    if (at < 0 || !APPID.test(id) || !SECRET.test(key)) {
      problems.push(
        `SIM_APPS: entry ${i + 1} must be appid:secret (appid ${appidMessage}; secret ${secretMessage})`,
      )
      return
    }
    const known = apps.find((a) => a.appid === id)
    if (known && known.secret !== key) {
      problems.push(`SIM_APPS: entry ${i + 1} gives appid ${id} a second, different secret`)
    } else if (!known) {
      apps.push({ appid: id, secret: key })
    }
  })

  if (!data || problems.length > 0) throw new ConfigError(problems)
  return {
    host: data.HOST,
    port: data.PORT,
    logLevel: data.LOG_LEVEL,
    apps,
    seed: data.SIM_SEED,
  }
}
