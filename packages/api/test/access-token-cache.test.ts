/**
 * The Prisma access-token cache on real databases: PGlite in this process and
 * a PostgreSQL server reached through two separate pools (two "instances").
 */
import { randomBytes } from 'node:crypto'
import { applyMigrations, type Database, openDatabase } from '@wxapp/db'
import { createTestPostgres, type TestPostgres } from '@wxapp/db/testing'
import { createSecretBox, dataKey } from '@wxapp/session/server'
import {
  type AccessTokenCache,
  type AccessTokenProvider,
  createAccessTokenProvider,
  WechatBusyError,
} from '@wxapp/wechat'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type AccessTokenLockMode,
  createAccessTokenCache,
} from '../src/services/access-token-cache'

const box = createSecretBox([dataKey(randomBytes(32))])

/** WeChat's stable_token, slow enough that concurrent callers overlap. */
function fakeWechat(appid: string, delayMs = 50) {
  let issued = 0
  let current: string | null = null
  const calls: boolean[] = []
  let failNext = false
  return {
    calls,
    failOnce: () => {
      failNext = true
    },
    rotate: () => {
      current = `${appid}-token-${++issued}`
    },
    current: () => current,
    client: {
      appid,
      async getStableAccessToken(o?: { forceRefresh?: boolean }) {
        calls.push(o?.forceRefresh === true)
        await new Promise((r) => setTimeout(r, delayMs))
        if (failNext) {
          failNext = false
          throw new WechatBusyError({ api: 'stableToken', errcode: -1, attempts: 3 })
        }
        if (current === null || o?.forceRefresh) current = `${appid}-token-${++issued}`
        return { accessToken: current, expiresIn: 7200 }
      },
    },
  }
}

function provider(cache: AccessTokenCache, wechat: ReturnType<typeof fakeWechat>) {
  return createAccessTokenProvider({ client: wechat.client, cache })
}

async function concurrently(n: number, providers: AccessTokenProvider[]) {
  return Promise.all(
    Array.from({ length: n }, (_, i) => providers[i % providers.length]?.get() ?? ''),
  )
}

function describeCache(
  name: string,
  lock: AccessTokenLockMode,
  open: () => Promise<{ dbs: Database[]; cleanup: () => Promise<void> }>,
) {
  describe(`access-token cache: ${name} (${lock} lock)`, () => {
    let dbs: Database[] = []
    let cleanup: () => Promise<void> = async () => {}
    const caches = () => dbs.map((db) => createAccessTokenCache({ prisma: db.prisma, box, lock }))

    beforeAll(async () => {
      ;({ dbs, cleanup } = await open())
    })
    afterAll(async () => {
      await Promise.all(dbs.map((db) => db.close()))
      await cleanup()
    })

    it('50 concurrent callers cause one WeChat call and one stored, sealed row', async () => {
      const wechat = fakeWechat(`wx_${lock}_a`)
      const providers = caches().map((cache) => provider(cache, wechat))
      const tokens = await concurrently(50, providers)
      expect(new Set(tokens)).toEqual(new Set([wechat.current()]))
      expect(wechat.calls).toEqual([false])
      const row = await dbs[0]?.prisma.wechatAccessToken.findUnique({
        where: { appid: wechat.client.appid },
      })
      expect(row?.encrypted).toMatch(/^v1\./)
      expect(row?.encrypted).not.toContain(wechat.current())
      expect(row?.expiresAt.getTime()).toBeGreaterThan(Date.now() + 7000_000)
    })

    it('waiters for the lock reuse the token the winner stored after a revocation', async () => {
      const wechat = fakeWechat(`wx_${lock}_b`)
      const providers = caches().map((cache) => provider(cache, wechat))
      const stale = await providers[0]?.get()
      for (const p of providers) expect(await p.get()).toBe(stale)
      wechat.rotate()
      const before = wechat.calls.length
      const fresh = await Promise.all(
        Array.from({ length: 20 }, (_, i) => providers[i % providers.length]?.refresh(stale ?? '')),
      )
      expect(new Set(fresh)).toEqual(new Set([wechat.current()]))
      expect(wechat.calls.length - before).toBe(1)
    })

    it('stores nothing when the refresh fails, and the next caller tries again', async () => {
      const wechat = fakeWechat(`wx_${lock}_c`)
      const [cache] = caches()
      if (!cache) throw new Error('no cache')
      wechat.failOnce()
      await expect(provider(cache, wechat).get()).rejects.toBeInstanceOf(WechatBusyError)
      expect(await cache.read(wechat.client.appid)).toBeNull()
      expect(await provider(cache, wechat).get()).toBe(wechat.current())
    })

    it('keeps the forced-refresh bookkeeping (Beijing date) and one row per app', async () => {
      const [cache] = caches()
      if (!cache) throw new Error('no cache')
      const record = {
        accessToken: 'sealed-token-value',
        expiresAt: new Date(Date.now() + 3600_000),
        refreshedAt: new Date(),
        lastForcedAt: new Date(),
        forcedDay: '2026-03-01',
        forcedCount: 7,
      }
      await cache.refreshLocked(`wx_${lock}_d`, async () => record)
      await cache.refreshLocked(`wx_${lock}_e`, async () => ({ ...record, accessToken: 'other' }))
      expect(await cache.read(`wx_${lock}_d`)).toEqual(record)
      expect((await cache.read(`wx_${lock}_e`))?.accessToken).toBe('other')
    })

    it('treats a row it cannot open (another data key) as absent', async () => {
      const appid = `wx_${lock}_f`
      const db = dbs[0]
      if (!db) throw new Error('no db')
      const unreadable: string[] = []
      const otherKey = createAccessTokenCache({
        prisma: db.prisma,
        box: createSecretBox([dataKey(randomBytes(32))]),
        lock,
      })
      await otherKey.refreshLocked(appid, async () => ({
        accessToken: 'from-another-key',
        expiresAt: new Date(Date.now() + 3600_000),
        refreshedAt: new Date(),
        lastForcedAt: null,
        forcedDay: null,
        forcedCount: 0,
      }))
      const cache = createAccessTokenCache({
        prisma: db.prisma,
        box,
        lock,
        onUnreadable: (a) => unreadable.push(a),
      })
      expect(await cache.read(appid)).toBeNull()
      expect(unreadable).toEqual([appid])
    })
  })
}

const pglite = async () => {
  const db = await openDatabase({ url: 'pglite:memory:' })
  await applyMigrations(db)
  return { dbs: [db], cleanup: async () => {} }
}

describeCache('PGlite', 'process', pglite)
// The advisory lock works on PGlite too (the server does not use it there:
// PGlite would stall every other query while the lock's transaction waits on WeChat).
describeCache('PGlite', 'advisory', pglite)

let postgres: TestPostgres | undefined
describeCache('PostgreSQL, two pools', 'advisory', async () => {
  postgres = await createTestPostgres()
  const first = await openDatabase({ url: postgres.url, poolSize: 4 })
  await applyMigrations(first)
  const second = await openDatabase({ url: postgres.url, poolSize: 4 })
  return { dbs: [first, second], cleanup: () => postgres?.drop() ?? Promise.resolve() }
})
