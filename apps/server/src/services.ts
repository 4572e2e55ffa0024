import type { ApiServices } from '@wxapp/api'
import { createRateLimiter, createWechatApps } from '@wxapp/api'
import type { Database } from '@wxapp/db'
import {
  createSecretBox,
  createSessionKeyVault,
  createSessionStore,
  dataKey,
} from '@wxapp/session/server'
import { createWechatClient, type WechatClient } from '@wxapp/wechat'
import type { Logger } from 'pino'
import type { ServerConfig } from './config'

/** The long-lived services every request shares. */
export function createServices(opts: {
  config: ServerConfig
  db: Database
  dataKeys: Buffer[]
  logger: Logger
}): ApiServices {
  const { config, db, logger } = opts
  const clients = new Map<string, WechatClient>()
  for (const app of config.wechat.apps) {
    clients.set(
      app.appid,
      createWechatClient({
        appid: app.appid,
        secret: app.secret,
        baseUrl: config.wechat.apiBase,
        timeoutMs: config.wechat.timeoutMs,
        logger: logger.child({ component: 'wechat', appid: app.appid }),
      }),
    )
  }
  const defaultApp = config.wechat.apps[0]
  if (!defaultApp) throw new Error('no WeChat app configured')
  return {
    db,
    sessions: createSessionStore({ prisma: db.prisma, policy: config.sessionPolicy }),
    sessionKeys: createSessionKeyVault({
      prisma: db.prisma,
      box: createSecretBox(opts.dataKeys.map(dataKey)),
    }),
    apps: createWechatApps(defaultApp.appid, clients),
    rateLimiter: createRateLimiter({ prisma: db.prisma }),
    loginLimits: config.loginLimits,
  }
}
