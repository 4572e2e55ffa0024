/*
 * The Cloud Hosting link (src/lib/cloud-link.ts) through the app's typed client, against
 * a fake Taro.cloud whose callContainer answers as the API server would: the request
 * shape (path, method, headers, data), results, tRPC errors with their reason (and the
 * session link's one re-login on a session reason), and a transport failure.
 */
import { isTRPCClientError } from '@trpc/client'
import { describe, expect, it, vi } from 'vitest'
import type {
  CallContainerOptions,
  CallContainerResult,
  CloudContainerApi,
} from '../src/lib/cloud-link'
import { createApiClient } from '../src/lib/trpc'

vi.mock('@tarojs/taro', () => ({ default: {} }))

const ENV = 'prod-test-1'
const SERVICE = 'api'

function fakeCloud(answer: (options: CallContainerOptions) => CallContainerResult | Error) {
  const calls: CallContainerOptions[] = []
  const init = vi.fn()
  const cloud: CloudContainerApi = {
    init,
    callContainer: (options) => {
      calls.push(options)
      const result = answer(options)
      return result instanceof Error ? Promise.reject(result) : Promise.resolve(result)
    },
  }
  return { cloud, calls, init }
}

const ok = (data: unknown): CallContainerResult => ({
  statusCode: 200,
  data: JSON.stringify({ result: { data } }),
})
const refused = (status: number, code: string, reason: string): CallContainerResult => ({
  statusCode: status,
  data: JSON.stringify({ error: { message: reason, code: -32001, data: { code, reason } } }),
})

/** Just what the session link and headers read of a session client. */
function fakeSession(tokens: string[]) {
  let token = tokens.shift() ?? null
  return {
    appid: 'wx_cloud_app',
    get token() {
      return token
    },
    ensureSession: async () => token as string,
    relogin: vi.fn(async () => {
      token = tokens.shift() ?? null
      return token as string
    }),
    peekToken: async () => token,
  }
}

describe('the Cloud Hosting link', () => {
  it('sends a query as GET /trpc/<path>?input=… with X-WX-SERVICE and the session token, once init', async () => {
    const { cloud, calls, init } = fakeCloud(() =>
      ok({ pong: true, echo: 'hi', serverTime: 'now' }),
    )
    const api = createApiClient({
      cloud: { env: ENV, service: SERVICE, api: cloud },
      session: fakeSession(['tok-1']),
    })
    expect(await api.system.ping.query({ echo: 'hi' })).toEqual({
      pong: true,
      echo: 'hi',
      serverTime: 'now',
    })
    await api.system.ping.query()
    expect(init).toHaveBeenCalledTimes(1)
    expect(init).toHaveBeenCalledWith({ env: ENV })
    expect(calls[0]).toEqual({
      config: { env: ENV },
      path: `/trpc/system.ping?input=${encodeURIComponent('{"echo":"hi"}')}`,
      method: 'GET',
      header: { authorization: 'Bearer tok-1', 'X-WX-SERVICE': SERVICE },
      dataType: 'text',
      responseType: 'text',
    })
    expect(calls[1]?.path).toBe('/trpc/system.ping')
    // The gateway sets X-WX-APPID: the app's own x-wx-appid is never sent along.
    for (const call of calls) expect(Object.keys(call.header)).not.toContain('x-wx-appid')
  })

  it('sends a mutation as POST with a JSON body, and reads an answer already parsed', async () => {
    const { cloud, calls } = fakeCloud(() => ({
      statusCode: 200,
      data: { result: { data: { token: 't', expiresAt: 'x', user: { id: 'u1' } } } },
    }))
    const api = createApiClient({ cloud: { env: ENV, service: SERVICE, api: cloud } })
    const result = await api.auth.login.mutate({ code: 'c0de' })
    expect(result).toMatchObject({ token: 't', user: { id: 'u1' } })
    expect(calls[0]).toMatchObject({
      path: '/trpc/auth.login',
      method: 'POST',
      data: '{"code":"c0de"}',
      header: { 'X-WX-SERVICE': SERVICE, 'content-type': 'application/json' },
    })
  })

  it('turns an error answer into a TRPCClientError with data.reason', async () => {
    const { cloud } = fakeCloud(() => refused(400, 'BAD_REQUEST', 'LOGIN_CODE_REQUIRED'))
    const api = createApiClient({ cloud: { env: ENV, service: SERVICE, api: cloud } })
    const error = await api.auth.login.mutate({}).catch((e: unknown) => e)
    expect(isTRPCClientError(error)).toBe(true)
    expect(error).toMatchObject({ data: { code: 'BAD_REQUEST', reason: 'LOGIN_CODE_REQUIRED' } })
  })

  it('lets the session link log in again once on a session reason, then retries', async () => {
    const { cloud, calls } = fakeCloud((options) =>
      options.header.authorization === 'Bearer old'
        ? refused(401, 'UNAUTHORIZED', 'SESSION_EXPIRED')
        : ok({ pong: true, echo: null, serverTime: 'now' }),
    )
    const session = fakeSession(['old', 'fresh'])
    const api = createApiClient({ cloud: { env: ENV, service: SERVICE, api: cloud }, session })
    expect(await api.system.ping.query()).toMatchObject({ pong: true })
    expect(session.relogin).toHaveBeenCalledTimes(1)
    expect(calls.map((c) => c.header.authorization)).toEqual(['Bearer old', 'Bearer fresh'])
  })

  it('fails with a TRPCClientError without data when callContainer fails or the answer is not tRPC', async () => {
    const failing = fakeCloud(() =>
      Object.assign(new Error('x'), { errMsg: 'cloud.callContainer:fail timeout' }),
    )
    const api = createApiClient({ cloud: { env: ENV, service: SERVICE, api: failing.cloud } })
    const error = await api.system.ping.query().catch((e: unknown) => e)
    expect(isTRPCClientError(error)).toBe(true)
    expect(error).toMatchObject({
      message: expect.stringContaining('cloud.callContainer:fail timeout'),
    })
    expect((error as { data?: unknown }).data).toBeUndefined()

    const html = fakeCloud(() => ({ statusCode: 502, data: '<html>Bad Gateway</html>' }))
    const other = createApiClient({ cloud: { env: ENV, service: SERVICE, api: html.cloud } })
    expect(await other.system.ping.query().catch((e: unknown) => e)).toMatchObject({
      message: 'Unexpected answer from Cloud Hosting (HTTP 502)',
    })
  })

  it('is not used when the build names no Cloud Hosting service', async () => {
    const fetch = vi.fn(async () => {
      throw new TypeError('offline')
    })
    const api = createApiClient({ url: 'http://127.0.0.1:9/trpc', fetch })
    await api.system.ping.query().catch(() => undefined)
    expect(fetch).toHaveBeenCalledTimes(1)
  })
})
