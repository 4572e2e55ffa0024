/*
 * The weapp production bundle (dist/) run as on a phone: in a context with no web
 * globals (as the WeChat app service), the app logs in at launch through wx.login and
 * auth.login (or reuses a stored token after wx.checkSession), and the pages render
 * what the user sees. The API is a small stand-in speaking tRPC's batch format with
 * the real server's error shape (`error.data.reason`). Needs `pnpm build:weapp` first.
 */
import { existsSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import vm from 'node:vm'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { zhCN } from '../src/i18n/zh-CN'
import {
  createWeappSandbox,
  type PageHandle,
  type Sandbox,
  type SandboxOptions,
} from './helpers/weapp-sandbox'

const distDir = path.resolve(__dirname, '../dist')
const APPID = 'wx0123456789abcdef'
const SESSION_KEY = 'wxapp.session'
const FAR_FUTURE = '2099-01-01T00:00:00.000Z'
const USER = {
  id: 'user-1',
  nickname: '小明',
  avatarUrl: null,
  phoneNumber: null,
  createdAt: '2025-01-31T08:05:09.000Z',
}

type LoginMode = 'ok' | 'busy' | 'slow'

interface ApiCall {
  /** Which sandbox sent it (an earlier test's launch may still be talking). */
  sandbox: string | undefined
  path: string
  method: string
  authorization: string | undefined
  input: unknown
}

let loginMode: LoginMode = 'ok'
let server: http.Server
let apiOrigin: string
const calls: ApiCall[] = []
const validTokens = new Set<string>()
let tokenCounter = 0
const pages: PageHandle[] = []

function trpcError(code: string, httpStatus: number, reason: string) {
  return {
    status: httpStatus,
    body: { error: { message: reason, code: -32000, data: { code, httpStatus, reason } } },
  }
}

function ok(data: unknown) {
  return { status: 200, body: { result: { data } } }
}

/** One procedure call, as the real API answers it. */
function answer(call: ApiCall, token: string | null) {
  if (call.path === 'auth.login') {
    if (loginMode === 'busy') return trpcError('SERVICE_UNAVAILABLE', 503, 'WECHAT_BUSY')
    const issued = `token-${++tokenCounter}`
    validTokens.add(issued)
    return ok({ token: issued, expiresAt: FAR_FUTURE, user: USER })
  }
  if (!token || !validTokens.has(token)) {
    return trpcError('UNAUTHORIZED', 401, token ? 'SESSION_EXPIRED' : 'AUTH_REQUIRED')
  }
  switch (call.path) {
    case 'user.me':
      return ok(USER)
    case 'session.list':
      return ok([
        {
          id: '00000000-0000-4000-8000-000000000001',
          current: true,
          appid: APPID,
          createdAt: '2025-01-31T08:05:09.000Z',
          lastUsedAt: new Date().toISOString(),
          expiresAt: FAR_FUTURE,
          client: { platform: 'weapp', model: 'iPhone 15', system: 'iOS 17.4' },
          ip: '203.0.113.7',
        },
        {
          id: '00000000-0000-4000-8000-000000000002',
          current: false,
          appid: APPID,
          createdAt: '2025-01-01T08:00:00.000Z',
          lastUsedAt: '2025-01-02T08:00:00.000Z',
          expiresAt: FAR_FUTURE,
          client: { platform: 'h5' },
          ip: null,
        },
      ])
    case 'auth.logout':
      validTokens.delete(token)
      return ok({ ok: true })
    default:
      return trpcError('NOT_FOUND', 404, 'NOT_FOUND')
  }
}

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
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1')
      const paths = decodeURIComponent(url.pathname.replace(/^\/trpc\//, '')).split(',')
      const rawInputs =
        req.method === 'POST'
          ? Buffer.concat(chunks).toString('utf8')
          : (url.searchParams.get('input') ?? '{}')
      const inputs = JSON.parse(rawInputs || '{}') as Record<string, unknown>
      const auth = req.headers.authorization
      const token = auth?.startsWith('Bearer ') ? auth.slice(7) : null
      const results = paths.map((p, i) => {
        const sandbox = req.headers['x-test-sandbox']
        const call = {
          sandbox: typeof sandbox === 'string' ? sandbox : undefined,
          path: p,
          method: req.method ?? '',
          authorization: auth,
          input: inputs[i],
        }
        calls.push(call)
        return answer(call, token)
      })
      const status = results.every((r) => r.status === results[0]?.status)
        ? (results[0]?.status ?? 200)
        : 207
      const send = () => {
        res.writeHead(status, { 'content-type': 'application/json' })
        res.end(JSON.stringify(results.map((r) => r.body)))
      }
      if (loginMode === 'slow' && paths.includes('auth.login')) setTimeout(send, 400)
      else send()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  apiOrigin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

beforeEach(() => {
  calls.length = 0
  validTokens.clear()
  loginMode = 'ok'
})

afterEach(() => {
  for (const page of pages.splice(0)) page.unload()
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

function launch(options: Omit<SandboxOptions, 'apiOrigin'> = {}) {
  const sandbox = createWeappSandbox(distDir, { apiOrigin, appid: APPID, ...options })
  const open = (route: string) => {
    const page = sandbox.openPage(route)
    pages.push(page)
    return page
  }
  return { sandbox, open }
}

/** A stored session from an earlier launch (what the session client writes). */
function storedSession(token: string) {
  return { [SESSION_KEY]: JSON.stringify({ token, expiresAt: FAR_FUTURE, appid: APPID }) }
}

const nickname = (page: PageHandle) => page.textsOf('home-nickname').join('')

/** The API calls of one sandbox, as `METHOD path authorization` (tokens by their order of issue). */
function trafficOf(sandbox: Sandbox): string[] {
  return calls
    .filter((c) => c.sandbox === sandbox.id)
    .map((c) => `${c.method} ${c.path} ${c.authorization ?? '-'}`)
}

/** The token this sandbox stored at its last login. */
function storedToken(sandbox: Sandbox): string {
  return (JSON.parse(String(sandbox.storage.get(SESSION_KEY))) as { token: string }).token
}

describe('weapp bundle in a WeChat-like context', () => {
  it('has none of the web globals the client could lean on', () => {
    const { sandbox } = launch()
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

  it('cold launch: logs in at launch (wx.login -> auth.login) and the home page shows the user', async () => {
    const { sandbox, open } = launch()
    const home = open('pages/index/index')

    await vi.waitFor(() => expect(nickname(home)).toBe(USER.nickname))
    expect(home.texts()).toContain(zhCN.home.loggedInBadge)
    expect(sandbox.calls.login).toBe(1)
    // The login brings the user along: no user.me.
    expect(trafficOf(sandbox)).toEqual(['POST auth.login -'])
    expect(calls.find((c) => c.sandbox === sandbox.id)?.input).toEqual({
      code: 'wx-code-1',
      appid: APPID,
      client: { platform: 'weapp', model: 'iPhone 15', system: 'iOS 17.4', version: '8.0.50' },
    })
    expect(sandbox.requests[0]?.header['x-wx-appid']).toBe(APPID)
    expect(JSON.parse(String(sandbox.storage.get(SESSION_KEY)))).toEqual({
      token: expect.stringMatching(/^token-\d+$/),
      expiresAt: FAR_FUTURE,
      appid: APPID,
    })
    expect([...sandbox.missingWxApis].filter((api) => !['env', 'cloud'].includes(api))).toEqual([])
  })

  it('warm launch: stored token + valid checkSession = no wx.login; user.me with that token', async () => {
    validTokens.add('kept-token')
    const { sandbox, open } = launch({ storage: storedSession('kept-token') })
    const home = open('pages/index/index')

    await vi.waitFor(() => expect(nickname(home)).toBe(USER.nickname))
    expect(sandbox.calls.login).toBeUndefined()
    expect(sandbox.calls.checkSession).toBe(1)
    expect(trafficOf(sandbox)).toEqual(['GET user.me Bearer kept-token'])
  })

  it('a stored token the server refuses: one re-login, then the call is retried', async () => {
    const { sandbox, open } = launch({ storage: storedSession('expired-token') })
    const home = open('pages/index/index')

    await vi.waitFor(() => expect(nickname(home)).toBe(USER.nickname))
    expect(sandbox.calls.login).toBe(1)
    expect(trafficOf(sandbox)).toEqual([
      'GET user.me Bearer expired-token',
      'POST auth.login -',
      `GET user.me Bearer ${storedToken(sandbox)}`,
    ])
  })

  it('shows 登录中… while logging in', async () => {
    loginMode = 'slow'
    const { open } = launch()
    const home = open('pages/index/index')
    await vi.waitFor(() => expect(home.textsOf('home-loading')).toContain(zhCN.common.loggingIn))
    await vi.waitFor(() => expect(nickname(home)).toBe(USER.nickname))
    expect(home.has('home-loading')).toBe(false)
  })

  it('a failed login says why in Chinese, and 重试 recovers', async () => {
    loginMode = 'busy'
    const { sandbox, open } = launch()
    const home = open('pages/index/index')

    await vi.waitFor(() => expect(home.has('login-retry')).toBe(true))
    expect(home.textsOf('login-error')).toEqual([
      '!',
      zhCN.common.loginFailedTitle,
      zhCN.errors.WECHAT_BUSY,
      zhCN.common.retry,
    ])

    loginMode = 'ok'
    home.tapId('login-retry')
    await vi.waitFor(() => expect(nickname(home)).toBe(USER.nickname))
    expect(sandbox.calls.login).toBe(2)
  })

  it('sessions page: lists the devices (本机 marked) and 退出登录 logs this device out', async () => {
    const { sandbox, open } = launch()
    const home = open('pages/index/index')
    await vi.waitFor(() => expect(nickname(home)).toBe(USER.nickname))

    const sessions = open('pages/sessions/index')
    await vi.waitFor(() => expect(sessions.has('sessions-list')).toBe(true))
    const texts = sessions.textsOf('sessions-list')
    expect(texts).toEqual(
      expect.arrayContaining(['iPhone 15', zhCN.sessions.thisDevice, '203.0.113.7']),
    )
    expect(texts).toContain(zhCN.sessions.revoke)
    expect(sessions.has('sessions-logout-all')).toBe(true)

    const token = storedToken(sandbox)
    sessions.tapId('sessions-logout')
    await vi.waitFor(() => expect(sessions.has('sessions-login')).toBe(true))
    expect(trafficOf(sandbox)).toEqual([
      'POST auth.login -',
      `GET session.list Bearer ${token}`,
      `POST auth.logout Bearer ${token}`,
    ])
    expect(sandbox.storage.has(SESSION_KEY)).toBe(false)
    // Every page shows the logged-out state (one store).
    await vi.waitFor(() => expect(home.has('home-login')).toBe(true))
  })
})
