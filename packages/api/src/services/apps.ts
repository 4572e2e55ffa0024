/*
 * The mini-programs this server serves, on every platform it logs users in
 * from. An app's appid names it (and so its platform) everywhere: in
 * `auth.login`, in the x-wx-appid header, on its sessions and users.
 */
import type { Platform } from '@wxapp/db'
import type { MiniPlatform } from '@wxapp/mini-login'
import type { AccessTokenProvider, WechatClient } from '@wxapp/wechat'
import type { Context } from '../context'
import { ReasonedError } from '../errors'

/** What a login code is exchanged for, on every platform. */
export interface CodeExchange {
  /** The user within this app (Alipay: open_id, else user_id). */
  openid: string
  unionid?: string | undefined
  /** Null where the platform has none (Alipay). Never logged nor answered. */
  sessionKey: string | null
}

/** How an app exchanges its login codes (code2Session, or Alipay's oauth.token). */
export interface CodeExchanger {
  code2Session(code: string, options?: { anonymous?: boolean }): Promise<CodeExchange>
}

/** A WeChat mini-program: its API client and its shared access token. */
export interface WechatApp {
  readonly platform: 'weapp'
  readonly appid: string
  readonly client: WechatClient
  readonly accessToken: AccessTokenProvider
  readonly login: CodeExchanger
}

/** A QQ, Douyin or Alipay mini-program: only its logins go through this server's client. */
export interface PlatformApp {
  readonly platform: MiniPlatform
  readonly appid: string
  readonly login: CodeExchanger
}

export type MiniApp = WechatApp | PlatformApp

/** The apps this server serves, by appid. */
export interface MiniApps {
  /** A WeChat app: the one a request without x-wx-appid means. */
  defaultAppid: string
  get(appid: string): MiniApp | undefined
}

/** What each platform's API and login are called, for messages. */
export const PLATFORM_NAMES: Record<Platform, { service: string; login: string }> = {
  weapp: { service: 'WeChat', login: 'wx.login' },
  qq: { service: 'QQ', login: 'qq.login' },
  tt: { service: 'Douyin', login: 'tt.login' },
  alipay: { service: 'Alipay', login: 'my.getAuthCode' },
}

/** A WeChat app whose client and access token are its own; its logins go through its client. */
export function wechatApp(client: WechatClient, accessToken: AccessTokenProvider): WechatApp {
  if (accessToken.appid !== client.appid) {
    throw new Error(`the WeChat access token of ${accessToken.appid} belongs to another app`)
  }
  const login: CodeExchanger = { code2Session: (code) => client.code2Session(code) }
  return { platform: 'weapp', appid: client.appid, client, accessToken, login }
}

export function createMiniApps(defaultAppid: string, apps: readonly MiniApp[]): MiniApps {
  const byAppid = new Map<string, MiniApp>()
  for (const app of apps) {
    // An appid names one app: the same one on two platforms could not say which.
    if (byAppid.has(app.appid)) throw new Error(`the appid ${app.appid} is configured twice`)
    byAppid.set(app.appid, app)
  }
  if (byAppid.get(defaultAppid)?.platform !== 'weapp') {
    throw new Error(`no WeChat client for the default app ${defaultAppid}`)
  }
  return { defaultAppid, get: (appid) => byAppid.get(appid) }
}

/** The app a request names (input, then x-wx-appid, then the server's default). */
export function requireApp(ctx: Context, appid: string | undefined | null): MiniApp {
  const app = ctx.services.apps.get(appid ?? ctx.appid ?? ctx.services.apps.defaultAppid)
  if (!app) throw new ReasonedError('APP_UNKNOWN')
  return app
}

/**
 * The WeChat app of a WeChat-only feature (phone numbers, encrypted data);
 * users of the other platforms are refused with PLATFORM_UNSUPPORTED.
 */
export function requireWechatApp(
  ctx: Context,
  appid: string | undefined | null,
  feature: string,
): WechatApp {
  const app = requireApp(ctx, appid)
  if (app.platform !== 'weapp') {
    throw new ReasonedError('PLATFORM_UNSUPPORTED', {
      message: `${feature} is only available on WeChat, not on ${PLATFORM_NAMES[app.platform].service}`,
    })
  }
  return app
}
