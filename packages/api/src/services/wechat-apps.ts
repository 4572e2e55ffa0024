import type { AccessTokenProvider, WechatClient } from '@wxapp/wechat'
import type { Context } from '../context'
import { ReasonedError } from '../errors'

/** One mini-program this server serves: its API client and its shared access token. */
export interface WechatApp {
  readonly appid: string
  readonly client: WechatClient
  readonly accessToken: AccessTokenProvider
}

/** The mini-programs this server serves, by appid. */
export interface WechatApps {
  defaultAppid: string
  get(appid: string): WechatApp | undefined
}

export function createWechatApps(defaultAppid: string, apps: readonly WechatApp[]): WechatApps {
  const byAppid = new Map<string, WechatApp>()
  for (const app of apps) {
    if (app.client.appid !== app.appid || app.accessToken.appid !== app.appid) {
      throw new Error(`the WeChat client and access token of ${app.appid} belong to another app`)
    }
    byAppid.set(app.appid, app)
  }
  if (!byAppid.has(defaultAppid))
    throw new Error(`no WeChat client for the default app ${defaultAppid}`)
  return { defaultAppid, get: (appid) => byAppid.get(appid) }
}

/** The app a request names (input, then x-wx-appid, then the server's default). */
export function requireApp(ctx: Context, appid: string | undefined | null): WechatApp {
  const app = ctx.services.apps.get(appid ?? ctx.appid ?? ctx.services.apps.defaultAppid)
  if (!app) throw new ReasonedError('APP_UNKNOWN')
  return app
}
