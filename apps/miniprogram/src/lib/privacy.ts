/*
 * WeChat's privacy authorization (用户隐私保护指引), one module for the whole app.
 *
 * A privacy API or component (chooseAvatar, <input type="nickname">, getPhoneNumber)
 * used before the user agreed to the app's privacy guide makes WeChat fire
 * `wx.onNeedPrivacyAuthorization(resolve)` and hold the API pending. The app shows
 * its own sheet (components/PrivacySheet.tsx) and answers `resolve({ event: 'agree',
 * buttonId })` with the id of the tapped `<button open-type="agreePrivacyAuthorization">`
 * (the base library checks that this button was tapped), or `resolve({ event:
 * 'disagree' })`, after which the API fails and the action simply does not happen.
 *
 * Only the last registered listener takes effect, so this module registers the one
 * listener (startPrivacy(), at launch) and holds the pending resolves; the sheet
 * subscribes to them. In H5 there is no WeChat: src/dev/privacy.ts plays its part
 * (platform.ts picks it), and the profile page asks `requirePrivacy()` before acting.
 */
import type Taro from '@tarojs/taro'
import { useEffect, useState } from 'react'
import { capabilities, privacyApis } from './platform'

/** What a listener's `resolve` accepts. */
export type PrivacyResolveOption = Taro.onNeedPrivacyAuthorization.ResolveOption
export type PrivacyResolve = (option: PrivacyResolveOption) => void
export type PrivacyListener = Taro.onNeedPrivacyAuthorization.Listener

/**
 * The privacy APIs as the running WeChat offers them. Taro's typings declare them on
 * every Taro object, but Taro copies only the APIs `wx` has (base library 2.32.3+ for
 * these): on an older WeChat `Taro.onNeedPrivacyAuthorization` is undefined. Hence
 * optional, here, in one place. `requirePrivacyAuthorize` is what the H5 stand-in
 * needs; in weapp WeChat's own components and APIs ask.
 */
export type PrivacyApis = Partial<
  Pick<
    typeof Taro,
    | 'onNeedPrivacyAuthorization'
    | 'getPrivacySetting'
    | 'openPrivacyContract'
    | 'requirePrivacyAuthorize'
  >
>

/** A request for consent the sheet shows: WeChat is waiting for an answer. */
export interface PrivacyRequest {
  /** Increases with each new request (a new sheet). */
  id: number
  /** The API or component that asked (WeChat's eventInfo.referrer). */
  referrer: string
}

let started = false
let request: PrivacyRequest | null = null
/** Every resolve WeChat handed over while the sheet was open (all get the one answer). */
let resolves: PrivacyResolve[] = []
let sequence = 0
const listeners: Array<(request: PrivacyRequest | null) => void> = []

function notify(): void {
  for (const listener of listeners.slice()) listener(request)
}

/** The listener WeChat calls; the latest request is the one shown. */
const onNeedAuthorization: PrivacyListener = (resolve, eventInfo) => {
  resolves.push(resolve)
  request = { id: ++sequence, referrer: eventInfo?.referrer ?? '' }
  notify()
}

/**
 * Registers the app's one onNeedPrivacyAuthorization listener (at launch). On a WeChat
 * without the API there is nothing to register: WeChat then asks by itself, if at all.
 */
export function startPrivacy(): void {
  if (started) return
  started = true
  privacyApis().onNeedPrivacyAuthorization?.(onNeedAuthorization)
}

export function currentPrivacyRequest(): PrivacyRequest | null {
  return request
}

export function subscribePrivacy(listener: (request: PrivacyRequest | null) => void): () => void {
  listeners.push(listener)
  return () => {
    const index = listeners.indexOf(listener)
    if (index >= 0) listeners.splice(index, 1)
  }
}

/** The pending request (null when WeChat waits for nothing), re-rendering on changes. */
export function usePrivacyRequest(): PrivacyRequest | null {
  const [current, setCurrent] = useState(request)
  useEffect(() => {
    setCurrent(request)
    return subscribePrivacy(setCurrent)
  }, [])
  return current
}

function answer(option: PrivacyResolveOption): boolean {
  const pending = resolves
  if (pending.length === 0) return false
  resolves = []
  request = null
  for (const resolve of pending) resolve(option)
  notify()
  return true
}

/** Tells WeChat the sheet is on screen (before agree / disagree, as WeChat asks). */
export function reportPrivacyExposure(): void {
  for (const resolve of resolves) resolve({ event: 'exposureAuthorization' })
}

/** The user tapped the agree button `buttonId`: the pending APIs go on. */
export function agreePrivacy(buttonId: string): boolean {
  return answer({ event: 'agree', buttonId })
}

/** The user declined: the pending APIs fail, the rest of the app stays usable. */
export function declinePrivacy(): boolean {
  return answer({ event: 'disagree' })
}

/** The privacy guide's name as configured in WeChat's admin console, if WeChat says. */
export function privacyContractName(): Promise<string | null> {
  const { getPrivacySetting } = privacyApis()
  if (!getPrivacySetting) return Promise.resolve(null)
  return new Promise((resolve) => {
    getPrivacySetting({
      success: (result) => resolve(result.privacyContractName || null),
      fail: () => resolve(null),
    })
  })
}

/** Opens the privacy guide (WeChat's own page). False when it could not. */
export function openPrivacyContract(): Promise<boolean> {
  const { openPrivacyContract: open } = privacyApis()
  if (!open) return Promise.resolve(false)
  return new Promise((resolve) => {
    open({ success: () => resolve(true), fail: () => resolve(false) })
  })
}

/**
 * Whether an action that uses personal data may go on. In weapp WeChat's components
 * and APIs ask by themselves (through the listener above): always true, as on the
 * platforms without WeChat's privacy check. In H5 the stand-in asks through the same
 * listener first, unless this simulated user agreed.
 */
export function requirePrivacy(): Promise<boolean> {
  if (capabilities.privacyAuthorization !== 'simulator') return Promise.resolve(true)
  const { requirePrivacyAuthorize } = privacyApis()
  if (!requirePrivacyAuthorize) return Promise.resolve(true)
  return new Promise((resolve) => {
    requirePrivacyAuthorize({ success: () => resolve(true), fail: () => resolve(false) })
  })
}

/** A failure of a privacy API the user did not authorize (WeChat's errMsg). */
export function isPrivacyRefusal(error: unknown): boolean {
  const errMsg = error && typeof error === 'object' ? (error as { errMsg?: unknown }).errMsg : null
  return typeof errMsg === 'string' && /privacy/i.test(errMsg)
}
