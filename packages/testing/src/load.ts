import { APPID_HEADER, AUTH_HEADER } from '@wxapp/session/shared'

export interface LoadResult {
  /** performance.now() when the request was sent and when its answer (or failure) came. */
  start: number
  end: number
  /** HTTP status, or 0 when no answer came (a reset or refused connection). */
  status: number
  /** The balancer's x-served-by header. */
  servedBy: string | null
  method: 'GET' | 'POST'
  /** Why no answer came (the fetch error's cause), when none did. */
  error?: string
}

export interface LoadOptions {
  url: string
  appid: string
  /** One session token per worker (worker i uses tokens[i % length]). */
  tokens: string[]
  workers: number
  /** Runs until this resolves (a bounded time, or the end of what the test does meanwhile). */
  until: Promise<unknown>
  /** Every n-th request of a worker is a mutation (user.updateProfile); 0: queries only. */
  mutationEvery?: number
}

/**
 * A bounded closed-loop load: `workers` callers, each with one request in
 * flight at a time (user.me, with now and then a profile change), recording
 * every request. With one in flight per worker, a crash can fail at most
 * `workers` requests.
 */
export async function runLoad(opts: LoadOptions): Promise<LoadResult[]> {
  const results: LoadResult[] = []
  let done = false
  void opts.until.finally(() => {
    done = true
  })
  const worker = async (index: number) => {
    const token = opts.tokens[index % opts.tokens.length]
    const headers = { [AUTH_HEADER]: `Bearer ${token}`, [APPID_HEADER]: opts.appid }
    for (let n = 1; !done; n++) {
      const mutation = opts.mutationEvery ? n % opts.mutationEvery === 0 : false
      const start = performance.now()
      let status = 0
      let servedBy: string | null = null
      let error: string | undefined
      try {
        const response = mutation
          ? await fetch(`${opts.url}/trpc/user.updateProfile`, {
              method: 'POST',
              headers: { ...headers, 'content-type': 'application/json' },
              body: JSON.stringify({ nickname: `用户${index}-${n}` }),
            })
          : await fetch(`${opts.url}/trpc/user.me`, { headers })
        await response.arrayBuffer()
        status = response.status
        servedBy = response.headers.get('x-served-by')
      } catch (e) {
        const cause = e instanceof Error && e.cause instanceof Error ? e.cause : e
        error = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)
      }
      results.push({
        start,
        end: performance.now(),
        status,
        servedBy,
        method: mutation ? 'POST' : 'GET',
        ...(error ? { error } : {}),
      })
    }
  }
  await Promise.all(Array.from({ length: opts.workers }, (_, i) => worker(i)))
  return results
}

/** Logs simulated user `user` in through `url` with a fresh code from the simulator: the token. */
export async function loginThrough(
  url: string,
  code: string,
  appid: string,
): Promise<{ token: string; servedBy: string | null }> {
  const response = await fetch(`${url}/trpc/auth.login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [APPID_HEADER]: appid },
    body: JSON.stringify({ code }),
  })
  const body = (await response.json()) as { result?: { data?: { token?: string } } }
  const token = body.result?.data?.token
  if (!response.ok || !token)
    throw new Error(`login failed: ${response.status} ${JSON.stringify(body)}`)
  return { token, servedBy: response.headers.get('x-served-by') }
}
