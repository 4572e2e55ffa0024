/**
 * WECHAT_CLOUD_HOSTING over HTTP, against the built server: with the flag,
 * the gateway's X-WX-* headers alone log a user in and the token works as
 * any other; without it the same request is refused and the headers change
 * nothing. Two servers on one simulator, each on its own in-memory database.
 */
import {
  type RunningProcess,
  SIM_DEV_APPID,
  SIM_DEV_SECRET,
  startApiServer,
  startSimulator,
} from '@wxapp/testing'
import { createSimControl, type SimControl } from '@wxapp/wechat-sim/client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rawCall, rawGet } from './login-fixture'

/** The headers Cloud Hosting's gateway adds (what a callContainer request arrives with). */
const gateway = (openid: string) => ({
  'X-WX-OPENID': openid,
  'X-WX-APPID': SIM_DEV_APPID,
  'X-WX-UNIONID': `u${openid.slice(1)}`,
  'X-WX-SOURCE': 'wx_client',
})
const OPENID_B = 'oCloudHostingUserB0000000000'

async function me(url: string, token: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}/trpc/user.me`, {
    headers: { authorization: `Bearer ${token}`, ...headers },
  })
  return { status: res.status, body: (await res.json()) as { result?: { data?: { id?: string } } } }
}

describe('WeChat Cloud Hosting identity headers over HTTP', () => {
  let sim: RunningProcess
  let cloud: RunningProcess
  let plain: RunningProcess
  let control: SimControl

  beforeAll(async () => {
    sim = await startSimulator({ SIM_SEED: 'cloud-hosting' })
    control = createSimControl({ baseUrl: sim.url })
    const env = {
      WECHAT_API_BASE: sim.url,
      WECHAT_APPID: SIM_DEV_APPID,
      WECHAT_SECRET: SIM_DEV_SECRET,
      DATABASE_URL: 'pglite:memory:',
    }
    ;[cloud, plain] = await Promise.all([
      startApiServer({ ...env, WECHAT_CLOUD_HOSTING: 'true' }),
      startApiServer(env),
    ])
  })

  afterAll(async () => {
    const codes = [await cloud?.stop(), await plain?.stop(), await sim?.stop()]
    expect(codes).toEqual([0, 0, 0])
  })

  it('with the flag, logs in the user the headers name, and user.me works with the token', async () => {
    const login = await rawCall(cloud.url, 'auth.login', {}, gateway(OPENID_B))
    expect(login.status).toBe(200)
    const { token, user } = (
      login.body as { result: { data: { token: string; user: { id: string } } } }
    ).result.data
    // As usual: the token and the app's header, which behind the gateway is its X-WX-APPID.
    const answer = await me(cloud.url, token, { 'x-wx-appid': SIM_DEV_APPID })
    expect(answer.status).toBe(200)
    expect(answer.body.result?.data?.id).toBe(user.id)
    // The same identity again is the same user.
    const again = await rawCall(cloud.url, 'auth.login', {}, gateway(OPENID_B))
    expect((again.body as { result: { data: { user: { id: string } } } }).result.data.user.id).toBe(
      user.id,
    )
  })

  it('with the flag, refuses incomplete headers, and repeated identity headers before any procedure', async () => {
    const { 'X-WX-SOURCE': _source, ...noSource } = gateway(OPENID_B)
    const incomplete = await rawCall(cloud.url, 'auth.login', {}, noSource)
    expect(incomplete.status).toBe(400)
    expect(incomplete.body.error?.data?.reason).toBe('LOGIN_CODE_REQUIRED')
    const repeated = await rawGet(`${cloud.url}/trpc/system.ping`, {
      ...gateway(OPENID_B),
      'x-wx-openid': [OPENID_B, 'oSomeoneElse0000000000000000'],
    })
    expect(repeated).toEqual({ status: 400, reason: 'HEADER_REPEATED' })
  })

  it('with the flag, refuses a code of another user than the headers name', async () => {
    const code = await control.login({ appid: SIM_DEV_APPID, user: 'cloud-alice' })
    const res = await rawCall(cloud.url, 'auth.login', { code }, gateway(OPENID_B))
    expect(res.status).toBe(403)
    expect(res.body.error?.data?.reason).toBe('LOGIN_IDENTITY_MISMATCH')
  })

  it('without the flag, refuses the header-only login and logs in the code user despite the headers', async () => {
    const refused = await rawCall(plain.url, 'auth.login', {}, gateway(OPENID_B))
    expect(refused.status).toBe(400)
    expect(refused.body.error?.data?.reason).toBe('LOGIN_CODE_REQUIRED')

    const code = () => control.login({ appid: SIM_DEV_APPID, user: 'plain-alice' })
    type Login = { result: { data: { token: string; user: { id: string } } } }
    const alone = (await rawCall(plain.url, 'auth.login', { code: await code() })).body as Login
    const withHeaders = await rawCall(
      plain.url,
      'auth.login',
      { code: await code() },
      gateway(OPENID_B),
    )
    expect(withHeaders.status).toBe(200)
    const { token, user } = (withHeaders.body as Login).result.data
    expect(user.id).toBe(alone.result.data.user.id)
    expect((await me(plain.url, token)).body.result?.data?.id).toBe(user.id)
    // Repeated identity headers mean nothing here either.
    const repeated = await rawGet(`${plain.url}/trpc/system.ping`, {
      'x-wx-openid': [OPENID_B, 'oSomeoneElse0000000000000000'],
    })
    expect(repeated.status).toBe(200)
  })
})
