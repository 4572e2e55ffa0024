import { readFileSync } from 'node:fs'
import autocannon from 'autocannon'

export interface LoadResult {
  requestsPerSecond: number
  p50Ms: number
  p99Ms: number
  requests: number
  errors: number
  non2xx: number
  /** The server's CPU time (user + system) per request, in µs; null where /proc is not readable. */
  serverCpuUs: number | null
}

/** User + system CPU time of a process in µs, from /proc (Linux); null elsewhere. */
export function processCpuUs(pid: number | undefined): number | null {
  if (pid === undefined) return null
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // utime and stime, in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10_000
  } catch {
    return null
  }
}

/**
 * Drives `url` with `connections` keep-alive connections for `seconds`, or
 * for `amount` requests. `headersFor(i)` gives connection i its own headers
 * (a session token per connection); `body(n)` the body of the n-th request.
 * `serverPid` adds the server's CPU time per request.
 */
export async function load(opts: {
  url: string
  seconds?: number
  amount?: number
  connections?: number
  method?: 'GET' | 'POST'
  headers?: Record<string, string>
  headersFor?: (connection: number) => Record<string, string>
  /** Headers of each request, drawn anew for every one (a random user's token, say). */
  headersPerRequest?: () => Record<string, string>
  body?: (request: number) => string
  serverPid?: number
}): Promise<LoadResult> {
  let connection = 0
  let request = 0
  const cpuBefore = processCpuUs(opts.serverPid)
  const result = await autocannon({
    url: opts.url,
    ...(opts.amount ? { amount: opts.amount } : { duration: opts.seconds ?? 5 }),
    connections: opts.connections ?? 20,
    method: opts.method ?? 'GET',
    headers: opts.headers,
    ...(opts.headersFor
      ? {
          setupClient: (client: autocannon.Client) => {
            const headers = opts.headersFor?.(connection++) ?? {}
            client.setHeaders({ ...opts.headers, ...headers })
          },
        }
      : {}),
    ...(opts.body || opts.headersPerRequest
      ? {
          requests: [
            {
              setupRequest: (req: autocannon.Request) => ({
                ...req,
                ...(opts.body ? { body: opts.body(request++) } : {}),
                ...(opts.headersPerRequest
                  ? { headers: { ...req.headers, ...opts.headersPerRequest() } }
                  : {}),
              }),
            },
          ],
        }
      : {}),
  })
  const cpuAfter = processCpuUs(opts.serverPid)
  const total = result.requests.total
  return {
    requestsPerSecond: result.duration > 0 ? total / result.duration : 0,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: total,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    serverCpuUs:
      cpuBefore !== null && cpuAfter !== null && total > 0 ? (cpuAfter - cpuBefore) / total : null,
  }
}
