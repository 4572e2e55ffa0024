// auth.login throughput against the WeChat simulator: every request carries a
// fresh wx.login code, minted beforehand (minting is not measured). A code
// belongs to one of many simulated users (the simulator, like WeChat, limits
// code2Session per user), so the run mixes first logins (a new user) with
// returning ones.
import { SIM_DEV_APPID } from '@wxapp/testing'
import { type LoadResult, load } from './http'
import { startStack } from './stack'

const USERS = 400

/** `count` fresh wx.login codes of simulated users, minted 16 at a time. */
export async function mint(
  control: { login(req: { appid: string; user: string }): Promise<string> },
  count: number,
  offset: number,
): Promise<string[]> {
  const codes: string[] = new Array(count)
  let next = 0
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < count) {
        const i = next++
        codes[i] = await control.login({
          appid: SIM_DEV_APPID,
          user: `bench-login-${(offset + i) % USERS}`,
        })
      }
    }),
  )
  return codes
}

export async function benchLogin(opts: {
  databaseUrl: string
  seconds: number
  connections: number
  /** Another build of the server (a baseline's dist/main.js), as startStack takes it. */
  entry?: string
  /** More server environment (the login limits on, say). */
  env?: Record<string, string>
}): Promise<{ login: LoadResult; healthz: LoadResult }> {
  // LOGIN_RATE_LIMIT=0 (and per user): the server's limits would otherwise be what is measured.
  const stack = await startStack({
    databaseUrl: opts.databaseUrl,
    ...(opts.entry ? { entry: opts.entry } : {}),
    ...(opts.env ? { env: opts.env } : {}),
  })
  try {
    const url = `${stack.server.url}/trpc/auth.login`
    const serverPid = stack.server.child.pid
    const run = async (codes: string[], seconds?: number) =>
      load({
        url,
        method: 'POST',
        // A run of `amount` requests ends on autocannon's one-second tick, so
        // its rate is the count over whole seconds (every run read ~290 req/s):
        // the measured run is timed instead, with codes to spare.
        ...(seconds ? { seconds } : { amount: codes.length - opts.connections }),
        connections: opts.connections,
        headers: { 'content-type': 'application/json' },
        body: (n) => JSON.stringify({ code: codes[Math.min(n, codes.length - 1)] }),
        serverPid,
      })
    // Calibrate: how many codes fill the run (from the warm-up's latency, which
    // the one-second tick does not round), twice over.
    const warm = await run(await mint(stack.control, 300, 0))
    const rate = (1000 * opts.connections) / Math.max(1, warm.p50Ms)
    const count = Math.max(600, Math.ceil(2 * rate * opts.seconds))
    const codes = await mint(stack.control, count, 300)
    const healthz = await load({ url: `${stack.server.url}/healthz`, seconds: opts.seconds / 2 })
    const login = await run(codes, opts.seconds)
    if (login.requests >= codes.length) {
      throw new Error(`the login run used up its ${codes.length} codes: raise the calibration`)
    }
    return { login, healthz }
  } finally {
    await stack.stop()
  }
}
