// The login rate limiter on both databases: a sliding window shared through
// the database, so no window of its length lets more than the limit through,
// at a fixed window's boundary or under concurrent hits from many instances.
import { applyMigrations, type Database, openDatabase } from '@wxapp/db'
import { createTestPostgres, type TestPostgres } from '@wxapp/db/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRateLimiter } from '../src/services/rate-limit'

const MINUTE = 60_000

function describeLimiter(
  name: string,
  open: () => Promise<{ db: Database; drop?: () => Promise<void> }>,
) {
  describe(`sliding-window rate limit (${name})`, () => {
    let db: Database
    let drop: (() => Promise<void>) | undefined
    let clock = 0
    const limiter = () => createRateLimiter({ prisma: db.prisma, now: () => new Date(clock) })

    beforeAll(async () => {
      ;({ db, drop } = await open())
      await applyMigrations(db)
    })
    afterAll(async () => {
      await db?.close()
      await drop?.()
    })

    it('lets no more than the limit through across a fixed window boundary', async () => {
      const rl = limiter()
      // A fixed one-minute window would start again at 10:01:00.000 and let
      // 5 more through right away: 10 in 2 ms.
      const boundary = Date.UTC(2026, 11, 3, 10, 1)
      clock = boundary - 1
      for (let i = 0; i < 5; i++) expect((await rl.hit('k:boundary', 5, MINUTE)).allowed).toBe(true)
      const refused = await rl.hit('k:boundary', 5, MINUTE)
      expect(refused).toMatchObject({ allowed: false, count: 5 })
      expect(refused.resetAt.getTime()).toBe(boundary - 1 + MINUTE)
      clock = boundary + 1
      expect((await rl.hit('k:boundary', 5, MINUTE)).allowed).toBe(false)
      clock = boundary + MINUTE - 2
      expect((await rl.hit('k:boundary', 5, MINUTE)).allowed).toBe(false)
      // A minute after the five, they leave the window together.
      clock = boundary - 1 + MINUTE + 1
      for (let i = 0; i < 5; i++) expect((await rl.hit('k:boundary', 5, MINUTE)).allowed).toBe(true)
      expect((await rl.hit('k:boundary', 5, MINUTE)).allowed).toBe(false)
    })

    it('frees one slot per hit that leaves the window, whatever the limit of another key', async () => {
      const rl = limiter()
      clock = Date.UTC(2026, 11, 3, 11)
      for (let i = 0; i < 3; i++) {
        expect((await rl.hit('k:spread', 3, MINUTE)).allowed).toBe(true)
        clock += 20_000
      }
      // At +60 s the first hit (at 0 s) is out, the ones at 20 s and 40 s are in.
      expect(await rl.hit('k:spread', 3, MINUTE)).toMatchObject({ allowed: true, count: 3 })
      expect((await rl.hit('k:spread', 3, MINUTE)).allowed).toBe(false)
      expect((await rl.hit('k:other', 1, MINUTE)).allowed).toBe(true)
      expect((await rl.hit('k:other', 1, MINUTE)).allowed).toBe(false)
    })

    it('counts concurrent hits exactly: 40 at once, limit 10, 10 allowed', async () => {
      const rl = limiter()
      clock = Date.UTC(2026, 11, 3, 12)
      const results = await Promise.all(
        Array.from({ length: 40 }, () => rl.hit('k:burst', 10, MINUTE)),
      )
      expect(results.filter((r) => r.allowed)).toHaveLength(10)
    })

    it('purges the logs of keys not hit within the retention', async () => {
      const rl = limiter()
      clock = Date.UTC(2026, 11, 3, 13)
      await rl.hit('k:old', 5, MINUTE)
      clock += 2 * 3600_000
      await rl.hit('k:new', 5, MINUTE)
      expect(await rl.purge(3600_000)).toBeGreaterThanOrEqual(1)
      const keys = (await db.prisma.rateLimitLog.findMany({ select: { key: true } })).map(
        (r) => r.key,
      )
      expect(keys).toContain('k:new')
      expect(keys).not.toContain('k:old')
    })
  })
}

describeLimiter('PGlite', async () => ({ db: await openDatabase({ url: 'pglite:memory:' }) }))

let pgDb: TestPostgres | undefined
describeLimiter('PostgreSQL', async () => {
  pgDb = await createTestPostgres()
  return {
    db: await openDatabase({ url: pgDb.url, poolSize: 20 }),
    drop: () => pgDb?.drop() ?? Promise.resolve(),
  }
})
