import { z } from 'zod'

/** Options common to the HTTP clients, checked like the WeChat client's. */
export function httpOptions(defaultBase: string) {
  return z.object({
    appid: z.string({ error: 'must be a string' }).min(1, 'must not be empty'),
    secret: z.string({ error: 'must be a string' }).min(1, 'must not be empty'),
    baseUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).default(defaultBase),
    timeoutMs: z.number().int().min(1).max(120_000).default(5000),
    retries: z.number().int().min(0).max(10).default(2),
    backoffMs: z.number().int().min(0).max(60_000).default(200),
  })
}

/** Parses options; a failure names the option, never its value (one is a secret or key). */
export function parseOptions<T>(schema: z.ZodType<T>, value: unknown, who: string): T {
  const parsed = schema.safeParse(value)
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)
    throw new TypeError(`${who}: ${problems.join('; ')}`)
  }
  return parsed.data
}
