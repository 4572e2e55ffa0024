import type { ApiServices, WechatApp } from '@wxapp/api'
import { createAccessTokenCache, createRateLimiter, createWechatApps } from '@wxapp/api'
import type { Database } from '@wxapp/db'
import {
  createSecretBox,
  createSessionKeyVault,
  createSessionStore,
  dataKey,
} from '@wxapp/session/server'
import { createAccessTokenProvider, createWechatClient } from '@wxapp/wechat'
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
  const box = createSecretBox(opts.dataKeys.map(dataKey))
  // One token per app for every instance: a PostgreSQL server is shared and
  // needs the advisory lock; PGlite belongs to this process alone.
  const tokenCache = createAccessTokenCache({
    prisma: db.prisma,
    box,
    lock: db.kind === 'postgres' ? 'advisory' : 'process',
    // Long enough for a normal and a forced stable_token call, each with its retries.
    timeoutMs: 2 * (3 * config.wechat.timeoutMs + 1000) + 5000,
    onUnreadable: (appid) =>
      logger.warn({ appid }, 'stored WeChat access token cannot be opened; fetching a new one'),
  })
  const apps: WechatApp[] = config.wechat.apps.map((app) => {
    const wechatLogger = logger.child({ component: 'wechat', appid: app.appid })
    const client = createWechatClient({
      appid: app.appid,
      secret: app.secret,
      baseUrl: config.wechat.apiBase,
      timeoutMs: config.wechat.timeoutMs,
      logger: wechatLogger,
    })
    const accessToken = createAccessTokenProvider({
      client,
      cache: tokenCache,
      logger: wechatLogger,
    })
    return { appid: app.appid, client, accessToken }
  })
  const defaultApp = config.wechat.apps[0]
  if (!defaultApp) throw new Error('no WeChat app configured')
  return {
    db,
    sessions: createSessionStore({
      prisma: db.prisma,
      policy: config.sessionPolicy,
      cache: config.sessionCache,
    }),
    sessionKeys: createSessionKeyVault({ prisma: db.prisma, box }),
    apps: createWechatApps(defaultApp.appid, apps),
    rateLimiter: createRateLimiter({ prisma: db.prisma }),
    loginLimits: config.loginLimits,
  }
}
