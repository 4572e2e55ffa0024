/**
 * The tRPC fast path (src/trpc-fast-path.ts) against tRPC's own fetch adapter:
 * two apps on the same services and database, the same requests to both,
 * and the answers must be the same — status, body, and the headers a client
 * reads — whether the fast path took the request or left it to the adapter.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { appRouter } from '@wxapp/api'
import { applyMigrations, type Database, openDatabase } from '@wxapp/db'
import {
  type RunningProcess,
  SIM_DEV_APPID,
  SIM_DEV_SECRET,
  startSimulator,
  TEST_DATA_KEY,
  workspaceRoot,
} from '@wxapp/testing'
import { createSimControl } from '@wxapp/wechat-sim/client'
import type { LightMyRequestResponse } from 'fastify'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../src/app'
import { loadConfig } from '../src/config'
import { createServices } from '../src/services'
import {
  createTrpcFastPath,
  installedTrpcServerVersion,
  TESTED_TRPC_SERVER_VERSION,
} from '../src/trpc-fast-path'

type Request = {
  method?: 'GET' | 'POST' | 'HEAD' | 'PUT' | 'OPTIONS'
  url: string
  headers?: Record<string, string>
  payload?: string
}

const enc = (value: unknown) => encodeURIComponent(JSON.stringify(value))

describe('the tRPC fast path answers as tRPC does', () => {
  let sim: RunningProcess
  let db: Database
  let fastApp: Awaited<ReturnType<typeof buildApp>>
  let stockApp: Awaited<ReturnType<typeof buildApp>>
  let login: (user: string) => Promise<string>
  const fastHits = new Set<string>()
  const uploads = mkdtempSync(join(tmpdir(), 'wxapp-trpc-http-'))

  beforeAll(async () => {
    sim = await startSimulator({ SIM_SEED: 'trpc-http' })
    const config = loadConfig({
      WECHAT_APPID: SIM_DEV_APPID,
      WECHAT_SECRET: SIM_DEV_SECRET,
      WECHAT_API_BASE: sim.url,
      WECHAT_APPS: 'wx_second_app:second_secret_0123456789abcdef',
      DATABASE_URL: 'pglite:memory:',
      DATA_ENCRYPTION_KEY: TEST_DATA_KEY,
      LOGIN_RATE_LIMIT: '0',
      LOGIN_RATE_LIMIT_PER_USER: '0',
      UPLOAD_DIR: uploads,
    })
    const logger = pino({ level: 'silent' })
    db = await openDatabase({ url: config.databaseUrl })
    await applyMigrations(db)
    const services = createServices({ config, db, dataKeys: config.dataKeys ?? [], logger })
    const app = (trpcFastPath: boolean) =>
      buildApp({ services, logger, uploads: config.uploads, trpcFastPath })
    fastApp = await app(true)
    stockApp = await app(false)
    // The fast path hands Fastify a Buffer; tRPC's adapter a Response, and
    // Fastify's own refusals a string.
    fastApp.addHook('onSend', (request, _reply, payload, done) => {
      if (Buffer.isBuffer(payload)) fastHits.add(request.id)
      done(null, payload)
    })
    const control = createSimControl({ baseUrl: sim.url })
    login = async (user) => {
      const code = await control.login({ appid: SIM_DEV_APPID, user })
      const res = await fastApp.inject({
        method: 'POST',
        url: '/trpc/auth.login',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ code }),
      })
      return (res.json() as { result: { data: { token: string } } }).result.data.token
    }
  })

  afterAll(async () => {
    await fastApp?.close()
    await stockApp?.close()
    await db?.close()
    await sim?.stop()
    rmSync(uploads, { recursive: true, force: true })
  })

  /** What a client sees of an answer; times that differ by a millisecond are masked. */
  const seen = (res: LightMyRequestResponse) => ({
    status: res.statusCode,
    body: res.body.replace(/"(serverTime|createdAt)":"[^"]+"/g, '"$1":"<time>"'),
    contentType: res.headers['content-type'],
    vary: res.headers.vary,
    allow: res.headers.allow,
    requestId: typeof res.headers['x-request-id'],
  })
  const tookFastPath = (res: LightMyRequestResponse) =>
    fastHits.has(String(res.headers['x-request-id']))

  const compare = async (request: Request) => {
    const fast = await fastApp.inject(request)
    const stock = await stockApp.inject(request)
    expect(seen(fast), JSON.stringify(request)).toEqual(seen(stock))
    return { fast, stock }
  }

  it('answers plain queries, batches and their errors identically, on the fast path', async () => {
    const token = await login('fast-a')
    const auth = { authorization: `Bearer ${token}` }
    const cases: Request[] = [
      { url: '/trpc/system.ping' },
      // Fastify decodes the path, tRPC would decode it again: the same name.
      { url: '/trpc/system%2Eping' },
      { url: `/trpc/system.ping?input=${enc({ echo: 'hi' })}` },
      { url: `/trpc/system.ping?input=${enc({ echo: 'x'.repeat(300) })}` },
      { url: `/trpc/system.ping?input=${enc({ echo: 42 })}` },
      { url: `/trpc/system.ping?input=${enc({ echo: 'a', extra: true })}` },
      { url: '/trpc/system.ping?input=' },
      { url: `/trpc/system.ping?input=${enc(null)}` },
      { url: `/trpc/system.ping?batch=1&input=${enc({})}` },
      { url: `/trpc/system.ping,system.ping?batch=1&input=${enc({ 0: { echo: 'a' }, 1: {} })}` },
      {
        url: `/trpc/system.ping,system.ping?batch=1&input=${enc({ 0: { echo: 1 }, 1: { echo: 'b' } })}`,
      },
      { url: `/trpc/system.ping,user.me?batch=1&input=${enc({})}` },
      { url: `/trpc/user.me,session.list?batch=1&input=${enc({})}`, headers: auth },
      { url: '/trpc/user.me' },
      { url: `/trpc/user.me?batch=1&input=${enc({})}` },
      { url: '/trpc/user.me', headers: auth },
      { url: `/trpc/user.me?batch=1&input=${enc({})}`, headers: auth },
      { url: '/trpc/user.me', headers: { authorization: 'Bearer garbage' } },
      { url: '/trpc/user.me', headers: { authorization: token } },
      { url: '/trpc/user.me', headers: { authorization: `bearer ${token}` } },
      { url: '/trpc/user.me', headers: { ...auth, 'x-wx-appid': 'wx_second_app' } },
      { url: '/trpc/user.me', headers: { ...auth, 'x-wx-appid': 'wx_unknown_app' } },
      { url: '/trpc/user.me', headers: { ...auth, 'content-type': 'application/json' } },
      { url: '/trpc/session.list', headers: auth },
      { url: '/trpc/user.me', headers: { ...auth, accept: 'application/json' } },
      {
        method: 'POST',
        url: '/trpc/user.updateProfile',
        headers: { ...auth, 'content-type': 'application/json' },
        payload: JSON.stringify({ nickname: '  小明🙂  ' }),
      },
      {
        method: 'POST',
        url: '/trpc/user.updateProfile',
        headers: { ...auth, 'content-type': 'application/json; charset=utf-8' },
        payload: JSON.stringify({ nickname: '', avatarUrl: 'ftp://x' }),
      },
      {
        method: 'POST',
        url: '/trpc/user.updateProfile?batch=1',
        headers: { ...auth, 'content-type': 'application/json' },
        payload: JSON.stringify({ 0: { admin: true } }),
      },
      {
        method: 'POST',
        url: '/trpc/user.updateProfile',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ nickname: 'x' }),
      },
      {
        method: 'POST',
        url: '/trpc/session.revoke',
        headers: { ...auth, 'content-type': 'application/json' },
        payload: JSON.stringify({ id: 'not-a-uuid' }),
      },
      {
        method: 'POST',
        url: '/trpc/session.revoke',
        headers: { ...auth, 'content-type': 'application/json' },
        payload: JSON.stringify({ id: '01900000-0000-7000-8000-000000000000' }),
      },
      {
        method: 'POST',
        url: '/trpc/auth.login',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ code: 'no-such-code' }),
      },
      {
        method: 'POST',
        url: '/trpc/auth.login',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ code: '' }),
      },
      {
        method: 'POST',
        url: '/trpc/auth.login',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ code: 'x', appid: 'wx_unknown_app' }),
      },
      {
        method: 'POST',
        url: '/trpc/wechat.decryptUserData',
        headers: { ...auth, 'content-type': 'application/json' },
        payload: JSON.stringify({ encryptedData: '!!', iv: 'x' }),
      },
      {
        method: 'POST',
        url: '/trpc/user.bindPhone',
        headers: { ...auth, 'content-type': 'application/json' },
        payload: JSON.stringify({ code: 'no-such-phone-code' }),
      },
      {
        method: 'POST',
        url: '/trpc/user.updateProfile',
        headers: { ...auth, 'content-type': 'application/json' },
        payload: '',
      },
    ]
    for (const request of cases) {
      const { fast } = await compare(request)
      expect(tookFastPath(fast), JSON.stringify(request)).toBe(true)
    }
  })

  it('leaves everything else to tRPC, which answers as before', async () => {
    const token = await login('fast-b')
    const auth = { authorization: `Bearer ${token}` }
    const cases: Request[] = [
      { url: '/trpc/system.nope' },
      { url: `/trpc/system.ping,system.nope?batch=1&input=${enc({})}` },
      { url: `/trpc/system.ping?input=${encodeURIComponent('{')}` },
      { url: `/trpc/system.ping?batch=1&input=${enc([1])}` },
      { url: `/trpc/system.ping?batch=1&input=${enc(1)}` },
      { url: '/trpc/system.ping?connectionParams=%7B%7D' },
      { url: '/trpc/system.ping', headers: { 'content-type': 'text/plain' } },
      {
        url: `/trpc/user.me?batch=1&input=${enc({})}`,
        headers: { ...auth, 'trpc-accept': 'application/jsonl' },
      },
      {
        url: `/trpc/user.me?batch=1&input=${enc({})}`,
        headers: { ...auth, accept: 'application/jsonl' },
      },
      { url: `/trpc/user.me,auth.logout?batch=1&input=${enc({})}`, headers: auth },
      {
        method: 'POST',
        url: '/trpc/user.me',
        headers: { ...auth, 'content-type': 'application/json' },
        payload: '{}',
      },
      { url: '/trpc/auth.logout', headers: auth },
      { method: 'HEAD', url: '/trpc/system.ping' },
      {
        method: 'PUT',
        url: '/trpc/system.ping',
        headers: { 'content-type': 'application/json' },
        payload: '{}',
      },
      {
        method: 'POST',
        url: '/trpc/auth.login',
        headers: { 'content-type': 'text/plain' },
        payload: '{}',
      },
      { method: 'POST', url: '/trpc/auth.login', payload: '{}' },
      {
        method: 'POST',
        url: '/trpc/auth.login',
        headers: { 'content-type': 'application/json' },
        payload: '{"code":',
      },
    ]
    for (const request of cases) {
      const { fast } = await compare(request)
      expect(tookFastPath(fast), JSON.stringify(request)).toBe(false)
    }
  })

  it('logs out and everywhere the same way (a fresh session for each app)', async () => {
    for (const [path, expected] of [
      ['auth.logout', { ok: true }],
      ['auth.logoutAll', { revoked: 1 }],
    ] as const) {
      const answers = []
      for (const app of [fastApp, stockApp]) {
        const token = await login(`fast-logout-${path}-${answers.length}`)
        const request = {
          method: 'POST' as const,
          url: `/trpc/${path}`,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        }
        const done = await app.inject(request)
        const again = await app.inject(request)
        answers.push([seen(done), seen(again)])
        expect(done.json()).toEqual({ result: { data: expected } })
        expect(again.json()).toMatchObject({ error: { data: { reason: 'SESSION_REVOKED' } } })
      }
      expect(answers[0]).toEqual(answers[1])
    }
  })

  it('gives procedures no abort signal, so none may read one', () => {
    // The fast path passes `signal: undefined` (an AbortController per request
    // cost more than the rest of the path). A procedure that wants to stop
    // when the client goes away must change that first.
    const dir = join(workspaceRoot, 'packages/api/src')
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) =>
      f.endsWith('.ts'),
    )
    for (const file of files) {
      expect(readFileSync(join(dir, file), 'utf8'), file).not.toMatch(/\bsignal\b/)
    }
  })
})

describe('the fast path guards itself', () => {
  const trpcOptions = { router: appRouter, createContext: () => ({}) as never }
  const createContext = () => ({}) as never

  it('was compared with the installed @trpc/server (after an upgrade: run this file, then move the pin)', () => {
    expect(installedTrpcServerVersion()).toBe(TESTED_TRPC_SERVER_VERSION)
  })

  it('switches itself off, with a warning, on any other @trpc/server', async () => {
    const warnings: { details: object; message: string }[] = []
    const warn = (details: object, message: string) => warnings.push({ details, message })
    for (const version of ['11.26.0', '11.25.1', '12.0.0']) {
      expect(await createTrpcFastPath({ trpcOptions, createContext, warn, version })).toBeNull()
    }
    expect(warnings).toHaveLength(3)
    expect(warnings[0]).toEqual({
      details: { installed: '11.26.0', tested: TESTED_TRPC_SERVER_VERSION },
      message: expect.stringMatching(/^tRPC fast path off: @trpc\/server is not the version/),
    })
    const on = await createTrpcFastPath({ trpcOptions, createContext, warn })
    expect(typeof on).toBe('function')
    expect(warnings).toHaveLength(3)
  })
})
