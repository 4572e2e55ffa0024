/*
 * The states every page shares: loading (a skeleton), error (why, and 重试), logged out
 * (登录). Each takes an id prefix: in H5, visited tab pages stay in the DOM, so element
 * ids must differ between pages.
 */
import { Button, Text, View } from '@tarojs/components'
import { t } from '../i18n'

export function Spinner({ small }: { small?: boolean }) {
  return <View className={small ? 'spinner spinner--small' : 'spinner'} />
}

/** A placeholder card in the shape of the content, with what is happening. */
export function LoadingCard({ id, text, rows = 2 }: { id: string; text: string; rows?: number }) {
  const bars: number[] = []
  for (let i = 0; i < rows; i++) bars.push(i)
  return (
    <View id={id} className="card state state--loading">
      <View className="skeleton">
        <View className="skeleton__avatar" />
        <View className="skeleton__lines">
          <View className="skeleton__line skeleton__line--title" />
          {bars.map((i) => (
            <View key={i} className="skeleton__line" />
          ))}
        </View>
      </View>
      <View className="state__status">
        <Spinner small />
        <Text className="state__status-text">{text}</Text>
      </View>
    </View>
  )
}

export interface ErrorCardProps {
  id: string
  title: string
  message: string
  retryId: string
  onRetry: () => void
}

export function ErrorCard({ id, title, message, retryId, onRetry }: ErrorCardProps) {
  return (
    <View id={id} className="card state state--error">
      <View className="state__icon state__icon--error">
        <Text className="state__icon-text">!</Text>
      </View>
      <Text className="state__title">{title}</Text>
      <Text id={`${id}-message`} className="state__message">
        {message}
      </Text>
      <Button id={retryId} className="btn btn--primary state__action" onClick={onRetry}>
        {t.common.retry}
      </Button>
    </View>
  )
}

export interface LoggedOutCardProps {
  id: string
  loginId: string
  onLogin: () => void
}

export function LoggedOutCard({ id, loginId, onLogin }: LoggedOutCardProps) {
  return (
    <View id={id} className="card state state--logged-out">
      <View className="state__icon">
        <View className="avatar__default">
          <View className="avatar__head" />
          <View className="avatar__body" />
        </View>
      </View>
      <Text className="state__title">{t.common.loggedOutTitle}</Text>
      <Text className="state__message">{t.common.loggedOutHint}</Text>
      <Button id={loginId} className="btn btn--primary state__action" onClick={onLogin}>
        {t.common.login}
      </Button>
    </View>
  )
}
