import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createWechatClient, WechatUnavailableError } from '../src/index'

const SESSION_KEY = Buffer.alloc(16, 7).toString('base64')

// A stand-in for WeChat that counts its connections and requests.
let connections = 0
let requests = 0
let hang = false
let baseUrl = ''
const server = createServer((_req: IncomingMessage, res: ServerResponse) => {
  requests++
  if (hang) return
  res.setHeader('content-type', 'application/json')
  res.end(JSON.stringify({ openid: `o-${requests}`, session_key: SESSION_KEY }))
})
server.on('connection', () => connections++)

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

describe('the default HTTP client (undici, keep-alive)', () => {
  it('reuses its connections for calls one after another', async () => {
    const client = createWechatClient({ appid: 'wx-app', secret: 'app-secret-value', baseUrl })
    for (let i = 0; i < 10; i++) await client.code2Session(`code-${i}-0123456789`)
    expect(requests).toBe(10)
    // undici may open a second socket while the first is being released; never one per call.
    expect(connections).toBeLessThanOrEqual(2)
  })

  it('times out without retrying a code exchange (a code is used once)', async () => {
    hang = true
    const before = requests
    const client = createWechatClient({
      appid: 'wx-app',
      secret: 'app-secret-value',
      baseUrl,
      timeoutMs: 200,
      retries: 2,
    })
    const error = await client.code2Session('code-hang-0123456789').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(WechatUnavailableError)
    expect(error).toMatchObject({ reason: 'timeout', attempts: 1 })
    expect(requests - before).toBe(1)
    hang = false
  })
})
