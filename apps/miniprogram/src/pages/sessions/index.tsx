import { Button, Text, View } from '@tarojs/components'
import Taro, { useDidShow, usePullDownRefresh } from '@tarojs/taro'
import { useCallback, useEffect, useRef, useState } from 'react'
import { AccountGate } from '../../components/AccountGate'
import { disabledProps } from '../../components/disabled'
import { ErrorCard, LoadingCard } from '../../components/StateViews'
import { t } from '../../i18n'
import { logout, logoutAll, useAccount } from '../../lib/account'
import { describeError, type UiError } from '../../lib/errors'
import { formatDateTime, formatRelative } from '../../lib/format'
import { api } from '../../lib/session'
import type { RouterOutputs } from '../../lib/trpc'
import './index.css'

type SessionItem = RouterOutputs['session']['list'][number]

type ListState =
  | { status: 'loading' }
  | { status: 'ready'; items: SessionItem[] }
  | { status: 'error'; error: UiError }

/** The device's model as the title, else the platform (微信小程序 / 网页预览). */
function deviceName(item: SessionItem): string {
  return item.client?.model || t.platforms[item.client?.platform ?? ''] || t.sessions.unknownDevice
}

/** Platform (unless it is the title already), system and WeChat version. */
function deviceDetail(item: SessionItem): string {
  const parts: string[] = []
  const platform = t.platforms[item.client?.platform ?? '']
  if (platform && item.client?.model) parts.push(platform)
  if (item.client?.system) parts.push(item.client.system)
  if (item.client?.version) parts.push(`v${item.client.version}`)
  return parts.join(' · ')
}

interface SessionCardProps {
  item: SessionItem
  busy: boolean
  onRevoke: (item: SessionItem) => void
  onLogout: () => void
}

function SessionCard({ item, busy, onRevoke, onLogout }: SessionCardProps) {
  const detail = deviceDetail(item)
  return (
    <View
      id={`session-${item.id}`}
      className={item.current ? 'card session session--current' : 'card session'}
    >
      <View className="session__header">
        <View className="session__device">
          <Text className="session__name">{deviceName(item)}</Text>
          {detail && <Text className="session__detail">{detail}</Text>}
        </View>
        {item.current && (
          <Text className="badge badge--success session__this">{t.sessions.thisDevice}</Text>
        )}
      </View>
      <View className="session__rows">
        <View className="row">
          <Text className="row__label">{t.sessions.createdAt}</Text>
          <Text className="row__value">{formatDateTime(item.createdAt)}</Text>
        </View>
        <View className="row">
          <Text className="row__label">{t.sessions.lastUsedAt}</Text>
          <Text className="row__value">{formatRelative(item.lastUsedAt, t.time)}</Text>
        </View>
        {item.ip && (
          <View className="row">
            <Text className="row__label">{t.sessions.ip}</Text>
            <Text className="row__value">{item.ip}</Text>
          </View>
        )}
      </View>
      {item.current ? (
        <Button
          id="sessions-logout"
          {...disabledProps(busy, 'btn btn--secondary btn--small session__action')}
          onClick={onLogout}
        >
          {t.sessions.logout}
        </Button>
      ) : (
        <Button
          id={`session-revoke-${item.id}`}
          {...disabledProps(busy, 'btn btn--danger btn--small session__action session-revoke')}
          onClick={() => onRevoke(item)}
        >
          {t.sessions.revoke}
        </Button>
      )}
    </View>
  )
}

function SessionList() {
  const [list, setList] = useState<ListState>({ status: 'loading' })
  const [busy, setBusy] = useState(false)
  const loads = useRef(0)

  // The newest load wins: a slow earlier answer must not overwrite a later one.
  const load = useCallback(async (quiet = false) => {
    const run = ++loads.current
    if (!quiet) setList({ status: 'loading' })
    try {
      const items = await api.session.list.query()
      if (run === loads.current) setList({ status: 'ready', items })
    } catch (error) {
      if (run === loads.current) setList({ status: 'error', error: describeError(error) })
    }
  }, [])

  useEffect(() => {
    void load()
  }, [load])
  // Back on the tab (not the first show, which the effect covers): the list may have
  // changed on another device.
  const shown = useRef(false)
  useDidShow(() => {
    if (shown.current) void load(true)
    shown.current = true
  })
  usePullDownRefresh(() => {
    const stop = () => Taro.stopPullDownRefresh()
    load(true).then(stop, stop)
  })

  const act = async (task: () => Promise<void>) => {
    setBusy(true)
    try {
      await task()
    } catch (error) {
      Taro.showToast({ title: describeError(error).message, icon: 'none' })
    } finally {
      setBusy(false)
    }
  }

  const revoke = (item: SessionItem) =>
    act(async () => {
      await api.session.revoke.mutate({ id: item.id })
      Taro.showToast({ title: t.sessions.revoked, icon: 'success' })
      await load(true)
    })

  const logoutHere = () =>
    act(async () => {
      await logout()
      Taro.showToast({ title: t.sessions.loggedOut, icon: 'success' })
    })

  const logoutEverywhere = async () => {
    // WeChat allows at most 4 Chinese characters on a modal's buttons.
    const answer = await Taro.showModal({
      title: t.sessions.logoutAllConfirmTitle,
      content: t.sessions.logoutAllConfirm,
      confirmText: t.sessions.logoutAllConfirmButton,
      confirmColor: '#d7312a',
      cancelText: t.common.cancel,
    }).catch(() => null)
    if (!answer?.confirm) return
    await act(async () => {
      const count = await logoutAll()
      Taro.showToast({ title: t.sessions.loggedOutAll(count), icon: 'none' })
    })
  }

  if (list.status === 'loading') {
    return <LoadingCard id="sessions-list-loading" text={t.common.loading} />
  }
  if (list.status === 'error') {
    return (
      <ErrorCard
        id="sessions-list-error"
        title={t.common.loadFailedTitle}
        message={list.error.message}
        retryId="sessions-retry"
        onRetry={() => void load()}
      />
    )
  }
  return (
    <>
      <Text className="sessions__intro">{t.sessions.intro}</Text>
      <View id="sessions-list">
        {list.items.length === 0 ? (
          <View className="card">
            <Text className="sessions__empty">{t.sessions.empty}</Text>
          </View>
        ) : (
          list.items.map((item) => (
            <SessionCard
              key={item.id}
              item={item}
              busy={busy}
              onRevoke={(target) => void revoke(target)}
              onLogout={() => void logoutHere()}
            />
          ))
        )}
      </View>
      <Button
        id="sessions-logout-all"
        {...disabledProps(busy, 'btn btn--danger sessions__logout-all')}
        onClick={() => void logoutEverywhere()}
      >
        {t.sessions.logoutAll}
      </Button>
    </>
  )
}

export default function Sessions() {
  const account = useAccount()
  return (
    <View className="page sessions">
      <AccountGate page="sessions" account={account}>
        {() => <SessionList />}
      </AccountGate>
    </View>
  )
}
