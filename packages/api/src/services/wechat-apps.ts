import type { WechatClient } from '@wxapp/wechat'

/** The mini-programs this server serves, by appid. */
export interface WechatApps {
  defaultAppid: string
  get(appid: string): WechatClient | undefined
}

export function createWechatApps(
  defaultAppid: string,
  clients: Map<string, WechatClient>,
): WechatApps {
  if (!clients.has(defaultAppid))
    throw new Error(`no WeChat client for the default app ${defaultAppid}`)
  return { defaultAppid, get: (appid) => clients.get(appid) }
}
