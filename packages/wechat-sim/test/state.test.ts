import { createHmac } from 'node:crypto'
import { beforeEach, describe, expect, it } from 'vitest'
import { ACCESS_TOKEN_TTL_MS, CODE_TTL_MS, SIM_DEV_APPID, SIM_DEV_SECRET } from '../src/constants'
import { type Result, SimInputError, SimState } from '../src/state'

const A = { appid: 'wx_app_a', secret: 'secret_a' }
const B = { appid: 'wx_app_b', secret: 'secret_b' }

function ok<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`expected success, got ${r.error.errcode} ${r.error.errmsg}`)
  return r.body
}
function errcode(r: Result<unknown>): number {
  return r.ok ? 0 : r.error.errcode
}

let t: number
let sim: SimState
beforeEach(() => {
  t = Date.UTC(2026, 0, 1, 12)
  sim = new SimState({ apps: [A, B], now: () => t })
})

const exchange = (code: string, app = A) =>
  sim.code2Session({
    appid: app.appid,
    secret: app.secret,
    js_code: code,
    grant_type: 'authorization_code',
  })
const token = (force?: boolean, app = A) =>
  sim.stableToken({
    grant_type: 'client_credential',
    appid: app.appid,
    secret: app.secret,
    ...(force === undefined ? {} : { force_refresh: force }),
  })
const sign = (sessionKey: string) => createHmac('sha256', sessionKey).update('').digest('hex')

describe('code2Session', () => {
  it('exchanges a login code for openid, session_key and unionid', () => {
    const body = ok(exchange(sim.login({ appid: A.appid, user: 'alice' })))
    expect(body.openid).toMatch(/^o[A-Za-z0-9_-]{27}$/)
    expect(Buffer.from(body.session_key, 'base64')).toHaveLength(16)
    expect(body.unionid).toMatch(/^o[A-Za-z0-9_-]{27}$/)
  })

  it('keeps openids stable per (appid, user), distinct across apps and users; unionid per user', () => {
    const a1 = ok(exchange(sim.login({ appid: A.appid, user: 'alice' })))
    const a2 = ok(exchange(sim.login({ appid: A.appid, user: 'alice' })))
    const b1 = ok(exchange(sim.login({ appid: B.appid, user: 'alice' }), B))
    const bob = ok(exchange(sim.login({ appid: A.appid, user: 'bob' })))
    expect(a2.openid).toBe(a1.openid)
    expect(b1.openid).not.toBe(a1.openid)
    expect(bob.openid).not.toBe(a1.openid)
    expect(b1.unionid).toBe(a1.unionid)
    expect(bob.unionid).not.toBe(a1.unionid)
  })

  it('derives openids from the seed: same seed, same openids; no seed, random per instance', () => {
    const seeded = () => new SimState({ apps: [A], seed: 'a fixed seed' })
    const random = () => new SimState({ apps: [A] })
    expect(seeded().openid(A.appid, 'alice')).toBe(seeded().openid(A.appid, 'alice'))
    expect(random().openid(A.appid, 'alice')).not.toBe(random().openid(A.appid, 'alice'))
  })

  it('uses a code once: 40163 the second time', () => {
    const code = sim.login({ appid: A.appid, user: 'alice' })
    ok(exchange(code))
    expect(errcode(exchange(code))).toBe(40163)
  })

  it('expires codes after 5 minutes: 40029', () => {
    const early = sim.login({ appid: A.appid, user: 'alice' })
    const late = sim.login({ appid: A.appid, user: 'alice' })
    t += CODE_TTL_MS - 1
    ok(exchange(early))
    t += 1
    expect(errcode(exchange(late))).toBe(40029)
  })

  it('refuses unknown codes and codes of another app with 40029', () => {
    expect(errcode(exchange('made-up'))).toBe(40029)
    const codeOfB = sim.login({ appid: B.appid, user: 'alice' })
    expect(errcode(exchange(codeOfB, A))).toBe(40029)
    ok(exchange(codeOfB, B)) // not used up by the refused attempt
  })

  it.each([
    [{ secret: 's', js_code: 'c', grant_type: 'authorization_code' }, 41002],
    [{ appid: A.appid, js_code: 'c', grant_type: 'authorization_code' }, 41004],
    [{ appid: A.appid, secret: A.secret, grant_type: 'authorization_code' }, 41008],
    [{ appid: A.appid, secret: A.secret, js_code: 'c' }, 40002],
    [{ appid: A.appid, secret: A.secret, js_code: 'c', grant_type: 'client_credential' }, 40002],
    [
      { appid: 'wx_unknown', secret: A.secret, js_code: 'c', grant_type: 'authorization_code' },
      40013,
    ],
    [{ appid: A.appid, secret: B.secret, js_code: 'c', grant_type: 'authorization_code' }, 40125],
  ])('answers %o with %i', (query, expected) => {
    expect(errcode(sim.code2Session(query))).toBe(expected)
  })

  it('does not use up a code refused for bad credentials', () => {
    const code = sim.login({ appid: A.appid, user: 'alice' })
    expect(errcode(exchange(code, { appid: A.appid, secret: 'wrong' }))).toBe(40125)
    ok(exchange(code))
  })

  it('blocks high-risk users (name starting with "risky") with 40226, code left unused', () => {
    const code = sim.login({ appid: A.appid, user: 'risky-mallory' })
    expect(errcode(exchange(code))).toBe(40226)
    expect(errcode(exchange(code))).toBe(40226)
  })

  it('answers the 101st exchange within 60 s for one user with 45011', () => {
    for (let i = 0; i < 100; i++) ok(exchange(sim.login({ appid: A.appid, user: 'alice' })))
    const code = sim.login({ appid: A.appid, user: 'alice' })
    expect(errcode(exchange(code))).toBe(45011)
    // Other users and the same user in another app are not affected.
    ok(exchange(sim.login({ appid: A.appid, user: 'bob' })))
    ok(exchange(sim.login({ appid: B.appid, user: 'alice' }), B))
    // A minute after the first exchange, the refused code works.
    t += 60_000
    ok(exchange(code))
  })

  it('counts the window as sliding', () => {
    for (let i = 0; i < 50; i++) ok(exchange(sim.login({ appid: A.appid, user: 'alice' })))
    t += 30_000
    for (let i = 0; i < 50; i++) ok(exchange(sim.login({ appid: A.appid, user: 'alice' })))
    expect(errcode(exchange(sim.login({ appid: A.appid, user: 'alice' })))).toBe(45011)
    t += 30_000 // the first 50 leave the window
    ok(exchange(sim.login({ appid: A.appid, user: 'alice' })))
  })
})

describe('sessions and session_key', () => {
  const alice = { appid: A.appid, user: 'alice' }

  it('checkSession is false before the first login, true after', () => {
    expect(sim.checkSession(alice)).toBe(false)
    sim.login(alice)
    expect(sim.checkSession(alice)).toBe(true)
  })

  it('keeps session_key across logins while the session is valid', () => {
    const k1 = ok(exchange(sim.login(alice))).session_key
    const k2 = ok(exchange(sim.login(alice))).session_key
    expect(k2).toBe(k1)
  })

  it('rotates session_key on the first login after the session expired', () => {
    const k1 = ok(exchange(sim.login(alice))).session_key
    sim.expireSession(alice)
    expect(sim.checkSession(alice)).toBe(false)
    const k2 = ok(exchange(sim.login(alice))).session_key
    expect(k2).not.toBe(k1)
    expect(sim.checkSession(alice)).toBe(true)
    expect(ok(exchange(sim.login(alice))).session_key).toBe(k2)
  })

  it('keeps sessions per app', () => {
    sim.login(alice)
    sim.login({ appid: B.appid, user: 'alice' })
    sim.expireSession(alice)
    expect(sim.checkSession({ appid: B.appid, user: 'alice' })).toBe(true)
  })

  it('refuses control calls for an unknown app', () => {
    expect(() => sim.login({ appid: 'wx_unknown', user: 'alice' })).toThrow(SimInputError)
    expect(() => sim.checkSession({ appid: 'wx_unknown', user: 'alice' })).toThrow(SimInputError)
  })
})

describe('stable_token', () => {
  it('returns the same token while it has more than 5 minutes left', () => {
    const first = ok(token())
    expect(first.expires_in).toBe(7200)
    t += 3_600_000
    const again = ok(token(false))
    expect(again.access_token).toBe(first.access_token)
    expect(again.expires_in).toBe(3600)
  })

  it('renews in the last 5 minutes; the old token works until it expires', () => {
    const first = ok(token())
    t += ACCESS_TOKEN_TTL_MS - 300_000 - 1
    expect(ok(token()).access_token).toBe(first.access_token)
    expect(ok(token()).expires_in).toBeGreaterThanOrEqual(300)
    t += 1
    const next = ok(token())
    expect(next.access_token).not.toBe(first.access_token)
    expect(next.expires_in).toBe(7200)
    const code = sim.phoneCode({ appid: A.appid, user: 'alice' })
    ok(sim.getUserPhoneNumber(first.access_token, { code }))
    t += 300_000
    expect(errcode(sim.getUserPhoneNumber(first.access_token, { code: 'x' }))).toBe(42001)
  })

  it('keeps tokens per app', () => {
    expect(ok(token(false, B)).access_token).not.toBe(ok(token()).access_token)
  })

  it('force_refresh rotates and revokes the old token at once', () => {
    const first = ok(token())
    t += 1000
    const forced = ok(token(true))
    expect(forced.access_token).not.toBe(first.access_token)
    expect(forced.expires_in).toBe(7200)
    expect(errcode(sim.getUserPhoneNumber(first.access_token, { code: 'x' }))).toBe(40001)
    expect(ok(token()).access_token).toBe(forced.access_token)
  })

  it('does not refresh again within 30 s of a forced refresh', () => {
    const forced = ok(token(true))
    t += 29_999
    expect(ok(token(true)).access_token).toBe(forced.access_token)
    t += 1
    expect(ok(token(true)).access_token).not.toBe(forced.access_token)
  })

  it('allows 20 forced refreshes a (Beijing) day, then 45009', () => {
    t = Date.UTC(2026, 0, 1, 0, 0) // 08:00 in Beijing
    for (let i = 0; i < 20; i++) {
      ok(token(true))
      t += 30_000
    }
    expect(errcode(token(true))).toBe(45009)
    ok(token(false)) // normal mode is unaffected
    t = Date.UTC(2026, 0, 1, 16, 0) // midnight in Beijing
    ok(token(true))
  })

  it.each([
    [null, 47001],
    [{ appid: A.appid, secret: A.secret }, 40002],
    [{ grant_type: 'client_credential', secret: A.secret }, 41002],
    [{ grant_type: 'client_credential', appid: A.appid }, 41004],
    [{ grant_type: 'client_credential', appid: 'wx_unknown', secret: A.secret }, 40013],
    [{ grant_type: 'client_credential', appid: A.appid, secret: 'wrong' }, 40125],
    [
      { grant_type: 'client_credential', appid: A.appid, secret: A.secret, force_refresh: 1 },
      47001,
    ],
  ])('answers %o with %i', (body, expected) => {
    expect(errcode(sim.stableToken(body))).toBe(expected)
  })
})

describe('getuserphonenumber', () => {
  let accessToken: string
  beforeEach(() => {
    accessToken = ok(token()).access_token
  })

  it('answers with phone_info and a watermark', () => {
    const code = sim.phoneCode({ appid: A.appid, user: 'alice', phoneNumber: '13800138000' })
    expect(ok(sim.getUserPhoneNumber(accessToken, { code }))).toEqual({
      errcode: 0,
      errmsg: 'ok',
      phone_info: {
        phoneNumber: '13800138000',
        purePhoneNumber: '13800138000',
        countryCode: '86',
        watermark: { appid: A.appid, timestamp: Math.floor(t / 1000) },
      },
    })
  })

  it('gives each user a stable default number and prefixes foreign numbers', () => {
    const n = (user: string) =>
      ok(sim.getUserPhoneNumber(accessToken, { code: sim.phoneCode({ appid: A.appid, user }) }))
        .phone_info.purePhoneNumber
    expect(n('alice')).toMatch(/^13\d{9}$/)
    expect(n('alice')).toBe(n('alice'))
    const code = sim.phoneCode({
      appid: A.appid,
      user: 'x',
      phoneNumber: '2025550123',
      countryCode: '1',
    })
    expect(ok(sim.getUserPhoneNumber(accessToken, { code })).phone_info.phoneNumber).toBe(
      '+12025550123',
    )
  })

  it('uses a code once, for 5 minutes, in its own app: otherwise 40029', () => {
    const code = sim.phoneCode({ appid: A.appid, user: 'alice' })
    ok(sim.getUserPhoneNumber(accessToken, { code }))
    expect(errcode(sim.getUserPhoneNumber(accessToken, { code }))).toBe(40029)
    const late = sim.phoneCode({ appid: A.appid, user: 'alice' })
    t += CODE_TTL_MS
    accessToken = ok(token()).access_token
    expect(errcode(sim.getUserPhoneNumber(accessToken, { code: late }))).toBe(40029)
    const ofB = sim.phoneCode({ appid: B.appid, user: 'alice' })
    expect(errcode(sim.getUserPhoneNumber(accessToken, { code: ofB }))).toBe(40029)
  })

  it('refuses a body naming another user\u2019s openid with 40003, leaving the code unused', () => {
    const code = sim.phoneCode({ appid: A.appid, user: 'alice' })
    const bob = sim.openid(A.appid, 'bob')
    expect(errcode(sim.getUserPhoneNumber(accessToken, { code, openid: bob }))).toBe(40003)
    ok(sim.getUserPhoneNumber(accessToken, { code, openid: sim.openid(A.appid, 'alice') }))
  })

  it.each([
    [undefined, { code: 'x' }, 41001],
    ['not-a-token', { code: 'x' }, 40001],
    ['<valid>', undefined, 47001],
    ['<valid>', {}, 41008],
  ])('token %s body %o: %i', (tok, body, expected) => {
    const used = tok === '<valid>' ? accessToken : tok
    expect(errcode(sim.getUserPhoneNumber(used, body))).toBe(expected)
  })
})

describe('checksession (server side)', () => {
  const alice = { appid: A.appid, user: 'alice' }
  let accessToken: string
  beforeEach(() => {
    accessToken = ok(token()).access_token
  })
  const check = (openid: string, signature: string, sig_method = 'hmac_sha256') =>
    sim.checkSessionKey({ access_token: accessToken, openid, signature, sig_method })

  it('accepts the current session_key and refuses others with 87009', () => {
    const { openid, session_key } = ok(exchange(sim.login(alice)))
    expect(errcode(check(openid, sign(session_key)))).toBe(0)
    expect(errcode(check(openid, sign('another key')))).toBe(87009)
    expect(errcode(check(openid, sign(session_key), 'md5'))).toBe(40097)
    expect(errcode(check('o-unknown', sign(session_key)))).toBe(40003)
  })

  it('refuses an expired key, and the old key after rotation', () => {
    const first = ok(exchange(sim.login(alice)))
    sim.expireSession(alice)
    expect(errcode(check(first.openid, sign(first.session_key)))).toBe(87009)
    const second = ok(exchange(sim.login(alice)))
    expect(errcode(check(first.openid, sign(first.session_key)))).toBe(87009)
    expect(errcode(check(first.openid, sign(second.session_key)))).toBe(0)
  })
})

describe('faults, stats, clock, sweep, reset', () => {
  it('uses a fault up call by call; a new one replaces it; count 0 clears', () => {
    const path = '/sns/jscode2session'
    sim.setFault({ path, errcode: -1, count: 2 })
    expect(sim.takeFault(path)).toEqual({ errcode: -1, delayMs: undefined })
    sim.setFault({ path, delayMs: 50, count: 1 })
    expect(sim.takeFault(path)).toEqual({ errcode: undefined, delayMs: 50 })
    expect(sim.takeFault(path)).toBeUndefined()
    sim.setFault({ path, errcode: 40029, count: 5 })
    sim.setFault({ path, count: 0 })
    expect(sim.takeFault(path)).toBeUndefined()
  })

  it('counts calls per known app only', () => {
    sim.countCall('/sns/jscode2session', A.appid)
    sim.countCall('/cgi-bin/stable_token', A.appid)
    sim.countCall('/sns/jscode2session', 'wx_unknown')
    sim.countCall('/sns/jscode2session', undefined)
    expect(sim.allStats()).toEqual({
      [A.appid]: {
        jscode2session: 1,
        stable_token: 1,
        getuserphonenumber: 0,
        checksession: 0,
        msg_sec_check: 0,
        media_check_async: 0,
        oauth_token: 0,
      },
      [B.appid]: {
        jscode2session: 0,
        stable_token: 0,
        getuserphonenumber: 0,
        checksession: 0,
        msg_sec_check: 0,
        media_check_async: 0,
        oauth_token: 0,
      },
    })
  })

  it('moves the clock forward on request', () => {
    const code = sim.login({ appid: A.appid, user: 'alice' })
    expect(sim.advanceClock(CODE_TTL_MS)).toEqual({ now: t + CODE_TTL_MS, offsetMs: CODE_TTL_MS })
    expect(errcode(exchange(code))).toBe(40029)
  })

  it('sweeps expired codes, old rate windows and long-expired tokens', () => {
    for (let i = 0; i < 3; i++) ok(exchange(sim.login({ appid: A.appid, user: `u${i}` })))
    sim.login({ appid: A.appid, user: 'alice' })
    sim.phoneCode({ appid: A.appid, user: 'alice' })
    ok(token())
    expect(sim.size()).toEqual({ codes: 4, phoneCodes: 1, exchanges: 3, tokens: 1 })
    t += CODE_TTL_MS
    sim.sweep()
    expect(sim.size()).toEqual({ codes: 0, phoneCodes: 0, exchanges: 0, tokens: 1 })
    t += ACCESS_TOKEN_TTL_MS + 3_600_000
    sim.sweep()
    expect(sim.size().tokens).toBe(0)
  })

  it('forgets everything on reset but keeps openids', () => {
    const before = ok(exchange(sim.login({ appid: A.appid, user: 'alice' })))
    const pending = sim.login({ appid: A.appid, user: 'alice' })
    sim.setFault({ path: '/sns/jscode2session', errcode: -1, count: 1 })
    sim.countCall('/sns/jscode2session', A.appid)
    sim.advanceClock(1000)
    sim.reset()
    expect(sim.clock().offsetMs).toBe(0)
    expect(sim.takeFault('/sns/jscode2session')).toBeUndefined()
    expect(sim.allStats()[A.appid]?.jscode2session).toBe(0)
    expect(sim.checkSession({ appid: A.appid, user: 'alice' })).toBe(false)
    expect(errcode(exchange(pending))).toBe(40029)
    const after = ok(exchange(sim.login({ appid: A.appid, user: 'alice' })))
    expect(after.openid).toBe(before.openid)
    expect(after.session_key).not.toBe(before.session_key)
  })
})

describe('errors', () => {
  const RID = ', rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$'
  it('look like WeChat: errcode plus an errmsg with a rid', () => {
    const r = exchange('nope')
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.error.errmsg).toMatch(new RegExp(`^invalid code${RID}`))
  })

  // Texts of code2Session's documented error table (server/API/user-login/api_code2session).
  it.each([
    [40226, 'code blocked'],
    [45011, 'api minute-quota reach limit mustslower retry next minute'],
    [40066, 'invalid url'],
  ])('say %i as WeChat does: %s', (errcode, text) => {
    const body = sim.errorBody(errcode)
    expect(body.errcode).toBe(errcode)
    expect(body.errmsg).toMatch(new RegExp(`^${text}${RID}`))
  })
})

it('documents the development app', () => {
  expect({ SIM_DEV_APPID, SIM_DEV_SECRET }).toEqual({
    SIM_DEV_APPID: 'wx_sim_dev_app',
    SIM_DEV_SECRET: 'sim_dev_secret_0123456789abcdef',
  })
})
