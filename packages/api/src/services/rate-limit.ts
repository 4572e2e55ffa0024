import type { PrismaClient } from '@wxapp/db'

export interface RateLimitResult {
  allowed: boolean
  /** Hits counted in the current window, this one included. */
  count: number
  /** When the current window ends. */
  resetAt: Date
}

export interface RateLimiter {
  /** Counts one hit for `key`; allowed while the window's count stays within `limit`. */
  hit(key: string, limit: number, windowMs: number): Promise<RateLimitResult>
  /** Deletes counters of windows that ended before `now - retainMs`. */
  purge(retainMs?: number): Promise<number>
}

/**
 * Fixed-window counters in the database, so every server instance shares the
 * same limit (one upsert per hit, which PostgreSQL runs as INSERT … ON
 * CONFLICT DO UPDATE).
 */
export function createRateLimiter(opts: { prisma: PrismaClient; now?: () => Date }): RateLimiter {
  const now = opts.now ?? (() => new Date())
  return {
    async hit(key, limit, windowMs) {
      const at = now().getTime()
      const windowStart = new Date(Math.floor(at / windowMs) * windowMs)
      const { count } = await opts.prisma.rateLimitCounter.upsert({
        where: { key_windowStart: { key, windowStart } },
        create: { key, windowStart, count: 1 },
        update: { count: { increment: 1 } },
        select: { count: true },
      })
      return {
        allowed: count <= limit,
        count,
        resetAt: new Date(windowStart.getTime() + windowMs),
      }
    },
    async purge(retainMs = 3600_000) {
      const { count } = await opts.prisma.rateLimitCounter.deleteMany({
        where: { windowStart: { lt: new Date(now().getTime() - retainMs) } },
      })
      return count
    },
  }
}
