// The mini-program's side, with the real session client and typed tRPC
// client wired as the app wires them (@wxapp/testing's launchApp), wx.login
// backed by the simulator: how many network calls a warm
// launch makes, and how many logins 50 parallel calls on an expired token
// cause.
import type { AppRouter } from '@wxapp/api'
import type { KeyValueStorage } from '@wxapp/session/client'
import { launchApp, SIM_DEV_APPID } from '@wxapp/testing'
import { createSimControl, simLoginSource } from '@wxapp/wechat-sim/client'
import { startStack } from './stack'

function launch(opts: { apiUrl: string; simUrl: string; user: string; storage?: KeyValueStorage }) {
  return launchApp<AppRouter>({
    apiUrl: opts.apiUrl,
    appid: SIM_DEV_APPID,
    source: simLoginSource(createSimControl({ baseUrl: opts.simUrl }), {
      appid: SIM_DEV_APPID,
      user: opts.user,
    }),
    login: (api, args) => api.auth.login.mutate(args),
    clientModel: 'bench',
    ...(opts.storage ? { storage: opts.storage } : {}),
  })
}

export interface ClientResult {
  /** Network calls (wx.login + API requests) of a warm launch up to a usable session: target 0. */
  warmLaunchCalls: number
  /** API requests of the first call after a warm launch: 1 (the call itself). */
  warmFirstCallRequests: number
  /** wx.login calls caused by 50 parallel calls on an expired token: target 1. */
  expiredWxLogins: number
  /** auth.login requests caused by them: target 1. */
  expiredAuthLogins: number
  /** API requests in all for the 50 calls (they batch). */
  expiredApiRequests: number
}

const SESSION_MS = 2000

export async function benchClient(opts: { databaseUrl: string }): Promise<ClientResult> {
  const normal = await startStack({ databaseUrl: opts.databaseUrl })
  // Sessions of 2 s, so that a token expires on the server during the run.
  const short = await startStack({
    databaseUrl: opts.databaseUrl,
    sim: normal.sim,
    env: { SESSION_IDLE_TIMEOUT: `${SESSION_MS}ms`, SESSION_LIFETIME: `${SESSION_MS}ms` },
  }).catch(async (error: unknown) => {
    await normal.stop()
    throw error
  })
  try {
    const simUrl = normal.sim.url
    // Cold launch: logs in.
    const cold = launch({ apiUrl: normal.server.url, simUrl, user: 'bench-client-a' })
    await cold.api.user.me.query()

    // Warm launch: same storage, WeChat session still valid.
    const warm = launch({
      apiUrl: normal.server.url,
      simUrl,
      user: 'bench-client-a',
      storage: cold.storage,
    })
    await warm.session.ensureSession()
    const warmLaunchCalls = warm.counters.sourceLogins + warm.counters.apiRequests
    const before = warm.counters.apiRequests
    await warm.api.user.me.query()
    const warmFirstCallRequests = warm.counters.apiRequests - before

    // 50 parallel calls once the server has expired the token.
    const app = launch({ apiUrl: short.server.url, simUrl, user: 'bench-client-b' })
    await app.session.ensureSession()
    await new Promise((r) => setTimeout(r, SESSION_MS + 300))
    const start = { ...app.counters }
    const results = await Promise.all(Array.from({ length: 50 }, () => app.api.user.me.query()))
    if (new Set(results.map((r) => r.id)).size !== 1) throw new Error('50 calls, several users?')
    return {
      warmLaunchCalls,
      warmFirstCallRequests,
      expiredWxLogins: app.counters.sourceLogins - start.sourceLogins,
      expiredAuthLogins: app.counters.authLogins - start.authLogins,
      expiredApiRequests: app.counters.apiRequests - start.apiRequests,
    }
  } finally {
    await short.stop()
    await normal.stop()
  }
}
