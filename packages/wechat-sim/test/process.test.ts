/**
 * The built simulator (dist/main.js) as a real process, spoken to over HTTP
 * the way the API server and the H5 preview speak to it.
 */
import { createHmac } from 'node:crypto'
import { existsSync } from 'node:fs'
import {
  type RunningProcess,
  runSimulatorToExit,
  simulatorEntry,
  startSimulator,
  SIM_DEV_APPID as TESTING_DEV_APPID,
  SIM_DEV_SECRET as TESTING_DEV_SECRET,
} from '@wxapp/testing'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createSimControl, type SimControl, SimControlError, simLoginSource } from '../src/client'
import {
  SIM_DEV_ALIPAY_APPID,
  SIM_DEV_APPID,
  SIM_DEV_QQ_APPID,
  SIM_DEV_QQ_SECRET,
  SIM_DEV_SECRET,
  SIM_DEV_TT_APPID,
  SIM_DEV_TT_SECRET,
} from '../src/constants'

const OTHER = { appid: 'wx_other_app', secret: 'other_secret_value' }
const DEV = { appid: SIM_DEV_APPID, secret: SIM_DEV_SECRET }

let sim: RunningProcess
let control: SimControl

beforeAll(async () => {
  if (!existsSync(simulatorEntry)) {
    throw new Error(`${simulatorEntry} is missing: run \`pnpm --filter @wxapp/wechat-sim build\``)
  }
  sim = await startSimulator({ SIM_APPS: `${OTHER.appid}:${OTHER.secret}` })
  control = createSimControl({ baseUrl: sim.url })
})
afterAll(async () => {
  await sim?.stop()
})
beforeEach(async () => {
  await control.reset()
})

type Json = Record<string, unknown>
async function get(path: string, query: Record<string, string>): Promise<Json> {
  const res = await fetch(`${sim.url}${path}?${new URLSearchParams(query)}`)
  expect(res.status).toBe(200)
  return (await res.json()) as Json
}
async function post(path: string, body: unknown, query: Record<string, string> = {}) {
  const res = await fetch(`${sim.url}${path}?${new URLSearchParams(query)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
  return { status: res.status, headers: res.headers, body: (await res.json()) as Json }
}
const exchange = (code: string, app = DEV) =>
  get('/sns/jscode2session', {
    appid: app.appid,
    secret: app.secret,
    js_code: code,
    grant_type: 'authorization_code',
  })
const login = (user: string, app = DEV) => control.login({ appid: app.appid, user })
const stableToken = async (force?: boolean, app = DEV) =>
  (
    await post('/cgi-bin/stable_token', {
      grant_type: 'client_credential',
      appid: app.appid,
      secret: app.secret,
      force_refresh: force,
    })
  ).body
const accessToken = async () => String((await stableToken()).access_token)

describe('the process', () => {
  it('answers /healthz', async () => {
    const res = await fetch(`${sim.url}/healthz`)
    expect(res.status).toBe(200)
  })

  it('uses the same development app as @wxapp/testing', () => {
    expect([TESTING_DEV_APPID, TESTING_DEV_SECRET]).toEqual([SIM_DEV_APPID, SIM_DEV_SECRET])
  })

  it('exits 1 on bad configuration, naming the variable without echoing secrets', async () => {
    for (const [env, name] of [
      [{ PORT: 'eighty' }, 'PORT'],
      [{ SIM_APPS: 'wx_x' }, 'SIM_APPS'],
      [{ WECHAT_APPID: 'wx_a' }, 'WECHAT_SECRET'],
      [{ WECHAT_APPID: 'wx a', WECHAT_SECRET: 'hunter2hunter2' }, 'WECHAT_APPID'],
    ] as const) {
      const { code, output } = await runSimulatorToExit(env)
      expect(code).toBe(1)
      expect(output).toContain('Invalid configuration')
      expect(output).toContain(name)
      expect(output).not.toContain('hunter2')
      expect(output).not.toMatch(/\n\s+at /)
    }
  })

  it('exits 1 when the port is taken', async () => {
    const { port } = new URL(sim.url)
    const { code, output } = await runSimulatorToExit({ PORT: port, HOST: '127.0.0.1' })
    expect(code).toBe(1)
    expect(output).toContain('cannot listen on HOST:PORT')
  })

  it.each(['SIGTERM', 'SIGINT'] as const)(
    'on %s answers a request held by a delay, then exits 0',
    async (signal) => {
      const own = await startSimulator()
      try {
        const ctl = createSimControl({ baseUrl: own.url })
        await ctl.faults({ path: '/sns/jscode2session', delayMs: 60_000, count: 1 })
        const code = await ctl.login({ appid: DEV.appid, user: 'alice' })
        const pending = fetch(
          `${own.url}/sns/jscode2session?${new URLSearchParams({ ...{ appid: DEV.appid, secret: DEV.secret }, js_code: code, grant_type: 'authorization_code' })}`,
        ).then((r) => r.json() as Promise<Json>)
        await new Promise((r) => setTimeout(r, 100))
        const started = Date.now()
        expect(await own.stop(signal)).toBe(0)
        expect(Date.now() - started).toBeLessThan(5_000)
        expect((await pending).openid).toBeTypeOf('string')
        expect(own.output()).toContain('"msg":"stopped"')
      } finally {
        await own.stop('SIGKILL')
      }
    },
  )
})

describe('GET /sns/jscode2session', () => {
  it('exchanges a code from /sim/login', async () => {
    const body = await exchange(await login('alice'))
    expect(Object.keys(body).sort()).toEqual(['openid', 'session_key', 'unionid'])
    expect(Buffer.from(String(body.session_key), 'base64')).toHaveLength(16)
  })

  it('keeps openid per (appid, user), different across apps; unionid per user', async () => {
    const a = await exchange(await login('alice'))
    const again = await exchange(await login('alice'))
    const other = await exchange(await login('alice', OTHER), OTHER)
    const bob = await exchange(await login('bob'))
    expect(again.openid).toBe(a.openid)
    expect(other.openid).not.toBe(a.openid)
    expect(bob.openid).not.toBe(a.openid)
    expect(other.unionid).toBe(a.unionid)
  })

  it('uses a code once (40163)', async () => {
    const code = await login('alice')
    await exchange(code)
    expect((await exchange(code)).errcode).toBe(40163)
  })

  it('expires codes after 5 minutes (40029), with the clock moved by /sim/clock', async () => {
    const code1 = await login('alice')
    const code2 = await login('alice')
    await control.advanceClock(5 * 60_000 - 1000)
    expect((await exchange(code1)).openid).toBeTypeOf('string')
    await control.advanceClock(1000)
    expect((await exchange(code2)).errcode).toBe(40029)
  })

  it('refuses a code of another app (40029) without using it up', async () => {
    const code = await login('alice', OTHER)
    expect((await exchange(code, DEV)).errcode).toBe(40029)
    expect((await exchange(code, OTHER)).openid).toBeTypeOf('string')
  })

  it('refuses a bad appid (40013), a bad secret (40125) and missing parameters', async () => {
    const code = await login('alice')
    expect((await exchange(code, { appid: 'wx_nobody', secret: DEV.secret })).errcode).toBe(40013)
    expect((await exchange(code, { appid: DEV.appid, secret: OTHER.secret })).errcode).toBe(40125)
    const full = { appid: DEV.appid, secret: DEV.secret, js_code: code }
    const without = (key: string) =>
      Object.fromEntries(
        Object.entries({ ...full, grant_type: 'authorization_code' }).filter(([k]) => k !== key),
      )
    expect((await get('/sns/jscode2session', without('appid'))).errcode).toBe(41002)
    expect((await get('/sns/jscode2session', without('secret'))).errcode).toBe(41004)
    expect((await get('/sns/jscode2session', without('js_code'))).errcode).toBe(41008)
    expect((await get('/sns/jscode2session', without('grant_type'))).errcode).toBe(40002)
    expect((await exchange(code)).openid).toBeTypeOf('string') // still unused
  })

  it('answers the 101st exchange within a minute for one user with 45011', async () => {
    for (let i = 0; i < 100; i++) {
      expect((await exchange(await login('alice'))).errcode).toBeUndefined()
    }
    const code = await login('alice')
    expect((await exchange(code)).errcode).toBe(45011)
    expect((await exchange(await login('bob'))).errcode).toBeUndefined()
    await control.advanceClock(60_000)
    expect((await exchange(code)).openid).toBeTypeOf('string')
  })

  it('blocks users whose name starts with "risky" (40226)', async () => {
    expect((await exchange(await login('risky-user'))).errcode).toBe(40226)
  })

  it('answers a non-GET with 43001', async () => {
    expect((await post('/sns/jscode2session', {})).body.errcode).toBe(43001)
  })
})

describe('sessions', () => {
  const alice = { appid: DEV.appid, user: 'alice' }

  it('keeps session_key while the session is valid and rotates it after expiry', async () => {
    expect(await control.checkSession(alice)).toBe(false)
    const first = await exchange(await login('alice'))
    expect(await control.checkSession(alice)).toBe(true)
    expect((await exchange(await login('alice'))).session_key).toBe(first.session_key)

    await control.expireSession(alice)
    expect(await control.checkSession(alice)).toBe(false)
    const second = await exchange(await login('alice'))
    expect(second.session_key).not.toBe(first.session_key)
    expect(second.openid).toBe(first.openid)
    expect(await control.checkSession(alice)).toBe(true)
  })

  it('serves as a login source: codes that exchange, and checkSession that follows expiry', async () => {
    const source = simLoginSource(control, { appid: DEV.appid, user: 'bob' })
    expect(await source.checkSession()).toBe(false)
    const session = await exchange(await source.login())
    expect(session.openid).toEqual(expect.any(String))
    expect(await source.checkSession()).toBe(true)
    await control.expireSession({ appid: DEV.appid, user: 'bob' })
    expect(await source.checkSession()).toBe(false)
    const unreachable = simLoginSource(createSimControl({ baseUrl: 'http://127.0.0.1:9' }), {
      appid: DEV.appid,
      user: 'bob',
    })
    expect(await unreachable.checkSession()).toBe(false)
    await expect(unreachable.login()).rejects.toThrow()
  })

  it('verifies a stored session_key with GET /wxa/checksession (87009 when stale)', async () => {
    const token = await accessToken()
    const sign = (key: unknown) => createHmac('sha256', String(key)).update('').digest('hex')
    const check = (openid: unknown, key: unknown) =>
      get('/wxa/checksession', {
        access_token: token,
        openid: String(openid),
        signature: sign(key),
        sig_method: 'hmac_sha256',
      })
    const first = await exchange(await login('alice'))
    expect(await check(first.openid, first.session_key)).toEqual({ errcode: 0, errmsg: 'ok' })
    await control.expireSession(alice)
    expect((await check(first.openid, first.session_key)).errcode).toBe(87009)
    const second = await exchange(await login('alice'))
    expect((await check(first.openid, first.session_key)).errcode).toBe(87009)
    expect((await check(first.openid, second.session_key)).errcode).toBe(0)
    expect(
      (await get('/wxa/checksession', { access_token: 'nope', openid: 'x', signature: 'y' }))
        .errcode,
    ).toBe(40001)
  })
})

describe('POST /cgi-bin/stable_token', () => {
  it('returns the same token while valid; force_refresh rotates and revokes the old one', async () => {
    const first = await stableToken()
    expect(first.expires_in).toBe(7200)
    expect(String(first.access_token).length).toBeGreaterThan(32)
    expect((await stableToken(false)).access_token).toBe(first.access_token)
    await control.advanceClock(7200_000 - 300_000 - 1000)
    const later = await stableToken()
    expect(later.access_token).toBe(first.access_token)
    expect(later.expires_in).toBeGreaterThanOrEqual(300)

    await control.advanceClock(30_000)
    const forced = await stableToken(true)
    expect(forced.access_token).not.toBe(first.access_token)
    expect(forced.expires_in).toBe(7200)
    const phone = await post(
      '/wxa/business/getuserphonenumber',
      { code: 'x' },
      { access_token: String(first.access_token) },
    )
    expect(phone.body.errcode).toBe(40001)
    // Within 30 s of a forced refresh there is no new refresh.
    expect((await stableToken(true)).access_token).toBe(forced.access_token)
  })

  it('allows 20 forced refreshes a day, then 45009', async () => {
    // Start just after a Beijing midnight, so the 20 fall in one quota day.
    const { now } = await control.advanceClock(0)
    const day = 86_400_000
    const beijing = 8 * 3_600_000
    const midnight = (Math.floor((now + beijing) / day) + 1) * day - beijing
    await control.advanceClock(midnight - now + 60_000)
    for (let i = 0; i < 20; i++) {
      expect((await stableToken(true)).errcode).toBeUndefined()
      await control.advanceClock(30_000)
    }
    expect((await stableToken(true)).errcode).toBe(45009)
  })

  it('refuses bad credentials, bad bodies and GET as WeChat does', async () => {
    expect((await stableToken(false, { appid: 'wx_nobody', secret: 'x' })).errcode).toBe(40013)
    expect((await stableToken(false, { appid: DEV.appid, secret: 'wrong' })).errcode).toBe(40125)
    expect((await post('/cgi-bin/stable_token', '{not json')).body.errcode).toBe(47001)
    expect((await post('/cgi-bin/stable_token', { appid: DEV.appid })).body.errcode).toBe(41004)
    expect((await get('/cgi-bin/stable_token', {})).errcode).toBe(43002)
  })
})

describe('POST /wxa/business/getuserphonenumber', () => {
  const phone = (token: string, body: unknown) =>
    post('/wxa/business/getuserphonenumber', body, { access_token: token }).then((r) => r.body)

  it('turns a phone code into phone_info, once', async () => {
    const token = await accessToken()
    const code = await control.phoneCode({
      appid: DEV.appid,
      user: 'alice',
      phoneNumber: '13912345678',
    })
    const body = await phone(token, { code })
    expect(body).toMatchObject({
      errcode: 0,
      errmsg: 'ok',
      phone_info: {
        phoneNumber: '13912345678',
        purePhoneNumber: '13912345678',
        countryCode: '86',
        watermark: { appid: DEV.appid },
      },
    })
    expect((await phone(token, { code })).errcode).toBe(40029)
  })

  it('expires phone codes after 5 minutes and refuses other apps\u2019 codes (40029)', async () => {
    const token = await accessToken()
    const ofOther = await control.phoneCode({ appid: OTHER.appid, user: 'alice' })
    expect((await phone(token, { code: ofOther })).errcode).toBe(40029)
    const code = await control.phoneCode({ appid: DEV.appid, user: 'alice' })
    await control.advanceClock(5 * 60_000)
    expect((await phone(token, { code })).errcode).toBe(40029)
  })

  it('refuses a body naming another user\u2019s openid (40003) without using the code', async () => {
    const token = await accessToken()
    const bob = await exchange(await login('bob'))
    const alice = await exchange(await login('alice'))
    const code = await control.phoneCode({ appid: DEV.appid, user: 'alice' })
    expect((await phone(token, { code, openid: bob.openid })).errcode).toBe(40003)
    expect((await phone(token, { code, openid: alice.openid })).errcode).toBe(0)
  })

  it('refuses missing, unknown and expired access tokens (41001, 40001, 42001)', async () => {
    expect((await post('/wxa/business/getuserphonenumber', { code: 'x' })).body.errcode).toBe(41001)
    expect((await phone('nope', { code: 'x' })).errcode).toBe(40001)
    const token = await accessToken()
    await control.advanceClock(7200_000)
    expect((await phone(token, { code: 'x' })).errcode).toBe(42001)
  })

  it('can be made to run out of quota (1400001) through /sim/faults', async () => {
    const token = await accessToken()
    const code = await control.phoneCode({ appid: DEV.appid, user: 'alice' })
    await control.faults({ path: '/wxa/business/getuserphonenumber', errcode: 1400001, count: 1 })
    expect((await phone(token, { code })).errcode).toBe(1400001)
    expect((await phone(token, { code })).errcode).toBe(0)
  })
})

describe('/sim/faults', () => {
  const path = '/sns/jscode2session'

  it('fails the next `count` calls with the errcode, without using up the code', async () => {
    await control.faults({ path, errcode: -1, count: 2 })
    const code = await login('alice')
    expect((await exchange(code)).errcode).toBe(-1)
    expect((await exchange(code)).errcode).toBe(-1)
    expect((await exchange(code)).openid).toBeTypeOf('string')
  })

  it('delays calls by delayMs', async () => {
    await control.faults({ path, delayMs: 400, count: 1 })
    const code = await login('alice')
    let started = performance.now()
    expect((await exchange(code)).openid).toBeTypeOf('string')
    expect(performance.now() - started).toBeGreaterThanOrEqual(390)
    started = performance.now()
    await exchange(await login('alice'))
    expect(performance.now() - started).toBeLessThan(300)
  })

  it('replaces a fault with a newer one, and clears it with count 0', async () => {
    await control.faults({ path, errcode: -1, count: 5 })
    await control.faults({ path, errcode: 45011, count: 1 })
    const code = await login('alice')
    expect((await exchange(code)).errcode).toBe(45011)
    expect((await exchange(code)).openid).toBeTypeOf('string')
    await control.faults({ path, errcode: -1, count: 5 })
    await control.faults({ path, count: 0 })
    expect((await exchange(await login('alice'))).openid).toBeTypeOf('string')
  })

  it('touches only its own path', async () => {
    await control.faults({ path: '/cgi-bin/stable_token', errcode: -1, count: 1 })
    expect((await exchange(await login('alice'))).openid).toBeTypeOf('string')
    expect((await stableToken()).errcode).toBe(-1)
  })

  it('rejects bad fault requests with 400 and a reason', async () => {
    for (const body of [
      { path: '/nowhere', errcode: -1, count: 1 },
      { path, errcode: -1 },
      { path, count: 1 },
      { path, errcode: 0, count: 1 },
      { path, errcode: -1, count: -1 },
      { path, delayMs: 'slow', count: 1 },
    ]) {
      const res = await post('/sim/faults', body)
      expect(res.status).toBe(400)
      expect(res.body.error).toBeTypeOf('string')
    }
  })
})

describe('control endpoints', () => {
  it("knows the other platforms' development apps and hands out Alipay keys", async () => {
    const qq = await get('/qq/sns/jscode2session', {
      appid: SIM_DEV_QQ_APPID,
      secret: SIM_DEV_QQ_SECRET,
      js_code: await control.login({ appid: SIM_DEV_QQ_APPID, user: 'alice' }),
      grant_type: 'authorization_code',
    })
    expect(qq.openid).toEqual(expect.any(String))
    const tt = await post('/tt/api/apps/v2/jscode2session', {
      appid: SIM_DEV_TT_APPID,
      secret: SIM_DEV_TT_SECRET,
      code: await control.login({ appid: SIM_DEV_TT_APPID, user: 'alice' }),
    })
    expect(tt.body.err_no).toBe(0)
    const keys = await (await fetch(`${sim.url}/sim/alipay-keys`)).json()
    expect(keys).toMatchObject({ appid: SIM_DEV_ALIPAY_APPID, appPrivateKey: expect.any(String) })
  })

  it('count API calls per app in /sim/stats', async () => {
    await exchange(await login('alice'))
    await exchange('bad-code')
    await exchange(await login('alice', OTHER), OTHER)
    await exchange('x', { appid: 'wx_nobody', secret: 'x' }) // unknown apps are not counted
    const token = await accessToken()
    await post('/wxa/business/getuserphonenumber', { code: 'x' }, { access_token: token })
    // The other platforms' development apps are listed too, with nothing counted.
    expect(await control.stats()).toMatchObject({
      [DEV.appid]: {
        jscode2session: 2,
        stable_token: 1,
        getuserphonenumber: 1,
        checksession: 0,
        msg_sec_check: 0,
        media_check_async: 0,
        oauth_token: 0,
      },
      [OTHER.appid]: {
        jscode2session: 1,
        stable_token: 0,
        getuserphonenumber: 0,
        checksession: 0,
        msg_sec_check: 0,
        media_check_async: 0,
        oauth_token: 0,
      },
    })
  })

  it('/sim/reset forgets codes, sessions, tokens, faults, stats and the clock', async () => {
    const code = await login('alice')
    const token = await accessToken()
    await control.faults({ path: '/wxa/checksession', errcode: -1, count: 1 })
    await control.advanceClock(1000)
    await control.reset()
    expect((await exchange(code)).errcode).toBe(40029)
    expect(await control.checkSession({ appid: DEV.appid, user: 'alice' })).toBe(false)
    expect((await stableToken()).access_token).not.toBe(token)
    expect((await get('/wxa/checksession', { access_token: 'x' })).errcode).toBe(40001)
    const clock = (await fetch(`${sim.url}/sim/clock`).then((r) => r.json())) as Json
    expect(clock.offsetMs).toBe(0)
  })

  it('answer CORS preflights and send CORS headers, for the H5 preview', async () => {
    const preflight = await fetch(`${sim.url}/sim/login`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://localhost:10086',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*')
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST')
    expect(preflight.headers.get('access-control-allow-headers')).toContain('content-type')
    const res = await post('/sim/check-session', { appid: DEV.appid, user: 'alice' })
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    const bad = await post('/sim/login', { appid: DEV.appid })
    expect(bad.status).toBe(400)
    expect(bad.headers.get('access-control-allow-origin')).toBe('*')
  })

  it('reject bad input with 400 { error }, unknown endpoints with 404, wrong methods with 405', async () => {
    for (const [path, body] of [
      ['/sim/login', { appid: DEV.appid }],
      ['/sim/login', { appid: DEV.appid, user: '' }],
      ['/sim/login', { appid: 'wx_nobody', user: 'alice' }],
      ['/sim/login', { appid: DEV.appid, user: 'alice', extra: 1 }],
      ['/sim/login', 'not json'],
      ['/sim/phone-code', { appid: DEV.appid, user: 'alice', phoneNumber: '+86 138' }],
      ['/sim/clock', { advanceMs: -1 }],
    ] as const) {
      const res = await post(path, body)
      expect(res.status, `${path} ${JSON.stringify(body)}`).toBe(400)
      expect(res.body.error).toMatch(/\S/)
    }
    expect((await post('/sim/nothing', {})).status).toBe(404)
    expect((await fetch(`${sim.url}/sim/login`)).status).toBe(405)
  })

  it('answer a path WeChat does not have as WeChat does: HTTP 200, errcode 40066', async () => {
    for (const path of ['/elsewhere', '/sns/jscode2session/extra', '/cgi-bin/token']) {
      const res = await fetch(`${sim.url}${path}?access_token=x`)
      expect(res.status, path).toBe(200)
      expect(await res.json(), path).toEqual({
        errcode: 40066,
        errmsg: expect.stringMatching(/^invalid url, rid: /),
      })
    }
  })

  it('are not rate limited', async () => {
    const codes = await Promise.all(Array.from({ length: 300 }, () => login('alice')))
    expect(new Set(codes).size).toBe(300)
  })

  it('surface refusals as SimControlError through the client', async () => {
    const error = await login('x', { appid: 'wx_nobody', secret: '' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SimControlError)
    expect((error as SimControlError).status).toBe(400)
    expect((error as SimControlError).message).toContain('appid')
  })
})

describe('logs', () => {
  it('are JSON lines without secrets, codes, session keys or tokens', async () => {
    const code = await login('alice')
    const { session_key } = await exchange(code)
    const token = await accessToken()
    const phoneCode = await control.phoneCode({ appid: DEV.appid, user: 'alice' })
    await post('/wxa/business/getuserphonenumber', { code: phoneCode }, { access_token: token })
    await new Promise((r) => setTimeout(r, 100))
    const output = sim.output()
    expect(sim.logs().some((l) => l.msg === 'request')).toBe(true)
    for (const secret of [DEV.secret, OTHER.secret, code, String(session_key), token, phoneCode]) {
      expect(output).not.toContain(secret)
    }
  })
})
