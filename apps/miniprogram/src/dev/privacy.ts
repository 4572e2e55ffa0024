/*
 * H5 ONLY (required from a `process.env.TARO_ENV === 'h5'` branch in lib/platform.ts;
 * never in the weapp build). The browser has no WeChat to ask for privacy consent, so
 * this plays WeChat's part with the same API shapes: the app registers its listener
 * with onNeedPrivacyAuthorization, and requirePrivacyAuthorize (which the profile page
 * calls before choosing an avatar, typing a nickname or binding a phone) fires it with
 * a resolve unless this simulated user already agreed, then succeeds on
 * `{ event: 'agree', buttonId }` and fails on `{ event: 'disagree' }`, as WeChat does.
 *
 * The consent is per simulated user and appid, in localStorage like the simulated user
 * (`wxapp.dev.simPrivacy.<appid>.<user>`); the dev panel can reset it. A refusal is not
 * remembered: the next attempt asks again.
 */
import Taro from '@tarojs/taro'
import { devZhCN as d } from '../i18n/dev.zh-CN'
import type { PrivacyApis, PrivacyListener, PrivacyResolveOption } from '../lib/privacy'
import { SIM_APPID, simUser, storage } from './sim'

const consentKey = () => `wxapp.dev.simPrivacy.${SIM_APPID}.${simUser()}`

export function hasPrivacyConsent(): boolean {
  return storage().getItem(consentKey()) === 'agreed'
}

/** Forgets this simulated user's consent: the next privacy action asks again. */
export function resetPrivacyConsent(): void {
  storage().removeItem(consentKey())
}

let listener: PrivacyListener | null = null

/** The slice of the DOM the stand-in uses (the app's type setup has no DOM). */
interface Focusable {
  tagName?: string
  focus?(): void
  blur?(): void
}
interface BrowserDocument {
  activeElement: Focusable | null
  getElementById(id: string): unknown
}
const browserDocument = () => (globalThis as { document?: BrowserDocument }).document

type Callbacks<T> = {
  success?: (result: T) => void
  fail?: (result: TaroGeneral.CallbackResult) => void
  complete?: (result: TaroGeneral.CallbackResult) => void
}

/** Answers on a later tick, as WeChat does. */
function later<T extends TaroGeneral.CallbackResult>(
  option: Callbacks<T> | undefined,
  ok: boolean,
  result: T,
): void {
  setTimeout(() => {
    if (ok) option?.success?.(result)
    else option?.fail?.(result)
    option?.complete?.(result)
  }, 0)
}

export const simPrivacyApis: Required<PrivacyApis> = {
  onNeedPrivacyAuthorization(next) {
    // As in WeChat, only the last registered listener takes effect.
    listener = next
  },

  getPrivacySetting(option) {
    later(option, true, {
      needAuthorization: !hasPrivacyConsent(),
      privacyContractName: d.privacyContractName,
      errMsg: 'getPrivacySetting:ok',
    })
  },

  openPrivacyContract(option) {
    // No WeChat page to open: say what would be there.
    void Taro.showModal({
      title: d.privacyContractName,
      content: d.privacyContractStandIn,
      showCancel: false,
      confirmText: d.close,
    })
    later(option, true, { errMsg: 'openPrivacyContract:ok' })
  },

  requirePrivacyAuthorize(option) {
    if (hasPrivacyConsent()) {
      later(option, true, { errMsg: 'requirePrivacyAuthorize:ok' })
      return
    }
    if (!listener) {
      // The app registered no listener: WeChat would show its own popup; here the API fails.
      later(option, false, { errMsg: 'requirePrivacyAuthorize:fail no privacy listener' })
      return
    }
    // WeChat holds a privacy input pending: no typing behind the sheet; on agreement
    // the input gets its focus back (the keyboard opens again).
    const active = browserDocument()?.activeElement ?? null
    const input = active && /^(INPUT|TEXTAREA)$/i.test(active.tagName ?? '') ? active : null
    input?.blur?.()
    let answered = false
    const resolve = (answer: PrivacyResolveOption) => {
      if (answered || answer.event === 'exposureAuthorization') return
      answered = true
      // WeChat checks that the agree button was really there (and tapped).
      if (
        answer.event === 'agree' &&
        answer.buttonId &&
        browserDocument()?.getElementById(answer.buttonId)
      ) {
        storage().setItem(consentKey(), 'agreed')
        input?.focus?.()
        later(option, true, { errMsg: 'requirePrivacyAuthorize:ok' })
      } else {
        later(option, false, {
          errMsg: 'requirePrivacyAuthorize:fail privacy permission is not authorized',
        })
      }
    }
    listener(resolve, { referrer: 'requirePrivacyAuthorize' })
  },
}
