import { Prisma, type PrismaClient } from '@wxapp/db'
import { z } from 'zod'

export interface RateLimitResult {
  allowed: boolean
  /** Hits allowed within the window ending now, this one included when allowed. */
  count: number
  /** When the next hit will be allowed again (when the oldest hit in the window leaves it). */
  resetAt: Date
}

/**
 * One hit as a statement to put in a larger one (a data-modifying CTE), so a
 * caller can count a hit and act on its verdict in the same round trip: `sql`
 * is the INSERT … RETURNING (columns allowed, count, oldest), `result` reads
 * that row.
 */
export interface RateLimitHit {
  sql: Prisma.Sql
  result(row: unknown): RateLimitResult
}

export interface RateLimiter {
  /** Counts one hit for `key`: allowed while fewer than `limit` hits were allowed in the last `windowMs`. */
  hit(key: string, limit: number, windowMs: number): Promise<RateLimitResult>
  /** The same hit, not yet sent: see RateLimitHit. */
  hitStatement(key: string, limit: number, windowMs: number): RateLimitHit
  /** Deletes the logs of keys not hit since `now - retainMs`. */
  purge(retainMs?: number): Promise<number>
}

const HitRow = z.object({
  allowed: z.boolean(),
  count: z.number().int(),
  oldest: z.date().nullable(),
})

/**
 * A sliding-window log in the database, so every server instance shares the
 * limit and no window of `windowMs` lets more than `limit` hits through (a
 * fixed window lets twice the limit through at its boundary; a token bucket
 * or a weighted two-window counter also exceed it over some window). Each key
 * keeps the times of its allowed hits in the last window, at most `limit` of
 * them, and one statement decides and records a hit: INSERT … ON CONFLICT DO
 * UPDATE locks the key's row, so concurrent hits on every instance queue on it
 * and each sees the ones before. Raw SQL because Prisma's upsert cannot filter
 * an array by its elements; the row it returns is checked, not cast.
 */
export function createRateLimiter(opts: { prisma: PrismaClient; now?: () => Date }): RateLimiter {
  const now = opts.now ?? (() => new Date())
  const hitStatement = (key: string, limit: number, windowMs: number): RateLimitHit => {
    const at = now()
    const since = new Date(at.getTime() - windowMs)
    return {
      // In ON CONFLICT DO UPDATE every expression reads the row as it was, so
      // the decision (last_allowed) and the new log agree.
      sql: Prisma.sql`
        INSERT INTO rate_limit_logs AS r (key, hits, last_allowed, last_hit_at)
        VALUES (${key}, CASE WHEN ${limit} > 0 THEN ARRAY[${at}::timestamptz] ELSE '{}' END,
                ${limit} > 0, ${at}::timestamptz)
        ON CONFLICT (key) DO UPDATE SET
          last_allowed = (SELECT count(*) < ${limit} FROM unnest(r.hits) h WHERE h > ${since}::timestamptz),
          hits = (
            SELECT coalesce(array_agg(h ORDER BY h), '{}') FROM (
              SELECT h FROM unnest(r.hits) h WHERE h > ${since}::timestamptz
              UNION ALL
              SELECT ${at}::timestamptz
               WHERE (SELECT count(*) < ${limit} FROM unnest(r.hits) h WHERE h > ${since}::timestamptz)
            ) kept
          ),
          last_hit_at = greatest(r.last_hit_at, ${at}::timestamptz)
        RETURNING last_allowed AS allowed, coalesce(cardinality(hits), 0)::int AS count, hits[1] AS oldest`,
      result(value) {
        const row = HitRow.parse(value)
        return {
          allowed: row.allowed,
          count: row.count,
          resetAt: row.allowed || !row.oldest ? at : new Date(row.oldest.getTime() + windowMs),
        }
      },
    }
  }
  return {
    async hit(key, limit, windowMs) {
      const statement = hitStatement(key, limit, windowMs)
      const rows = await opts.prisma.$queryRaw<unknown[]>(statement.sql)
      return statement.result(rows[0])
    },
    hitStatement,
    async purge(retainMs = 3600_000) {
      const { count } = await opts.prisma.rateLimitLog.deleteMany({
        where: { lastHitAt: { lt: new Date(now().getTime() - retainMs) } },
      })
      return count
    },
  }
}
