/**
 * The client against the real simulator process (packages/wechat-sim/dist).
 */
import { inspect } from 'node:util'
import {
  freePort,
  type RunningProcess,
  SIM_DEV_APPID,
  SIM_DEV_SECRET,
  startSimulator,
} from '@wxapp/testing'
import { createSimControl, type SimControl } from '@wxapp/wechat-sim/client'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  type AccessTokenRecord,
  createAccessTokenProvider,
  createWechatClient,
  type WechatApiError,
  WechatBusyError,
  WechatCodeInvalidError,
  WechatCodeUsedError,
  WechatCredentialsError,
  WechatRateLimitedError,
  WechatUnavailableError,
  WechatUserBlockedError,
} from '../src/index'

let sim: RunningProcess
let control: SimControl

beforeAll(async () => {
  sim = await startSimulator()
  control = createSimControl({ baseUrl: sim.url })
})
afterAll(async () => {
  await sim?.stop()
})
beforeEach(async () => {
  await control.reset()
})

const wechat = (extra: Partial<Parameters<typeof createWechatClient>[0]> = {}) =>
  createWechatClient({
    appid: SIM_DEV_APPID,
    secret: SIM_DEV_SECRET,
    baseUrl: sim.url,
    backoffMs: 10,
    ...extra,
  })
const login = (user = 'alice') => control.login({ appid: SIM_DEV_APPID, user })
const exchanges = async () => (await control.stats())[SIM_DEV_APPID]?.jscode2session
const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a failure')
    },
    (e: unknown) => e as WechatApiError,
  )

describe('code2Session against the simulator', () => {
  it('exchanges a code', async () => {
    const result = await wechat().code2Session(await login())
    expect(result.openid).toMatch(/^o/)
    expect(Buffer.from(result.sessionKey, 'base64')).toHaveLength(16)
    expect(result.unionid).toBeTypeOf('string')
  })

  it('fails an unknown code with WechatCodeInvalidError (40029)', async () => {
    const error = await failure(wechat().code2Session('no-such-code'))
    expect(error).toBeInstanceOf(WechatCodeInvalidError)
    expect(error.errcode).toBe(40029)
  })

  it('fails a used code with WechatCodeUsedError (40163)', async () => {
    const code = await login()
    await wechat().code2Session(code)
    const error = await failure(wechat().code2Session(code))
    expect(error).toBeInstanceOf(WechatCodeUsedError)
    expect(error.errcode).toBe(40163)
  })

  it('retries one -1 and succeeds: two requests', async () => {
    await control.faults({ path: '/sns/jscode2session', errcode: -1, count: 1 })
    const result = await wechat().code2Session(await login())
    expect(result.openid).toMatch(/^o/)
    expect(await exchanges()).toBe(2)
  })

  it('gives up on a WeChat that stays busy: WechatBusyError after 1 + retries requests', async () => {
    await control.faults({ path: '/sns/jscode2session', errcode: -1, count: 100 })
    const error = await failure(wechat({ retries: 3 }).code2Session(await login()))
    expect(error).toBeInstanceOf(WechatBusyError)
    expect(error).toMatchObject({ kind: 'BUSY', errcode: -1, attempts: 4 })
    expect(await exchanges()).toBe(4)
  })

  it('fails the 101st exchange in a minute with WechatRateLimitedError (45011)', async () => {
    const client = wechat()
    for (let i = 0; i < 100; i++) await client.code2Session(await login())
    const error = await failure(client.code2Session(await login()))
    expect(error).toBeInstanceOf(WechatRateLimitedError)
    expect(error.errcode).toBe(45011)
  })

  it('fails a high-risk user with WechatUserBlockedError (40226)', async () => {
    const error = await failure(wechat().code2Session(await login('risky-bob')))
    expect(error).toBeInstanceOf(WechatUserBlockedError)
    expect(error.errcode).toBe(40226)
  })

  it('fails a wrong secret or appid with WechatCredentialsError (40125, 40013)', async () => {
    const code = await login()
    const badSecret = await failure(wechat({ secret: 'not-the-secret' }).code2Session(code))
    expect(badSecret).toBeInstanceOf(WechatCredentialsError)
    expect(badSecret.errcode).toBe(40125)
    const badAppid = await failure(wechat({ appid: 'wx_nobody' }).code2Session(code))
    expect(badAppid).toBeInstanceOf(WechatCredentialsError)
    expect(badAppid.errcode).toBe(40013)
  })

  it('times out without retrying; the late request still used the code up', async () => {
    await control.faults({ path: '/sns/jscode2session', delayMs: 600, count: 1 })
    const code = await login()
    const started = performance.now()
    const error = await failure(wechat({ timeoutMs: 150 }).code2Session(code))
    expect(performance.now() - started).toBeLessThan(550)
    expect(error).toBeInstanceOf(WechatUnavailableError)
    expect(error).toMatchObject({ kind: 'UNAVAILABLE', reason: 'timeout', attempts: 1 })
    expect(await exchanges()).toBe(1)
    // This is why a timeout is not retried: the simulator (like WeChat) went
    // on with the first request, so a retry would have said "code used".
    await new Promise((r) => setTimeout(r, 600))
    expect(await failure(wechat().code2Session(code))).toBeInstanceOf(WechatCodeUsedError)
  })

  it('reports an unreachable WeChat as WechatUnavailableError (network)', async () => {
    const port = await freePort()
    const error = await failure(
      wechat({ baseUrl: `http://127.0.0.1:${port}` }).code2Session('any-code-value'),
    )
    expect(error).toMatchObject({ kind: 'UNAVAILABLE', reason: 'network' })
    expect(error.message).toContain('ECONNREFUSED')
  })

  it('keeps the secret, codes and session keys out of errors and the simulator log', async () => {
    const code = await login()
    const { sessionKey } = await wechat().code2Session(code)
    const errors = [
      await failure(wechat().code2Session(code)),
      await failure(wechat({ secret: `${SIM_DEV_SECRET}-wrong` }).code2Session(await login())),
      await failure(wechat({ baseUrl: `http://127.0.0.1:${await freePort()}` }).code2Session(code)),
    ]
    const text = errors
      .flatMap((e) => [JSON.stringify(e), inspect(e, { showHidden: true }), String(e), e.stack])
      .join('\n')
    for (const secret of [SIM_DEV_SECRET, code, sessionKey]) {
      expect(text).not.toContain(secret)
      expect(sim.output()).not.toContain(secret)
    }
  })
})

describe('stable access token and phone number against the simulator', () => {
  const openid = async (user: string) => (await wechat().code2Session(await login(user))).openid
  const phoneCode = (user: string, phoneNumber?: string) =>
    control.phoneCode({ appid: SIM_DEV_APPID, user, ...(phoneNumber ? { phoneNumber } : {}) })
  const tokenCalls = async () => (await control.stats())[SIM_DEV_APPID]?.stable_token

  it('hands out the same token while it is valid; forcing replaces it', async () => {
    const client = wechat()
    const first = await client.getStableAccessToken()
    expect(first.expiresIn).toBeGreaterThanOrEqual(300)
    expect((await client.getStableAccessToken()).accessToken).toBe(first.accessToken)
    const forced = await client.getStableAccessToken({ forceRefresh: true })
    expect(forced.accessToken).not.toBe(first.accessToken)
    expect((await client.getStableAccessToken()).accessToken).toBe(forced.accessToken)
    expect(await tokenCalls()).toBe(4)
  })

  it('reads a phone number for the user the code belongs to', async () => {
    const client = wechat()
    const { accessToken } = await client.getStableAccessToken()
    const code = await phoneCode('alice', '13912345678')
    const info = await client.getUserPhoneNumber(accessToken, {
      code,
      openid: await openid('alice'),
    })
    expect(info).toMatchObject({
      phoneNumber: '13912345678',
      purePhoneNumber: '13912345678',
      countryCode: '86',
      watermark: { appid: SIM_DEV_APPID },
    })
    // Single-use.
    const again = await failure(
      client.getUserPhoneNumber(accessToken, { code, openid: await openid('alice') }),
    )
    expect(again).toMatchObject({ kind: 'CODE_INVALID', errcode: 40029 })
  })

  it("refuses another user's code (40003), a revoked token (40001) and a used-up quota (1400001)", async () => {
    const client = wechat()
    const { accessToken } = await client.getStableAccessToken()
    const code = await phoneCode('alice')
    const mismatch = await failure(
      client.getUserPhoneNumber(accessToken, { code, openid: await openid('bob') }),
    )
    expect(mismatch).toMatchObject({ kind: 'OPENID_MISMATCH', errcode: 40003 })

    await control.faults({ path: '/wxa/business/getuserphonenumber', errcode: 1400001, count: 1 })
    const quota = await failure(
      client.getUserPhoneNumber(accessToken, { code, openid: await openid('alice') }),
    )
    expect(quota).toMatchObject({ kind: 'QUOTA_EXHAUSTED', errcode: 1400001 })

    await client.getStableAccessToken({ forceRefresh: true })
    const revoked = await failure(
      client.getUserPhoneNumber(accessToken, { code, openid: await openid('alice') }),
    )
    expect(revoked).toMatchObject({ kind: 'ACCESS_TOKEN_INVALID', errcode: 40001 })
  })

  it('a provider recovers from a token revoked elsewhere with one normal-mode call', async () => {
    const client = wechat()
    let stored: AccessTokenRecord | null = null
    const provider = createAccessTokenProvider({
      client,
      cache: {
        read: async () => stored,
        refreshLocked: async (_, fn) => {
          const next = await fn(stored)
          stored = next
          return next
        },
      },
    })
    const before = await provider.get()
    await client.getStableAccessToken({ forceRefresh: true }) // another deployment forces
    const calls = await tokenCalls()
    const info = await provider.call(async (token) =>
      client.getUserPhoneNumber(token, {
        code: await phoneCode('carl'),
        openid: await openid('carl'),
      }),
    )
    expect(info.watermark.appid).toBe(SIM_DEV_APPID)
    expect(await provider.get()).not.toBe(before)
    expect(await tokenCalls()).toBe((calls ?? 0) + 1)
  })
})
