/**
 * WeChat slower than the server waits (the simulator's `delayMs` fault above
 * WECHAT_TIMEOUT_MS): the server answers 503 WECHAT_UNAVAILABLE after its own
 * timeout rather than WeChat's delay, and works again once WeChat does.
 * (WeChat busy, errcode -1, is covered in login-flows.ts.)
 */

import type { TRPCClientError } from '@trpc/client'
import type { AppRouter } from '@wxapp/api'
import { sessionLoginErrorOf } from '@wxapp/session/client'
import {
  type RunningProcess,
  SIM_DEV_APPID,
  SIM_DEV_SECRET,
  startApiServer,
  startSimulator,
} from '@wxapp/testing'
import { createSimControl, type SimControl } from '@wxapp/wechat-sim/client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchApp, rawCall } from './login-fixture'

const TIMEOUT_MS = 500
/** Far beyond the timeout: an answer after this long would mean the server waited for WeChat. */
const WECHAT_DELAY_MS = 4000
/** The timeout, plus room for a loaded machine, and still well short of WeChat's delay. */
const PROMPT_MS = TIMEOUT_MS + 1500

describe('WeChat slower than WECHAT_TIMEOUT_MS', () => {
  let sim: RunningProcess
  let server: RunningProcess
  let control: SimControl
  const launch = (user: string) =>
    launchApp({ apiUrl: server.url, simUrl: sim.url, appid: SIM_DEV_APPID, user })
  const exchanges = async () => (await control.stats())[SIM_DEV_APPID]?.jscode2session ?? 0

  beforeAll(async () => {
    sim = await startSimulator({ SIM_SEED: 'wechat-timeout' })
    control = createSimControl({ baseUrl: sim.url })
    server = await startApiServer({
      WECHAT_API_BASE: sim.url,
      WECHAT_APPID: SIM_DEV_APPID,
      WECHAT_SECRET: SIM_DEV_SECRET,
      WECHAT_TIMEOUT_MS: String(TIMEOUT_MS),
      DATABASE_URL: 'pglite:memory:',
    })
  })

  afterAll(async () => {
    // Servers before the simulator: a stopping simulator could hold up a
    // server call in flight past its shutdown timeout.
    const codes = [await server?.stop(), await sim?.stop()]
    expect(codes).toEqual([0, 0])
  })

  it('answers auth.login 503 WECHAT_UNAVAILABLE after its timeout, without retrying the code', async () => {
    const before = await exchanges()
    await control.faults({ path: '/sns/jscode2session', delayMs: WECHAT_DELAY_MS, count: 1 })
    const code = await control.login({ appid: SIM_DEV_APPID, user: 'slow-raw' })
    const started = performance.now()
    const res = await rawCall(server.url, 'auth.login', { code })
    const ms = performance.now() - started
    console.log(
      `auth.login with WeChat ${WECHAT_DELAY_MS} ms late: ${res.status} in ${ms.toFixed(0)} ms`,
    )
    expect(res.status).toBe(503)
    expect(res.body.error?.data).toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      reason: 'WECHAT_UNAVAILABLE',
    })
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50)
    expect(ms).toBeLessThan(PROMPT_MS)
    // A code exchange is never sent twice (the first may have used the code).
    expect((await exchanges()) - before).toBe(1)
  })

  it('gives the app a typed, retryable login error, and the next call logs in once WeChat answers', async () => {
    const app = launch('slow-app')
    await control.faults({ path: '/sns/jscode2session', delayMs: WECHAT_DELAY_MS, count: 1 })
    const started = performance.now()
    const error = await app.api.user.me.query().then(
      () => null,
      (e: TRPCClientError<AppRouter>) => e,
    )
    const ms = performance.now() - started
    const cause = sessionLoginErrorOf(error)
    expect(cause?.reason).toBe('WECHAT_UNAVAILABLE')
    expect(cause?.retryable).toBe(true)
    expect(ms).toBeLessThan(PROMPT_MS)
    expect(app.session.token).toBeNull()
    expect(app.counters).toMatchObject({ sourceLogins: 1, authLogins: 1 })

    // The fault is used up: WeChat answers again, and the app's next call
    // logs in by itself with a fresh code.
    const before = await exchanges()
    const me = await app.api.user.me.query()
    expect(me.id).toEqual(expect.any(String))
    expect(app.session.token).toEqual(expect.any(String))
    expect(app.counters).toMatchObject({ sourceLogins: 2, authLogins: 2 })
    expect((await exchanges()) - before).toBe(1)
  })

  it('answers user.bindPhone 503 WECHAT_UNAVAILABLE promptly when getuserphonenumber is late, then binds', async () => {
    const app = launch('slow-phone')
    await app.api.user.me.query()
    await control.faults({
      path: '/wxa/business/getuserphonenumber',
      delayMs: WECHAT_DELAY_MS,
      count: 1,
    })
    const started = performance.now()
    const error = await app.api.user.bindPhone
      .mutate({ code: await control.phoneCode({ appid: SIM_DEV_APPID, user: 'slow-phone' }) })
      .then(
        () => null,
        (e: TRPCClientError<AppRouter>) => e,
      )
    const ms = performance.now() - started
    expect(error?.data).toMatchObject({ httpStatus: 503, reason: 'WECHAT_UNAVAILABLE' })
    // The access token came first (one stable_token call, not late), then the late call.
    expect(ms).toBeLessThan(PROMPT_MS + 500)

    const bound = await app.api.user.bindPhone.mutate({
      code: await control.phoneCode({ appid: SIM_DEV_APPID, user: 'slow-phone' }),
    })
    expect(bound.phoneNumber).toMatch(/^\d{3}\*+\d{4}$/)
  })

  it('retries a late stable_token (safe to repeat), so the call still succeeds', async () => {
    // A fresh server: its access token is not cached yet.
    const fresh = await startApiServer({
      WECHAT_API_BASE: sim.url,
      WECHAT_APPID: SIM_DEV_APPID,
      WECHAT_SECRET: SIM_DEV_SECRET,
      WECHAT_TIMEOUT_MS: String(TIMEOUT_MS),
      DATABASE_URL: 'pglite:memory:',
    })
    try {
      const app = launchApp({
        apiUrl: fresh.url,
        simUrl: sim.url,
        appid: SIM_DEV_APPID,
        user: 'slow-token',
      })
      await app.api.user.me.query()
      const before = (await control.stats())[SIM_DEV_APPID]?.stable_token ?? 0
      await control.faults({ path: '/cgi-bin/stable_token', delayMs: WECHAT_DELAY_MS, count: 1 })
      const started = performance.now()
      const bound = await app.api.user.bindPhone.mutate({
        code: await control.phoneCode({ appid: SIM_DEV_APPID, user: 'slow-token' }),
      })
      const ms = performance.now() - started
      expect(bound.phoneNumber).toEqual(expect.any(String))
      expect(((await control.stats())[SIM_DEV_APPID]?.stable_token ?? 0) - before).toBe(2)
      expect(ms).toBeLessThan(PROMPT_MS + 1000)
    } finally {
      expect(await fresh.stop()).toBe(0)
    }
  })
})
