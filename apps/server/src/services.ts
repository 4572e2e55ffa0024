import { type ApiServices, createApiServices } from '@wxapp/api'
import type { Database, NotificationChannel } from '@wxapp/db'
import type { Logger } from 'pino'
import type { ServerConfig } from './config'
import { createUploadStore } from './uploads'

/** The API's services, configured by the server's environment. */
export function createServices(opts: {
  config: ServerConfig
  db: Database
  dataKeys: Buffer[]
  logger: Logger
  /** Absent in tests of one process. */
  sessionChanges?: NotificationChannel
}): ApiServices {
  const { config } = opts
  return createApiServices({
    db: opts.db,
    dataKeys: opts.dataKeys,
    logger: opts.logger,
    wechat: config.wechat,
    platforms: config.platforms,
    sessionPolicy: config.sessionPolicy,
    sessionCache: config.sessionCache,
    sessionChanges: opts.sessionChanges,
    loginLimits: config.loginLimits,
    files: createUploadStore(config.uploads),
  })
}
