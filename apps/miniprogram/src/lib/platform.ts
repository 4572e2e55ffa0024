/*
 * THE one place for what differs between the platforms the app is built for: WeChat
 * (weapp), the H5 preview (h5), QQ (qq), Douyin (tt) and Alipay (alipay). Pages read
 * `capabilities` (what this build can do), not platform names.
 *
 * Where login codes come from, which appid the app is, what it says about the device:
 * H5 has no wx.login: its login source, appid and phone codes come from the WeChat
 * simulator (src/dev/). Those modules are required inside `process.env.TARO_ENV ===
 * 'h5'` branches, which the other builds turn into `if (false)` and drop, so none of
 * the simulator code ships in a mini-program (test/build-output.test.ts checks).
 *
 * QQ, Douyin and Alipay builds run the same pages with what those platforms offer
 * (see CAPABILITIES), and log in with their own code: `Taro.login` on WeChat and QQ,
 * `tt.login` on Douyin (its anonymousCode for a user not logged in to Douyin), and
 * `my.getAuthCode` with `auth_base` on Alipay (see loginSource).
 */
import Taro from '@tarojs/taro'
import {
  type AlipayAuthApi,
  alipayLoginSource,
  type ClientInfo,
  type LoginSource,
  type TtLoginApi,
  taroLoginSource,
  ttLoginSource,
} from '@wxapp/session/client'
import type { PrivacyApis } from './privacy'

/*
 * The platforms' own globals, for login: Taro.login on Douyin calls tt.login without
 * `force: false` (Douyin's login window for a user not logged in to Douyin), and on
 * Alipay the session package asks my.getAuthCode for auth_base itself rather than
 * rely on Taro's login alias. Only the slices used are declared; each is named
 * inside its platform's TARO_ENV branch only.
 */
declare const tt: TtLoginApi
declare const my: AlipayAuthApi

/** The platforms the app is built for (`taro build --type <platform>`). */
export const PLATFORMS = ['weapp', 'h5', 'qq', 'tt', 'alipay'] as const
export type Platform = (typeof PLATFORMS)[number]

/** What a platform offers the pages. */
export interface Capabilities {
  /**
   * How the avatar is picked. `chooseAvatar`: WeChat's `<button open-type="chooseAvatar">`
   * (WeChat avatar, album or camera). `browserFile`: the H5 preview's file chooser
   * (Taro.chooseImage). `chooseImage`: no avatar button on this platform, so an image
   * from the album or camera (Taro.chooseImage), and the page says so.
   */
  avatarPicker: 'chooseAvatar' | 'browserFile' | 'chooseImage'
  /**
   * The nickname field's `<Input type>`: `nickname` offers the WeChat nickname above
   * the keyboard (and WeChat reviews it); elsewhere a plain text field.
   */
  nicknameInputType: 'nickname' | 'text'
  /**
   * Where a code for `user.bindPhone` comes from. `getPhoneNumberButton`: WeChat's
   * `<button open-type="getPhoneNumber">` (the server exchanges WeChat's phone code).
   * `simulator`: the H5 preview's WeChat simulator. `unavailable`: this platform's phone
   * number flow (Douyin's and Alipay's encrypted data, none in QQ) is not one the server
   * understands: the button is disabled and the page says why.
   */
  phoneNumber: 'getPhoneNumberButton' | 'simulator' | 'unavailable'
  /**
   * Whether the platform can tell that the last login's session is still valid
   * (`checkSession`), i.e. whether loginSource() has one. Alipay cannot: a warm launch
   * goes by the stored token's own validity, and a token the server refuses starts a
   * re-login.
   */
  checkSession: boolean
  /**
   * WeChat's privacy authorization (用户隐私保护指引): `wechat` registers
   * onNeedPrivacyAuthorization and answers with an agreePrivacyAuthorization button;
   * `simulator` is the H5 stand-in (src/dev/privacy.ts), asked before each action;
   * `none`: the platform has no such API (QQ, Douyin and Alipay ask by their own means,
   * outside the app), so the sheet never shows.
   */
  privacyAuthorization: 'wechat' | 'simulator' | 'none'
  /** Taro draws the tab bar inside the page (H5), so overlays keep clear of it. */
  tabBarInPage: boolean
}

/**
 * Per platform, from Taro 4.2's component typings (`@supported` of Button's open-type
 * values and Input's types) and the platforms' API lists (test/platform.test.ts pins it).
 */
export const CAPABILITIES: Readonly<Record<Platform, Readonly<Capabilities>>> = {
  weapp: {
    avatarPicker: 'chooseAvatar',
    nicknameInputType: 'nickname',
    phoneNumber: 'getPhoneNumberButton',
    checkSession: true,
    privacyAuthorization: 'wechat',
    tabBarInPage: false,
  },
  h5: {
    avatarPicker: 'browserFile',
    nicknameInputType: 'text',
    phoneNumber: 'simulator',
    checkSession: true,
    privacyAuthorization: 'simulator',
    tabBarInPage: true,
  },
  qq: {
    avatarPicker: 'chooseImage',
    nicknameInputType: 'text',
    phoneNumber: 'unavailable',
    checkSession: true,
    privacyAuthorization: 'none',
    tabBarInPage: false,
  },
  tt: {
    avatarPicker: 'chooseImage',
    nicknameInputType: 'text',
    phoneNumber: 'unavailable',
    checkSession: true,
    privacyAuthorization: 'none',
    tabBarInPage: false,
  },
  alipay: {
    avatarPicker: 'chooseImage',
    nicknameInputType: 'text',
    phoneNumber: 'unavailable',
    checkSession: false,
    privacyAuthorization: 'none',
    tabBarInPage: false,
  },
}

/** The platform a `TARO_ENV` names; a build without one is weapp (as config/index.ts). */
export function platformOf(env: string | undefined): Platform {
  const name = env ?? 'weapp'
  const known = PLATFORMS.find((candidate) => candidate === name)
  if (!known) throw new Error(`Unsupported platform (TARO_ENV): ${name}`)
  return known
}

/** The platform this build runs on (Taro replaces `process.env.TARO_ENV` at build time). */
export const platform: Platform = platformOf(process.env.TARO_ENV)

/** What this build can do: the pages read these. */
export const capabilities: Readonly<Capabilities> = CAPABILITIES[platform]

type SimModule = typeof import('../dev/sim')

/** The H5 preview's simulator bindings (H5 builds only). */
export function simModule(): SimModule {
  // The require must sit in the branch itself: webpack drops dead branches, not code
  // after a throw.
  if (process.env.TARO_ENV === 'h5') return require('../dev/sim')
  throw new Error('The WeChat simulator is H5-only')
}

/** Douyin's environment info (tt.getEnvInfoSync), which Taro's typings do not declare. */
type EnvInfoApi = { getEnvInfoSync?: () => { microapp?: { appId?: string } } }

/**
 * The mini-program's appid: the platform's account info, or the simulated app in H5.
 * Douyin has no getAccountInfoSync: its getEnvInfoSync says the appid.
 */
export function currentAppid(): string {
  if (process.env.TARO_ENV === 'h5') return simModule().SIM_APPID
  if (process.env.TARO_ENV === 'tt') {
    return (Taro as unknown as EnvInfoApi).getEnvInfoSync?.().microapp?.appId ?? ''
  }
  return Taro.getAccountInfoSync().miniProgram.appId
}

/**
 * This platform's login source: the simulator's stand-ins in H5, Taro.login /
 * Taro.checkSession on WeChat and QQ, the `tt` and `my` globals on Douyin and Alipay.
 * One branch per TARO_ENV, so each build keeps only its own.
 */
export function loginSource(): LoginSource {
  if (process.env.TARO_ENV === 'h5') return simModule().simSource
  if (process.env.TARO_ENV === 'tt') return ttLoginSource(tt)
  if (process.env.TARO_ENV === 'alipay') return alipayLoginSource(my)
  return taroLoginSource(Taro)
}

/** A code for `user.bindPhone` in H5 (`capabilities.phoneNumber === 'simulator'`). */
export function h5PhoneCode(): Promise<string> {
  if (process.env.TARO_ENV === 'h5') return simModule().phoneCode()
  return Promise.reject(new Error('Phone codes come from the getPhoneNumber button'))
}

/**
 * WeChat's privacy APIs (those this WeChat has), or the H5 stand-in that plays them
 * with a consent per simulated user (src/dev/privacy.ts); none on the other platforms.
 */
export function privacyApis(): PrivacyApis {
  if (process.env.TARO_ENV === 'h5') return require('../dev/privacy').simPrivacyApis
  if (capabilities.privacyAuthorization === 'none') return {}
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
