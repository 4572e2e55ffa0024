/**
 * A soak: simulated users, each the real session client and typed tRPC
 * client (login-fixture.ts), send mixed traffic to one real server and the
 * simulator for a fixed time. Every call must succeed (nothing in this mix
 * may fail, so any error is unexpected), every login must be one wx.login,
 * one auth.login and one code exchange at WeChat, and the server's memory,
 * sampled after a full GC by a preloaded probe, must be flat after warm-up.
 */
import {
  compareThirds,
  memoryProbe,
  type RunningProcess,
  residentBytes,
  SIM_DEV_APPID,
  SIM_DEV_SECRET,
  startApiServer,
  startSimulator,
} from '@wxapp/testing'
import { createSimControl } from '@wxapp/wechat-sim/client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Counters, launchApp } from './login-fixture'

export interface SoakOptions {
  /** The database's name in the test title. */
  name: string
  prepare: () => Promise<{ url: string; cleanup: () => Promise<void> }>
  seconds: number
  users: number
  /** Judge memory (only meaningful with a warm-up and enough samples after it). */
  judgeMemory: boolean
}

const MB = 1024 * 1024
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** A small seeded PRNG (mulberry32): the same seed gives each user the same sequence of actions. */
function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Tolerances for "flat" memory, explained where they are used. */
const HEAP_TOLERANCE = { bytes: 4 * MB, ratio: 0.1 }
const NATIVE_TOLERANCE = { bytes: 8 * MB, ratio: 0.5 }
const RSS_TOLERANCE = { bytes: 64 * MB, ratio: 0.25 }

export function describeSoak(opts: SoakOptions) {
  const { seconds, users } = opts
  // Enough samples after warm-up to take medians of thirds (about 8 each in 60 s).
  const warmupMs = Math.max(5000, (seconds * 1000) / 6)
  const sampleMs = Math.max(500, Math.min(2000, (seconds * 1000) / 30))
  const seed = Number(process.env.SOAK_SEED || Date.now() % 100_000)

  describe(`soak on ${opts.name}: ${users} users for ${seconds} s`, () => {
    let sim: RunningProcess
    let server: RunningProcess
    let cleanup: (() => Promise<void>) | undefined
    const probe = memoryProbe({ intervalMs: sampleMs })

    beforeAll(async () => {
      sim = await startSimulator({ SIM_SEED: 'soak-seed' })
      const db = await opts.prepare()
      cleanup = db.cleanup
      server = await startApiServer({
        WECHAT_API_BASE: sim.url,
        WECHAT_APPID: SIM_DEV_APPID,
        WECHAT_SECRET: SIM_DEV_SECRET,
        DATABASE_URL: db.url,
        // As deployed: a line per request, through the same pipe.
        LOG_LEVEL: 'info',
        ...probe.env,
      })
    })

    afterAll(async () => {
      // Servers before the simulator: a stopping simulator could hold up a
      // server call in flight past its shutdown timeout.
      const codes = [await server?.stop(), await sim?.stop()]
      await cleanup?.()
      probe.cleanup()
      expect(codes).toEqual([0, 0])
    })

    it(
      `serves mixed traffic with no error and one WeChat exchange per login${opts.judgeMemory ? ', memory flat' : ''}`,
      async () => {
        const control = createSimControl({ baseUrl: sim.url })
        const before = (await control.stats())[SIM_DEV_APPID]?.jscode2session ?? 0
        const errors: string[] = []
        const ops: Record<string, number> = {}
        const latencies: number[] = []
        const totals: Counters = { sourceLogins: 0, apiRequests: 0, authLogins: 0 }
        let logouts = 0
        const done: number[] = Array.from({ length: users }, () => 0)
        const started = Date.now()
        const end = started + seconds * 1000

        const runUser = async (index: number) => {
          const rng = random(seed * 1000 + index)
          const user = `soak-${index}`
          const launch = (storage?: ReturnType<typeof launchApp>['storage']) =>
            launchApp({
              apiUrl: server.url,
              simUrl: sim.url,
              appid: SIM_DEV_APPID,
              user,
              ...(storage ? { storage } : {}),
            })
          let app = launch()
          const retire = () => {
            totals.sourceLogins += app.counters.sourceLogins
            totals.apiRequests += app.counters.apiRequests
            totals.authLogins += app.counters.authLogins
          }
          // Users start spread over the first second, as they would.
          await sleep(rng() * 1000)
          for (let n = 0; Date.now() < end; n++) {
            const dice = rng()
            const op =
              dice < 0.4
                ? 'user.me'
                : dice < 0.58
                  ? 'user.updateProfile'
                  : dice < 0.76
                    ? 'session.list'
                    : dice < 0.88
                      ? 'batch(me,list)'
                      : dice < 0.96
                        ? 'relaunch'
                        : 'logout'
            const t0 = performance.now()
            try {
              if (op === 'user.me') await app.api.user.me.query()
              else if (op === 'user.updateProfile')
                await app.api.user.updateProfile.mutate({
                  nickname: `用户 ${index}·${n} 🙂`,
                  // The simulator downloads it for its media check: a local URL (404).
                  ...(n % 3 === 0
                    ? { avatarUrl: `${server.url}/uploads/soak/${index}/${n}.png` }
                    : {}),
                })
              else if (op === 'session.list') {
                const list = await app.api.session.list.query()
                if (!list.some((s) => s.current)) throw new Error('session.list lacks the caller')
              } else if (op === 'batch(me,list)')
                await Promise.all([app.api.user.me.query(), app.api.session.list.query()])
              else if (op === 'relaunch') {
                // The app is closed and opened again: warm launch from storage.
                retire()
                app = launch(app.storage)
                await app.api.user.me.query()
              } else {
                await app.session.logout(() => app.api.auth.logout.mutate())
                logouts++
              }
              latencies.push(performance.now() - t0)
            } catch (error) {
              const e = error as { message?: string; data?: { reason?: string }; cause?: unknown }
              errors.push(`${user} ${op}: ${e.data?.reason ?? ''} ${e.message ?? String(error)}`)
            }
            ops[op] = (ops[op] ?? 0) + 1
            done[index] = (done[index] ?? 0) + 1
            // Think time: 0-20 ms.
            await sleep(rng() * 20)
          }
          retire()
        }

        await Promise.all(Array.from({ length: users }, (_, i) => runUser(i)))
        const elapsed = (Date.now() - started) / 1000
        const after = (await control.stats())[SIM_DEV_APPID]?.jscode2session ?? 0

        // --- traffic
        const calls = Object.values(ops).reduce((a, b) => a + b, 0)
        latencies.sort((a, b) => a - b)
        const pct = (p: number) =>
          (latencies[Math.floor((latencies.length - 1) * p)] ?? 0).toFixed(1)
        console.log(
          `soak ${opts.name}: seed ${seed} (SOAK_SEED), ${users} users, ${elapsed.toFixed(1)} s, ` +
            `${calls} operations (${(calls / elapsed).toFixed(0)}/s), ${totals.apiRequests} HTTP requests, ` +
            `${totals.sourceLogins} logins, ${logouts} logouts, ${errors.length} errors; ` +
            `latency p50 ${pct(0.5)} ms p99 ${pct(0.99)} ms; ${JSON.stringify(ops)}`,
        )
        expect(errors.slice(0, 10)).toEqual([])
        // Every user took part, and the mix held every kind of call (how
        // many calls fit in the time depends on the machine: not asserted).
        expect(Math.min(...done)).toBeGreaterThan(0)
        for (const op of ['user.me', 'user.updateProfile', 'logout', 'relaunch']) {
          expect(ops[op], op).toBeGreaterThan(0)
        }
        // Each login: one wx.login, one auth.login, one exchange at WeChat.
        expect(totals.authLogins).toBe(totals.sourceLogins)
        expect(after - before).toBe(totals.sourceLogins)
        // One login per user, plus at most one per logout (none for a warm relaunch).
        expect(totals.sourceLogins).toBeGreaterThanOrEqual(users)
        expect(totals.sourceLogins).toBeLessThanOrEqual(users + logouts)
        expect(server.logs().filter((l) => l.level >= 50)).toEqual([])

        // --- memory
        const samples = probe.samples().filter((s) => s.t >= started + warmupMs && s.t <= end)
        const heap = compareThirds(samples.map((s) => s.heapUsed))
        const rss = compareThirds(samples.map((s) => s.rss))
        // Buffers and other memory outside V8's heap that V8 accounts for.
        const native = compareThirds(samples.map((s) => s.external + s.arrayBuffers))
        const sign = (b: number) => (b >= 0 ? '+' : '')
        const fmt = (b: number) => `${(b / MB).toFixed(1)} MB`
        const pid = server.child.pid
        console.log(
          `soak ${opts.name} memory after a full GC, ${samples.length} samples every ${sampleMs} ms ` +
            `after a ${warmupMs / 1000} s warm-up (medians of the first and last third): ` +
            `heap ${fmt(heap.first)} -> ${fmt(heap.last)} (${sign(heap.growth)}${fmt(heap.growth)}), ` +
            `external ${fmt(native.first)} -> ${fmt(native.last)} (${sign(native.growth)}${fmt(native.growth)}), ` +
            `RSS ${fmt(rss.first)} -> ${fmt(rss.last)} (${sign(rss.growth)}${fmt(rss.growth)}); ` +
            `VmRSS now ${pid ? fmt(residentBytes(pid) ?? 0) : '?'}; ` +
            `heap series (MB): ${samples.map((s) => (s.heapUsed / MB).toFixed(1)).join(' ')}; ` +
            `external series (MB): ${samples.map((s) => ((s.external + s.arrayBuffers) / MB).toFixed(1)).join(' ')}`,
        )
        const heapAllowed = Math.max(HEAP_TOLERANCE.bytes, heap.first * HEAP_TOLERANCE.ratio)
        // Requests between the midpoints of the first and last thirds: a leak
        // of heapAllowed / that many bytes per request would exceed the tolerance.
        const measuredMs = Math.min(end, Date.now()) - (started + warmupMs)
        const between = (totals.apiRequests / (elapsed * 1000)) * measuredMs * (2 / 3)
        console.log(
          `soak ${opts.name}: heap growth allowed ${fmt(heapAllowed)}, over ~${between.toFixed(0)} ` +
            `requests: a leak of ${(heapAllowed / Math.max(1, between)).toFixed(0)} bytes per request or more fails it`,
        )
        if (opts.judgeMemory) {
          expect(samples.length).toBeGreaterThanOrEqual(9)
          // The live heap (after a full GC) must not grow by more than 4 MB or
          // 10% between the thirds. After a GC it still varies by about 2 MB
          // with what is in flight at that instant (the medians absorb most of
          // it); at 350-600 requests a second the tolerance catches a leak of
          // 200-400 bytes per request (each run prints its own figure).
          expect(heap.growth).toBeLessThanOrEqual(heapAllowed)
          // Buffers in flight make this series noisy (7-16 MB within one run):
          // a median shift of 8 MB is a leak, not traffic.
          expect(native.growth).toBeLessThanOrEqual(
            Math.max(NATIVE_TOLERANCE.bytes, native.first * NATIVE_TOLERANCE.ratio),
          )
          // RSS also holds what the allocators keep after a free and V8's
          // young generation growing under load (seen varying by 30 MB between
          // runs with a flat heap): judged loosely, against gross native leaks.
          expect(rss.growth).toBeLessThanOrEqual(
            Math.max(RSS_TOLERANCE.bytes, rss.first * RSS_TOLERANCE.ratio),
          )
        }
      },
      (seconds + 90) * 1000,
    )
  })
}
