import type { Database } from '@wxapp/db'
import type { SessionKeyVault, SessionStore } from '@wxapp/session/server'
import type { ObjectStore } from '@wxapp/storage'
import type { CloudIdentity } from './cloud-identity'
import type { MiniApps } from './services/apps'
import type { RateLimiter } from './services/rate-limit'

export interface LoginLimits {
  /** Logins per client IP per minute; 0 turns the limit off. */
  perIpPerMinute: number
  /** Logins per WeChat user (appid + openid) per minute; 0 turns the limit off. */
  perUserPerMinute: number
}

/** Long-lived services, built once at start and shared by every request. */
export interface ApiServices {
  db: Database
  sessions: SessionStore
  sessionKeys: SessionKeyVault
  apps: MiniApps
  rateLimiter: RateLimiter
  loginLimits: LoginLimits
  /** Where users' uploads are kept (avatars): content checks and account deletion remove files. */
  files: ObjectStore
}

/** A structured logger (pino's fits). */
export interface ApiLogger {
  info(details: object, message: string): void
  warn(details: object, message: string): void
  error(details: object, message: string): void
}

/** What every procedure sees. Built per request by the HTTP adapter. */
export interface Context {
  services: ApiServices
  requestId: string
  /** The client's address (behind a proxy, as the server's TRUST_PROXY setting decides). */
  clientIp: string
  /** The bearer token of the Authorization header, if any. */
  token: string | null
  /** The mini-program named by the x-wx-appid header, if any. */
  appid: string | null
  /**
   * Who WeChat Cloud Hosting's gateway says is calling (its X-WX-* headers),
   * or null: always null unless the server runs with WECHAT_CLOUD_HOSTING
   * (see cloud-identity.ts). Only `auth.login` reads it.
   */
  cloudIdentity: CloudIdentity | null
  log: ApiLogger
}
