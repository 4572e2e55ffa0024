// `pnpm bench`: the benchmarks, printed as ratios measured in one run on this
// machine, so the numbers compare like with like however noisy the machine
// is. Runs the production bundles: `pnpm build` first (the server and the
// simulator; the weapp part builds the mini-program itself).
//
// BENCH_SECONDS   seconds per measured row (default 5; the whole run takes a few minutes)
// BENCH_ONLY      a comma-separated subset of: api, login, client, cluster, weapp
// BENCH_DATABASES a comma-separated subset of: pglite, postgres
// BENCH_USERS     users of the many-users row (default 10000: each logs in once first)
// BENCH_BASELINE  another build of the server to measure beside this one: the
//                 apps/server/dist/main.js of another checkout (with its own
//                 node_modules), e.g. of the commit before a change
import { cpus } from 'node:os'
import { resolve } from 'node:path'
import { createTestPostgres, TestPostgresUnavailableError } from '@wxapp/db/testing'
import { benchVariant, CONNECTIONS, failures, type Variant, type VariantResult } from './api'
import { benchClient, type ClientResult } from './client'
import { benchCluster, type ClusterResult } from './cluster'
import type { LoadResult } from './http'
import { benchLogin } from './login'
import { benchWeapp, type WeappResult } from './weapp'

const SECONDS = Number(process.env.BENCH_SECONDS || 5)
const ONLY = new Set((process.env.BENCH_ONLY || 'api,login,client,cluster,weapp').split(','))
const DATABASES = (process.env.BENCH_DATABASES || 'pglite,postgres').split(',')
const BASELINE = process.env.BENCH_BASELINE
const USERS = Number(process.env.BENCH_USERS || 10_000)

const VARIANTS: Variant[] = [
  { name: 'as shipped', env: {}, extraRows: ['ping', 'readyz'] },
  { name: 'session cache off', env: { SESSION_CACHE_TTL: '0s' } },
  { name: `${USERS.toLocaleString('en')} users, random tokens`, env: {}, users: USERS },
  {
    name: "tRPC's fetch adapter, cache off",
    env: { SESSION_CACHE_TTL: '0s', TRPC_FAST_PATH: 'false' },
    extraRows: ['ping'],
  },
  ...(BASELINE
    ? [
        {
          name: 'baseline (BENCH_BASELINE)',
          env: {},
          entry: resolve(BASELINE),
          extraRows: ['ping'] as const,
        } satisfies Variant,
        {
          name: 'baseline, cache off',
          env: { SESSION_CACHE_TTL: '0s' },
          entry: resolve(BASELINE),
        } satisfies Variant,
        {
          name: `baseline, ${USERS.toLocaleString('en')} users`,
          env: {},
          entry: resolve(BASELINE),
          users: USERS,
        } satisfies Variant,
      ]
    : []),
]

const ms = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(1))
function row(name: string, r: LoadResult): string {
  const cpu =
    r.serverCpuUs === null ? '' : `   server CPU ${r.serverCpuUs.toFixed(0).padStart(4)} µs/req`
  return (
    `  ${name.padEnd(24)} ${r.requestsPerSecond.toFixed(0).padStart(7)} req/s   ` +
    `p50 ${ms(r.p50Ms).padStart(5)} ms   p99 ${ms(r.p99Ms).padStart(5)} ms${cpu}` +
    (failures(r) > 0 ? `   FAILED ${failures(r)}` : '')
  )
}
const ratio = (a: LoadResult, b: LoadResult) => a.requestsPerSecond / b.requestsPerSecond

interface DatabaseRun {
  label: string
  url: string
  drop?: () => Promise<void>
}

async function openDatabases(): Promise<DatabaseRun[]> {
  const runs: DatabaseRun[] = []
  for (const name of DATABASES) {
    if (name === 'pglite') runs.push({ label: 'embedded (PGlite)', url: 'pglite:memory:' })
    else if (name === 'postgres') {
      try {
        const pg = await createTestPostgres()
        runs.push({ label: 'PostgreSQL', url: pg.url, drop: pg.drop })
      } catch (error) {
        if (!(error instanceof TestPostgresUnavailableError)) throw error
        console.log(`PostgreSQL skipped: ${error.message}`)
      }
    }
  }
  return runs
}

const apiResults: VariantResult[] = []
const loginResults: {
  database: string
  server: string
  login: LoadResult
  healthz: LoadResult
}[] = []
const clientResults: { database: string; result: ClientResult }[] = []
let weapp: WeappResult | null = null
let cluster: ClusterResult | null = null

const cpu = cpus()[0]?.model ?? 'unknown CPU'
console.log(
  `wxapp-stack benchmarks: ${SECONDS} s per row, ${CONNECTIONS} connections, ` +
    `${cpus().length} × ${cpu}, Node ${process.version}`,
)
const databases = await openDatabases()
try {
  for (const db of databases) {
    if (ONLY.has('api')) {
      for (const variant of VARIANTS) {
        const r = await benchVariant({
          database: db.label,
          databaseUrl: db.url,
          variant,
          seconds: SECONDS,
        })
        apiResults.push(r)
        console.log(`\n${db.label}, ${variant.name}`)
        console.log(row('GET /healthz', r.healthz))
        console.log(row('tRPC user.me (auth)', r.me))
        if (r.ping) console.log(row('tRPC system.ping', r.ping))
        if (r.readyz) console.log(row('GET /readyz (SELECT 1)', r.readyz))
        console.log(`  user.me ÷ /healthz = ${ratio(r.me, r.healthz).toFixed(2)}`)
      }
    }
    if (ONLY.has('login')) {
      const builds = [
        { server: 'this build', entry: undefined },
        ...(BASELINE ? [{ server: 'baseline (BENCH_BASELINE)', entry: resolve(BASELINE) }] : []),
      ]
      for (const { server, entry } of builds) {
        const r = await benchLogin({
          databaseUrl: db.url,
          seconds: SECONDS,
          connections: 10,
          entry,
        })
        loginResults.push({ database: db.label, server, ...r })
        console.log(`\n${db.label}, ${server}: auth.login (fresh code per request, 10 connections)`)
        console.log(row('GET /healthz', r.healthz))
        console.log(row('tRPC auth.login', r.login))
      }
    }
    // Several instances share a PostgreSQL server (PGlite belongs to one process).
    if (ONLY.has('cluster') && db.url.startsWith('postgres')) {
      cluster = await benchCluster({ databaseUrl: db.url, seconds: SECONDS })
      console.log(
        `\n${db.label}, behind HAProxy (user.me, ${cluster.direct.requests} + … requests)`,
      )
      console.log(row('one instance, direct', cluster.direct))
      console.log(row('one, through HAProxy', cluster.oneBehindBalancer))
      console.log(row('two, through HAProxy', cluster.twoBehindBalancer))
    }
    if (ONLY.has('client')) {
      const result = await benchClient({ databaseUrl: db.url })
      clientResults.push({ database: db.label, result })
      console.log(`\n${db.label}, session client: ${JSON.stringify(result)}`)
    }
  }
} finally {
  for (const db of databases) await db.drop?.()
}
if (ONLY.has('weapp')) {
  weapp = await benchWeapp()
  console.log(`\nweapp build: ${JSON.stringify(weapp)}`)
}

// The table.
const lines: string[] = []
const pad = (s: string, n: number) => s.padEnd(n)
lines.push('', 'RESULTS', '')
if (apiResults.length > 0) {
  lines.push(
    `${pad('database', 19)}${pad('server', 34)}${pad('user.me ÷ /healthz', 20)}${pad('user.me req/s', 15)}${pad('p50 / p99 ms', 15)}${pad('/healthz req/s', 16)}CPU µs/req me / healthz`,
  )
  for (const r of apiResults) {
    const cpuText =
      r.me.serverCpuUs !== null && r.healthz.serverCpuUs !== null
        ? `${r.me.serverCpuUs.toFixed(0)} / ${r.healthz.serverCpuUs.toFixed(0)}`
        : '-'
    lines.push(
      `${pad(r.database, 19)}${pad(r.variant, 34)}${pad(ratio(r.me, r.healthz).toFixed(2), 20)}` +
        `${pad(r.me.requestsPerSecond.toFixed(0), 15)}${pad(`${ms(r.me.p50Ms)} / ${ms(r.me.p99Ms)}`, 15)}` +
        `${pad(r.healthz.requestsPerSecond.toFixed(0), 16)}${cpuText}`,
    )
  }
  lines.push('')
}
for (const r of loginResults) {
  lines.push(
    `${pad(r.database, 19)}${pad(r.server, 34)}auth.login ${r.login.requestsPerSecond.toFixed(0)} req/s, ` +
      `p50 ${ms(r.login.p50Ms)} ms, p99 ${ms(r.login.p99Ms)} ms, ` +
      (r.login.serverCpuUs === null ? '' : `server CPU ${r.login.serverCpuUs.toFixed(0)} µs, `) +
      `÷ /healthz ${ratio(r.login, r.healthz).toFixed(3)}` +
      (failures(r.login) > 0 ? `, FAILED ${failures(r.login)}` : ''),
  )
}
for (const { database, result } of clientResults) {
  lines.push(
    `${pad(database, 19)}client: warm launch ${result.warmLaunchCalls} network calls (target 0); ` +
      `50 parallel calls on an expired token: ${result.expiredWxLogins} wx.login, ` +
      `${result.expiredAuthLogins} auth.login (target 1), ${result.expiredApiRequests} API requests`,
  )
}
if (cluster) {
  const c = cluster
  lines.push(
    `PostgreSQL         behind HAProxy: user.me two instances ÷ one ${ratio(c.twoBehindBalancer, c.oneBehindBalancer).toFixed(2)}, ` +
      `one through HAProxy ÷ direct ${ratio(c.oneBehindBalancer, c.direct).toFixed(2)} ` +
      `(${c.direct.requestsPerSecond.toFixed(0)} / ${c.oneBehindBalancer.requestsPerSecond.toFixed(0)} / ${c.twoBehindBalancer.requestsPerSecond.toFixed(0)} req/s); ` +
      `logout on one to refusal on another: median ${ms(c.logoutToRefusal.medianMs)} ms, max ${ms(c.logoutToRefusal.maxMs)} ms over ${c.logoutToRefusal.trials}`,
  )
}
if (weapp) {
  lines.push(
    `weapp: ${weapp.bytes} bytes in ${weapp.files} files without .map ` +
      `(${(weapp.bytes / 1024).toFixed(0)} KiB), production build ${weapp.buildSeconds.toFixed(1)} s`,
  )
}
console.log(lines.join('\n'))
const failed =
  apiResults.some((r) => [r.healthz, r.me, r.ping, r.readyz].some((x) => x && failures(x) > 0)) ||
  loginResults.some((r) => failures(r.login) > 0) ||
  (cluster !== null &&
    [cluster.direct, cluster.oneBehindBalancer, cluster.twoBehindBalancer].some(
      (x) => failures(x) > 0,
    ))
if (failed) {
  console.error('\nsome requests failed: the numbers above are not valid')
  process.exitCode = 1
}
