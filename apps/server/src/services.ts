import { type ApiServices, createApiServices } from '@wxapp/api'
import type { Database } from '@wxapp/db'
import type { Logger } from 'pino'
import type { ServerConfig } from './config'

/** The API's services, configured by the server's environment. */
export function createServices(opts: {
  config: ServerConfig
  db: Database
  dataKeys: Buffer[]
  logger: Logger
}): ApiServices {
  const { config } = opts
  return createApiServices({
    db: opts.db,
    dataKeys: opts.dataKeys,
    logger: opts.logger,
    wechat: config.wechat,
    sessionPolicy: config.sessionPolicy,
    sessionCache: config.sessionCache,
    loginLimits: config.loginLimits,
  })
}
