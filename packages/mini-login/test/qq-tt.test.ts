import { WechatApiError } from '@wxapp/wechat'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createQqLoginClient, createTtLoginClient } from '../src'
import { errorText, memoryLogger, startFake } from './fake'

const SECRET = 'qq-secret-0123456789abcdef'
const CODE = 'code-0123456789-abcdef'
const SESSION_KEY = Buffer.alloc(16, 7).toString('base64')

let fake: Awaited<ReturnType<typeof startFake>>
beforeAll(async () => {
  fake = await startFake()
})
afterAll(() => fake.close())

async function failure(p: Promise<unknown>): Promise<WechatApiError> {
  const error = await p.then(
    () => {
      throw new Error('expected a failure')
    },
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(WechatApiError)
  return error as WechatApiError
}

describe('QQ code2Session', () => {
  const log = memoryLogger()
  const qq = () =>
    createQqLoginClient({
      appid: '1110000000',
      secret: SECRET,
      baseUrl: fake.baseUrl,
      backoffMs: 1,
      timeoutMs: 300,
      logger: log.logger,
    })

  it('exchanges a code with GET /sns/jscode2session', async () => {
    fake.handle(fake.json({ openid: 'qq-openid', session_key: SESSION_KEY, unionid: 'qq-union' }))
    await expect(qq().code2Session(CODE)).resolves.toEqual({
      platform: 'qq',
      openid: 'qq-openid',
      unionid: 'qq-union',
      sessionKey: SESSION_KEY,
    })
    const [req] = fake.requests
    expect(req?.method).toBe('GET')
    expect(req?.url.pathname).toBe('/sns/jscode2session')
    expect(Object.fromEntries(req?.url.searchParams ?? [])).toEqual({
      appid: '1110000000',
      secret: SECRET,
      js_code: CODE,
      grant_type: 'authorization_code',
    })
  })

  it.each([
    [40029, 'CODE_INVALID'],
    [40163, 'CODE_USED'],
    [45011, 'RATE_LIMITED'],
    [40013, 'CREDENTIALS_INVALID'],
    [40125, 'CREDENTIALS_INVALID'],
    [99999, 'UNEXPECTED'],
  ])('maps errcode %i to %s, keeping the errcode', async (errcode, kind) => {
    fake.handle(fake.json({ errcode, errmsg: `invalid code ${CODE} secret ${SECRET}` }))
    const error = await failure(qq().code2Session(CODE))
    expect(error.kind).toBe(kind)
    expect(error.errcode).toBe(errcode)
    expect(error.service).toBe('QQ')
    expect(error.message).toMatch(/^QQ code2Session: /)
    expect(errorText(error)).not.toContain(CODE)
    expect(errorText(error)).not.toContain(SECRET)
    expect(fake.requests).toHaveLength(1)
  })

  it('retries -1 with backoff, then fails BUSY', async () => {
    fake.handle(fake.json({ errcode: -1, errmsg: 'system busy' }))
    const error = await failure(qq().code2Session(CODE))
    expect(error.kind).toBe('BUSY')
    expect(error.attempts).toBe(3)
    expect(fake.requests).toHaveLength(3)
  })

  it('succeeds when -1 clears on a retry', async () => {
    let n = 0
    fake.handle((_req, res) => {
      n++
      const body =
        n === 1 ? { errcode: -1, errmsg: 'busy' } : { openid: 'o2', session_key: SESSION_KEY }
      res.end(JSON.stringify(body))
    })
    await expect(qq().code2Session(CODE)).resolves.toMatchObject({ openid: 'o2' })
    expect(fake.requests).toHaveLength(2)
  })

  it('refuses a malformed answer', async () => {
    fake.handle(fake.json({ openid: '', session_key: 'not base64!' }))
    expect((await failure(qq().code2Session(CODE))).kind).toBe('MALFORMED_RESPONSE')
    fake.handle((_req, res) => void res.end('<html>'))
    expect((await failure(qq().code2Session(CODE))).kind).toBe('MALFORMED_RESPONSE')
  })

  it('does not retry a timeout (the code may be used up)', async () => {
    fake.handle(() => {}) // never answers
    const error = await failure(qq().code2Session(CODE))
    expect(error.kind).toBe('UNAVAILABLE')
    expect(error.message).toContain('no answer within 300 ms')
    expect(fake.requests).toHaveLength(1)
  })

  it('keeps the secret and code out of every log line', () => {
    expect(log.lines.length).toBeGreaterThan(0)
    for (const line of log.lines) {
      expect(line).not.toContain(SECRET)
      expect(line).not.toContain(CODE)
    }
  })
})

describe('Douyin code2Session (v2)', () => {
  const log = memoryLogger()
  const TT_SECRET = 'tt-secret-0123456789abcdef'
  const tt = () =>
    createTtLoginClient({
      appid: 'tt0123456789',
      secret: TT_SECRET,
      baseUrl: fake.baseUrl,
      backoffMs: 1,
      timeoutMs: 300,
      logger: log.logger,
    })
  const ok = (data: Record<string, string>) => ({
    err_no: 0,
    err_tips: 'success',
    log_id: '2024102117013250E8ABC6F2D070B',
    data,
  })

  it('exchanges a code with a JSON POST', async () => {
    fake.handle(
      fake.json(
        ok({ session_key: SESSION_KEY, openid: 'tt-openid', anonymous_openid: '', unionid: 'u1' }),
      ),
    )
    await expect(tt().code2Session(CODE)).resolves.toEqual({
      platform: 'tt',
      openid: 'tt-openid',
      unionid: 'u1',
      sessionKey: SESSION_KEY,
    })
    const [req] = fake.requests
    expect(req?.method).toBe('POST')
    expect(req?.url.pathname).toBe('/api/apps/v2/jscode2session')
    expect(req?.headers['content-type']).toBe('application/json')
    expect(JSON.parse(req?.body ?? '')).toEqual({
      appid: 'tt0123456789',
      secret: TT_SECRET,
      code: CODE,
      anonymous_code: '',
    })
  })

  it('leaves an empty unionid out', async () => {
    fake.handle(fake.json(ok({ session_key: SESSION_KEY, openid: 'o', unionid: '' })))
    expect(await tt().code2Session(CODE)).toEqual({
      platform: 'tt',
      openid: 'o',
      sessionKey: SESSION_KEY,
    })
  })

  it('exchanges an anonymous_code for the anonymous openid', async () => {
    fake.handle(fake.json(ok({ session_key: '', openid: '', anonymous_openid: 'anon-1' })))
    await expect(tt().code2Session(CODE, { anonymous: true })).resolves.toEqual({
      platform: 'tt',
      openid: 'anon-1',
      sessionKey: null,
      anonymous: true,
    })
    expect(JSON.parse(fake.requests[0]?.body ?? '')).toMatchObject({
      code: '',
      anonymous_code: CODE,
    })
  })

  it.each([
    [40018, 'CODE_INVALID'],
    [40019, 'CODE_INVALID'],
    [40020, 'CODE_INVALID'],
    [40015, 'CREDENTIALS_INVALID'],
    [40017, 'CREDENTIALS_INVALID'],
    [12345, 'UNEXPECTED'],
  ])('maps err_no %i to %s, keeping err_no and log_id', async (errNo, kind) => {
    fake.handle(
      fake.json({
        err_no: errNo,
        err_tips: `bad ${CODE} ${TT_SECRET}`,
        log_id: 'LOG123',
        data: {},
      }),
    )
    const error = await failure(tt().code2Session(CODE))
    expect(error.kind).toBe(kind)
    expect(error.errcode).toBe(errNo)
    expect(error.rid).toBe('LOG123')
    expect(error.message).toMatch(/^Douyin code2Session: /)
    expect(errorText(error)).not.toContain(CODE)
    expect(errorText(error)).not.toContain(TT_SECRET)
  })

  it('retries err_no -1 with backoff, then fails BUSY', async () => {
    fake.handle(fake.json({ err_no: -1, err_tips: 'system error', log_id: 'L', data: {} }))
    const error = await failure(tt().code2Session(CODE))
    expect(error.kind).toBe('BUSY')
    expect(fake.requests).toHaveLength(3)
  })

  it('refuses a malformed answer', async () => {
    fake.handle(fake.json({ err_no: 0, data: { openid: 'o' } }))
    expect((await failure(tt().code2Session(CODE))).kind).toBe('MALFORMED_RESPONSE')
    fake.handle(fake.json({ errcode: 0 }))
    expect((await failure(tt().code2Session(CODE))).kind).toBe('MALFORMED_RESPONSE')
  })

  it('does not retry a timeout', async () => {
    fake.handle(() => {})
    const error = await failure(tt().code2Session(CODE))
    expect(error.kind).toBe('UNAVAILABLE')
    expect(fake.requests).toHaveLength(1)
  })

  it('maps a 502 to UNAVAILABLE without retrying', async () => {
    fake.handle(fake.json({}, 502))
    expect((await failure(tt().code2Session(CODE))).kind).toBe('UNAVAILABLE')
    expect(fake.requests).toHaveLength(1)
  })

  it('refuses an empty or oversized code before sending', async () => {
    fake.handle(fake.json(ok({ openid: 'o', session_key: SESSION_KEY })))
    expect((await failure(tt().code2Session(''))).kind).toBe('CODE_INVALID')
    expect((await failure(tt().code2Session('x'.repeat(513)))).kind).toBe('CODE_INVALID')
    expect(fake.requests).toHaveLength(0)
  })

  it('keeps the secret and code out of every log line', () => {
    for (const line of log.lines) {
      expect(line).not.toContain(TT_SECRET)
      expect(line).not.toContain(CODE)
    }
  })

  it('names a bad option without its value', () => {
    expect(() => createTtLoginClient({ appid: '', secret: TT_SECRET })).toThrow(/appid/)
    try {
      createTtLoginClient({ appid: 'a', secret: TT_SECRET, baseUrl: 'ftp://x' })
    } catch (e) {
      expect(String(e)).not.toContain(TT_SECRET)
    }
  })
})
