import type { Database } from '@wxapp/db'
import {
  createAlipayLoginClient,
  createQqLoginClient,
  createTtLoginClient,
  type MiniLoginConfig,
} from '@wxapp/mini-login'
import {
  createSecretBox,
  createSessionKeyVault,
  createSessionStore,
  dataKey,
  type SessionCacheOptions,
  type SessionChangeChannel,
  type SessionPolicy,
} from '@wxapp/session/server'
import type { ObjectStore } from '@wxapp/storage'
import { createAccessTokenProvider, createWechatClient, type WechatLogger } from '@wxapp/wechat'
import type { ApiLogger, ApiServices, LoginLimits } from '../context'
import { createAccessTokenCache } from './access-token-cache'
import { createMiniApps, type MiniApp, type PlatformApp, wechatApp } from './apps'
import { createRateLimiter } from './rate-limit'

/** A logger that can name a part of the server (pino's fits). */
export type ServicesLogger = ApiLogger &
  WechatLogger & { child(bindings: Record<string, unknown>): ServicesLogger }

export interface ApiServicesOptions {
  db: Database
  /** Keys that seal session_keys and access tokens at rest; the first seals, all open. */
  dataKeys: Buffer[]
  logger: ServicesLogger
  wechat: {
    /** The default app first. */
    apps: readonly { appid: string; secret: string }[]
    apiBase: string
    timeoutMs: number
  }
  /** The QQ, Douyin and Alipay apps (parseMiniLoginEnv); none when absent. */
  platforms?: MiniLoginConfig
  sessionPolicy?: Partial<SessionPolicy>
  sessionCache?: SessionCacheOptions
  /** How the instances' session caches hear of each other's revocations (none: only ttl bounds them). */
  sessionChanges?: SessionChangeChannel
  loginLimits: LoginLimits
  /** The object store of users' uploads. */
  files: ObjectStore
  /** The clock of sessions and rate limits (tests move it). */
  now?: () => Date
}

/** The long-lived services every request shares, built once at start (and by the tests). */
export function createApiServices(opts: ApiServicesOptions): ApiServices {
  const { db, logger, wechat } = opts
  const box = createSecretBox(opts.dataKeys.map(dataKey))
  // One token per app for every instance: a PostgreSQL server is shared and
  // needs the advisory lock; PGlite belongs to this process alone.
  const tokenCache = createAccessTokenCache({
    prisma: db.prisma,
    box,
    lock: db.kind === 'postgres' ? 'advisory' : 'process',
    // Long enough for a normal and a forced stable_token call, each with its retries.
    timeoutMs: 2 * (3 * wechat.timeoutMs + 1000) + 5000,
    onUnreadable: (appid) =>
      logger.warn({ appid }, 'stored WeChat access token cannot be opened; fetching a new one'),
  })
  const apps: MiniApp[] = wechat.apps.map(({ appid, secret }) => {
    const wechatLogger = logger.child({ component: 'wechat', appid })
    const client = createWechatClient({
      appid,
      secret,
      baseUrl: wechat.apiBase,
      timeoutMs: wechat.timeoutMs,
      logger: wechatLogger,
    })
    const accessToken = createAccessTokenProvider({
      client,
      cache: tokenCache,
      logger: wechatLogger,
    })
    return wechatApp(client, accessToken)
  })
  if (opts.platforms) apps.push(...platformApps(opts.platforms, logger, wechat.timeoutMs))
  const defaultApp = wechat.apps[0]
  if (!defaultApp) throw new Error('no WeChat app configured')
  return {
    db,
    sessions: createSessionStore({
      db,
      policy: opts.sessionPolicy,
      cache: opts.sessionCache,
      changes: opts.sessionChanges,
      now: opts.now,
    }),
    sessionKeys: createSessionKeyVault({ prisma: db.prisma, box }),
    apps: createMiniApps(defaultApp.appid, apps),
    rateLimiter: createRateLimiter({ prisma: db.prisma, now: opts.now }),
    loginLimits: opts.loginLimits,
    files: opts.files,
  }
}

/** The QQ, Douyin and Alipay apps: a login client each, logging as its platform. */
function platformApps(
  config: MiniLoginConfig,
  logger: ServicesLogger,
  timeoutMs: number,
): PlatformApp[] {
  const log = (platform: string, appid: string) =>
    logger.child({ component: 'mini-login', platform, appid })
  const qq = config.qq.apps.map(({ appid, secret }): PlatformApp => {
    const client = createQqLoginClient({
      appid,
      secret,
      baseUrl: config.qq.baseUrl,
      timeoutMs,
      logger: log('qq', appid),
    })
    return { platform: 'qq', appid, login: { code2Session: (code) => client.code2Session(code) } }
  })
  const tt = config.tt.apps.map(({ appid, secret }): PlatformApp => {
    const client = createTtLoginClient({
      appid,
      secret,
      baseUrl: config.tt.baseUrl,
      timeoutMs,
      logger: log('tt', appid),
    })
    return {
      platform: 'tt',
      appid,
      login: { code2Session: (code, o) => client.code2Session(code, { anonymous: o?.anonymous }) },
    }
  })
  const alipay: PlatformApp[] = []
  if (config.alipay) {
    const { appid, privateKey, alipayPublicKey, gateway } = config.alipay
    const client = createAlipayLoginClient({
      appid,
      privateKey,
      alipayPublicKey,
      gateway,
      timeoutMs,
      logger: log('alipay', appid),
    })
    alipay.push({
      platform: 'alipay',
      appid,
      login: { code2Session: (code) => client.code2Session(code) },
    })
  }
  return [...qq, ...tt, ...alipay]
}
