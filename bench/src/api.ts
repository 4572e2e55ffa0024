// HTTP throughput of the API server: /healthz (the floor: Fastify, request
// logging, nothing else), tRPC system.ping (no database), /readyz (SELECT 1)
// and authenticated user.me as the app's client sends it. Each variant of the
// server runs as its own process; every ratio compares rows of ONE process
// measured back to back, so a noisy machine shifts both sides alike.
import { type LoadResult, load } from './http'
import { loginToken, type Stack, startStack, USER_ME_BATCH_PATH } from './stack'

export const CONNECTIONS = 20

export interface Variant {
  name: string
  /** Server environment on top of the defaults (LOG_LEVEL=info, as in production). */
  env: Record<string, string>
  /** Another build of the server (a baseline to compare with). */
  entry?: string
  /** Rows beyond /healthz and user.me. */
  extraRows?: ('ping' | 'readyz')[]
  /**
   * Sessions of this many users, each `user.me` with one drawn at random, so
   * the session cache hits only as often as it would with that many users
   * (default: 20 users, one per connection, always cached).
   */
  users?: number
}

export interface VariantResult {
  database: string
  variant: string
  healthz: LoadResult
  me: LoadResult
  ping?: LoadResult
  readyz?: LoadResult
}

/** Two runs of the same target merged: requests and CPU summed, percentiles averaged. */
function merge(a: LoadResult, b: LoadResult): LoadResult {
  const requests = a.requests + b.requests
  return {
    requestsPerSecond: (a.requestsPerSecond + b.requestsPerSecond) / 2,
    p50Ms: (a.p50Ms + b.p50Ms) / 2,
    p99Ms: (a.p99Ms + b.p99Ms) / 2,
    requests,
    errors: a.errors + b.errors,
    non2xx: a.non2xx + b.non2xx,
    serverCpuUs:
      a.serverCpuUs !== null && b.serverCpuUs !== null
        ? (a.serverCpuUs * a.requests + b.serverCpuUs * b.requests) / requests
        : null,
  }
}

export async function benchVariant(opts: {
  database: string
  databaseUrl: string
  variant: Variant
  seconds: number
}): Promise<VariantResult> {
  const { variant, seconds } = opts
  const stack: Stack = await startStack({
    databaseUrl: opts.databaseUrl,
    env: variant.env,
    ...(variant.entry ? { entry: variant.entry } : {}),
  })
  try {
    const base = stack.server.url
    const serverPid = stack.server.child.pid
    // One session per connection (20 users calling at once), or many users.
    const tokens = variant.users
      ? await loginMany(stack, variant.users)
      : await Promise.all(
          Array.from({ length: CONNECTIONS }, (_, i) => loginToken(stack, `bench-me-${i}`)),
        )
    const auth = variant.users
      ? {
          headersPerRequest: () => ({
            authorization: `Bearer ${tokens[Math.floor(Math.random() * tokens.length)]}`,
          }),
        }
      : { headersFor: (i: number) => ({ authorization: `Bearer ${tokens[i % tokens.length]}` }) }
    const me = () => load({ url: `${base}${USER_ME_BATCH_PATH}`, seconds, ...auth, serverPid })
    const healthz = (s: number) => load({ url: `${base}/healthz`, seconds: s, serverPid })

    // Warm-up (JIT, pools, caches), then /healthz in two halves around the
    // other rows, so a drift in the machine's load shows on both sides.
    await load({ url: `${base}/healthz`, seconds: 1 })
    await load({ url: `${base}${USER_ME_BATCH_PATH}`, seconds: 1, ...auth })
    const first = await healthz(seconds / 2)
    const result: VariantResult = {
      database: opts.database,
      variant: variant.name,
      healthz: first,
      me: await me(),
    }
    for (const row of variant.extraRows ?? []) {
      const path = row === 'ping' ? '/trpc/system.ping' : '/readyz'
      result[row] = await load({ url: `${base}${path}`, seconds, serverPid })
    }
    result.healthz = merge(first, await healthz(seconds / 2))
    return result
  } finally {
    await stack.stop()
  }
}

/** `count` users logged in, a few at a time (what a morning of logins leaves behind). */
async function loginMany(stack: Stack, count: number): Promise<string[]> {
  const tokens: string[] = []
  let next = 0
  const worker = async () => {
    while (next < count) {
      const i = next++
      tokens.push(await loginToken(stack, `bench-many-${i}`))
    }
  }
  await Promise.all(Array.from({ length: 8 }, worker))
  return tokens
}

export function failures(r: LoadResult): number {
  return r.errors + r.non2xx
}
