import { createSign, createVerify, generateKeyPairSync } from 'node:crypto'
import { WechatApiError } from '@wxapp/wechat'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAlipayLoginClient } from '../src'
import { errorText, type FakeRequest, memoryLogger, startFake } from './fake'

const pair = () =>
  generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  })
// The app's pair (the SDK signs with its private half) and Alipay's (the fake signs answers).
const app = pair()
const alipay = pair()
const APPID = '2021000000000001'
const CODE = 'auth-code-0123456789abcdef'
const TOKEN = 'authusrB0123456789abcdef0123456789'
const KEY = 'alipay_system_oauth_token_response'

let fake: Awaited<ReturnType<typeof startFake>>
beforeAll(async () => {
  fake = await startFake()
})
afterAll(() => fake.close())

/** All parameters (URL and form body), as the gateway sees them. */
function params(req: FakeRequest): Record<string, string> {
  return {
    ...Object.fromEntries(req.url.searchParams),
    ...Object.fromEntries(new URLSearchParams(req.body)),
  }
}

/** Alipay's request check: every parameter but sign, sorted, `k=v&…`, RSA-SHA256 with the app's key. */
function requestSignatureValid(req: FakeRequest): boolean {
  const { sign, ...rest } = params(req)
  if (!sign) return false
  const text = Object.keys(rest)
    .sort()
    .map((k) => `${k}=${rest[k]}`)
    .join('&')
  return createVerify('RSA-SHA256').update(text, 'utf8').verify(app.publicKey, sign, 'base64')
}

function signed(key: string, body: Record<string, unknown>, tamper = false): string {
  const inner = JSON.stringify(body)
  let sign = createSign('RSA-SHA256').update(inner, 'utf8').sign(alipay.privateKey, 'base64')
  if (tamper) sign = `${sign.slice(0, 10)}${sign[10] === 'A' ? 'B' : 'A'}${sign.slice(11)}`
  return `{"${key}":${inner},"sign":"${sign}"}`
}

/** A gateway that refuses a bad request signature as Alipay does, else answers `answer`. */
function gateway(answer: () => string) {
  fake.handle((req, res) => {
    const text = requestSignatureValid(req)
      ? answer()
      : signed('error_response', {
          code: '40002',
          msg: 'Invalid Arguments',
          sub_code: 'isv.invalid-signature',
          sub_msg: 'bad signature',
        })
    res.writeHead(200, { 'content-type': 'application/json;charset=utf-8' }).end(text)
  })
}

const log = memoryLogger()
const client = (over: Partial<Parameters<typeof createAlipayLoginClient>[0]> = {}) =>
  createAlipayLoginClient({
    appid: APPID,
    privateKey: app.privateKey,
    alipayPublicKey: alipay.publicKey,
    gateway: `${fake.baseUrl}/gateway.do`,
    timeoutMs: 300,
    backoffMs: 1,
    logger: log.logger,
    ...over,
  })

async function failure(p: Promise<unknown>): Promise<WechatApiError> {
  const error = await p.then(
    () => {
      throw new Error('expected a failure')
    },
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(WechatApiError)
  const text = errorText(error)
  for (const secret of [CODE, TOKEN, app.privateKey.slice(40, 80)]) {
    expect(text).not.toContain(secret)
  }
  return error as WechatApiError
}

const token = (ids: Record<string, string>) =>
  signed(KEY, {
    ...ids,
    access_token: TOKEN,
    expires_in: 1209600,
    refresh_token: 'authusrR0123',
    re_expires_in: 2592000,
    auth_start: '2024-01-01 00:00:00',
  })

describe('Alipay alipay.system.oauth.token', () => {
  it('sends a signed request and checks the signed answer (user_id)', async () => {
    gateway(() => token({ user_id: '2088102150477652' }))
    await expect(client().code2Session(CODE)).resolves.toEqual({
      platform: 'alipay',
      openid: '2088102150477652',
      sessionKey: null,
    })
    const [req] = fake.requests
    expect(req && requestSignatureValid(req)).toBe(true)
    expect(params(req as FakeRequest)).toMatchObject({
      app_id: APPID,
      method: 'alipay.system.oauth.token',
      sign_type: 'RSA2',
      grant_type: 'authorization_code',
      code: CODE,
    })
  })

  it('prefers open_id when Alipay sends one', async () => {
    gateway(() =>
      token({ user_id: '2088102150477652', open_id: '074a1CcTG1LelxKe4xQC0zgNdId0nxi' }),
    )
    expect((await client().code2Session(CODE)).openid).toBe('074a1CcTG1LelxKe4xQC0zgNdId0nxi')
  })

  it('refuses an answer whose signature was tampered with', async () => {
    fake.handle(
      (_req, res) => void res.end(signed(KEY, { user_id: '2088', access_token: TOKEN }, true)),
    )
    const error = await failure(client().code2Session(CODE))
    expect(error.kind).toBe('MALFORMED_RESPONSE')
    expect(error.errmsg).toBe('response signature invalid')
  })

  it("refuses an answer signed with another key than Alipay's", async () => {
    gateway(() => token({ user_id: '2088' }))
    const error = await failure(client({ alipayPublicKey: pair().publicKey }).code2Session(CODE))
    expect(error.kind).toBe('MALFORMED_RESPONSE')
  })

  it('maps a gateway refusal of our signature to CREDENTIALS_INVALID', async () => {
    gateway(() => token({ user_id: '2088' }))
    const error = await failure(client({ privateKey: pair().privateKey }).code2Session(CODE))
    expect(error.kind).toBe('CREDENTIALS_INVALID')
    expect(error.subCode).toBe('isv.invalid-signature')
    expect(error.errcode).toBe(40002)
  })

  it.each([
    ['40002', 'isv.code-invalid', 'CODE_INVALID'],
    ['40002', 'isv.invalid-app-id', 'CREDENTIALS_INVALID'],
    ['40006', 'isv.insufficient-isv-permissions', 'CREDENTIALS_INVALID'],
    ['40004', 'something.else', 'UNEXPECTED'],
  ])('maps error_response %s %s to %s, keeping code and sub_code', async (code, sub, kind) => {
    gateway(() =>
      signed('error_response', {
        code,
        msg: 'Invalid Arguments',
        sub_code: sub,
        sub_msg: `授权码code无效 ${CODE}`,
      }),
    )
    const error = await failure(client().code2Session(CODE))
    expect(error.kind).toBe(kind)
    expect(error.errcode).toBe(Number(code))
    expect(error.subCode).toBe(sub)
    expect(error.message).toMatch(/^Alipay alipay\.system\.oauth\.token: /)
    expect(fake.requests).toHaveLength(1)
  })

  it('retries 20000 (service unavailable) with backoff, then fails BUSY', async () => {
    gateway(() =>
      signed('error_response', {
        code: '20000',
        msg: 'Service Currently Unavailable',
        sub_code: 'isp.unknow-error',
        sub_msg: '系统繁忙',
      }),
    )
    const error = await failure(client().code2Session(CODE))
    expect(error.kind).toBe('BUSY')
    expect(error.attempts).toBe(3)
    expect(fake.requests).toHaveLength(3)
  })

  it('refuses a signed answer of the wrong shape', async () => {
    gateway(() => signed(KEY, { access_token: TOKEN }))
    expect((await failure(client().code2Session(CODE))).kind).toBe('MALFORMED_RESPONSE')
    fake.handle((_req, res) => void res.end('<html>busy</html>'))
    expect((await failure(client().code2Session(CODE))).kind).toBe('MALFORMED_RESPONSE')
  })

  it('maps a non-200 answer to UNAVAILABLE without retrying', async () => {
    fake.handle((_req, res) => void res.writeHead(502).end('bad gateway'))
    expect((await failure(client().code2Session(CODE))).kind).toBe('UNAVAILABLE')
    expect(fake.requests).toHaveLength(1)
  })

  it('does not retry a timeout', async () => {
    fake.handle(() => {})
    const error = await failure(client().code2Session(CODE))
    expect(error.kind).toBe('UNAVAILABLE')
    expect(error.message).toContain('no answer in time')
    expect(fake.requests).toHaveLength(1)
  })

  it('keeps code, token and keys out of every log line', () => {
    expect(log.lines.length).toBeGreaterThan(0)
    for (const line of log.lines) {
      expect(line).not.toContain(CODE)
      expect(line).not.toContain(TOKEN)
    }
  })

  it('refuses keys that do not parse, without echoing them', () => {
    expect(() => client({ privateKey: 'not a key at all' })).toThrow(/privateKey/)
    expect(() => client({ alipayPublicKey: app.privateKey })).toThrow(/alipayPublicKey/)
    try {
      client({ alipayPublicKey: `${app.publicKey.slice(0, 100)}xx` })
    } catch (e) {
      expect(String(e)).not.toContain(app.publicKey.slice(30, 90))
    }
  })
})
