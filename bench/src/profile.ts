// `pnpm --filter @wxapp/bench run profile [target]`: runs the built server under
// `node --cpu-prof`, drives one target with autocannon, then prints where the
// server's CPU time went: self time by package and by function, and the
// inclusive time of the functions that matter for a request. The raw
// .cpuprofile is kept (open it in Chrome DevTools or speedscope).
//
// Targets: healthz, ping, me (authenticated user.me as the app's client
// sends it), login. PROFILE_DB=postgres uses a PostgreSQL server (default
// pglite:memory:), PROFILE_SECONDS the load duration, PROFILE_ENV extra
// server environment as JSON.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTestPostgres } from '@wxapp/db/testing'
import { load } from './http'
import { mint } from './login'
import { loginToken, startStack, USER_ME_BATCH_PATH } from './stack'

interface CallFrame {
  functionName: string
  url: string
  lineNumber: number
}
interface ProfileNode {
  id: number
  callFrame: CallFrame
  hitCount?: number
  children?: number[]
}
interface CpuProfile {
  nodes: ProfileNode[]
  startTime: number
  endTime: number
  samples: number[]
  timeDeltas: number[]
}

const target = process.argv[2] ?? 'me'
const seconds = Number(process.env.PROFILE_SECONDS ?? 8)
const extraEnv = JSON.parse(process.env.PROFILE_ENV ?? '{}') as Record<string, string>

function packageOf(url: string): string {
  if (!url) return '(native/vm)'
  const nm = url.lastIndexOf('node_modules/')
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/')
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url)
  }
  if (url.startsWith('node:')) return url
  if (url.includes('/dist/main.js')) return '(server bundle)'
  return url
}

const frameName = (f: CallFrame) =>
  `${f.functionName || '(anonymous)'} ${packageOf(f.url)}:${f.lineNumber + 1}`

function analyse(profile: CpuProfile): void {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const hits = new Map<number, number>()
  for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1)
  const total = profile.samples.length
  const idle = profile.nodes
    .filter((n) => n.callFrame.functionName === '(idle)')
    .reduce((s, n) => s + (hits.get(n.id) ?? 0), 0)
  const busy = total - idle
  const pct = (n: number) => `${((100 * n) / busy).toFixed(1).padStart(5)}%`

  const selfByPackage = new Map<string, number>()
  const selfByFunction = new Map<string, number>()
  const inclusive = new Map<string, number>()
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  for (const [id, count] of hits) {
    const node = byId.get(id)
    if (!node || node.callFrame.functionName === '(idle)') continue
    const pkg = packageOf(node.callFrame.url)
    selfByPackage.set(pkg, (selfByPackage.get(pkg) ?? 0) + count)
    const fn = frameName(node.callFrame)
    selfByFunction.set(fn, (selfByFunction.get(fn) ?? 0) + count)
    // Inclusive: every distinct frame on the stack gets the sample once.
    const seen = new Set<string>()
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)
      if (!frame) break
      const name = frameName(frame.callFrame)
      if (!seen.has(name)) {
        seen.add(name)
        inclusive.set(name, (inclusive.get(name) ?? 0) + count)
      }
    }
  }
  const top = (m: Map<string, number>, n: number) =>
    [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n)
  console.log(`\nbusy samples: ${busy} of ${total} (${((100 * busy) / total).toFixed(0)}% busy)`)
  console.log('\nself time by package')
  for (const [name, count] of top(selfByPackage, 20)) console.log(`${pct(count)}  ${name}`)
  console.log('\nself time by function')
  for (const [name, count] of top(selfByFunction, 40)) console.log(`${pct(count)}  ${name}`)
  console.log('\ninclusive time (functions on the stack)')
  for (const [name, count] of top(inclusive, 70)) console.log(`${pct(count)}  ${name}`)
}

const pg = process.env.PROFILE_DB === 'postgres' ? await createTestPostgres() : null
const file = join(mkdtempSync(join(tmpdir(), 'wxapp-prof-')), `${target}.cpuprofile`)
const stack = await startStack({
  databaseUrl: pg?.url ?? 'pglite:memory:',
  env: { CPU_PROFILE_FILE: file, ...extraEnv },
  nodeOptions: `--import=${join(import.meta.dirname, 'cpu-profiler.mjs')}`,
})
const signal = () => stack.server.child.kill('SIGUSR2')
try {
  if (target === 'login') {
    // Every request needs a fresh code: minted before the profiler starts,
    // enough for 1,500 logins a second. The profiled run is timed (a run of
    // `amount` requests ends on autocannon's one-second tick, which rounds its
    // rate), so running out of codes shows as errors.
    const codes = await mint(stack.control, 200 + Math.ceil(1500 * seconds), 0)
    let next = 0
    const run = (run: { amount: number } | { seconds: number }) =>
      load({
        url: `${stack.server.url}/trpc/auth.login`,
        method: 'POST',
        ...run,
        connections: 10,
        headers: { 'content-type': 'application/json' },
        body: () => JSON.stringify({ code: codes[Math.min(next++, codes.length - 1)] }),
        serverPid: stack.server.child.pid,
      })
    await run({ amount: 200 })
    signal()
    const r = await run({ seconds })
    signal()
    console.log(
      `login: ${r.requestsPerSecond.toFixed(0)} req/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, errors ${r.errors + r.non2xx}, server CPU ${r.serverCpuUs?.toFixed(0)} µs/login (profiler on)`,
    )
  } else {
    const token = await loginToken(stack, 'profile-user')
    const url =
      target === 'healthz'
        ? `${stack.server.url}/healthz`
        : target === 'ping'
          ? `${stack.server.url}/trpc/system.ping`
          : `${stack.server.url}${USER_ME_BATCH_PATH}`
    const headers = target === 'me' ? { authorization: `Bearer ${token}` } : undefined
    await load({ url, seconds: 2, headers })
    signal()
    const r = await load({ url, seconds, headers })
    signal()
    console.log(
      `${target}: ${r.requestsPerSecond.toFixed(0)} req/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, errors ${r.errors + r.non2xx}`,
    )
  }
  for (let i = 0; i < 100 && !existsSync(file); i++) await new Promise((r) => setTimeout(r, 100))
} finally {
  await stack.stop()
  await pg?.drop()
}
if (!existsSync(file)) throw new Error(`no profile written to ${file}`)
console.log(`profile: ${file}`)
analyse(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile)
