import type { ApiServices } from '@wxapp/api'
import type { Logger } from 'pino'

const HOUR = 3600_000

/**
 * Deletes sessions that ended a week ago and spent rate-limit counters, once
 * an hour (and shortly after start). Several instances doing it at once is
 * harmless: the deletes are idempotent.
 */
export function startHousekeeping(opts: {
  services: ApiServices
  logger: Logger
  intervalMs?: number
}): { stop(): void } {
  const { services, logger } = opts
  const run = async () => {
    try {
      const sessions = await services.sessions.purgeExpired({ retainMs: 7 * 24 * HOUR })
      const counters = await services.rateLimiter.purge(HOUR)
      if (sessions + counters > 0) logger.info({ sessions, counters }, 'purged expired records')
    } catch (error) {
      logger.warn({ err: error }, 'housekeeping failed; will retry')
    }
  }
  const first = setTimeout(run, 60_000)
  const timer = setInterval(run, opts.intervalMs ?? HOUR)
  first.unref()
  timer.unref()
  return {
    stop() {
      clearTimeout(first)
      clearInterval(timer)
    },
  }
}
