/*
 * Smoke test of the weapp production bundle itself: dist/ runs in a context with no web
 * globals (as the WeChat app service), the index page calls system.ping through
 * Taro.request -> wx.request as one batched GET, and renders the states the user sees.
 * Needs `pnpm build:weapp` first.
 */
import { existsSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import vm from 'node:vm'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { zhCN } from '../src/i18n/zh-CN'
import { formatDateTime } from '../src/lib/format'
import { createWeappSandbox, type PageHandle } from './helpers/weapp-sandbox'

const distDir = path.resolve(__dirname, '../dist')
const SERVER_TIME = '2025-01-31T08:05:09.000Z'

type Mode = 'ok' | 'http500' | 'slow'
let mode: Mode = 'ok'
let server: http.Server
let apiOrigin: string
const pages: PageHandle[] = []

beforeAll(async () => {
  if (!existsSync(path.join(distDir, 'app.js'))) {
    throw new Error(
      'dist/app.js is missing: run `pnpm --filter @wxapp/miniprogram build:weapp` before the tests.',
    )
  }
  if (existsSync(path.join(distDir, 'prebundle')) || existsSync(path.join(distDir, 'app.js.map'))) {
    throw new Error(
      'dist/ holds a development (--watch) build: run `pnpm --filter @wxapp/miniprogram build:weapp` before the tests.',
    )
  }
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const paths = url.pathname.replace(/^\/trpc\//, '').split(',')
    const send = () => {
      if (mode === 'http500') {
        res.writeHead(500, { 'content-type': 'text/html' }).end('<h1>Internal Server Error</h1>')
        return
      }
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(
        JSON.stringify(
          paths.map(() => ({
            result: { data: { pong: true, echo: null, serverTime: SERVER_TIME } },
          })),
        ),
      )
    }
    if (mode === 'slow') setTimeout(send, 400)
    else send()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  apiOrigin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterEach(() => {
  for (const page of pages.splice(0)) page.unload()
  mode = 'ok'
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

function open() {
  const sandbox = createWeappSandbox(distDir, apiOrigin)
  const page = sandbox.openPage('pages/index/index')
  pages.push(page)
  return { sandbox, page }
}

describe('weapp bundle in a WeChat-like context', () => {
  it('has none of the web globals the client could lean on', () => {
    const { sandbox } = open()
    const typeOf = (name: string) => vm.runInContext(`typeof ${name}`, sandbox.context)
    const names = ['fetch', 'AbortController', 'URL', 'TextDecoder', 'window', 'process']
    expect(Object.fromEntries(names.map((name) => [name, typeOf(name)]))).toEqual({
      fetch: 'undefined',
      AbortController: 'undefined',
      URL: 'undefined',
      TextDecoder: 'undefined',
      window: 'undefined',
      process: 'undefined',
    })
  })

  it('shows the connected state after one batched system.ping over wx.request', async () => {
    const { sandbox, page } = open()
    await vi.waitFor(() => expect(page.texts()).toContain(zhCN.home.connected))
    expect(page.texts()).toContain(formatDateTime(SERVER_TIME))
    expect(page.texts()).toContain(zhCN.home.refresh)
    expect(sandbox.requests).toHaveLength(1)
    const [request] = sandbox.requests
    expect(request?.method).toBe('GET')
    expect(request?.url).toMatch(/\/trpc\/system\.ping\?batch=1&input=/)
    expect(request?.dataType).toBe('text')
    expect([...sandbox.missingWxApis].filter((api) => !['env', 'cloud'].includes(api))).toEqual([])
  })

  it('shows the loading state while the call is in flight', async () => {
    mode = 'slow'
    const { page } = open()
    await vi.waitFor(() => expect(page.texts()).toContain(zhCN.home.connecting))
    await vi.waitFor(() => expect(page.texts()).toContain(zhCN.home.connected))
  })

  it('shows the error state with a retry button that recovers', async () => {
    mode = 'http500'
    const { sandbox, page } = open()
    await vi.waitFor(() => expect(page.texts()).toContain(zhCN.home.unreachable))
    expect(page.texts()).toContain(zhCN.home.retry)
    expect(page.texts()).toContain(zhCN.home.unreachableHint)

    mode = 'ok'
    page.tap('btn')
    await vi.waitFor(() => expect(page.texts()).toContain(zhCN.home.connected))
    expect(sandbox.requests).toHaveLength(2)
  })
})
