// Many instances behind a load balancer (HAProxy, as in the README's recipe),
// from the deployed artifact on one PostgreSQL database: user.me throughput
// through the balancer with one instance and with two, beside one instance
// reached directly (the balancer's own cost), and how long a logout on one
// instance takes to be refused by another whose cache holds the session.
//
// On a 2-core machine the second instance cannot add throughput: the load
// generator, HAProxy, PostgreSQL and the servers share the two cores. The
// 1-vs-2 ratio shows the cost of spreading, not the gain of a real cluster.
import {
  type Cluster,
  deployServerArtifact,
  loginThrough,
  SIM_DEV_APPID,
  startCluster,
  startSimulator,
} from '@wxapp/testing'
import { createSimControl } from '@wxapp/wechat-sim/client'
import { type LoadResult, load } from './http'
import { USER_ME_BATCH_PATH } from './stack'

export interface ClusterResult {
  direct: LoadResult
  oneBehindBalancer: LoadResult
  twoBehindBalancer: LoadResult
  /** Logout on instance 1 to refusal on instance 2, in ms, over `trials` logouts. */
  logoutToRefusal: { medianMs: number; maxMs: number; trials: number }
}

const CONNECTIONS = 20
const USERS = 200

async function tokensFor(cluster: Cluster, simUrl: string, prefix: string, count: number) {
  const control = createSimControl({ baseUrl: simUrl })
  const tokens: string[] = []
  for (let i = 0; i < count; i++) {
    const code = await control.login({ appid: SIM_DEV_APPID, user: `${prefix}-${i}` })
    tokens.push((await loginThrough(cluster.balancer.url, code, SIM_DEV_APPID)).token)
  }
  return tokens
}

function me(url: string, tokens: string[], seconds: number) {
  let next = 0
  return load({
    url: `${url}${USER_ME_BATCH_PATH}`,
    seconds,
    connections: CONNECTIONS,
    // Each connection its own user, drawn from USERS sessions.
    headersFor: () => ({ authorization: `Bearer ${tokens[next++ % tokens.length]}` }),
  })
}

async function logoutLatency(cluster: Cluster, tokens: string[]) {
  const [a, b] = cluster.instances
  if (!a || !b) throw new Error('two instances needed')
  const samples: number[] = []
  for (const token of tokens) {
    const headers = { authorization: `Bearer ${token}`, 'x-wx-appid': SIM_DEV_APPID }
    // Instance 2 caches the session first; instance 1 logs it out.
    const warm = await fetch(`${b.url}/trpc/user.me`, { headers })
    if (warm.status !== 200) throw new Error(`user.me answered ${warm.status}`)
    const out = await fetch(`${a.url}/trpc/auth.logout`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: '{}',
    })
    if (out.status !== 200) throw new Error(`logout answered ${out.status}`)
    const loggedOut = performance.now()
    for (;;) {
      const r = await fetch(`${b.url}/trpc/user.me`, { headers })
      await r.arrayBuffer()
      if (r.status === 401) break
      if (performance.now() - loggedOut > 10_000) throw new Error('never refused')
    }
    samples.push(performance.now() - loggedOut)
  }
  samples.sort((x, y) => x - y)
  return {
    medianMs: samples[Math.floor(samples.length / 2)] ?? 0,
    maxMs: samples.at(-1) ?? 0,
    trials: samples.length,
  }
}

export async function benchCluster(opts: {
  databaseUrl: string
  seconds: number
}): Promise<ClusterResult> {
  const artifact = await deployServerArtifact()
  const sim = await startSimulator()
  const env = { DATABASE_URL: opts.databaseUrl, WECHAT_API_BASE: sim.url, LOG_LEVEL: 'info' }
  try {
    let direct: LoadResult
    let oneBehindBalancer: LoadResult
    const one = await startCluster({ artifact, count: 1, env })
    try {
      const tokens = await tokensFor(one, sim.url, 'bench-one', USERS)
      const instance = one.instances[0]?.url ?? ''
      await me(one.balancer.url, tokens, 1)
      // Direct and through the balancer, alternating halves against drift.
      const d1 = await me(instance, tokens, opts.seconds / 2)
      const b1 = await me(one.balancer.url, tokens, opts.seconds / 2)
      const d2 = await me(instance, tokens, opts.seconds / 2)
      const b2 = await me(one.balancer.url, tokens, opts.seconds / 2)
      direct = average(d1, d2)
      oneBehindBalancer = average(b1, b2)
    } finally {
      await one.stop()
    }
    const two = await startCluster({ artifact, count: 2, env })
    try {
      const tokens = await tokensFor(two, sim.url, 'bench-two', USERS)
      await me(two.balancer.url, tokens, 1)
      const twoBehindBalancer = await me(two.balancer.url, tokens, opts.seconds)
      const logoutToRefusal = await logoutLatency(two, tokens.slice(0, 50))
      return { direct, oneBehindBalancer, twoBehindBalancer, logoutToRefusal }
    } finally {
      await two.stop()
    }
  } finally {
    await sim.stop()
    await artifact.remove()
  }
}

function average(a: LoadResult, b: LoadResult): LoadResult {
  return {
    requestsPerSecond: (a.requestsPerSecond + b.requestsPerSecond) / 2,
    p50Ms: (a.p50Ms + b.p50Ms) / 2,
    p99Ms: (a.p99Ms + b.p99Ms) / 2,
    requests: a.requests + b.requests,
    errors: a.errors + b.errors,
    non2xx: a.non2xx + b.non2xx,
    serverCpuUs: null,
  }
}
