import { TRPCClientError } from '@trpc/client'
import type { AppRouter } from '@wxapp/api'
import { type RunningProcess, startApiServer } from '@wxapp/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient } from './client'

/**
 * The HTTP contract every database backend must honour, run against a real
 * server process. `prepare` returns the DATABASE_URL and a cleanup.
 */
export function describeHttpContract(
  name: string,
  prepare: () => Promise<{ url: string; cleanup: () => Promise<void> }>,
) {
  describe(`HTTP contract on ${name}`, () => {
    let server: RunningProcess
    let cleanup: (() => Promise<void>) | undefined

    beforeAll(async () => {
      const db = await prepare()
      cleanup = db.cleanup
      server = await startApiServer({ DATABASE_URL: db.url })
    })

    afterAll(async () => {
      const code = await server?.stop()
      await cleanup?.()
      expect(code).toBe(0)
    })

    it('answers /healthz and /readyz', async () => {
      const health = await fetch(`${server.url}/healthz`)
      expect(health.status).toBe(200)
      expect(await health.json()).toEqual({ status: 'ok' })
      const ready = await fetch(`${server.url}/readyz`)
      expect(ready.status).toBe(200)
      expect(await ready.json()).toEqual({ status: 'ready', database: 'up' })
    })

    it('serves tRPC through the typed client, batched into one request', async () => {
      let requests = 0
      const client = createClient(server.url)
      const originalFetch = globalThis.fetch
      globalThis.fetch = (input, init) => {
        requests++
        return originalFetch(input, init)
      }
      try {
        const [a, b] = await Promise.all([
          client.system.ping.query({ echo: 'hello' }),
          client.system.ping.query(),
        ])
        expect(a).toMatchObject({ pong: true, echo: 'hello' })
        expect(b.echo).toBeNull()
        expect(Number.isNaN(Date.parse(a.serverTime))).toBe(false)
        expect(requests).toBe(1)
      } finally {
        globalThis.fetch = originalFetch
      }
    })

    it('answers bad input with a typed 400 and no stack trace', async () => {
      const client = createClient(server.url)
      const error = await client.system.ping
        .query({ echo: 'x'.repeat(300) })
        .catch((e: unknown) => e)
      expect(error).toBeInstanceOf(TRPCClientError)
      const data = (error as TRPCClientError<AppRouter>).data
      expect(data).toMatchObject({ code: 'BAD_REQUEST', httpStatus: 400, reason: 'INVALID_INPUT' })
      expect(data?.fieldErrors).toHaveProperty('echo')
      expect(JSON.stringify(data)).not.toContain('stack')

      const raw = await fetch(`${server.url}/trpc/system.ping?input=${encodeURIComponent('{')}`)
      expect(raw.status).toBe(400)
      const body = (await raw.json()) as { error: { data: { reason: string } } }
      expect(body.error.data.reason).toBe('INVALID_INPUT')
    })

    it('answers an unknown procedure with 404', async () => {
      const res = await fetch(`${server.url}/trpc/system.nope`)
      expect(res.status).toBe(404)
      const body = (await res.json()) as { error: { data: { code: string; reason: string } } }
      expect(body.error.data).toMatchObject({ code: 'NOT_FOUND', reason: 'NOT_FOUND' })
    })

    it('tags every response and log line with a request id', async () => {
      const res = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'trace-123' } })
      expect(res.headers.get('x-request-id')).toBe('trace-123')
      const generated = await fetch(`${server.url}/healthz`, {
        headers: { 'x-request-id': 'not a plain id; <script>' },
      })
      const id = generated.headers.get('x-request-id')
      expect(id).toMatch(/^[0-9a-f-]{36}$/)
      await expect.poll(() => server.logs().some((l) => l.requestId === id)).toBe(true)
    })
  })
}
