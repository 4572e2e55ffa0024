import { join } from 'node:path'
import {
  DatabaseUrlError,
  defaultDatabaseUrl,
  findWorkspaceRoot,
  parseDatabaseUrl,
} from '@wxapp/db'
import { z } from 'zod'

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes')

const appid = z
  .string({ error: 'is required' })
  .trim()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a mini-program appid (letters, digits, _ or -)')
const secret = z
  .string({ error: 'is required' })
  .trim()
  .regex(/^[\x21-\x7e]{1,128}$/, 'must be the app secret (printable, no spaces)')
const httpUrl = z
  .string()
  .trim()
  .refine((v) => {
    try {
      return ['http:', 'https:'].includes(new URL(v).protocol)
    } catch {
      return false
    }
  }, 'must be an http(s) URL')
const count = z.coerce
  .number({ error: 'must be a whole number (0 turns it off)' })
  .int('must be a whole number (0 turns it off)')
  .min(0, 'must be a whole number (0 turns it off)')
const UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const
const duration = z
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

const EnvSchema = z.object({
  HOST: z.string().trim().min(1, 'must not be empty').default('127.0.0.1'),
  PORT: z.coerce
    .number({ error: 'must be a whole number between 0 and 65535' })
    .int('must be a whole number between 0 and 65535')
    .min(0, 'must be a whole number between 0 and 65535')
    .max(65535, 'must be a whole number between 0 and 65535')
    .default(3000),
  LOG_LEVEL: z
    .enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` })
    .default('info'),
  /** Apply pending migrations at start (what a single instance or `pnpm dev` wants). */
  MIGRATE_ON_START: booleanFlag.default(true),
  /** How long in-flight requests get to finish on SIGTERM before the process exits anyway. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
  /** Answer plain JSON tRPC calls without tRPC's fetch adapter (see trpc-http.ts). */
  TRPC_FAST_PATH: booleanFlag.default(true),

  WECHAT_APPID: appid,
  WECHAT_SECRET: secret,
  WECHAT_API_BASE: httpUrl.default('https://api.weixin.qq.com'),
  /** More mini-programs: `appid:secret,appid:secret`. */
  WECHAT_APPS: z
    .string()
    .transform((value, ctx) => {
      const apps: { appid: string; secret: string }[] = []
      for (const pair of value
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean)) {
        const at = pair.indexOf(':')
        const parsedAppid = appid.safeParse(pair.slice(0, at))
        const parsedSecret = secret.safeParse(pair.slice(at + 1))
        if (at < 0 || !parsedAppid.success || !parsedSecret.success) {
          ctx.addIssue({ code: 'custom', message: 'must be comma-separated appid:secret pairs' })
          return z.NEVER
        }
        apps.push({ appid: parsedAppid.data, secret: parsedSecret.data })
      }
      return apps
    })
    .default([]),
  WECHAT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5000),

  LOGIN_RATE_LIMIT: count.default(20),
  LOGIN_RATE_LIMIT_PER_USER: count.default(10),
  SESSION_IDLE_TIMEOUT: duration.prefault('7d'),
  SESSION_LIFETIME: duration.prefault('30d'),
  SESSION_RENEW_INTERVAL: duration.prefault('1h'),
  /** How long a validated session is reused without reading the database (0s: never). */
  SESSION_CACHE_TTL: duration.prefault('5s'),
  /** Most sessions that cache holds (0 turns it off). */
  SESSION_CACHE_MAX: count.default(10_000),

  DATA_ENCRYPTION_KEY: z
    .string()
    .transform((value, ctx) => {
      const keys = value.split(',').map((k) => Buffer.from(k.trim(), 'base64'))
      if (keys.some((k) => k.length !== 32)) {
        ctx.addIssue({
          code: 'custom',
          message:
            'must be base64 of 32 random bytes (openssl rand -base64 32), comma-separated when rotating',
        })
        return z.NEVER
      }
      return keys
    })
    .optional(),
  DATA_DIR: z.string().trim().min(1).optional(),
  TRUST_PROXY: z
    .string()
    .trim()
    .transform((value): boolean | number | string[] => {
      if (value === 'true') return true
      if (value === 'false') return false
      if (/^\d+$/.test(value)) return Number(value)
      return value.split(',').map((v) => v.trim())
    })
    .default(false),
  /** Browser origins allowed to call the API (the H5 preview), comma-separated. */
  CORS_ORIGINS: z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean),
    )
    .pipe(z.array(httpUrl.transform((u) => new URL(u).origin)))
    .default([]),
  UPLOAD_DIR: z.string().trim().min(1).optional(),
  UPLOAD_MAX_BYTES: z.coerce
    .number({ error: 'must be a number of bytes' })
    .int()
    .min(1024, 'must be at least 1024')
    .max(20 * 1024 * 1024, 'must be at most 20 MB')
    .default(2 * 1024 * 1024),
  /** The server's public base URL, for links to uploaded files (default: the request's host). */
  PUBLIC_URL: httpUrl.optional(),
  NODE_ENV: z.string().optional(),
})

export interface WechatAppConfig {
  appid: string
  secret: string
}

export interface ServerConfig {
  host: string
  port: number
  databaseUrl: string
  databasePoolSize: number
  logLevel: (typeof LOG_LEVELS)[number]
  migrateOnStart: boolean
  shutdownTimeoutMs: number
  trpcFastPath: boolean
  wechat: {
    /** The default app first, then WECHAT_APPS. */
    apps: WechatAppConfig[]
    apiBase: string
    timeoutMs: number
  }
  loginLimits: { perIpPerMinute: number; perUserPerMinute: number }
  sessionPolicy: { idleTimeoutMs: number; absoluteLifetimeMs: number; renewIntervalMs: number }
  /** The in-process cache of validated sessions; ttlMs 0 turns it off. */
  sessionCache: { ttlMs: number; maxEntries: number }
  /** Keys from DATA_ENCRYPTION_KEY, or null: a development key is kept in dataDir. */
  dataKeys: Buffer[] | null
  dataDir: string
  trustProxy: boolean | number | string[]
  corsOrigins: string[]
  uploads: { dir: string; maxBytes: number; publicUrl: string | undefined }
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.name = 'ConfigError'
  }
}

/**
 * Reads and validates the environment once at start. Every problem is reported
 * at once, each naming its variable; values are not echoed since some (such as
 * DATABASE_URL) can hold passwords.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  // An empty variable means "not set", as in most shells' `FOO= cmd`.
  const present = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v !== ''),
  )
  const parsed = EnvSchema.safeParse(present)
  const problems: string[] = []
  if (!parsed.success) {
    for (const issue of parsed.error.issues)
      problems.push(`${issue.path.join('.')}: ${issue.message}`)
  }
  const databaseUrl =
    typeof present.DATABASE_URL === 'string' ? present.DATABASE_URL.trim() : defaultDatabaseUrl()
  try {
    parseDatabaseUrl(databaseUrl)
  } catch (error) {
    if (!(error instanceof DatabaseUrlError)) throw error
    problems.push(error.message)
  }
  if (parsed.success) {
    const data = parsed.data
    const appids = [data.WECHAT_APPID, ...data.WECHAT_APPS.map((a) => a.appid)]
    if (new Set(appids).size !== appids.length) {
      problems.push('WECHAT_APPS: lists an appid twice (or WECHAT_APPID again)')
    }
    if (data.NODE_ENV === 'production' && !data.DATA_ENCRYPTION_KEY) {
      problems.push(
        'DATA_ENCRYPTION_KEY: is required when NODE_ENV=production (it encrypts WeChat session keys at rest)',
      )
    }
    if (data.SESSION_IDLE_TIMEOUT > data.SESSION_LIFETIME) {
      problems.push('SESSION_IDLE_TIMEOUT: must not be longer than SESSION_LIFETIME')
    }
  }
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems)
  const data = parsed.data
  const dataDir = data.DATA_DIR ?? join(findWorkspaceRoot(), 'data')
  return {
    host: data.HOST,
    port: data.PORT,
    databaseUrl,
    databasePoolSize: data.DATABASE_POOL_SIZE,
    logLevel: data.LOG_LEVEL,
    migrateOnStart: data.MIGRATE_ON_START,
    shutdownTimeoutMs: data.SHUTDOWN_TIMEOUT_MS,
    trpcFastPath: data.TRPC_FAST_PATH,
    wechat: {
      apps: [{ appid: data.WECHAT_APPID, secret: data.WECHAT_SECRET }, ...data.WECHAT_APPS],
      apiBase: data.WECHAT_API_BASE,
      timeoutMs: data.WECHAT_TIMEOUT_MS,
    },
    loginLimits: {
      perIpPerMinute: data.LOGIN_RATE_LIMIT,
      perUserPerMinute: data.LOGIN_RATE_LIMIT_PER_USER,
    },
    sessionPolicy: {
      idleTimeoutMs: data.SESSION_IDLE_TIMEOUT,
      absoluteLifetimeMs: data.SESSION_LIFETIME,
      renewIntervalMs: data.SESSION_RENEW_INTERVAL,
    },
    sessionCache: {
      ttlMs: data.SESSION_CACHE_MAX === 0 ? 0 : data.SESSION_CACHE_TTL,
      maxEntries: data.SESSION_CACHE_MAX,
    },
    dataKeys: data.DATA_ENCRYPTION_KEY ?? null,
    dataDir,
    trustProxy: data.TRUST_PROXY,
    corsOrigins: data.CORS_ORIGINS,
    uploads: {
      dir: data.UPLOAD_DIR ?? join(dataDir, 'uploads'),
      maxBytes: data.UPLOAD_MAX_BYTES,
      publicUrl: data.PUBLIC_URL?.replace(/\/+$/, ''),
    },
  }
}
