/*
 * The consent sheet of WeChat's privacy authorization (lib/privacy.ts): shown while
 * WeChat (or the H5 stand-in) waits for an answer, with the privacy guide's name from
 * getPrivacySetting, a link that opens it, 同意 (a button of open-type
 * agreePrivacyAuthorization, whose id goes to resolve) and 不同意.
 *
 * Mounted by the pages that use privacy APIs (the profile page), not by the app: in a
 * mini-program the App component renders no view of its own ("在入口组件不会渲染任何内容",
 * https://nervjs.github.io/taro/docs/react-entry), every page is its own tree, so the
 * sheet must sit in the page that is on screen. (The H5 dev panel can live in the app
 * only because H5 renders it.)
 */
import { Button, Text, View } from '@tarojs/components'
import Taro from '@tarojs/taro'
import { useEffect, useState } from 'react'
import { t } from '../i18n'
import { capabilities } from '../lib/platform'
import {
  agreePrivacy,
  declinePrivacy,
  openPrivacyContract,
  privacyContractName,
  reportPrivacyExposure,
  usePrivacyRequest,
} from '../lib/privacy'
import './privacy-sheet.css'

// WeChat checks that its own agreePrivacyAuthorization button was tapped; the H5
// stand-in takes a plain click. QQ, Douyin and Alipay never show this sheet.
const wechatButton = capabilities.privacyAuthorization === 'wechat'

/** The agree button's id: WeChat checks that the button with this id was tapped. */
export const PRIVACY_AGREE_ID = 'privacy-agree'

export function PrivacySheet() {
  const request = usePrivacyRequest()
  const [contractName, setContractName] = useState<string | null>(null)
  const requestId = request?.id

  useEffect(() => {
    if (requestId === undefined) return
    reportPrivacyExposure()
    let current = true
    void privacyContractName().then((name) => {
      if (current) setContractName(name)
    })
    return () => {
      current = false
    }
  }, [requestId])

  if (!request) return null

  const agree = () => {
    agreePrivacy(PRIVACY_AGREE_ID)
  }
  const decline = () => {
    if (declinePrivacy()) {
      // The action the user asked for does not happen: say why.
      void Taro.showToast({ title: t.privacy.declined, icon: 'none', duration: 2500 })
    }
  }
  const openContract = () => {
    void openPrivacyContract().then((opened) => {
      if (!opened) void Taro.showToast({ title: t.privacy.contractFailed, icon: 'none' })
    })
  }

  return (
    <View
      className={capabilities.tabBarInPage ? 'privacy-mask privacy-mask--h5' : 'privacy-mask'}
      catchMove
    >
      <View id="privacy-sheet" className="privacy-sheet">
        <Text className="privacy-sheet__title">{t.privacy.title}</Text>
        <View className="privacy-sheet__body">
          <Text className="privacy-sheet__text">{t.privacy.intro}</Text>
          <Text id="privacy-contract" className="privacy-sheet__link" onClick={openContract}>
            {contractName ?? t.privacy.contractFallback}
          </Text>
          <Text className="privacy-sheet__text">{t.privacy.outro}</Text>
        </View>
        <View className="privacy-sheet__actions">
          <Button
            id="privacy-disagree"
            className="btn btn--secondary privacy-sheet__button"
            onClick={decline}
          >
            {t.privacy.disagree}
          </Button>
          <Button
            id={PRIVACY_AGREE_ID}
            className="btn btn--primary privacy-sheet__button"
            openType={wechatButton ? 'agreePrivacyAuthorization' : undefined}
            onAgreePrivacyAuthorization={wechatButton ? agree : undefined}
            onClick={wechatButton ? undefined : agree}
          >
            {t.privacy.agree}
          </Button>
        </View>
      </View>
    </View>
  )
}
