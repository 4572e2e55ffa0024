/*
 * The validators every process of this repository reads its environment
 * with (the API server and the WeChat simulator): one rule per kind of
 * setting, each with the message a person sees next to the variable's name.
 * Messages never quote the value: some values are secrets.
 */
import { z } from 'zod'

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

export const logLevel = z
  .enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` })
  .default('info')

const PORT_MESSAGE = 'must be a whole number between 0 and 65535'
/** A TCP port; 0 asks the system for a free one. */
export const port = z.coerce
  .number({ error: PORT_MESSAGE })
  .int(PORT_MESSAGE)
  .min(0, PORT_MESSAGE)
  .max(65535, PORT_MESSAGE)

export const host = z.string().trim().min(1, 'must not be empty').default('127.0.0.1')

/** true/false, 1/0, yes/no. */
export const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes')

const COUNT_MESSAGE = 'must be a whole number (0 turns it off)'
/** A whole number where 0 means "off" (a limit, a cache size). */
export const count = z.coerce
  .number({ error: COUNT_MESSAGE })
  .int(COUNT_MESSAGE)
  .min(0, COUNT_MESSAGE)

const APPID = /^[A-Za-z0-9_-]{1,64}$/
const SECRET = /^[\x21-\x7e]{1,128}$/
const APPID_RULE = '1-64 letters, digits, _ or -'
const SECRET_RULE = '1-128 printable characters, no spaces'
const APPID_MESSAGE = `must be a mini-program appid (${APPID_RULE})`
const SECRET_MESSAGE = `must be the app secret (${SECRET_RULE})`

export const appid = z.string({ error: 'is required' }).trim().regex(APPID, APPID_MESSAGE)
export const secret = z.string({ error: 'is required' }).trim().regex(SECRET, SECRET_MESSAGE)

export interface AppCredentials {
  appid: string
  secret: string
}

/**
 * `appid:secret,appid:secret`: the apps of a platform. Blank entries are
 * skipped; a secret may itself hold colons. Duplicates are the caller's rule.
 */
export const appSecretList = z.string().transform((value, ctx): AppCredentials[] => {
  const apps: AppCredentials[] = []
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
  entries.forEach((entry, index) => {
    const at = entry.indexOf(':')
    const id = APPID.test(entry.slice(0, at)) ? entry.slice(0, at) : null
    const key = SECRET.test(entry.slice(at + 1)) ? entry.slice(at + 1) : null
    if (at < 0 || id === null || key === null) {
      ctx.addIssue({
        code: 'custom',
        message: `entry ${index + 1} must be appid:secret (appid ${APPID_RULE}; secret ${SECRET_RULE})`,
      })
      return
    }
    apps.push({ appid: id, secret: key })
  })
  return apps
})

/** http: or https: URL (an API base, a public address). */
export const httpUrl = z
  .string()
  .trim()
  .refine((v) => {
    try {
      return ['http:', 'https:'].includes(new URL(v).protocol)
    } catch {
      return false
    }
  }, 'must be an http(s) URL')

const UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const
/** `90s`, `30m`, `12h`, `7d`, `250ms` -> milliseconds. */
export const duration = z
  .string()
  .trim()
  .transform((value, ctx) => {
    const match = /^(\d+)(ms|s|m|h|d)$/.exec(value)
    if (!match?.[1] || !match[2]) {
      ctx.addIssue({ code: 'custom', message: 'must be a duration such as 90s, 30m, 12h or 7d' })
      return z.NEVER
    }
    return Number(match[1]) * UNITS[match[2] as keyof typeof UNITS]
  })

/** A comma-separated list; blank items dropped. */
export const list = z.string().transform((value) =>
  value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean),
)
