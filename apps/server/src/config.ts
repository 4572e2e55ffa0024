import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  DatabaseUrlError,
  defaultDatabaseUrl,
  defaultMigrationsDir,
  findWorkspaceRoot,
  parseDatabaseUrl,
} from '@wxapp/db'
import {
  type AppCredentials,
  appid,
  appSecretList,
  booleanFlag,
  ConfigError,
  count,
  duration,
  host,
  httpUrl,
  type LogLevel,
  list,
  loadEnv,
  logLevel,
  port,
  secret,
} from '@wxapp/env'
import { type MiniLoginConfig, MiniLoginConfigError, parseMiniLoginEnv } from '@wxapp/mini-login'
import { z } from 'zod'

/**
 * One value for every app, or `appid:value,appid:value` for each app its own.
 * Messages say what is wrong, never the value (these are secrets).
 */
function perApp(pattern: RegExp, message: string) {
  return z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .transform((value, ctx): PerApp => {
      const entries = value.split(',').map((entry) => entry.trim())
      const [only] = entries
      if (entries.length === 1 && only !== undefined && !only.includes(':')) {
        if (pattern.test(only)) return { all: only, byApp: new Map() }
        ctx.addIssue({ code: 'custom', message })
        return z.NEVER
      }
      const byApp = new Map<string, string>()
      for (const entry of entries) {
        const colon = entry.indexOf(':')
        const app = entry.slice(0, colon)
        const secretValue = entry.slice(colon + 1)
        if (colon < 1 || !pattern.test(secretValue) || byApp.has(app)) {
          ctx.addIssue({
            code: 'custom',
            message: `must be one value for every app or appid:value pairs, each ${message.replace(/^must be /, '')}, each app once`,
          })
          return z.NEVER
        }
        byApp.set(app, secretValue)
      }
      return { all: undefined, byApp }
    })
}
interface PerApp {
  all: string | undefined
  byApp: Map<string, string>
}

const ENV = {
  HOST: host,
  PORT: port.default(3000),
  LOG_LEVEL: logLevel,
  DATABASE_URL: z
    .string()
    .trim()
    .default(() => defaultDatabaseUrl())
    .superRefine((url, ctx) => {
      try {
        parseDatabaseUrl(url)
      } catch (error) {
        if (!(error instanceof DatabaseUrlError)) throw error
        // The message names the variable and never quotes a password.
        ctx.addIssue({ code: 'custom', message: error.message.replace(/^DATABASE_URL /, '') })
      }
    }),
  /** Apply pending migrations at start (what a single instance or `pnpm dev` wants). */
  MIGRATE_ON_START: booleanFlag.default(true),
  /** The migrations this server knows (default: those its build carries, see bundledMigrationsDir). */
  MIGRATIONS_DIR: z.string().trim().min(1).optional(),
  /** How long in-flight requests get to finish on SIGTERM before the process exits anyway. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
  /**
   * On SIGTERM, how long to keep serving while /readyz answers 503, so a load
   * balancer marks this instance down before it stops accepting connections
   * (set it above the balancer's check interval times its fall count).
   */
  SHUTDOWN_DRAIN: duration.prefault('0s'),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
  /** Answer plain JSON tRPC calls without tRPC's fetch adapter (see trpc-fast-path.ts). */
  TRPC_FAST_PATH: booleanFlag.default(true),

  WECHAT_APPID: appid,
  WECHAT_SECRET: secret,
  WECHAT_API_BASE: httpUrl.default('https://api.weixin.qq.com'),
  /** More mini-programs: `appid:secret,appid:secret`. */
  WECHAT_APPS: appSecretList.default([]),
  WECHAT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5000),
  /**
   * Behind WeChat Cloud Hosting's gateway: trust its X-WX-OPENID/APPID/
   * UNIONID/SOURCE headers (auth.login without a code). Only where the
   * gateway is the one way in: elsewhere any client could send them.
   */
  WECHAT_CLOUD_HOSTING: booleanFlag.default(false),
  /**
   * The message-push ("消息推送") Token of the admin console: 3-32 letters
   * and digits, one for every app or `appid:token,...`. Unset: /wechat/push
   * answers 404, and avatar verdicts cannot arrive.
   */
  WECHAT_PUSH_TOKEN: perApp(/^[A-Za-z0-9]{3,32}$/, 'must be 3-32 letters and digits').optional(),
  /** Its EncodingAESKey (43 letters and digits): set, the app's pushes must come in safe mode. */
  /** How often content WeChat could not check (busy, down) is checked again. */
  CONTENT_RECHECK_INTERVAL: duration.prefault('1m'),
  WECHAT_PUSH_AES_KEY: perApp(/^[A-Za-z0-9]{43}$/, 'must be 43 letters and digits').optional(),

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
  CORS_ORIGINS: list.pipe(z.array(httpUrl.transform((u) => new URL(u).origin))).default([]),
  UPLOAD_DIR: z.string().trim().min(1).optional(),
  UPLOAD_MAX_BYTES: z.coerce
    .number({ error: 'must be a number of bytes' })
    .int()
    .min(1024, 'must be at least 1024')
    .max(20 * 1024 * 1024, 'must be at most 20 MB')
    .default(2 * 1024 * 1024),
  /** The server's public base URL, for links to uploaded files (default: the request's host). */
  PUBLIC_URL: httpUrl.optional(),
  /** Where uploads are kept: this machine's UPLOAD_DIR, or an S3-compatible bucket all instances share. */
  UPLOAD_STORAGE: z.enum(['local', 's3'], { error: 'must be local or s3' }).default('local'),
  /**
   * Where uploaded files are publicly served from (a CDN, the bucket's own
   * address): links become `<UPLOAD_PUBLIC_URL>/avatars/<name>`.
   */
  UPLOAD_PUBLIC_URL: httpUrl.optional(),
  // The S3_* variables are checked when set and required with
  // UPLOAD_STORAGE=s3 (crossChecks); messages never quote their values.
  S3_ENDPOINT: httpUrl
    .refine((v) => {
      // zod runs this after httpUrl's check failed too: no URL, no credentials in it.
      const url = URL.canParse(v) ? new URL(v) : null
      return !url?.username && !url?.password
    }, 'must not hold credentials (set S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY)')
    .optional(),
  S3_REGION: z
    .string()
    .trim()
    .regex(/^[a-z0-9-]{1,64}$/, 'must be a region name such as ap-shanghai, us-east-1 or auto')
    .optional(),
  S3_BUCKET: z
    .string()
    .trim()
    // Loose on purpose: old AWS buckets may hold capitals and underscores.
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{1,254}$/, 'must be a bucket name (letters, digits, . _ -)')
    .optional(),
  S3_ACCESS_KEY_ID: z
    .string()
    .trim()
    .regex(/^[\x21-\x7e]{1,256}$/, 'must be an access key id (printable characters, no spaces)')
    .optional(),
  S3_SECRET_ACCESS_KEY: z
    .string()
    .trim()
    .regex(/^[\x21-\x7e]{1,256}$/, 'must be a secret key (printable characters, no spaces)')
    .optional(),
  /** `<endpoint>/<bucket>/<key>` addressing, for MinIO-style endpoints. */
  S3_FORCE_PATH_STYLE: booleanFlag.default(false),
  NODE_ENV: z.string().optional(),
}

export type WechatAppConfig = AppCredentials

type ParsedEnv = ReturnType<typeof loadEnv<typeof ENV>>

export interface ServerConfig {
  host: string
  port: number
  databaseUrl: string
  databasePoolSize: number
  logLevel: LogLevel
  migrateOnStart: boolean
  migrationsDir: string
  shutdownTimeoutMs: number
  shutdownDrainMs: number
  trpcFastPath: boolean
  wechat: {
    /** The default app first, then WECHAT_APPS. */
    apps: WechatAppConfig[]
    apiBase: string
    timeoutMs: number
    /** WECHAT_CLOUD_HOSTING: requests' X-WX-* identity headers are trusted. */
    cloudHosting: boolean
    /** The apps whose message push this server takes, with their Token and EncodingAESKey. */
    push: WechatPushConfig[]
    /** CONTENT_RECHECK_INTERVAL. */
    recheckIntervalMs: number
  }
  /**
   * The QQ and Douyin apps (QQ_APPS, TT_APPS, their *_API_BASE) and the
   * Alipay app (ALIPAY_*), besides WeChat's; they share WECHAT_TIMEOUT_MS.
   */
  platforms: MiniLoginConfig
  loginLimits: { perIpPerMinute: number; perUserPerMinute: number }
  sessionPolicy: { idleTimeoutMs: number; absoluteLifetimeMs: number; renewIntervalMs: number }
  /** The in-process cache of validated sessions; ttlMs 0 turns it off. */
  sessionCache: { ttlMs: number; maxEntries: number }
  /** Keys from DATA_ENCRYPTION_KEY, or null: a development key is kept in dataDir. */
  dataKeys: Buffer[] | null
  dataDir: string
  trustProxy: boolean | number | string[]
  corsOrigins: string[]
  uploads: {
    dir: string
    maxBytes: number
    /** PUBLIC_URL: links are `<publicUrl>/uploads/avatars/<name>`, served by this server. */
    publicUrl: string | undefined
    /** UPLOAD_PUBLIC_URL: links are `<filesUrl>/avatars/<name>`, served by a CDN or the bucket. */
    filesUrl: string | undefined
    storage: UploadStorageConfig
  }
}

export interface WechatPushConfig {
  appid: string
  token: string
  /** Safe mode (AES) when set; then plain pushes are refused. */
  aesKey: string | null
}

export type UploadStorageConfig =
  | { kind: 'local' }
  | {
      kind: 's3'
      endpoint: string
      region: string
      bucket: string
      credentials: { accessKeyId: string; secretAccessKey: string }
      forcePathStyle: boolean
    }

const S3_REQUIRED = [
  'S3_ENDPOINT',
  'S3_REGION',
  'S3_BUCKET',
  'S3_ACCESS_KEY_ID',
  'S3_SECRET_ACCESS_KEY',
] as const

export { ConfigError }

/**
 * The build copies prisma/migrations beside the bundle (dist/migrations), so
 * the server and its artifact carry the migrations they were built with. Run
 * from source (`pnpm dev`), there is none: the workspace's folder is used.
 */
function migrationsDir(configured: string | undefined): string {
  if (configured) return configured
  const bundled = fileURLToPath(new URL('./migrations', import.meta.url))
  return existsSync(bundled) ? bundled : defaultMigrationsDir()
}

const MIGRATE_ENV = {
  LOG_LEVEL: ENV.LOG_LEVEL,
  DATABASE_URL: ENV.DATABASE_URL,
  MIGRATIONS_DIR: ENV.MIGRATIONS_DIR,
}

export interface MigrateConfig {
  logLevel: LogLevel
  databaseUrl: string
  migrationsDir: string
}

/** What `node main.js migrate` needs: the database and the migrations, nothing of WeChat. */
export function loadMigrateConfig(env: NodeJS.ProcessEnv = process.env): MigrateConfig {
  const data = loadEnv(MIGRATE_ENV, { env })
  return {
    logLevel: data.LOG_LEVEL,
    databaseUrl: data.DATABASE_URL,
    migrationsDir: migrationsDir(data.MIGRATIONS_DIR),
  }
}

/** Rules across variables, reported with the others. */
function crossChecks(present: Record<string, string>, data: ParsedEnv | undefined): string[] {
  const problems: string[] = []
  // From what is set rather than what parsed, so that a missing S3_* is
  // reported along with any other variable's problem.
  if (present.UPLOAD_STORAGE?.trim() === 's3') {
    for (const name of S3_REQUIRED) {
      if (!present[name]?.trim()) problems.push(`${name}: is required when UPLOAD_STORAGE=s3`)
    }
  }
  const platforms = platformsOf(present, problems)
  if (!data) return problems
  const appids = [data.WECHAT_APPID, ...data.WECHAT_APPS.map((a) => a.appid)]
  if (new Set(appids).size !== appids.length) {
    problems.push('WECHAT_APPS: lists an appid twice (or WECHAT_APPID again)')
  }
  // An appid names one app, and so its platform, in every request.
  if (platforms) {
    const others: [string, string[]][] = [
      ['QQ_APPS', platforms.qq.apps.map((a) => a.appid)],
      ['TT_APPS', platforms.tt.apps.map((a) => a.appid)],
      ['ALIPAY_APPID', platforms.alipay ? [platforms.alipay.appid] : []],
    ]
    const seen = new Set(appids)
    for (const [name, ids] of others) {
      for (const id of ids) {
        if (seen.has(id)) problems.push(`${name}: ${id} is also configured for another platform`)
        seen.add(id)
      }
    }
  }
  for (const name of ['WECHAT_PUSH_TOKEN', 'WECHAT_PUSH_AES_KEY'] as const) {
    const unknown = [...(data[name]?.byApp.keys() ?? [])].filter((a) => !appids.includes(a))
    if (unknown.length > 0)
      problems.push(`${name}: names an app that is not configured (${unknown.join(', ')})`)
  }
  const push = pushOf(data)
  for (const appid of appids) {
    if (aesKeyOf(data, appid) && !push.some((p) => p.appid === appid)) {
      problems.push(`WECHAT_PUSH_AES_KEY: ${appid} has an EncodingAESKey but no WECHAT_PUSH_TOKEN`)
    }
  }
  if (data.NODE_ENV === 'production' && !data.DATA_ENCRYPTION_KEY) {
    problems.push(
      'DATA_ENCRYPTION_KEY: is required when NODE_ENV=production (it encrypts WeChat session keys at rest)',
    )
  }
  if (data.SESSION_IDLE_TIMEOUT > data.SESSION_LIFETIME) {
    problems.push('SESSION_IDLE_TIMEOUT: must not be longer than SESSION_LIFETIME')
  }
  return problems
}

/**
 * Reads and validates the environment once at start. Every problem is reported
 * at once, each naming its variable; values are not echoed since some (such as
 * DATABASE_URL) can hold passwords.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const data = loadEnv(ENV, { env, check: crossChecks })
  const dataDir = data.DATA_DIR ?? join(findWorkspaceRoot(), 'data')
  return {
    host: data.HOST,
    port: data.PORT,
    databaseUrl: data.DATABASE_URL,
    databasePoolSize: data.DATABASE_POOL_SIZE,
    logLevel: data.LOG_LEVEL,
    migrateOnStart: data.MIGRATE_ON_START,
    migrationsDir: migrationsDir(data.MIGRATIONS_DIR),
    shutdownTimeoutMs: data.SHUTDOWN_TIMEOUT_MS,
    shutdownDrainMs: data.SHUTDOWN_DRAIN,
    trpcFastPath: data.TRPC_FAST_PATH,
    wechat: {
      apps: [{ appid: data.WECHAT_APPID, secret: data.WECHAT_SECRET }, ...data.WECHAT_APPS],
      apiBase: data.WECHAT_API_BASE,
      timeoutMs: data.WECHAT_TIMEOUT_MS,
      cloudHosting: data.WECHAT_CLOUD_HOSTING,
      push: pushOf(data),
      recheckIntervalMs: data.CONTENT_RECHECK_INTERVAL,
    },
    // crossChecks reported any problem, so loadEnv threw before here.
    platforms: parseMiniLoginEnv(env),
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
      filesUrl: data.UPLOAD_PUBLIC_URL?.replace(/\/+$/, ''),
      storage: storageOf(data),
    },
  }
}

/** The other platforms' apps, or null with the problems added. */
function platformsOf(env: Record<string, string>, problems: string[]): MiniLoginConfig | null {
  try {
    return parseMiniLoginEnv(env)
  } catch (error) {
    if (!(error instanceof MiniLoginConfigError)) throw error
    problems.push(...error.problems)
    return null
  }
}

function aesKeyOf(data: ParsedEnv, appid: string): string | null {
  const key = data.WECHAT_PUSH_AES_KEY
  return key?.byApp.get(appid) ?? key?.all ?? null
}

function pushOf(data: ParsedEnv): WechatPushConfig[] {
  const appids = [data.WECHAT_APPID, ...data.WECHAT_APPS.map((a) => a.appid)]
  const tokens = data.WECHAT_PUSH_TOKEN
  return appids.flatMap((appid) => {
    const token = tokens?.byApp.get(appid) ?? tokens?.all
    return token ? [{ appid, token, aesKey: aesKeyOf(data, appid) }] : []
  })
}

function storageOf(data: ParsedEnv): UploadStorageConfig {
  if (data.UPLOAD_STORAGE === 'local') return { kind: 'local' }
  const { S3_ENDPOINT, S3_REGION, S3_BUCKET, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY } = data
  // crossChecks has reported any of these missing, so loadEnv threw before here.
  if (!S3_ENDPOINT || !S3_REGION || !S3_BUCKET || !S3_ACCESS_KEY_ID || !S3_SECRET_ACCESS_KEY) {
    throw new ConfigError(S3_REQUIRED.map((name) => `${name}: is required when UPLOAD_STORAGE=s3`))
  }
  return {
    kind: 's3',
    endpoint: S3_ENDPOINT,
    region: S3_REGION,
    bucket: S3_BUCKET,
    credentials: { accessKeyId: S3_ACCESS_KEY_ID, secretAccessKey: S3_SECRET_ACCESS_KEY },
    forcePathStyle: data.S3_FORCE_PATH_STYLE,
  }
}
