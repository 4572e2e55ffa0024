import { createTransport, keepAliveFetch } from '@wxapp/wechat/transport'
import { z } from 'zod'
import type { HttpClientOptions } from './types'

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

/**
 * QQ's and Douyin's clients: their options checked, and WeChat's transport
 * (keep-alive, retries of "busy", redaction of the secret) set up for the
 * platform, with its own error reading where it has one.
 */
export function platformTransport(
  options: HttpClientOptions,
  platform: {
    service: string
    defaultBase: string
    who: string
    errors?: Pick<Parameters<typeof createTransport>[0], 'readError' | 'errorFor'>
  },
) {
  const { fetch: injected, logger, ...plain } = options
  const config = parseOptions(httpOptions(platform.defaultBase), plain, platform.who)
  const requestJson = createTransport({
    service: platform.service,
    ...platform.errors,
    baseUrl: config.baseUrl,
    timeoutMs: config.timeoutMs,
    retries: config.retries,
    backoffMs: config.backoffMs,
    fetch: injected ?? keepAliveFetch(),
    logger,
    secrets: [config.secret],
  })
  return { config, requestJson }
}
