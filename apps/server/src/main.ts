import {
  applyMigrations,
  listMigrations,
  type NotificationChannel,
  openDatabase,
  openNotificationChannel,
  redactDatabaseUrl,
  unappliedMigrations,
} from '@wxapp/db'
import { configOrExit } from '@wxapp/env'
import { buildApp } from './app'
import { loadConfig, loadMigrateConfig } from './config'
import { loadDataKeys } from './data-key'
import { startHousekeeping } from './housekeeping'
import { createLogger } from './logger'
import { createServices } from './services'

const SESSION_CHANGES_CHANNEL = 'wxapp_session_changes'

const USAGE = `usage: node main.js           start the API server
       node main.js migrate   apply pending migrations to DATABASE_URL and exit`

/** `node main.js migrate`: the release step of a deploy, run once before the new servers start. */
async function migrate(): Promise<void> {
  const config = configOrExit(() => loadMigrateConfig())
  const logger = createLogger(config.logLevel)
  const database = redactDatabaseUrl(config.databaseUrl)
  try {
    const known = await listMigrations(config.migrationsDir)
    if (known.length === 0) {
      logger.fatal({ dir: config.migrationsDir }, NO_MIGRATIONS)
      process.exitCode = 1
      return
    }
    const applied = await applyMigrations(config.databaseUrl, {
      migrationsDir: config.migrationsDir,
      logger,
    })
    logger.info(
      { database, applied, known: known.length },
      applied.length > 0 ? 'applied database migrations' : 'database is up to date',
    )
  } catch (error) {
    logger.fatal({ err: error, database }, 'cannot migrate the database named by DATABASE_URL')
    process.exitCode = 1
  }
}

const NO_MIGRATIONS =
  'this server knows no migrations: its build carries them in dist/migrations (rebuild it, or set MIGRATIONS_DIR)'

/**
 * Why the database cannot be served, or null. A server must not answer
 * requests against a schema it was not built for: every query would fail.
 */
async function schemaProblem(
  db: Awaited<ReturnType<typeof openDatabase>>,
  config: ReturnType<typeof loadConfig>,
  logger: ReturnType<typeof createLogger>,
): Promise<{ msg: string; [key: string]: unknown } | null> {
  const known = await listMigrations(config.migrationsDir)
  if (known.length === 0) return { msg: NO_MIGRATIONS, dir: config.migrationsDir }
  if (config.migrateOnStart) {
    const applied = await applyMigrations(db, { migrationsDir: config.migrationsDir, logger })
    if (applied.length > 0) logger.info({ migrations: applied }, 'applied database migrations')
    return null
  }
  const missing = await unappliedMigrations(db, { migrationsDir: config.migrationsDir })
  if (missing.length === 0) return null
  return {
    msg: 'the database lacks migrations this server needs: run `node main.js migrate` (or set MIGRATE_ON_START=true)',
    missing,
  }
}

async function main(): Promise<void> {
  const command = process.argv[2]
  if (command === 'migrate') return migrate()
  if (command !== undefined) {
    console.error(
      command === '--help' || command === '-h' ? USAGE : `unknown command "${command}"\n${USAGE}`,
    )
    process.exitCode = command === '--help' || command === '-h' ? 0 : 2
    return
  }
  const config = configOrExit(() => loadConfig())

  const logger = createLogger(config.logLevel)
  const started = performance.now()
  const databaseLabel = redactDatabaseUrl(config.databaseUrl)

  let db: Awaited<ReturnType<typeof openDatabase>>
  try {
    db = await openDatabase({ url: config.databaseUrl, poolSize: config.databasePoolSize, logger })
    await db.ping(5000)
  } catch (error) {
    logger.fatal(
      { err: error, database: databaseLabel },
      'cannot open the database named by DATABASE_URL',
    )
    process.exitCode = 1
    return
  }
  try {
    const problem = await schemaProblem(db, config, logger)
    if (problem) {
      const { msg, ...fields } = problem
      logger.fatal({ ...fields, database: databaseLabel }, msg)
      await db.close()
      process.exitCode = 1
      return
    }
  } catch (error) {
    logger.fatal({ err: error, database: databaseLabel }, 'cannot migrate the database')
    await db.close()
    process.exitCode = 1
    return
  }

  // A logout on any instance reaches every instance's session cache at once.
  let sessionChanges: NotificationChannel
  try {
    sessionChanges = await openNotificationChannel(db, SESSION_CHANGES_CHANNEL, { logger })
  } catch (error) {
    logger.fatal({ err: error, database: databaseLabel }, 'cannot listen for session changes')
    await db.close()
    process.exitCode = 1
    return
  }

  const dataKeys = await loadDataKeys({
    configured: config.dataKeys,
    dataDir: config.dataDir,
    logger,
  })
  let stopping = false
  const services = createServices({ config, db, dataKeys, logger, sessionChanges })
  const app = await buildApp({
    services,
    logger,
    trustProxy: config.trustProxy,
    corsOrigins: config.corsOrigins,
    uploads: config.uploads,
    trpcFastPath: config.trpcFastPath,
    draining: () => stopping,
    cloudHosting: config.wechat.cloudHosting,
    push: config.wechat.push,
  })
  const housekeeping = startHousekeeping({
    services,
    logger,
    recheckIntervalMs: config.wechat.recheckIntervalMs,
  })

  const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
    if (stopping) return
    stopping = true
    if (config.shutdownDrainMs > 0) {
      logger.info({ signal, drainMs: config.shutdownDrainMs }, 'draining: /readyz answers 503')
      await new Promise((r) => setTimeout(r, config.shutdownDrainMs))
    }
    logger.info({ signal }, 'shutting down: finishing in-flight requests')
    const timer = setTimeout(() => {
      logger.error('shutdown timed out; exiting with requests still in flight')
      process.exit(1)
    }, config.shutdownTimeoutMs)
    timer.unref()
    try {
      housekeeping.stop()
      await app.close()
      await sessionChanges.close()
      await db.close()
      logger.info('stopped')
    } catch (error) {
      logger.error({ err: error }, 'error during shutdown')
      process.exitCode = 1
    }
  }
  process.once('SIGTERM', (s) => void shutdown(s))
  process.once('SIGINT', (s) => void shutdown(s))

  try {
    await app.listen({ host: config.host, port: config.port })
  } catch (error) {
    logger.fatal({ err: error, host: config.host, port: config.port }, 'cannot listen on HOST:PORT')
    await sessionChanges.close()
    await db.close()
    process.exitCode = 1
    return
  }
  const address = app.server.address()
  const port = typeof address === 'object' && address ? address.port : config.port
  logger.info(
    {
      url: `http://${config.host}:${port}`,
      database: databaseLabel,
      apps: config.wechat.apps.map((a) => a.appid),
      wechatApi: config.wechat.apiBase,
      // Where uploads go, never the S3 keys.
      uploads:
        config.uploads.storage.kind === 's3'
          ? {
              storage: 's3',
              endpoint: config.uploads.storage.endpoint,
              bucket: config.uploads.storage.bucket,
            }
          : { storage: 'local', dir: config.uploads.dir },
      startupMs: Math.round(performance.now() - started),
    },
    'server listening',
  )
}

void main()
