/**
 * QQ, Douyin (tt) and Alipay against the real simulator server (in process,
 * over HTTP); Alipay's client is the official alipay-sdk.
 */
import { createVerify, generateKeyPairSync } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { AlipaySdk } from 'alipay-sdk'
import { pino } from 'pino'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createSimControl, type SimControl, SimControlError } from '../src/client'
import {
  SIM_DEV_ALIPAY_APPID,
  SIM_DEV_APPID,
  SIM_DEV_QQ_APPID,
  SIM_DEV_QQ_SECRET,
  SIM_DEV_SECRET,
  SIM_DEV_TT_APPID,
  SIM_DEV_TT_SECRET,
} from '../src/constants'
import type { AlipayKeysResponse } from '../src/protocol'
import { createSimServer } from '../src/server'
import { SimState } from '../src/state'

const QQ = { appid: SIM_DEV_QQ_APPID, secret: SIM_DEV_QQ_SECRET }
const TT = { appid: SIM_DEV_TT_APPID, secret: SIM_DEV_TT_SECRET }
const WX = { appid: SIM_DEV_APPID, secret: SIM_DEV_SECRET }

const state = new SimState({
  apps: [WX],
  qqApps: [QQ],
  ttApps: [TT],
  alipayAppids: [SIM_DEV_ALIPAY_APPID],
  seed: 'platforms-test-seed',
})
const server = createSimServer({ state, logger: pino({ level: 'silent' }) })
let url: string
let control: SimControl
let keys: AlipayKeysResponse

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  control = createSimControl({ baseUrl: url })
  keys = (await (await fetch(`${url}/sim/alipay-keys`)).json()) as AlipayKeysResponse
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})
beforeEach(async () => {
  await control.reset()
})

type Json = Record<string, unknown>
const getJson = async (path: string, query: Record<string, string>) =>
  (await (await fetch(`${url}${path}?${new URLSearchParams(query)}`)).json()) as Json
const postJson = async (path: string, body: unknown) =>
  (await (
    await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
  ).json()) as Json

describe('QQ: /qq/sns/jscode2session', () => {
  const exchange = (js_code: string, app = QQ) =>
    getJson('/qq/sns/jscode2session', {
      appid: app.appid,
      secret: app.secret,
      js_code,
      grant_type: 'authorization_code',
    })

  it('exchanges a code once, as WeChat does (40163 the second time)', async () => {
    const code = await control.login({ appid: QQ.appid, user: 'alice' })
    const first = await exchange(code)
    expect(first).toEqual({
      openid: expect.any(String),
      session_key: expect.any(String),
      unionid: expect.any(String),
    })
    expect((await exchange(code)).errcode).toBe(40163)
    expect((await exchange('made-up')).errcode).toBe(40029)
  })

  it('gives the same user other ids than on WeChat', async () => {
    const qq = await exchange(await control.login({ appid: QQ.appid, user: 'alice' }))
    const wx = await getJson('/sns/jscode2session', {
      ...{ appid: WX.appid, secret: WX.secret },
      js_code: await control.login({ appid: WX.appid, user: 'alice' }),
      grant_type: 'authorization_code',
    })
    expect(qq.openid).not.toBe(wx.openid)
    expect(qq.unionid).not.toBe(wx.unionid)
  })

  it('refuses an unknown app, a WeChat app and a bad secret', async () => {
    const code = await control.login({ appid: QQ.appid, user: 'alice' })
    expect((await exchange(code, { appid: '1100009999', secret: 'x' })).errcode).toBe(40013)
    expect((await exchange(code, WX)).errcode).toBe(40013)
    expect((await exchange(code, { ...QQ, secret: 'wrong' })).errcode).toBe(40125)
  })

  it('takes faults per platform', async () => {
    await control.faults({ path: '/qq/sns/jscode2session', errcode: 45011, count: 1 })
    const code = await control.login({ appid: QQ.appid, user: 'alice' })
    expect((await exchange(code)).errcode).toBe(45011)
    expect((await exchange(code)).openid).toEqual(expect.any(String))
    expect((await control.stats())[QQ.appid]?.jscode2session).toBe(2)
  })
})

describe('Douyin: /tt/api/apps/v2/jscode2session', () => {
  const path = '/tt/api/apps/v2/jscode2session'
  const exchange = (body: Json, app = TT) => postJson(path, { ...app, ...body })

  it('exchanges a code and its anonymous_code once each', async () => {
    const { code, anonymousCode } = await control.loginCodes({ appid: TT.appid, user: 'bob' })
    const ok = await exchange({ code, anonymous_code: anonymousCode })
    expect(ok).toMatchObject({ err_no: 0, err_tips: 'success', log_id: expect.any(String) })
    const data = ok.data as Record<string, string>
    expect(data.openid).not.toBe('')
    expect(data.session_key).not.toBe('')
    expect(data.unionid).not.toBe('')
    expect(data.anonymous_openid).not.toBe('')
    const again = await exchange({ code })
    expect(again).toMatchObject({ err_no: 40018, err_tips: 'bad code' })
    expect((await exchange({ anonymous_code: anonymousCode })).err_no).toBe(40019)
  })

  it('answers an anonymous login with anonymous_openid only', async () => {
    const login = await control.loginCodes({ appid: TT.appid, user: 'guest', anonymous: true })
    expect(login.code).toBe('')
    const ok = await exchange({ code: '', anonymous_code: login.anonymousCode })
    expect(ok.err_no).toBe(0)
    expect(ok.data).toEqual({
      session_key: '',
      openid: '',
      anonymous_openid: expect.stringMatching(/^a/),
      unionid: '',
    })
  })

  it('refuses an unknown app, a bad secret and no code at all', async () => {
    const { code } = await control.loginCodes({ appid: TT.appid, user: 'bob' })
    expect((await exchange({ code }, { appid: 'tt_nobody', secret: 'x' })).err_no).toBe(40015)
    expect((await exchange({ code }, { ...TT, secret: 'wrong' })).err_no).toBe(40017)
    expect((await exchange({})).err_no).toBe(40020)
    // The refusals left the code unused.
    expect((await exchange({ code })).err_no).toBe(0)
  })

  it('rotates session_key on every login (Douyin: refreshed by tt.login)', async () => {
    const a = await exchange({
      code: (await control.loginCodes({ appid: TT.appid, user: 'bob' })).code,
    })
    const b = await exchange({
      code: (await control.loginCodes({ appid: TT.appid, user: 'bob' })).code,
    })
    const [da, db] = [a.data, b.data] as Record<string, string>[]
    expect(da?.openid).toBe(db?.openid)
    expect(da?.session_key).not.toBe(db?.session_key)
  })

  it('answers an injected busy error in its shape', async () => {
    await control.faults({ path, errcode: -1, count: 1 })
    const { code } = await control.loginCodes({ appid: TT.appid, user: 'bob' })
    expect(await exchange({ code })).toMatchObject({ err_no: -1, err_tips: 'system error' })
  })
})

describe('Alipay: /alipay/gateway.do with the official alipay-sdk', () => {
  const sdk = (privateKey = keys.appPrivateKey ?? '') =>
    new AlipaySdk({
      appId: SIM_DEV_ALIPAY_APPID,
      privateKey,
      keyType: 'PKCS8',
      alipayPublicKey: keys.alipayPublicKey,
      gateway: `${url}/alipay/gateway.do`,
    })
  const token = (client: AlipaySdk, code: string, validateSign = false) =>
    client.exec(
      'alipay.system.oauth.token',
      { grantType: 'authorization_code', code },
      { validateSign },
    )

  it('hands out the keys a development app server needs', () => {
    expect(keys.appid).toBe(SIM_DEV_ALIPAY_APPID)
    expect(keys.alipayPublicKey).toMatch(/^-----BEGIN PUBLIC KEY-----/)
    expect(keys.appPrivateKey).toMatch(/^-----BEGIN PRIVATE KEY-----/)
  })

  it('exchanges an auth code; the SDK verifies the answer; a used code is isv.code-invalid', async () => {
    const code = await control.login({ appid: SIM_DEV_ALIPAY_APPID, user: 'carol' })
    const client = sdk()
    const ok = await token(client, code, true)
    expect(ok).toMatchObject({
      userId: expect.stringMatching(/^2088\d{12}$/),
      openId: expect.any(String),
      accessToken: expect.any(String),
      refreshToken: expect.any(String),
      expiresIn: expect.any(Number),
      reExpiresIn: expect.any(Number),
      authStart: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/),
    })
    const used = await token(client, code)
    expect(used).toMatchObject({
      code: '40002',
      msg: 'Invalid Arguments',
      subCode: 'isv.code-invalid',
    })
    expect((await control.stats())[SIM_DEV_ALIPAY_APPID]?.oauth_token).toBe(2)
  })

  it('refuses a request signed with another key: isv.invalid-signature', async () => {
    const code = await control.login({ appid: SIM_DEV_ALIPAY_APPID, user: 'carol' })
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString()
    const refused = await token(sdk(other), code)
    expect(refused).toMatchObject({ code: '40002', subCode: 'isv.invalid-signature' })
    // The refusal left the code unused.
    expect(await token(sdk(), code, true)).toMatchObject({ userId: expect.any(String) })
  })

  it('signs error answers too, over the exact error_response text', async () => {
    const res = await fetch(`${url}/alipay/gateway.do?app_id=nobody`, { method: 'POST' })
    const text = await res.text()
    const body = JSON.parse(text) as { error_response: Json; sign: string }
    expect(body.error_response).toMatchObject({ code: '40001', sub_code: 'isv.missing-method' })
    const inner = text.slice(text.indexOf(':') + 1, text.lastIndexOf(',"sign"'))
    const verified = createVerify('RSA-SHA256')
      .update(inner)
      .verify(keys.alipayPublicKey, body.sign, 'base64')
    expect(verified).toBe(true)
  })

  it('refuses an unknown app_id: isv.invalid-app-id', async () => {
    const client = new AlipaySdk({
      appId: '2021000000009999',
      privateKey: keys.appPrivateKey ?? '',
      keyType: 'PKCS8',
      gateway: `${url}/alipay/gateway.do`,
    })
    const refused = await token(client, 'x')
    expect(refused).toMatchObject({ code: '40002', subCode: 'isv.invalid-app-id' })
  })
})

describe('/sim/login', () => {
  it('mints a code for whichever platform the appid belongs to', async () => {
    for (const appid of [WX.appid, QQ.appid, TT.appid, SIM_DEV_ALIPAY_APPID]) {
      expect(await control.login({ appid, user: 'dave' })).toMatch(/^[\w-]{32}$/)
    }
    await expect(control.login({ appid: 'nobody', user: 'dave' })).rejects.toThrow(SimControlError)
    await expect(
      control.loginCodes({ appid: QQ.appid, user: 'dave', anonymous: true }),
    ).rejects.toThrow(/only Douyin/)
  })

  it("does not take one platform's code on another's endpoint", async () => {
    const code = await control.login({ appid: WX.appid, user: 'dave' })
    const tt = await postJson('/tt/api/apps/v2/jscode2session', { ...TT, code })
    expect(tt.err_no).toBe(40018)
  })
})
