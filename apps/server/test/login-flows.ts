import { TRPCClientError } from '@trpc/client'
import type { AppRouter } from '@wxapp/api'
import { isSessionLoginError, type KeyValueStorage } from '@wxapp/session/client'
import { createSecretBox, dataKey } from '@wxapp/session/server'
import {
  type RunningProcess,
  SIM_DEV_APPID,
  SIM_DEV_SECRET,
  startApiServer,
  startSimulator,
  TEST_DATA_KEY,
} from '@wxapp/testing'
import { createSimControl, type SimControl } from '@wxapp/wechat-sim/client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchApp, rawCall, rawGet, responses } from './login-fixture'

export interface PreparedDatabase {
  url: string
  cleanup: () => Promise<void>
  /** Reads the sealed session_key stored for a user, where the test can reach the database. */
  /** The user's sealed session_key and their openid (what it is bound to). */
  sealedSessionKey?: (userId: string) => Promise<{ encrypted: string; openid: string } | null>
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const SHORT_SESSION_MS = 3000

/** Login, sessions and their failure modes, end to end: real server, real simulator, real database. */
export function describeLoginFlows(name: string, prepare: () => Promise<PreparedDatabase>) {
  describe(`login and sessions on ${name}`, () => {
    let sim: RunningProcess
    let control: SimControl
    let server: RunningProcess
    /** A second server whose sessions last 3 s, for expiry on the server side. */
    let shortServer: RunningProcess
    const databases: PreparedDatabase[] = []
    const issuedTokens = new Set<string>()
    const launch = (
      user: string,
      over: { server?: RunningProcess; storage?: KeyValueStorage } = {},
    ) =>
      launchApp({
        apiUrl: (over.server ?? server).url,
        simUrl: sim.url,
        appid: SIM_DEV_APPID,
        user,
        ...(over.storage ? { storage: over.storage } : {}),
      })
    const remember = (token: string | null) => {
      if (token) issuedTokens.add(token)
      return token
    }

    beforeAll(async () => {
      sim = await startSimulator({ SIM_SEED: 'login-e2e' })
      control = createSimControl({ baseUrl: sim.url })
      const wechat = {
        WECHAT_API_BASE: sim.url,
        WECHAT_APPID: SIM_DEV_APPID,
        WECHAT_SECRET: SIM_DEV_SECRET,
      }
      databases.push(await prepare(), await prepare())
      ;[server, shortServer] = await Promise.all([
        startApiServer({ ...wechat, DATABASE_URL: databases[0]?.url ?? '' }),
        startApiServer({
          ...wechat,
          DATABASE_URL: databases[1]?.url ?? '',
          SESSION_IDLE_TIMEOUT: `${SHORT_SESSION_MS}ms`,
          SESSION_LIFETIME: `${SHORT_SESSION_MS}ms`,
        }),
      ])
    })

    afterAll(async () => {
      const codes = [
        ...(await Promise.all([server?.stop(), shortServer?.stop()])),
        await sim?.stop(),
      ]
      await Promise.all(databases.map((d) => d.cleanup()))
      expect(codes).toEqual([0, 0, 0])
    })

    it('logs in on the first launch, then launches warm without any network call', async () => {
      const before = (await control.stats())[SIM_DEV_APPID]?.jscode2session ?? 0
      const first = launch('alice')
      const me = await first.api.user.me.query()
      remember(first.session.token)
      expect(me.id).toEqual(expect.any(String))
      expect(first.counters).toMatchObject({ sourceLogins: 1, authLogins: 1 })
      expect((await control.stats())[SIM_DEV_APPID]?.jscode2session).toBe(before + 1)

      // Relaunch: same storage, WeChat session still valid.
      const second = launch('alice', { storage: first.storage })
      await second.session.ensureSession()
      expect(second.counters).toEqual({ sourceLogins: 0, apiRequests: 0, authLogins: 0 })
      expect((await second.api.user.me.query()).id).toBe(me.id)
      expect(second.counters).toEqual({ sourceLogins: 0, apiRequests: 1, authLogins: 0 })
    })

    it('refuses two Authorization (or x-wx-appid) headers, whatever their order', async () => {
      const app = launch('dora')
      await app.api.user.me.query()
      const good = `Bearer ${remember(app.session.token)}`
      const bad = 'Bearer 00000000-0000-0000-0000-000000000000.junk'
      const me = `${server.url}/trpc/user.me`
      expect(await rawGet(me, { authorization: good })).toEqual({ status: 200, reason: undefined })
      for (const authorization of [
        [good, bad],
        [bad, good],
        [good, good],
      ]) {
        expect(await rawGet(me, { authorization })).toEqual({
          status: 400,
          reason: 'HEADER_REPEATED',
        })
      }
      expect(
        await rawGet(me, { authorization: good, 'x-wx-appid': [SIM_DEV_APPID, 'wx_other'] }),
      ).toEqual({ status: 400, reason: 'HEADER_REPEATED' })
    })

    it('logs in again when wx.checkSession fails, and the server keeps the new session_key', async () => {
      const first = launch('carol')
      const me = await first.api.user.me.query()
      remember(first.session.token)
      const sealedBefore = await databases[0]?.sealedSessionKey?.(me.id)

      await control.expireSession({ appid: SIM_DEV_APPID, user: 'carol' })
      const second = launch('carol', { storage: first.storage })
      const token = await second.session.ensureSession()
      remember(token)
      expect(token).not.toBe(first.session.token)
      expect(second.counters).toMatchObject({ sourceLogins: 1, authLogins: 1 })
      expect((await second.api.user.me.query()).id).toBe(me.id)

      const sealedAfter = await databases[0]?.sealedSessionKey?.(me.id)
      if (sealedBefore !== undefined) {
        const box = createSecretBox([dataKey(Buffer.from(TEST_DATA_KEY, 'base64'))])
        // Bound to the app and the user's openid (packages/session's session-keys.ts).
        const context = `wechat-session-key/openid:${SIM_DEV_APPID}:${sealedBefore?.openid}`
        const keyBefore = box.open(sealedBefore?.encrypted ?? '', context)
        const keyAfter = box.open(sealedAfter?.encrypted ?? '', context)
        expect(Buffer.from(keyAfter, 'base64')).toHaveLength(16)
        expect(keyAfter).not.toBe(keyBefore)
      }
    })

    it('re-logs in silently when the server expired the token, and the call succeeds', async () => {
      const app = launch('dave', { server: shortServer })
      const me = await app.api.user.me.query()
      const firstToken = remember(app.session.token)
      await sleep(SHORT_SESSION_MS + 200)
      expect((await app.api.user.me.query()).id).toBe(me.id)
      expect(remember(app.session.token)).not.toBe(firstToken)
      expect(app.counters.sourceLogins).toBe(2)
      expect(app.counters.authLogins).toBe(2)
    })

    it('re-logs in silently when the token was revoked elsewhere', async () => {
      const phone = launch('erin')
      const tablet = launch('erin')
      const me = await phone.api.user.me.query()
      await tablet.api.user.me.query()
      remember(phone.session.token)
      remember(tablet.session.token)
      expect(await tablet.api.auth.logoutAll.mutate()).toEqual({ revoked: 2 })
      expect((await phone.api.user.me.query()).id).toBe(me.id)
      expect(phone.counters.sourceLogins).toBe(2)
    })

    it('answers 50 parallel calls on an expired token with one wx.login and one auth.login', async () => {
      const app = launch('frank', { server: shortServer })
      await app.session.ensureSession()
      remember(app.session.token)
      await sleep(SHORT_SESSION_MS + 200)
      const before = { ...app.counters }
      const results = await Promise.all(Array.from({ length: 50 }, () => app.api.user.me.query()))
      remember(app.session.token)
      expect(new Set(results.map((r) => r.id)).size).toBe(1)
      expect(app.counters.sourceLogins - before.sourceLogins).toBe(1)
      expect(app.counters.authLogins - before.authLogins).toBe(1)
    })

    it('retries WeChat once when it is busy, and answers 503 WECHAT_BUSY when it stays busy', async () => {
      const busyOnce = launch('hank')
      await control.faults({ path: '/sns/jscode2session', errcode: -1, count: 1 })
      expect((await busyOnce.api.user.me.query()).id).toEqual(expect.any(String))
      remember(busyOnce.session.token)

      await control.faults({ path: '/sns/jscode2session', errcode: -1, count: 100 })
      try {
        const code = await control.login({ appid: SIM_DEV_APPID, user: 'ivan' })
        const busy = await rawCall(server.url, 'auth.login', { code })
        expect(busy.status).toBe(503)
        expect(busy.body.error?.data).toMatchObject({
          code: 'SERVICE_UNAVAILABLE',
          reason: 'WECHAT_BUSY',
        })
        // Through the session client the same failure is a typed error, not a loop.
        const app = launch('ivan')
        const error = await app.api.user.me.query().catch((e: unknown) => e)
        expect(error).toBeInstanceOf(TRPCClientError)
        const cause = (error as TRPCClientError<AppRouter>).cause
        expect(isSessionLoginError(cause) && cause.reason).toBe('WECHAT_BUSY')
        expect(app.counters.sourceLogins).toBe(1)
      } finally {
        await control.faults({ path: '/sns/jscode2session', count: 0 })
      }
    })

    it('answers garbage and tampered tokens with 401, never 5xx', async () => {
      const app = launch('kate')
      await app.session.ensureSession()
      const token = remember(app.session.token) ?? ''
      const flipped = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A')
      const variants: Record<string, string> = {
        none: '',
        garbage: 'Bearer garbage',
        empty: 'Bearer ',
        'no scheme': token,
        tampered: `Bearer ${flipped}`,
        'unknown id': `Bearer 01900000-0000-7000-8000-000000000000${token.slice(36)}`,
        huge: `Bearer ${'x'.repeat(6000)}`,
        'sql-ish': "Bearer ' OR 1=1 --",
        // UTF-8 bytes on the wire (fetch only sends Latin-1 header strings).
        unicode: `Bearer ${Buffer.from('令牌😀').toString('latin1')}`,
      }
      for (const [label, authorization] of Object.entries(variants)) {
        const res = await fetch(`${server.url}/trpc/user.me`, {
          headers: authorization ? { authorization } : {},
        })
        const text = await res.text()
        responses.push(text)
        expect(res.status, label).toBe(401)
        const reason = JSON.parse(text).error.data.reason
        expect(['AUTH_REQUIRED', 'TOKEN_INVALID'], label).toContain(reason)
      }
      const otherApp = await fetch(`${server.url}/trpc/user.me`, {
        headers: { authorization: `Bearer ${token}`, 'x-wx-appid': 'wx_other_app' },
      })
      expect(otherApp.status).toBe(401)
    })

    it('creates exactly one user for 100 concurrent first logins', async () => {
      const codes = await Promise.all(
        Array.from({ length: 100 }, () => control.login({ appid: SIM_DEV_APPID, user: 'crowd' })),
      )
      const results = await Promise.all(
        codes.map((code) => rawCall(server.url, 'auth.login', { code })),
      )
      const ids = results.map((r) => {
        expect(r.status).toBe(200)
        const data = (r.body as { result?: { data?: { user?: { id?: string }; token?: string } } })
          .result?.data
        remember(data?.token ?? null)
        return data?.user?.id
      })
      expect(new Set(ids).size).toBe(1)
    })

    it('logs out one session, lists sessions, and logs out everywhere', async () => {
      const phone = launch('lily')
      const tablet = launch('lily')
      await phone.session.ensureSession()
      await tablet.session.ensureSession()
      remember(phone.session.token)
      remember(tablet.session.token)
      const list = await phone.api.session.list.query()
      expect(list.filter((s) => s.current)).toHaveLength(1)
      expect(list.length).toBeGreaterThanOrEqual(2)
      expect(list[0]).toMatchObject({
        client: { platform: 'node', model: 'vitest' },
        ip: '127.0.0.1',
      })

      const tabletToken = tablet.session.token
      await tablet.session.logout(() => tablet.api.auth.logout.mutate())
      expect(tablet.session.token).toBeNull()
      const after = await rawCall(server.url, 'auth.logout', undefined, {
        authorization: `Bearer ${tabletToken}`,
      })
      expect(after.status).toBe(401)
      expect(after.body.error?.data?.reason).toBe('SESSION_REVOKED')
      expect(
        (await phone.api.session.list.query()).some(
          (s) => s.id === list.find((x) => !x.current)?.id,
        ),
      ).toBe(false)

      const phoneToken = phone.session.token
      await phone.api.auth.logoutAll.mutate()
      await phone.session.logout()
      const revoked = await rawCall(server.url, 'auth.logout', undefined, {
        authorization: `Bearer ${phoneToken}`,
      })
      expect(revoked.body.error?.data?.reason).toBe('SESSION_REVOKED')
      // The next launch logs in afresh.
      const next = launch('lily', { storage: phone.storage })
      await next.session.ensureSession()
      remember(next.session.token)
      expect(next.counters.sourceLogins).toBe(1)
    })

    it('never puts the app secret, a session_key or a token secret in a response or a log line', async () => {
      // The session_keys the server received: the simulator hands out the same
      // key while a user's WeChat session is valid.
      const sessionKeys: string[] = []
      for (const user of ['alice', 'carol', 'dave', 'erin', 'frank', 'crowd', 'lily']) {
        const code = await control.login({ appid: SIM_DEV_APPID, user })
        const res = await fetch(
          `${sim.url}/sns/jscode2session?appid=${SIM_DEV_APPID}&secret=${SIM_DEV_SECRET}&js_code=${code}&grant_type=authorization_code`,
        )
        sessionKeys.push(((await res.json()) as { session_key: string }).session_key)
      }
      const logs = server.output() + shortServer.output()
      const everything = [...responses, logs]
      for (const text of everything) {
        expect(text).not.toContain(SIM_DEV_SECRET)
        for (const key of sessionKeys) expect(text).not.toContain(key)
      }
      expect(issuedTokens.size).toBeGreaterThan(10)
      for (const token of issuedTokens) {
        const secret = token.split('.')[1] ?? token
        expect(logs).not.toContain(secret)
      }
    })
  })
}
