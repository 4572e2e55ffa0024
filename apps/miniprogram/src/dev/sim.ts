/*
 * H5 ONLY (required from `process.env.TARO_ENV === 'h5'` branches; never in the weapp
 * build). The browser preview has no wx.login, so the WeChat simulator stands in for
 * the WeChat app on a phone: its control endpoints give login codes, say whether the
 * WeChat session is still valid, and give getPhoneNumber codes.
 *
 * The simulated WeChat user is per browser: generated once and kept in localStorage
 * (`wxapp.dev.simUser`; a test may set it before the page loads).
 */
import type { WechatLoginSource } from '@wxapp/session/client'
import { createSimControl, SIM_DEV_APPID, simLoginSource } from '@wxapp/wechat-sim/client'
import { h5RuntimeConfig } from '../lib/env'

/** The simulator's base URL: the page's `simUrl`, else TARO_APP_SIM_URL at build time. */
export const SIM_URL: string =
  h5RuntimeConfig.simUrl ??
  (process.env.TARO_APP_SIM_URL || 'http://127.0.0.1:4000').replace(/\/+$/, '')

/**
 * The simulated mini-program: the page's `appid`, else TARO_APP_APPID at build time, else
 * the simulator's dev app.
 */
export const SIM_APPID: string =
  h5RuntimeConfig.appid ?? (process.env.TARO_APP_APPID || SIM_DEV_APPID)

const USER_KEY = 'wxapp.dev.simUser'
const PHONE_KEY = 'wxapp.dev.simPhone'
const MAX_USER_LENGTH = 64

/** localStorage, typed here (the app's type setup has no DOM); absent in private modes. */
interface BrowserStorage {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
  removeItem(key: string): void
}
const memory = new Map<string, string>()
export function storage(): BrowserStorage {
  try {
    const local = (globalThis as { localStorage?: BrowserStorage }).localStorage
    if (local) return local
  } catch {
    // Access can throw when storage is disabled.
  }
  return {
    getItem: (key) => memory.get(key) ?? null,
    setItem: (key, value) => void memory.set(key, value),
    removeItem: (key) => void memory.delete(key),
  }
}

export function randomUserName(): string {
  return `h5-user-${Math.random().toString(36).slice(2, 8)}`
}

/** The simulated WeChat user of this browser (created on first use). */
export function simUser(): string {
  const stored = storage().getItem(USER_KEY)
  if (stored) return stored
  const created = randomUserName()
  storage().setItem(USER_KEY, created)
  return created
}

/** A valid user name (1-64 characters after trimming), or null. */
export function normalizeUserName(name: string): string | null {
  const trimmed = name.trim()
  return trimmed.length >= 1 && trimmed.length <= MAX_USER_LENGTH ? trimmed : null
}

/** Becomes another simulated user. The caller logs out and in again. */
export function setSimUser(name: string): void {
  storage().setItem(USER_KEY, name)
}

/** The phone number the simulator should put behind the next phone code, if chosen. */
export function simPhone(): string {
  return storage().getItem(PHONE_KEY) ?? ''
}

export function isValidPhone(phone: string): boolean {
  return /^\d{5,15}$/.test(phone)
}

export function setSimPhone(phone: string): void {
  if (phone === '') storage().removeItem(PHONE_KEY)
  else storage().setItem(PHONE_KEY, phone)
}

export const control = createSimControl({ baseUrl: SIM_URL })

const who = () => ({ appid: SIM_APPID, user: simUser() })

/** wx.login / wx.checkSession of the current simulated user (read on every call). */
export const simSource: WechatLoginSource = {
  login: () => simLoginSource(control, who()).login(),
  checkSession: () => simLoginSource(control, who()).checkSession(),
}

/** WeChat expires the user's session_key: the next launch's checkSession fails. */
export function expireWechatSession(): Promise<void> {
  return control.expireSession(who())
}

/** Words of a comma-separated list (full-width commas too), without blanks. */
export function wordsOf(list: string): string[] {
  return list
    .split(/[,，]/)
    .map((word) => word.trim())
    .filter((word) => word !== '')
}

/** The simulator's text rules as lists to edit (its image rules stay as they are). */
export async function textRules(): Promise<{ risky: string; review: string }> {
  const rules = await control.contentRules()
  return { risky: rules.text.risky.join(','), review: rules.text.review.join(',') }
}

/** Replaces the simulator's text rules for msg_sec_check, keeping its image rules. */
export async function setTextRules(risky: string, review: string): Promise<void> {
  const rules = await control.contentRules()
  await control.setContentRules({
    text: { risky: wordsOf(risky), review: wordsOf(review) },
    images: rules.images,
  })
}

/** What a getPhoneNumber button would give this user. */
export function phoneCode(): Promise<string> {
  const phone = simPhone()
  return control.phoneCode(isValidPhone(phone) ? { ...who(), phoneNumber: phone } : who())
}
