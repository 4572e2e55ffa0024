/*
 * H5 ONLY: the simulator panel of the browser preview (required from an H5-only
 * branch in app.tsx; never in the weapp build). A floating button opens a sheet that
 * shows and switches the simulated WeChat user, expires its WeChat session, sets the
 * phone number behind the bind-phone button's code, resets the privacy consent, and sets
 * the words the simulated content security refuses or sends to review.
 */
import { Button, Input, Text, View } from '@tarojs/components'
import { useState } from 'react'
import { disabledProps } from '../components/disabled'
import { devZhCN as d } from '../i18n/dev.zh-CN'
import { logout, startAccount, useAccount } from '../lib/account'
import { hasPrivacyConsent, resetPrivacyConsent } from './privacy'
import {
  expireWechatSession,
  isValidPhone,
  normalizeUserName,
  randomUserName,
  SIM_APPID,
  SIM_URL,
  setSimPhone,
  setSimUser,
  setTextRules,
  simPhone,
  simUser,
  textRules,
} from './sim'
import './dev-panel.css'

interface Notice {
  kind: 'ok' | 'error'
  text: string
}

const STATUS_TEXT = {
  loading: d.statusLoading,
  ready: d.statusReady,
  error: d.statusError,
  'logged-out': d.statusLoggedOut,
} as const

function reload() {
  const location = (globalThis as { location?: { reload(): void } }).location
  location?.reload()
}

export function DevPanel() {
  const account = useAccount()
  const [open, setOpen] = useState(false)
  const [user, setUserName] = useState(simUser)
  const [draft, setDraft] = useState('')
  const [phone, setPhone] = useState(simPhone)
  const [busy, setBusy] = useState(false)
  const [expired, setExpired] = useState(false)
  const [privacyAgreed, setPrivacyAgreed] = useState(hasPrivacyConsent)
  const [notice, setNotice] = useState<Notice | null>(null)
  const [risky, setRisky] = useState('')
  const [review, setReview] = useState('')

  const show = () => {
    setUserName(simUser())
    setPhone(simPhone())
    setPrivacyAgreed(hasPrivacyConsent())
    setNotice(null)
    setOpen(true)
    textRules().then(
      (rules) => {
        setRisky(rules.risky)
        setReview(rules.review)
      },
      () => setNotice({ kind: 'error', text: d.simFailed }),
    )
  }

  // The simulator's msg_sec_check decides nicknames by these words.
  const saveContentRules = async () => {
    setBusy(true)
    try {
      await setTextRules(risky, review)
      setNotice({ kind: 'ok', text: d.contentRulesSaved })
    } catch {
      setNotice({ kind: 'error', text: d.simFailed })
    } finally {
      setBusy(false)
    }
  }

  // A new WeChat user: end this session (server and local), then log in as that user.
  const switchTo = async (name: string | null) => {
    if (!name) {
      setNotice({ kind: 'error', text: d.userInvalid })
      return
    }
    setBusy(true)
    setNotice(null)
    try {
      await logout()
      setSimUser(name)
      setUserName(name)
      setPrivacyAgreed(hasPrivacyConsent())
      setDraft('')
      setExpired(false)
      await startAccount()
      setNotice({ kind: 'ok', text: d.switched(name) })
    } finally {
      setBusy(false)
    }
  }

  const expire = async () => {
    setBusy(true)
    setNotice(null)
    try {
      await expireWechatSession()
      setExpired(true)
      setNotice({ kind: 'ok', text: d.expired })
    } catch {
      setNotice({ kind: 'error', text: d.simFailed })
    } finally {
      setBusy(false)
    }
  }

  // The simulated user's privacy consent goes: the next avatar, nickname or phone asks.
  const resetPrivacy = () => {
    resetPrivacyConsent()
    setPrivacyAgreed(false)
    setNotice({ kind: 'ok', text: d.privacyReset })
  }

  const savePhone = (value: string) => {
    const trimmed = value.trim()
    setPhone(trimmed)
    if (trimmed !== '' && !isValidPhone(trimmed)) {
      setNotice({ kind: 'error', text: d.phoneInvalid })
      return
    }
    setSimPhone(trimmed)
    if (trimmed !== '') setNotice({ kind: 'ok', text: d.phoneSaved })
  }

  return (
    <>
      <View id="dev-panel-toggle" className="dev-fab" onClick={show}>
        <Text className="dev-fab__text">{d.toggle}</Text>
      </View>
      {open && (
        <View className="dev-mask" onClick={() => setOpen(false)}>
          <View id="dev-panel" className="dev-sheet" onClick={(event) => event.stopPropagation()}>
            <View className="dev-sheet__header">
              <View className="dev-sheet__heading">
                <Text className="dev-sheet__title">{d.title}</Text>
                <Text className="dev-sheet__subtitle">{d.subtitle}</Text>
              </View>
              <Text
                id="dev-panel-close"
                className="dev-sheet__close"
                onClick={() => setOpen(false)}
              >
                {d.close}
              </Text>
            </View>

            <View className="dev-row">
              <Text className="dev-row__label">{d.simUser}</Text>
              <Text id="dev-sim-user" className="dev-row__value">
                {user}
              </Text>
            </View>
            <View className="dev-row">
              <Text className="dev-row__label">{d.loginStatus}</Text>
              <Text id="dev-login-status" className="dev-row__value">
                {STATUS_TEXT[account.status]}
              </Text>
            </View>

            <Text className="dev-section">{d.switchSection}</Text>
            <View className="dev-inline">
              <Input
                id="dev-user-input"
                className="dev-input"
                value={draft}
                placeholder={d.userPlaceholder}
                onInput={(event) => setDraft(event.detail.value)}
                onConfirm={() => void switchTo(normalizeUserName(draft))}
              />
              <Button
                id="dev-switch-user"
                {...disabledProps(busy, 'dev-btn dev-btn--primary')}
                onClick={() => void switchTo(normalizeUserName(draft))}
              >
                {d.switchUser}
              </Button>
            </View>
            <Button
              id="dev-random-user"
              {...disabledProps(busy, 'dev-btn dev-btn--block')}
              onClick={() => void switchTo(randomUserName())}
            >
              {d.randomUser}
            </Button>

            <Text className="dev-section">{d.sessionSection}</Text>
            <Text className="dev-hint">{d.sessionHint}</Text>
            <View className="dev-inline">
              <Button
                id="dev-expire-session"
                {...disabledProps(busy, 'dev-btn dev-btn--grow')}
                onClick={() => void expire()}
              >
                {d.expireSession}
              </Button>
              {expired && (
                <Button id="dev-relaunch" className="dev-btn dev-btn--primary" onClick={reload}>
                  {d.relaunch}
                </Button>
              )}
            </View>

            <Text className="dev-section">{d.phoneSection}</Text>
            <Text className="dev-hint">{d.phoneHint}</Text>
            <Input
              id="dev-phone-input"
              className="dev-input dev-input--block"
              type="number"
              value={phone}
              placeholder={d.phonePlaceholder}
              onInput={(event) => setPhone(event.detail.value)}
              onBlur={(event) => savePhone(event.detail.value)}
            />

            <Text className="dev-section">{d.privacySection}</Text>
            <Text className="dev-hint">{d.privacyHint}</Text>
            <View className="dev-inline">
              <Text id="dev-privacy-status" className="dev-row__value dev-inline__grow">
                {privacyAgreed ? d.privacyAgreed : d.privacyNotAgreed}
              </Text>
              <Button
                id="dev-reset-privacy"
                {...disabledProps(!privacyAgreed, 'dev-btn')}
                onClick={resetPrivacy}
              >
                {d.resetPrivacy}
              </Button>
            </View>

            <Text className="dev-section">{d.contentSection}</Text>
            <Text className="dev-hint">{d.contentHint}</Text>
            <Input
              id="dev-risky-words"
              className="dev-input dev-input--block"
              value={risky}
              placeholder={d.riskyPlaceholder}
              onInput={(event) => setRisky(event.detail.value)}
            />
            <Input
              id="dev-review-words"
              className="dev-input dev-input--block"
              value={review}
              placeholder={d.reviewPlaceholder}
              onInput={(event) => setReview(event.detail.value)}
            />
            <Button
              id="dev-save-content-rules"
              {...disabledProps(busy, 'dev-btn dev-btn--block')}
              onClick={() => void saveContentRules()}
            >
              {d.saveContentRules}
            </Button>

            {notice && (
              <Text id="dev-notice" className={`dev-notice dev-notice--${notice.kind}`}>
                {notice.text}
              </Text>
            )}

            <Text className="dev-footer">
              {d.simAddress} {SIM_URL} · {d.appid} {SIM_APPID}
            </Text>
          </View>
        </View>
      )}
    </>
  )
}
