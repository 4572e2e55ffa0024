/*
 * The typed tRPC client with taro-fetch against a real HTTP server on 127.0.0.1.
 * Taro.request is mocked by an implementation over node:http (what wx.request does on
 * a phone), so the whole path runs: httpBatchLink -> taro-fetch -> Taro.request -> HTTP.
 * The server is a minimal stand-in that speaks tRPC's batch format, so the test pins the
 * wire shape the real API server (apps/server) must accept.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { isTRPCClientError } from '@trpc/client'
import { afterAll, afterEach, beforeAll, describe, expect, expectTypeOf, it, vi } from 'vitest'
import { AbortControllerShim } from '../src/lib/abort-controller'
import { createApiClient } from '../src/lib/trpc'

vi.mock('@tarojs/taro', async () => {
  const { nodeTaroRequest } = await import('./helpers/node-taro-request')
  return { default: { request: nodeTaroRequest } }
})

interface SeenRequest {
  method: string
  path: string
  query: URLSearchParams
  headers: http.IncomingHttpHeaders
}

const seen: SeenRequest[] = []
let delayMs = 0
let server: http.Server
let baseUrl: string

/** Answers `system.ping` like the real router; anything else is a tRPC NOT_FOUND. */
function answer(path: string, input: unknown) {
  if (path === 'system.ping') {
    const echo =
      input && typeof input === 'object' && typeof (input as { echo?: unknown }).echo === 'string'
        ? (input as { echo: string }).echo
        : null
    if (echo === 'bad') {
      return {
        status: 400,
        body: {
          error: {
            message: 'echo is bad',
            code: -32600,
            data: { code: 'BAD_REQUEST', httpStatus: 400, path, reason: 'ECHO_BAD' },
          },
        },
      }
    }
    return {
      status: 200,
      body: { result: { data: { pong: true, echo, serverTime: '2025-01-31T08:05:09.000Z' } } },
    }
  }
  return {
    status: 404,
    body: {
      error: {
        message: `No procedure found on path "${path}"`,
        code: -32004,
        data: { code: 'NOT_FOUND', httpStatus: 404, path },
      },
    },
  }
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    seen.push({
      method: req.method ?? '',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
    })
    const reply = () => {
      if (!url.pathname.startsWith('/trpc/') || url.searchParams.get('batch') !== '1') {
        res.writeHead(400, { 'content-type': 'text/plain' }).end('not a tRPC batch')
        return
      }
      const paths = decodeURIComponent(url.pathname.slice('/trpc/'.length)).split(',')
      const inputs = JSON.parse(url.searchParams.get('input') ?? '{}') as Record<string, unknown>
      const results = paths.map((path, i) => answer(path, inputs[String(i)]))
      const status = results.every((r) => r.status === results[0]?.status)
        ? (results[0]?.status ?? 200)
        : 207
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(results.map((r) => r.body)))
    }
    if (delayMs > 0) setTimeout(reply, delayMs)
    else reply()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

afterEach(() => {
  seen.length = 0
  delayMs = 0
  vi.unstubAllGlobals()
})

describe('tRPC client over taro-fetch', () => {
  it('sends parallel queries as one batched GET and returns typed results', async () => {
    const client = createApiClient({
      url: `${baseUrl}/trpc`,
      headers: () => ({ Authorization: 'Bearer test-token' }),
    })

    const [a, b, c] = await Promise.all([
      client.system.ping.query({ echo: 'a' }),
      client.system.ping.query({ echo: '你好' }),
      client.system.ping.query(),
    ])

    expectTypeOf(a).toEqualTypeOf<{ pong: true; echo: string | null; serverTime: string }>()
    expect(a).toEqual({ pong: true, echo: 'a', serverTime: '2025-01-31T08:05:09.000Z' })
    expect(b.echo).toBe('你好')
    expect(c.echo).toBeNull()

    expect(seen).toHaveLength(1)
    const [request] = seen
    expect(request?.method).toBe('GET')
    expect(request?.path).toBe('/trpc/system.ping,system.ping,system.ping')
    expect(request?.query.get('batch')).toBe('1')
    expect(JSON.parse(request?.query.get('input') ?? '')).toEqual({
      '0': { echo: 'a' },
      '1': { echo: '你好' },
    })
    expect(request?.headers.authorization).toBe('Bearer test-token')
  })

  it('turns a tRPC error into a TRPCClientError with code and reason', async () => {
    const client = createApiClient({ url: `${baseUrl}/trpc` })
    const error = await client.system.ping.query({ echo: 'bad' }).catch((e: unknown) => e)
    expect(isTRPCClientError(error)).toBe(true)
    if (!isTRPCClientError(error)) return
    expect(error.message).toBe('echo is bad')
    expect(error.data).toMatchObject({ code: 'BAD_REQUEST', httpStatus: 400, reason: 'ECHO_BAD' })
  })

  it('keeps the other results of a batch when one call fails', async () => {
    const client = createApiClient({ url: `${baseUrl}/trpc` })
    const [ok, bad] = await Promise.allSettled([
      client.system.ping.query({ echo: 'fine' }),
      client.system.ping.query({ echo: 'bad' }),
    ])
    expect(seen).toHaveLength(1)
    expect(ok).toMatchObject({ status: 'fulfilled', value: { echo: 'fine' } })
    expect(bad.status).toBe('rejected')
  })

  it('reports an unreachable server as a TRPCClientError', async () => {
    const closed = http.createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as AddressInfo).port
    await new Promise<void>((resolve) => closed.close(() => resolve()))

    const client = createApiClient({ url: `http://127.0.0.1:${port}/trpc` })
    const error = await client.system.ping.query().catch((e: unknown) => e)
    expect(isTRPCClientError(error)).toBe(true)
    expect((error as Error).cause).toBeInstanceOf(TypeError)
  })

  it('aborts an in-flight call through its signal', async () => {
    delayMs = 2_000
    const client = createApiClient({ url: `${baseUrl}/trpc` })
    const controller = new AbortController()
    const pending = client.system.ping.query({ echo: 'slow' }, { signal: controller.signal })
    await vi.waitFor(() => expect(seen).toHaveLength(1))
    controller.abort()
    const error = await pending.catch((e: unknown) => e)
    expect(isTRPCClientError(error)).toBe(true)
    expect((error as Error).cause).toMatchObject({ name: 'AbortError' })
  })

  it('works with the AbortController shim standing in for the global (as in weapp)', async () => {
    // In the weapp bundle webpack's ProvidePlugin points every `AbortController` at the
    // shim; here the global is replaced to the same effect, with no fetch either.
    vi.stubGlobal('AbortController', AbortControllerShim)
    vi.stubGlobal('fetch', undefined)
    const client = createApiClient({ url: `${baseUrl}/trpc` })

    const [a, b] = await Promise.all([
      client.system.ping.query({ echo: 'x' }),
      client.system.ping.query({ echo: 'y' }),
    ])
    expect([a.echo, b.echo]).toEqual(['x', 'y'])
    expect(seen).toHaveLength(1)

    delayMs = 2_000
    const controller = new AbortControllerShim()
    const pending = client.system.ping.query(
      { echo: 'slow' },
      { signal: controller.signal as unknown as AbortSignal },
    )
    await vi.waitFor(() => expect(seen).toHaveLength(2))
    controller.abort()
    const error = await pending.catch((e: unknown) => e)
    expect(isTRPCClientError(error)).toBe(true)
    expect((error as Error).cause).toMatchObject({ name: 'AbortError' })
  })
})
