/*
 * What differs between the WeChat runtime and the H5 preview: where login codes come
 * from, which appid the app is, what it says about the device.
 *
 * H5 has no wx.login: its login source, appid and phone codes come from the WeChat
 * simulator (src/dev/). Those modules are required inside `process.env.TARO_ENV ===
 * 'h5'` branches, which the weapp build turns into `if (false)` and drops, so none of
 * the simulator code ships in the mini-program (test/build-output.test.ts checks).
 */
import Taro from '@tarojs/taro'
import { type ClientInfo, taroLoginSource, type WechatLoginSource } from '@wxapp/session/client'
import type { PrivacyApis } from './privacy'

type SimModule = typeof import('../dev/sim')

/** The H5 preview's simulator bindings (H5 builds only). */
export function simModule(): SimModule {
  // The require must sit in the branch itself: webpack drops dead branches, not code
  // after a throw.
  if (process.env.TARO_ENV === 'h5') return require('../dev/sim')
  throw new Error('The WeChat simulator is H5-only')
}

/** The mini-program's appid: WeChat's account info, or the simulated app in H5. */
export function currentAppid(): string {
  if (process.env.TARO_ENV === 'h5') return simModule().SIM_APPID
  return Taro.getAccountInfoSync().miniProgram.appId
}

/** wx.login / wx.checkSession, or the simulator's stand-ins in H5. */
export function loginSource(): WechatLoginSource {
  if (process.env.TARO_ENV === 'h5') return simModule().simSource
  return taroLoginSource(Taro)
}

/** A code for `user.bindPhone` in H5, where no getPhoneNumber button gives one. */
export function h5PhoneCode(): Promise<string> {
  if (process.env.TARO_ENV === 'h5') return simModule().phoneCode()
  return Promise.reject(new Error('Phone codes come from the getPhoneNumber button'))
}

/**
 * WeChat's privacy APIs (those this WeChat has), or the H5 stand-in that plays them
 * with a consent per simulated user (src/dev/privacy.ts).
 */
export function privacyApis(): PrivacyApis {
  if (process.env.TARO_ENV === 'h5') return require('../dev/privacy').simPrivacyApis
  return Taro
}

/** The server keeps at most 64 characters a field; 'unknown' is no information. */
function field(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined
  const trimmed = value.trim()
  return trimmed === '' || trimmed === 'unknown' ? undefined : trimmed.slice(0, 64)
}

/** Sent with each login, shown in the session list. */
export function clientInfo(): ClientInfo {
  const info: ClientInfo = { platform: process.env.TARO_ENV ?? 'weapp' }
  try {
    const system = Taro.getSystemInfoSync()
    const model = field(system.model)
    const os = field(system.system)
    const version = field(system.version)
    if (model) info.model = model
    if (os) info.system = os
    if (version) info.version = version
  } catch {
    // Device details are a nicety: log in without them.
  }
  return info
}
