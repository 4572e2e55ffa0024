import { Text, View } from '@tarojs/components'
import Taro, { usePullDownRefresh } from '@tarojs/taro'
import { AccountGate } from '../../components/AccountGate'
import { Avatar } from '../../components/Avatar'
import { t } from '../../i18n'
import { refreshUser, useAccount } from '../../lib/account'
import { formatDate } from '../../lib/format'
import type { User } from '../../lib/session'
import './index.css'

function goTab(url: string) {
  Taro.switchTab({ url }).catch(() => {})
}

function Welcome({ user }: { user: User }) {
  return (
    <>
      <View id="home-user" className="card home-hero">
        <Avatar id="home-avatar" url={user.avatarUrl} size="lg" />
        <View className="home-hero__text">
          <Text className="home-hero__greeting">{t.home.greeting}</Text>
          <Text id="home-nickname" className="home-hero__name">
            {user.nickname || t.common.defaultNickname}
          </Text>
          <View className="home-hero__meta">
            <Text id="home-status" className="badge badge--success">
              {t.home.loggedInBadge}
            </Text>
            <Text className="home-hero__since">
              {t.home.memberSince(formatDate(user.createdAt))}
            </Text>
          </View>
        </View>
      </View>

      <View className="card home-links">
        <View
          id="home-edit-profile"
          className="home-link"
          onClick={() => goTab('/pages/profile/index')}
        >
          <View className="home-link__text">
            <Text className="home-link__title">{t.home.editProfile}</Text>
            <Text className="home-link__hint">{t.home.editProfileHint}</Text>
          </View>
          <Text className="home-link__chevron">›</Text>
        </View>
        <View
          id="home-devices"
          className="home-link"
          onClick={() => goTab('/pages/sessions/index')}
        >
          <View className="home-link__text">
            <Text className="home-link__title">{t.home.devices}</Text>
            <Text className="home-link__hint">
              {user.phoneNumber ? t.home.phoneBound(user.phoneNumber) : t.home.devicesHint}
            </Text>
          </View>
          <Text className="home-link__chevron">›</Text>
        </View>
      </View>
    </>
  )
}

export default function Index() {
  const account = useAccount()

  usePullDownRefresh(() => {
    // No Promise#finally: it is ES2018 and older WeChat clients lack it.
    const stop = () => Taro.stopPullDownRefresh()
    refreshUser().then(stop, stop)
  })

  return (
    <View className="page home">
      <View className="home__header">
        <Text className="home__title">{t.app.name}</Text>
        <Text className="home__subtitle">
          {account.status === 'loading'
            ? t.home.loggingInHint
            : account.status === 'ready'
              ? t.home.welcome
              : t.home.tagline}
        </Text>
      </View>
      <AccountGate page="home" account={account}>
        {(user) => <Welcome user={user} />}
      </AccountGate>
    </View>
  )
}
