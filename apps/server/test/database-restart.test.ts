/**
 * PostgreSQL restarted under a running server (a private instance the test
 * really stops and starts, never the shared one): /readyz answers 503 while
 * it is down and 200 once it is back, and tRPC calls recover by themselves,
 * with the same server process, the same tokens and no new login.
 */
import { randomUUID } from 'node:crypto'
import { TRPCClientError } from '@trpc/client'
import type { AppRouter } from '@wxapp/api'
import { sessionLoginErrorOf } from '@wxapp/session/client'
import {
  type PrivatePostgres,
  type RunningProcess,
  SIM_DEV_APPID,
  SIM_DEV_SECRET,
  startApiServer,
  startPrivatePostgres,
  startSimulator,
} from '@wxapp/testing'
import { createSimControl } from '@wxapp/wechat-sim/client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchApp } from './login-fixture'
import { loadLoop } from './restart-flows'

const USERS = 20
const OUTAGE_MS = 3000
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('PostgreSQL restarted under a running server', () => {
  let pg: PrivatePostgres
  let sim: RunningProcess
  let server: RunningProcess

  beforeAll(async () => {
    pg = await startPrivatePostgres()
    sim = await startSimulator({ SIM_SEED: 'db-restart-seed' })
    server = await startApiServer({
      WECHAT_API_BASE: sim.url,
      WECHAT_APPID: SIM_DEV_APPID,
      WECHAT_SECRET: SIM_DEV_SECRET,
      DATABASE_URL: pg.url,
    })
  })

  afterAll(async () => {
    // The instance may have been left stopped by a failure: start it so the
    // server's shutdown is the normal one, then remove it whatever happens.
    await pg?.start().catch(() => {})
    // Servers before the simulator: a stopping simulator could hold up a
    // server call in flight past its shutdown timeout.
    const codes = [await server?.stop(), await sim?.stop()]
    await pg?.remove()
    expect(codes).toEqual([0, 0])
  })

  const readyz = async () => (await fetch(`${server.url}/readyz`)).status
  /** Polls until `status` answers `want`; returns when (performance.now()) it did. */
  const until = async (probe: () => Promise<number>, want: number, timeoutMs: number) => {
    const deadline = performance.now() + timeoutMs
    for (;;) {
      if ((await probe()) === want) return performance.now()
      if (performance.now() > deadline) throw new Error(`no ${want} within ${timeoutMs} ms`)
      await sleep(50)
    }
  }

  it('answers /readyz 503 while it is down, then 200, and calls recover without a restart or a login', async () => {
    const control = createSimControl({ baseUrl: sim.url })
    const apps = Array.from({ length: USERS }, (_, i) =>
      launchApp({ apiUrl: server.url, simUrl: sim.url, appid: SIM_DEV_APPID, user: `db-${i}` }),
    )
    const ids = await Promise.all(apps.map(async (a) => (await a.api.user.me.query()).id))
    const tokens = apps.map((a) => a.session.token)
    const exchanges = (await control.stats())[SIM_DEV_APPID]?.jscode2session
    const pid = server.child.pid
    expect(await readyz()).toBe(200)

    const load = loadLoop(apps)
    await sleep(1000)
    const stoppedAt = performance.now()
    await pg.stop('fast')
    const downAt = performance.now()
    const notReadyAt = await until(readyz, 503, 5000)
    // Down for a while: readiness keeps saying so, liveness stays up.
    const during: number[] = []
    while (performance.now() < downAt + OUTAGE_MS) {
      during.push(await readyz())
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
      await sleep(200)
    }
    // A route outside tRPC answers the outage the same way. (An unknown
    // session, so the session cache cannot answer it.)
    const upload = await fetch(`${server.url}/uploads/avatar`, {
      method: 'POST',
      headers: { authorization: `Bearer ${randomUUID()}.${'A'.repeat(43)}` },
    })
    const uploadError = ((await upload.json()) as { error?: { data?: unknown } }).error?.data
    const startAt = performance.now()
    await pg.start()
    const upAt = performance.now()
    const readyAt = await until(readyz, 200, 10_000)
    await sleep(2000)
    await load.stop()

    const { records } = load
    const failed = records.filter((r) => !r.ok)
    const reasons = new Map<string, number>()
    for (const r of failed) {
      const data = (r.error as TRPCClientError<AppRouter>).data
      const key = `${data?.httpStatus ?? 'none'} ${data?.reason ?? String(r.error)}`
      reasons.set(key, (reasons.get(key) ?? 0) + 1)
    }
    const firstSuccess = Math.min(
      ...records.filter((r) => r.ok && r.start >= upAt).map((r) => r.end),
    )
    console.log(
      `database restart: pg_ctl stop took ${(downAt - stoppedAt).toFixed(0)} ms, /readyz 503 ` +
        `${(notReadyAt - downAt).toFixed(0)} ms after; pg_ctl start took ${(upAt - startAt).toFixed(0)} ms, ` +
        `/readyz 200 ${(readyAt - upAt).toFixed(0)} ms after, first call through ` +
        `${(firstSuccess - upAt).toFixed(0)} ms after; ${failed.length} calls failed during the outage ` +
        `(${JSON.stringify(Object.fromEntries(reasons))}), ` +
        `${records.filter((r) => r.ok && r.start >= readyAt).length} succeeded after it`,
    )

    // What the server logged for those calls (a warning each, no internal errors).
    const logged = new Set(
      server
        .logs()
        .filter((l) => l.level >= 40)
        .map((l) => {
          const err = l.err as { type?: string; code?: string; message?: string } | undefined
          const detail = (err?.message ?? '')
            .split('\n')
            .filter((line) => line.trim())
            .at(-1)
          return `${l.msg}: ${err?.type ?? '?'} ${err?.code ?? ''} ${detail?.trim().slice(0, 100) ?? ''}`
        }),
    )
    console.log(`database restart: server warning lines: ${[...logged].slice(0, 5).join(' | ')}`)

    expect(server.logs().filter((l) => l.msg === 'tRPC procedure failed')).toEqual([])
    expect(during.every((s) => s === 503)).toBe(true)
    expect(upload.status).toBe(503)
    expect(uploadError).toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      reason: 'DATABASE_UNAVAILABLE',
    })
    // The same process served throughout.
    expect(server.child.pid).toBe(pid)
    expect(server.child.exitCode).toBeNull()
    // The outage was visible, as typed answers from the server, never as a
    // refused session (which would have logged the users in again).
    expect(failed.length).toBeGreaterThan(0)
    for (const r of failed) {
      expect(r.error).toBeInstanceOf(TRPCClientError)
      const data = (r.error as TRPCClientError<AppRouter>).data
      // The database's outage, said as such: 503 with a reason, never a 500.
      expect(data?.reason, String(r.error)).toBe('DATABASE_UNAVAILABLE')
      expect(data?.httpStatus).toBe(503)
      expect(sessionLoginErrorOf(r.error)).toBeNull()
      expect(r.end).toBeGreaterThanOrEqual(stoppedAt)
      expect(r.start).toBeLessThan(readyAt)
    }
    for (let user = 0; user < USERS; user++) {
      const mine = records.filter((r) => r.user === user)
      expect(mine.some((r) => r.ok && r.start >= readyAt)).toBe(true)
      expect(mine.filter((r) => r.start >= readyAt).every((r) => r.ok)).toBe(true)
    }
    expect(apps.map((a) => a.session.token)).toEqual(tokens)
    expect(apps.map((a) => a.counters.sourceLogins)).toEqual(apps.map(() => 1))
    expect((await control.stats())[SIM_DEV_APPID]?.jscode2session).toBe(exchanges)
    expect(await Promise.all(apps.map(async (a) => (await a.api.user.me.query()).id))).toEqual(ids)
  })
})
