// Three servers from the deployed artifact on one PostgreSQL database,
// behind HAProxy (Debian's package; .ci/run installs it) with /readyz as its
// health check: through the balancer they behave as one server, through a
// crash, a restart and a rolling restart under load.
import { createTestPostgres, type TestPostgres } from '@wxapp/db/testing'
import { APPID_HEADER, AUTH_HEADER } from '@wxapp/session/shared'
import {
  type Cluster,
  deployServerArtifact,
  type LoadResult,
  loginThrough,
  type RunningProcess,
  runLoad,
  type S3Server,
  type ServerArtifact,
  SIM_DEV_APPID,
  startCluster,
  startS3Server,
  startSimulator,
} from '@wxapp/testing'
import { createSimControl } from '@wxapp/wechat-sim/client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
)
const WORKERS = 12

let artifact: ServerArtifact
let sim: RunningProcess
let db: TestPostgres
let s3: S3Server
let cluster: Cluster
const tokens: string[] = []

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const auth = (token: string) => ({
  [AUTH_HEADER]: `Bearer ${token}`,
  [APPID_HEADER]: SIM_DEV_APPID,
})

async function login(user: string) {
  const code = await createSimControl({ baseUrl: sim.url }).login({ appid: SIM_DEV_APPID, user })
  return loginThrough(cluster.balancer.url, code, SIM_DEV_APPID)
}

/** The bounded load of the suite (one request in flight per worker), for as long as `scenario` runs. */
async function underLoad(scenario: () => Promise<void>): Promise<LoadResult[]> {
  const running = scenario()
  const results = await runLoad({
    url: cluster.balancer.url,
    appid: SIM_DEV_APPID,
    tokens,
    workers: WORKERS,
    until: running,
    mutationEvery: 4,
  })
  await running
  return results
}

function failures(results: LoadResult[]) {
  return results.filter((r) => r.status !== 200)
}

beforeAll(async () => {
  artifact = await deployServerArtifact()
  sim = await startSimulator()
  db = await createTestPostgres()
  // Uploads in an S3-compatible store every instance shares.
  s3 = await startS3Server()
  cluster = await startCluster({
    artifact,
    count: 3,
    env: {
      DATABASE_URL: db.url,
      WECHAT_API_BASE: sim.url,
      ...s3.serverEnv,
      // Longer than the balancer's checks take to mark it down (3 × 200 ms,
      // more on a busy machine).
      SHUTDOWN_DRAIN: '2s',
      LOG_LEVEL: 'warn',
    },
  })
}, 240_000)

afterAll(async () => {
  await cluster?.stop()
  await sim?.stop()
  await db?.drop()
  await artifact?.remove()
  await s3?.remove()
})

describe('three instances behind HAProxy', () => {
  it('spreads logins and calls over all three, and every one succeeds', async () => {
    const served = new Set<string>()
    for (let i = 0; i < 3 * WORKERS; i++) {
      const { token, servedBy } = await login(`cluster-${i}`)
      tokens.push(token)
      if (servedBy) served.add(servedBy)
    }
    expect([...served].sort()).toEqual(['s1', 's2', 's3'])
    const me = await Promise.all(
      tokens.map((t) => fetch(`${cluster.balancer.url}/trpc/user.me`, { headers: auth(t) })),
    )
    expect(me.map((r) => r.status)).toEqual(tokens.map(() => 200))
    expect(new Set(me.map((r) => r.headers.get('x-served-by'))).size).toBe(3)
  })

  it('serves an avatar uploaded through one instance from the others, byte for byte', async () => {
    const [first, ...others] = cluster.instances
    const form = new FormData()
    form.append('file', new Blob([PNG], { type: 'image/png' }), 'a.png')
    const uploaded = await fetch(`${first?.url}/uploads/avatar`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens[0]}` },
      body: form,
    })
    expect(uploaded.status).toBe(201)
    const { url } = (await uploaded.json()) as { url: string }
    const path = new URL(url).pathname
    for (const other of [...others.map((o) => o.url), cluster.balancer.url]) {
      const response = await fetch(`${other}${path}`)
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toBe('image/png')
      expect(Buffer.from(await response.arrayBuffer()).equals(PNG)).toBe(true)
    }
  })

  it('refuses a logged-out token on every instance within 200 ms, their caches notwithstanding', async () => {
    const { token } = await login('cluster-logout')
    // Each instance validates the token once, so each holds it in its cache.
    for (const instance of cluster.instances) {
      const r = await fetch(`${instance.url}/trpc/user.me`, { headers: auth(token) })
      expect(r.status).toBe(200)
    }
    const logout = await fetch(`${cluster.instances[0]?.url}/trpc/auth.logout`, {
      method: 'POST',
      headers: { ...auth(token), 'content-type': 'application/json' },
      body: '{}',
    })
    expect(logout.status).toBe(200)
    const loggedOut = performance.now()
    const refusedAfter = await Promise.all(
      cluster.instances.map(async (instance) => {
        for (;;) {
          const r = await fetch(`${instance.url}/trpc/user.me`, { headers: auth(token) })
          if (r.status === 401) return performance.now() - loggedOut
          if (performance.now() - loggedOut > 1000) return Number.POSITIVE_INFINITY
          await sleep(5)
        }
      }),
    )
    for (const ms of refusedAfter) expect(ms).toBeLessThan(200)
  })

  it('loses no session when an instance is killed under load, and fails no more than were in flight on it', async () => {
    const victim = cluster.instances[0]
    if (!victim) throw new Error('no instance')
    let markedDown = Number.POSITIVE_INFINITY
    let killedAt = 0
    const results = await underLoad(async () => {
      await sleep(1000)
      await victim.stop('SIGKILL')
      // When its process is gone (its sockets close then, some ms after the signal).
      killedAt = performance.now()
      await cluster.waitFor({ s1: 'DOWN' })
      markedDown = performance.now()
      await sleep(1500)
    })
    expect(results.length).toBeGreaterThan(100)
    const failed = failures(results)
    // One request in flight per worker: at most WORKERS could be on the victim.
    expect(failed.length).toBeLessThanOrEqual(WORKERS)
    // None refused for its session: the sessions live in the database.
    expect(results.filter((r) => r.status === 401)).toHaveLength(0)
    // Every failure was sent before it died (in flight on it); after the balancer marked it down, none.
    const late = failed.filter((f) => f.start >= killedAt)
    expect(
      late.map(
        (f) =>
          `${f.method} ${f.status} ${f.error ?? ''} at +${(f.start - killedAt).toFixed(0)} ms, took ${(f.end - f.start).toFixed(0)} ms`,
      ),
    ).toEqual([])
    expect(failed.filter((r) => r.start >= markedDown)).toHaveLength(0)
    expect(results.filter((r) => r.start > markedDown && r.servedBy === 's1')).toHaveLength(0)

    // Restarted, it rejoins: the balancer marks it up and sends it requests.
    await victim.start()
    await cluster.waitFor({ s1: 'UP' })
    const after = await Promise.all(
      tokens
        .slice(0, 9)
        .map((t) => fetch(`${cluster.balancer.url}/trpc/user.me`, { headers: auth(t) })),
    )
    expect(after.every((r) => r.status === 200)).toBe(true)
    expect(after.map((r) => r.headers.get('x-served-by'))).toContain('s1')
  })

  it('fails no request through a rolling restart under load (each instance SIGTERM, then started again)', async () => {
    const exits: (number | null)[] = []
    const results = await underLoad(async () => {
      await sleep(500)
      for (const instance of cluster.instances) {
        exits.push(await instance.stop('SIGTERM'))
        await instance.start()
        await cluster.waitFor({ [instance.name]: 'UP' })
      }
      await sleep(500)
    })
    expect(exits).toEqual([0, 0, 0])
    expect(results.length).toBeGreaterThan(100)
    expect(failures(results).map((r) => `${r.method} ${r.status} via ${r.servedBy}`)).toEqual([])
    expect(new Set(results.map((r) => r.servedBy))).toEqual(new Set(['s1', 's2', 's3']))
  })
})
