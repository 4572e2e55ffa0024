import autocannon from 'autocannon'

export interface LoadResult {
  requestsPerSecond: number
  p50Ms: number
  p99Ms: number
  errors: number
  non2xx: number
}

/** Drives `url` for `seconds` with `connections` keep-alive connections. */
export async function load(opts: {
  url: string
  seconds: number
  connections?: number
  headers?: Record<string, string>
}): Promise<LoadResult> {
  const result = await autocannon({
    url: opts.url,
    duration: opts.seconds,
    connections: opts.connections ?? 20,
    headers: opts.headers,
  })
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  }
}
