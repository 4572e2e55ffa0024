import { DatabaseUrlError, defaultDatabaseUrl, parseDatabaseUrl } from '@wxapp/db'
import { z } from 'zod'

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes')

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
})

export interface ServerConfig {
  host: string
  port: number
  databaseUrl: string
  databasePoolSize: number
  logLevel: (typeof LOG_LEVELS)[number]
  migrateOnStart: boolean
  shutdownTimeoutMs: number
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
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems)
  const data = parsed.data
  return {
    host: data.HOST,
    port: data.PORT,
    databaseUrl,
    databasePoolSize: data.DATABASE_POOL_SIZE,
    logLevel: data.LOG_LEVEL,
    migrateOnStart: data.MIGRATE_ON_START,
    shutdownTimeoutMs: data.SHUTDOWN_TIMEOUT_MS,
  }
}
