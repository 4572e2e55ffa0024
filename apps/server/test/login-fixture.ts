import { request as httpRequest } from 'node:http'
import type { AppRouter } from '@wxapp/api'
import type { KeyValueStorage } from '@wxapp/session/client'
import { launchApp as launchTestApp, type AppUnderTest as TestApp } from '@wxapp/testing'
import { createSimControl, simLoginSource } from '@wxapp/wechat-sim/client'

export type { Counters } from '@wxapp/testing'
export type AppUnderTest = TestApp<AppRouter>

/** Every response body the test clients received, to search for secrets. */
export const responses: string[] = []

/**
 * One launch of the mini-program for simulated WeChat user `user`, logging in
 * through the simulator; pass the previous launch's storage for a relaunch.
 */
export function launchApp(opts: {
  apiUrl: string
  simUrl: string
  appid: string
  user: string
  storage?: KeyValueStorage
}): AppUnderTest {
  return launchTestApp<AppRouter>({
    apiUrl: opts.apiUrl,
    appid: opts.appid,
    source: simLoginSource(createSimControl({ baseUrl: opts.simUrl }), {
      appid: opts.appid,
      user: opts.user,
    }),
    login: (api, args) => api.auth.login.mutate(args),
    ...(opts.storage ? { storage: opts.storage } : {}),
    onResponse: (text) => responses.push(text),
  })
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
