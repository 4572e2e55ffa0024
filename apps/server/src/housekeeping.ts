import { type ApiServices, recheckContent, removeRiskyFiles } from '@wxapp/api'
import type { Logger } from 'pino'

const HOUR = 3600_000

/**
 * Two loops, both harmless on several instances at once:
 * - once an hour (and shortly after start), deletes sessions that ended a
 *   week ago, spent rate-limit counters and week-old push receipts (WeChat
 *   retries within seconds);
 * - every `recheckIntervalMs`, checks again the content WeChat could not
 *   check and removes risky avatars' files a store outage left (rows are
 *   claimed with SKIP LOCKED, file deletes are idempotent).
 */
export function startHousekeeping(opts: {
  services: ApiServices
  logger: Logger
  intervalMs?: number
  recheckIntervalMs?: number
}): { stop(): void } {
  const { services, logger } = opts
  const purge = async () => {
    try {
      const sessions = await services.sessions.purgeExpired({ retainMs: 7 * 24 * HOUR })
      const counters = await services.rateLimiter.purge(HOUR)
      const receipts = await services.db.prisma.wechatPushReceipt.deleteMany({
        where: { receivedAt: { lt: new Date(Date.now() - 7 * 24 * HOUR) } },
      })
      if (sessions + counters + receipts.count > 0) {
        logger.info({ sessions, counters, receipts: receipts.count }, 'purged expired records')
      }
    } catch (error) {
      logger.warn({ err: error }, 'housekeeping failed; will retry')
    }
  }
  const contentLog = logger.child({ component: 'content-check' })
  let rechecking = false
  const recheck = async () => {
    if (rechecking) return
    rechecking = true
    try {
      const checked = await recheckContent(services, contentLog)
      await removeRiskyFiles(services, contentLog)
      if (checked > 0) contentLog.info({ checked }, 'content checked again')
    } catch (error) {
      contentLog.warn({ err: error }, 'content recheck failed; will retry')
    } finally {
      rechecking = false
    }
  }
  const timers = [
    setTimeout(purge, 60_000),
    setInterval(purge, opts.intervalMs ?? HOUR),
    setInterval(recheck, opts.recheckIntervalMs ?? 60_000),
  ]
  for (const timer of timers) timer.unref()
  return {
    stop() {
      for (const timer of timers) clearTimeout(timer)
    },
  }
}
