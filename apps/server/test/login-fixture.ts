import { request as httpRequest } from 'node:http'
import { createTRPCClient, httpBatchLink, type TRPCClient } from '@trpc/client'
import type { AppRouter } from '@wxapp/api'
import {
  createSessionClient,
  type KeyValueStorage,
  memoryStorage,
  type SessionClient,
  sessionHeaders,
  sessionLink,
} from '@wxapp/session/client'
import { createSimControl, simLoginSource } from '@wxapp/wechat-sim/client'

export interface Counters {
  /** wx.login() calls (login codes requested from the "phone"). */
  sourceLogins: number
  /** HTTP requests to the API server. */
  apiRequests: number
  /** HTTP requests to the API server that carried auth.login. */
  authLogins: number
}

export interface AppUnderTest {
  session: SessionClient<{ id: string }>
  api: TRPCClient<AppRouter>
  counters: Counters
  storage: KeyValueStorage
}

/** Every response body the test clients received, to search for secrets. */
export const responses: string[] = []

/**
 * One launch of the mini-program for simulated WeChat user `user`: the
 * session client and typed tRPC client wired as the app wires them, with
 * wx.login backed by the simulator. Pass the previous launch's storage to
 * model a relaunch.
 */
export function launchApp(opts: {
  apiUrl: string
  simUrl: string
  appid: string
  user: string
  storage?: KeyValueStorage
}): AppUnderTest {
  const counters: Counters = { sourceLogins: 0, apiRequests: 0, authLogins: 0 }
  const storage = opts.storage ?? memoryStorage()
  const wechat = simLoginSource(createSimControl({ baseUrl: opts.simUrl }), {
    appid: opts.appid,
    user: opts.user,
  })
  const source = {
    login: () => {
      counters.sourceLogins++
      return wechat.login()
    },
    checkSession: () => wechat.checkSession(),
  }
  const countingFetch: typeof fetch = async (input, init) => {
    counters.apiRequests++
    if (String(input).includes('auth.login')) counters.authLogins++
    const response = await fetch(input, init)
    responses.push(await response.clone().text())
    return response
  }
  const session = createSessionClient({
    source,
    storage,
    appid: opts.appid,
    clientInfo: { platform: 'node', model: 'vitest' },
    login: (args) => api.auth.login.mutate(args),
  })
  const api: TRPCClient<AppRouter> = createTRPCClient<AppRouter>({
    links: [
      sessionLink(session),
      httpBatchLink({
        url: `${opts.apiUrl}/trpc`,
        fetch: countingFetch,
        headers: sessionHeaders(session),
      }),
    ],
  })
  return { session, api, counters, storage }
}

/** A POST of raw tRPC input, for the cases a typed client cannot express. */
export async function rawCall(
  apiUrl: string,
  path: string,
  input: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: { error?: { data?: { code?: string; reason?: string } } } }> {
  const response = await fetch(`${apiUrl}/trpc/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(input),
  })
  const text = await response.text()
  responses.push(text)
  return { status: response.status, body: JSON.parse(text) }
}

/**
 * A GET through node:http, which sends each value of an array header as a
 * header line of its own (fetch would join them into one).
 */
export function rawGet(
  url: string,
  headers: Record<string, string | string[]>,
): Promise<{ status: number; reason: string | undefined }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { headers }, (response) => {
      let text = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => {
        text += chunk
      })
      response.on('end', () => {
        responses.push(text)
        const body = JSON.parse(text) as { error?: { data?: { reason?: string } } }
        resolve({ status: response.statusCode ?? 0, reason: body.error?.data?.reason })
      })
    })
    request.on('error', reject)
    request.end()
  })
}
