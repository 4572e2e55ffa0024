// `pnpm bench`: throughput ratios measured in one run on this machine, so the
// numbers compare like with like however noisy the machine is. Requires
// `pnpm build` (it runs the production server bundle).
import { createTestPostgres } from '@wxapp/db/testing'
import { startApiServer } from '@wxapp/testing'
import { type LoadResult, load } from './http'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5)

function row(name: string, r: LoadResult): string {
  return `${name.padEnd(26)} ${r.requestsPerSecond.toFixed(0).padStart(8)} req/s   p50 ${String(r.p50Ms).padStart(4)} ms   p99 ${String(r.p99Ms).padStart(4)} ms   errors ${r.errors + r.non2xx}`
}

async function benchDatabase(label: string, databaseUrl: string): Promise<void> {
  const server = await startApiServer({ DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' })
  try {
    // Warm up the JIT and the connection pool before measuring.
    await load({ url: `${server.url}/healthz`, seconds: 1 })
    const health = await load({ url: `${server.url}/healthz`, seconds: SECONDS })
    const ping = await load({ url: `${server.url}/trpc/system.ping`, seconds: SECONDS })
    const ready = await load({ url: `${server.url}/readyz`, seconds: SECONDS })
    console.log(`\n${label}`)
    console.log(row('GET /healthz', health))
    console.log(row('tRPC system.ping', ping))
    console.log(row('GET /readyz (SELECT 1)', ready))
    console.log(
      `ratios to /healthz: tRPC ${(ping.requestsPerSecond / health.requestsPerSecond).toFixed(2)}, ` +
        `database round trip ${(ready.requestsPerSecond / health.requestsPerSecond).toFixed(2)}`,
    )
  } finally {
    await server.stop()
  }
}

console.log(`HTTP throughput, ${SECONDS} s per row, 20 connections, one server process`)
await benchDatabase('embedded database (pglite:memory:)', 'pglite:memory:')
const pg = await createTestPostgres()
try {
  await benchDatabase('PostgreSQL', pg.url)
} finally {
  await pg.drop()
}
