/**
 * The server killed (SIGKILL) under load and started again on the same
 * database and address: sessions live in the database, so every client goes
 * on with the token it holds. The session client does not retry a call that
 * met no server (only a refused session starts a re-login), so calls during
 * the outage fail with a network error and the next ones succeed, with no
 * new login anywhere.
 */
import { readFileSync } from 'node:fs'
import { TRPCClientError } from '@trpc/client'
import { sessionLoginErrorOf } from '@wxapp/session/client'
import {
  type RunningProcess,
  SIM_DEV_APPID,
  SIM_DEV_SECRET,
  startApiServer,
  startSimulator,
} from '@wxapp/testing'
import { createSimControl } from '@wxapp/wechat-sim/client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AppUnderTest, launchApp } from './login-fixture'

export interface RestartDatabase {
  url: string
  cleanup: () => Promise<void>
  /** The embedded database's lock file, which a SIGKILL leaves behind. */
  lockFile?: string
}

const USERS = 30
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** A call that reached no server: the tRPC client's own error, no answer, no login attempted. */
export function isNetworkError(error: unknown): boolean {
  return (
    error instanceof TRPCClientError &&
    error.data === undefined &&
    sessionLoginErrorOf(error) === null &&
    /fetch failed/i.test(error.message)
  )
}

export interface CallRecord {
  user: number
  start: number
  end: number
  ok: boolean
  error?: unknown
}

/**
 * Runs `call` for every app in a loop until `stop()`; records each call.
 * Authenticated calls only: a logout in flight at the kill is another test.
 */
export function loadLoop(apps: AppUnderTest[]) {
  const records: CallRecord[] = []
  let running = true
  const loops = apps.map(async (app, user) => {
    for (let n = 0; running; n++) {
      const start = performance.now()
      try {
        if (n % 3 === 0) await app.api.user.me.query()
        else if (n % 3 === 1) await app.api.session.list.query()
        else await app.api.user.updateProfile.mutate({ nickname: `restart ${user} ${n}` })
        records.push({ user, start, end: performance.now(), ok: true })
      } catch (error) {
        records.push({ user, start, end: performance.now(), ok: false, error })
      }
      await sleep(10 + (n % 20))
    }
  })
  return {
    records,
    async stop() {
      running = false
      await Promise.all(loops)
    },
  }
}

export function describeRestart(name: string, prepare: () => Promise<RestartDatabase>) {
  describe(`the server killed (SIGKILL) and restarted under load on ${name}`, () => {
    let sim: RunningProcess
    let server: RunningProcess
    let db: RestartDatabase
    let env: Record<string, string>

    beforeAll(async () => {
      sim = await startSimulator({ SIM_SEED: 'restart-seed' })
      db = await prepare()
      env = {
        WECHAT_API_BASE: sim.url,
        WECHAT_APPID: SIM_DEV_APPID,
        WECHAT_SECRET: SIM_DEV_SECRET,
        DATABASE_URL: db.url,
      }
      server = await startApiServer(env)
    })

    afterAll(async () => {
      // Servers before the simulator: a stopping simulator could hold up a
      // server call in flight past its shutdown timeout.
      const codes = [await server?.stop(), await sim?.stop()]
      await db?.cleanup()
      expect(codes).toEqual([0, 0])
    })

    it('loses no session: clients keep their tokens and recover with no new login', async () => {
      const control = createSimControl({ baseUrl: sim.url })
      const apps = Array.from({ length: USERS }, (_, i) =>
        launchApp({ apiUrl: server.url, simUrl: sim.url, appid: SIM_DEV_APPID, user: `r-${i}` }),
      )
      const ids = await Promise.all(apps.map(async (a) => (await a.api.user.me.query()).id))
      const tokens = apps.map((a) => a.session.token)
      const exchanges = (await control.stats())[SIM_DEV_APPID]?.jscode2session

      const load = loadLoop(apps)
      await sleep(1500)
      const port = Number(new URL(server.url).port)
      const oldPid = server.child.pid
      const killedAt = performance.now()
      // No chance to finish anything: sockets reset, pool connections dropped.
      await server.stop('SIGKILL')
      expect(server.child.signalCode).toBe('SIGKILL')
      if (db.lockFile) {
        // What a crash leaves: the lock of a process that is gone.
        expect(readFileSync(db.lockFile, 'utf8').trim()).toBe(String(oldPid))
      }
      const restartAt = performance.now()
      server = await startApiServer(env, 60_000, { port })
      const readyAt = performance.now()
      if (db.lockFile) {
        expect(readFileSync(db.lockFile, 'utf8').trim()).toBe(String(server.child.pid))
      }
      await sleep(2000)
      await load.stop()

      const { records } = load
      const failed = records.filter((r) => !r.ok)
      const firstSuccess = Math.min(
        ...records.filter((r) => r.ok && r.start >= killedAt).map((r) => r.end),
      )
      console.log(
        `restart on ${name}: killed after ${records.filter((r) => r.start < killedAt).length} calls; ` +
          `restart ready in ${(readyAt - restartAt).toFixed(0)} ms; first success ` +
          `${(firstSuccess - killedAt).toFixed(0)} ms after the kill; ${failed.length} calls failed ` +
          `(all network errors: ${failed.every((r) => isNetworkError(r.error))}), ` +
          `${records.filter((r) => r.ok && r.start >= readyAt).length} succeeded after the restart`,
      )

      // Every failure is a call that met no server, during the outage.
      for (const r of failed) {
        expect(isNetworkError(r.error), String(r.error)).toBe(true)
        expect(r.start).toBeLessThan(readyAt)
        expect(r.end).toBeGreaterThanOrEqual(killedAt)
      }
      expect(failed.length).toBeGreaterThan(0)
      // Every user got through before the kill and again after the restart.
      for (let user = 0; user < USERS; user++) {
        const mine = records.filter((r) => r.user === user)
        expect(mine.some((r) => r.ok && r.end < killedAt)).toBe(true)
        expect(mine.some((r) => r.ok && r.start >= readyAt)).toBe(true)
        // A call started once the server was back always succeeded.
        expect(mine.filter((r) => r.start >= readyAt).every((r) => r.ok)).toBe(true)
      }
      // Nobody logged in again: same tokens, same users, no code exchanged.
      expect(apps.map((a) => a.session.token)).toEqual(tokens)
      expect(apps.map((a) => a.counters.sourceLogins)).toEqual(apps.map(() => 1))
      expect(apps.map((a) => a.counters.authLogins)).toEqual(apps.map(() => 1))
      expect((await control.stats())[SIM_DEV_APPID]?.jscode2session).toBe(exchanges)
      expect(await Promise.all(apps.map(async (a) => (await a.api.user.me.query()).id))).toEqual(
        ids,
      )
      // The sessions are still listed as the callers' own.
      const lists = await Promise.all(apps.map((a) => a.api.session.list.query()))
      for (const list of lists) expect(list.filter((s) => s.current)).toHaveLength(1)
    })
  })
}
