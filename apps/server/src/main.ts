import { applyMigrations, openDatabase, redactDatabaseUrl } from '@wxapp/db'
import { configOrExit } from '@wxapp/env'
import { buildApp } from './app'
import { loadConfig } from './config'
import { loadDataKeys } from './data-key'
import { startHousekeeping } from './housekeeping'
import { createLogger } from './logger'
import { createServices } from './services'

async function main(): Promise<void> {
  const config = configOrExit(() => loadConfig())

  const logger = createLogger(config.logLevel)
  const started = performance.now()
  const databaseLabel = redactDatabaseUrl(config.databaseUrl)

  let db: Awaited<ReturnType<typeof openDatabase>>
  try {
    db = await openDatabase({ url: config.databaseUrl, poolSize: config.databasePoolSize, logger })
    await db.ping(5000)
    if (config.migrateOnStart) {
      const applied = await applyMigrations(db)
      if (applied.length > 0) logger.info({ migrations: applied }, 'applied database migrations')
    }
  } catch (error) {
    logger.fatal(
      { err: error, database: databaseLabel },
      'cannot open the database named by DATABASE_URL',
    )
    process.exitCode = 1
    return
  }

  const dataKeys = await loadDataKeys({
    configured: config.dataKeys,
    dataDir: config.dataDir,
    logger,
  })
  const services = createServices({ config, db, dataKeys, logger })
  const app = await buildApp({
    services,
    logger,
    trustProxy: config.trustProxy,
    corsOrigins: config.corsOrigins,
    uploads: config.uploads,
    trpcFastPath: config.trpcFastPath,
  })
  const housekeeping = startHousekeeping({ services, logger })

  let stopping = false
  const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
    if (stopping) return
    stopping = true
    logger.info({ signal }, 'shutting down: finishing in-flight requests')
    const timer = setTimeout(() => {
      logger.error('shutdown timed out; exiting with requests still in flight')
      process.exit(1)
    }, config.shutdownTimeoutMs)
    timer.unref()
    try {
      housekeeping.stop()
      await app.close()
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
