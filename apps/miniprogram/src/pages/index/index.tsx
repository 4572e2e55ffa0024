import { Button, Text, View } from '@tarojs/components'
import Taro, { usePullDownRefresh } from '@tarojs/taro'
import type { TRPCProcedureOptions } from '@trpc/client'
import { useCallback, useEffect, useRef, useState } from 'react'
import { t } from '../../i18n'
import { AbortController, type AbortControllerLike } from '../../lib/abort-controller'
import { API_URL } from '../../lib/env'
import { formatDateTime } from '../../lib/format'
import { api, type RouterOutputs } from '../../lib/trpc'
import './index.css'

type Ping = RouterOutputs['system']['ping']

type Status =
  | { kind: 'loading' }
  | { kind: 'connected'; ping: Ping; latencyMs: number }
  | { kind: 'error'; detail: string }

/** True for an abort (ours, on unmount or a newer load), even when tRPC wrapped it. */
function isAbortError(error: unknown): boolean {
  let current = error
  for (let depth = 0; current instanceof Error && depth < 4; depth++) {
    if (current.name === 'AbortError') return true
    current = current.cause
  }
  return false
}

export default function Index() {
  const [status, setStatus] = useState<Status>({ kind: 'loading' })
  const inFlight = useRef<AbortControllerLike | null>(null)

  const load = useCallback(async () => {
    inFlight.current?.abort()
    const controller = new AbortController()
    inFlight.current = controller
    setStatus({ kind: 'loading' })
    const started = Date.now()
    try {
      const ping = await api.system.ping.query(undefined, {
        // The shim's signal stands in for the DOM type tRPC declares.
        signal: controller.signal as TRPCProcedureOptions['signal'],
      })
      if (inFlight.current !== controller) return
      setStatus({ kind: 'connected', ping, latencyMs: Date.now() - started })
    } catch (error) {
      if (inFlight.current !== controller || isAbortError(error)) return
      setStatus({ kind: 'error', detail: error instanceof Error ? error.message : String(error) })
    } finally {
      if (inFlight.current === controller) inFlight.current = null
    }
  }, [])

  useEffect(() => {
    void load()
    return () => inFlight.current?.abort()
  }, [load])

  usePullDownRefresh(() => {
    // No Promise#finally: it is ES2018 and older WeChat clients lack it.
    const stop = () => Taro.stopPullDownRefresh()
    load().then(stop, stop)
  })

  return (
    <View className="home">
      <View className="home__hero">
        <Text className="home__title">{t.home.heroTitle}</Text>
        <Text className="home__subtitle">{t.home.heroSubtitle}</Text>
      </View>

      <View className="card">
        <View className="card__header">
          <Text className="card__title">{t.home.statusCardTitle}</Text>
          <View className={`badge badge--${status.kind}`}>
            <View className="badge__dot" />
            <Text className="badge__text">
              {status.kind === 'loading'
                ? t.home.connecting
                : status.kind === 'connected'
                  ? t.home.connected
                  : t.home.unreachable}
            </Text>
          </View>
        </View>

        {status.kind === 'loading' && (
          <View className="card__body card__body--center">
            <View className="spinner" />
          </View>
        )}

        {status.kind === 'connected' && (
          <View className="card__body">
            <View className="row">
              <Text className="row__label">{t.home.serverTime}</Text>
              <Text className="row__value">{formatDateTime(status.ping.serverTime)}</Text>
            </View>
            <View className="row">
              <Text className="row__label">{t.home.latency}</Text>
              <Text className="row__value">{t.home.latencyValue(status.latencyMs)}</Text>
            </View>
            <Button className="btn btn--secondary" onClick={() => void load()}>
              {t.home.refresh}
            </Button>
          </View>
        )}

        {status.kind === 'error' && (
          <View className="card__body">
            <Text className="card__hint">{t.home.unreachableHint}</Text>
            {process.env.NODE_ENV !== 'production' && (
              <Text className="card__detail">{status.detail}</Text>
            )}
            <Button className="btn btn--primary" onClick={() => void load()}>
              {t.home.retry}
            </Button>
          </View>
        )}
      </View>

      <View className="home__footer">
        <Text className="home__footer-text">
          {t.home.apiUrl}：{API_URL}
        </Text>
      </View>
    </View>
  )
}
