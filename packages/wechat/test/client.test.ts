import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import {
  createWechatClient,
  WechatAccessTokenError,
  WechatApiError,
  WechatBusyError,
  WechatCodeInvalidError,
  WechatCodeUsedError,
  WechatCredentialsError,
  type WechatFetch,
  WechatMalformedResponseError,
  WechatOpenidMismatchError,
  WechatQuotaExhaustedError,
  WechatRateLimitedError,
  WechatUnavailableError,
  WechatUnexpectedError,
  WechatUserBlockedError,
  WechatWatermarkMismatchError,
} from '../src/index'

const SECRET = 'top-secret-app-secret-value'
const CODE = 'the-login-code-0123456789'
const SESSION_KEY = Buffer.alloc(16, 7).toString('base64')

type Answer = { status?: number; body: unknown } | Error | 'hang'

/** A fetch that plays back answers in order and records each request. */
function fakeFetch(...answers: Answer[]) {
  const calls: { url: URL; method: string; body?: unknown }[] = []
  const fetch: WechatFetch = async (url, init) => {
    calls.push({
      url: new URL(url),
      method: init.method,
      ...(init.body === undefined ? {} : { body: JSON.parse(init.body) }),
    })
    const answer = answers[Math.min(calls.length, answers.length) - 1]
    if (answer === undefined) throw new Error('no answer scripted')
    if (answer === 'hang') {
      return new Promise((_, reject) => {
        init.signal?.addEventListener('abort', () => reject(init.signal?.reason))
      })
    }
    if (answer instanceof Error) throw answer
    const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body)
    return {
      ok: (answer.status ?? 200) < 300,
      status: answer.status ?? 200,
      text: async () => text,
    }
  }
  return { fetch, calls }
}

function recordingLogger() {
  const lines: string[] = []
  const record = (fields: Record<string, unknown>, msg: string) =>
    lines.push(JSON.stringify({ ...fields, msg }))
  return { logger: { debug: record, warn: record }, lines }
}

const ok = { body: { openid: 'o-alice', session_key: SESSION_KEY, unionid: 'u-alice' } }
const err = (errcode: number, errmsg = 'whatever rid: 0a1b2c3d-4e5f6a7b-8c9d0e1f') => ({
  body: { errcode, errmsg },
})
const client = (
  fetch: WechatFetch,
  extra: Partial<Parameters<typeof createWechatClient>[0]> = {},
) =>
  createWechatClient({
    appid: 'wx_app',
    secret: SECRET,
    baseUrl: 'http://wechat.test/base/',
    backoffMs: 1,
    fetch,
    ...extra,
  })
const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a failure')
    },
    (e: unknown) => e as WechatApiError,
  )

describe('code2Session', () => {
  it('calls GET /sns/jscode2session with the documented query and returns camelCase', async () => {
    const { fetch, calls } = fakeFetch(ok)
    expect(await client(fetch).code2Session(CODE)).toEqual({
      openid: 'o-alice',
      sessionKey: SESSION_KEY,
      unionid: 'u-alice',
    })
    expect(calls).toHaveLength(1)
    const [{ url, method }] = calls as [{ url: URL; method: string }]
    expect(method).toBe('GET')
    expect(url.origin + url.pathname).toBe('http://wechat.test/base/sns/jscode2session')
    expect(Object.fromEntries(url.searchParams)).toEqual({
      appid: 'wx_app',
      secret: SECRET,
      js_code: CODE,
      grant_type: 'authorization_code',
    })
  })

  it('leaves unionid out when WeChat sends none', async () => {
    const { fetch } = fakeFetch({ body: { openid: 'o-alice', session_key: SESSION_KEY } })
    expect(await client(fetch).code2Session(CODE)).toEqual({
      openid: 'o-alice',
      sessionKey: SESSION_KEY,
    })
  })

  it.each([
    [40029, WechatCodeInvalidError, 'CODE_INVALID'],
    [40163, WechatCodeUsedError, 'CODE_USED'],
    [40226, WechatUserBlockedError, 'USER_BLOCKED'],
    [45011, WechatRateLimitedError, 'RATE_LIMITED'],
    [40013, WechatCredentialsError, 'CREDENTIALS_INVALID'],
    [40125, WechatCredentialsError, 'CREDENTIALS_INVALID'],
    [41002, WechatCredentialsError, 'CREDENTIALS_INVALID'],
    [41004, WechatCredentialsError, 'CREDENTIALS_INVALID'],
    [40164, WechatCredentialsError, 'CREDENTIALS_INVALID'],
    [40001, WechatAccessTokenError, 'ACCESS_TOKEN_INVALID'],
    [42001, WechatAccessTokenError, 'ACCESS_TOKEN_INVALID'],
    [40003, WechatOpenidMismatchError, 'OPENID_MISMATCH'],
    [1400001, WechatQuotaExhaustedError, 'QUOTA_EXHAUSTED'],
    [45009, WechatQuotaExhaustedError, 'QUOTA_EXHAUSTED'],
    [48001, WechatUnexpectedError, 'UNEXPECTED'],
  ] as const)('maps errcode %i to %o (%s), without retrying', async (errcode, type, kind) => {
    const { fetch, calls } = fakeFetch(err(errcode))
    const error = await failure(client(fetch).code2Session(CODE))
    expect(error).toBeInstanceOf(type)
    expect(error).toBeInstanceOf(WechatApiError)
    expect(error).toMatchObject({ kind, errcode, api: 'code2Session', attempts: 1 })
    expect(error.rid).toBe('0a1b2c3d-4e5f6a7b-8c9d0e1f')
    expect(error.message).toContain(`errcode ${errcode}`)
    expect(calls).toHaveLength(1)
  })

  it('retries errcode -1 and succeeds', async () => {
    const { fetch, calls } = fakeFetch(err(-1), ok)
    const { logger, lines } = recordingLogger()
    expect((await client(fetch, { logger }).code2Session(CODE)).openid).toBe('o-alice')
    expect(calls).toHaveLength(2)
    expect(lines.some((l) => l.includes('wechat request retried'))).toBe(true)
  })

  it('gives up after 1 + retries attempts with WechatBusyError', async () => {
    const { fetch, calls } = fakeFetch(err(-1))
    const error = await failure(client(fetch).code2Session(CODE))
    expect(error).toBeInstanceOf(WechatBusyError)
    expect(error).toMatchObject({ kind: 'BUSY', errcode: -1, attempts: 3 })
    expect(calls).toHaveLength(3)

    const once = fakeFetch(err(-1))
    const e1 = await failure(client(once.fetch, { retries: 0 }).code2Session(CODE))
    expect(e1).toMatchObject({ kind: 'BUSY', attempts: 1 })
    expect(once.calls).toHaveLength(1)
  })

  it('backs off exponentially between attempts', async () => {
    const { fetch } = fakeFetch(err(-1))
    const { logger, lines } = recordingLogger()
    const started = performance.now()
    await failure(client(fetch, { logger, backoffMs: 40 }).code2Session(CODE))
    const delays = lines
      .map((l) => JSON.parse(l) as { msg: string; delayMs?: number })
      .filter((l) => l.msg === 'wechat request retried')
      .map((l) => l.delayMs ?? -1)
    expect(delays).toHaveLength(2)
    expect(delays[0]).toBeGreaterThanOrEqual(20)
    expect(delays[0]).toBeLessThanOrEqual(40)
    expect(delays[1]).toBeGreaterThanOrEqual(40)
    expect(delays[1]).toBeLessThanOrEqual(80)
    expect(performance.now() - started).toBeGreaterThanOrEqual(55)
  })

  it('does not retry a timeout: WechatUnavailableError (timeout)', async () => {
    const { fetch, calls } = fakeFetch('hang')
    const error = await failure(client(fetch, { timeoutMs: 50 }).code2Session(CODE))
    expect(error).toBeInstanceOf(WechatUnavailableError)
    expect(error).toMatchObject({ kind: 'UNAVAILABLE', reason: 'timeout', errcode: null })
    expect(error.message).toContain('no answer within 50 ms')
    expect(calls).toHaveLength(1)
  })

  it('does not retry a network error: WechatUnavailableError (network) with its code', async () => {
    const refused = new TypeError('fetch failed', {
      cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }),
    })
    const { fetch, calls } = fakeFetch(refused)
    const error = await failure(client(fetch).code2Session(CODE))
    expect(error).toMatchObject({ kind: 'UNAVAILABLE', reason: 'network' })
    expect(error.message).toContain('ECONNREFUSED')
    expect(calls).toHaveLength(1)
  })

  it('treats a non-200 answer as unavailable', async () => {
    const { fetch } = fakeFetch({ status: 502, body: '<html>bad gateway</html>' })
    const error = await failure(client(fetch).code2Session(CODE))
    expect(error).toMatchObject({ kind: 'UNAVAILABLE', reason: 'http_status' })
    expect(error.message).toContain('HTTP 502')
  })

  it.each([
    ['not JSON', 'not json at all'],
    ['no openid', { session_key: SESSION_KEY }],
    ['a session_key that is not 16 bytes', { openid: 'o', session_key: 'c2hvcnQ=' }],
    ['a non-numeric errcode', { errcode: 'x', openid: 1 }],
    ['null', null],
  ])('refuses %s as WechatMalformedResponseError', async (_, body) => {
    const { fetch } = fakeFetch({ body })
    const error = await failure(client(fetch).code2Session(CODE))
    expect(error).toBeInstanceOf(WechatMalformedResponseError)
    expect(error).toMatchObject({ kind: 'MALFORMED_RESPONSE', errcode: null })
  })

  it('stops when the caller aborts', async () => {
    const { fetch } = fakeFetch('hang')
    const controller = new AbortController()
    const pending = failure(client(fetch).code2Session(CODE, { signal: controller.signal }))
    controller.abort()
    expect(await pending).toMatchObject({ kind: 'UNAVAILABLE', reason: 'aborted' })
  })

  it('refuses an empty or absurd code before sending anything', async () => {
    const { fetch, calls } = fakeFetch(ok)
    for (const code of ['', 'x'.repeat(513)]) {
      expect(await failure(client(fetch).code2Session(code))).toMatchObject({
        kind: 'CODE_INVALID',
        attempts: 0,
      })
    }
    expect(calls).toHaveLength(0)
  })
})

const TOKEN = 'the-access-token-0123456789abcdef'
const PHONE_CODE = 'the-phone-code-0123456789'
const phoneOk = (appid = 'wx_app') => ({
  body: {
    errcode: 0,
    errmsg: 'ok',
    phone_info: {
      phoneNumber: '13800138000',
      purePhoneNumber: '13800138000',
      countryCode: '86',
      watermark: { appid, timestamp: 1_764_000_000 },
    },
  },
})

describe('getStableAccessToken', () => {
  it('POSTs /cgi-bin/stable_token with the documented body and returns camelCase', async () => {
    const { fetch, calls } = fakeFetch({ body: { access_token: TOKEN, expires_in: 7200 } })
    expect(await client(fetch).getStableAccessToken()).toEqual({
      accessToken: TOKEN,
      expiresIn: 7200,
    })
    const [call] = calls
    expect(call?.method).toBe('POST')
    expect(call?.url.pathname).toBe('/base/cgi-bin/stable_token')
    expect(call?.url.search).toBe('')
    expect(call?.body).toEqual({
      grant_type: 'client_credential',
      appid: 'wx_app',
      secret: SECRET,
      force_refresh: false,
    })
  })

  it('sends force_refresh: true when asked', async () => {
    const { fetch, calls } = fakeFetch({ body: { access_token: TOKEN, expires_in: 7200 } })
    await client(fetch).getStableAccessToken({ forceRefresh: true })
    expect(calls[0]?.body).toMatchObject({ force_refresh: true })
  })

  it('is idempotent: retries a timeout and an HTTP error, then succeeds', async () => {
    const { fetch, calls } = fakeFetch(
      'hang',
      { status: 502, body: 'bad gateway' },
      {
        body: { access_token: TOKEN, expires_in: 300 },
      },
    )
    const result = await client(fetch, { timeoutMs: 30 }).getStableAccessToken()
    expect(result.expiresIn).toBe(300)
    expect(calls).toHaveLength(3)
  })

  it.each([
    ['no token', { expires_in: 7200 }],
    ['a zero lifetime', { access_token: TOKEN, expires_in: 0 }],
    ['a string lifetime', { access_token: TOKEN, expires_in: '7200' }],
  ])('refuses %s as malformed, without the token in the error', async (_, body) => {
    const { fetch } = fakeFetch({ body })
    const error = await failure(client(fetch).getStableAccessToken())
    expect(error).toBeInstanceOf(WechatMalformedResponseError)
    expect(JSON.stringify(error) + error.message).not.toContain(TOKEN)
  })

  it('maps errcodes (wrong secret, daily limit)', async () => {
    expect(
      await failure(client(fakeFetch(err(40125)).fetch).getStableAccessToken()),
    ).toBeInstanceOf(WechatCredentialsError)
    expect(
      await failure(client(fakeFetch(err(45009)).fetch).getStableAccessToken()),
    ).toBeInstanceOf(WechatQuotaExhaustedError)
  })
})

describe('getUserPhoneNumber', () => {
  it('POSTs the code and openid with the token in the query, and returns phone_info', async () => {
    const { fetch, calls } = fakeFetch(phoneOk())
    const info = await client(fetch).getUserPhoneNumber(TOKEN, {
      code: PHONE_CODE,
      openid: 'o-alice',
    })
    expect(info).toEqual(phoneOk().body.phone_info)
    const [call] = calls
    expect(call?.method).toBe('POST')
    expect(call?.url.pathname).toBe('/base/wxa/business/getuserphonenumber')
    expect(Object.fromEntries(call?.url.searchParams ?? [])).toEqual({ access_token: TOKEN })
    expect(call?.body).toEqual({ code: PHONE_CODE, openid: 'o-alice' })
  })

  it("refuses an answer with another app's watermark", async () => {
    const { fetch } = fakeFetch(phoneOk('wx_other'))
    const error = await failure(
      client(fetch).getUserPhoneNumber(TOKEN, { code: PHONE_CODE, openid: 'o' }),
    )
    expect(error).toBeInstanceOf(WechatWatermarkMismatchError)
    expect(error.kind).toBe('WATERMARK_MISMATCH')
  })

  it('does not retry a timeout (the code is single-use)', async () => {
    const { fetch, calls } = fakeFetch('hang')
    const error = await failure(
      client(fetch, { timeoutMs: 30 }).getUserPhoneNumber(TOKEN, { code: PHONE_CODE, openid: 'o' }),
    )
    expect(error).toMatchObject({ kind: 'UNAVAILABLE', reason: 'timeout' })
    expect(calls).toHaveLength(1)
  })

  it('refuses an empty code before sending anything', async () => {
    const { fetch, calls } = fakeFetch(phoneOk())
    const error = await failure(client(fetch).getUserPhoneNumber(TOKEN, { code: '', openid: 'o' }))
    expect(error).toMatchObject({ kind: 'CODE_INVALID', attempts: 0 })
    expect(calls).toHaveLength(0)
  })

  it('keeps the token, the code and the number out of errors and log lines', async () => {
    const { logger, lines } = recordingLogger()
    for (const answer of [
      err(40029, `invalid code ${PHONE_CODE} token ${TOKEN}`),
      { body: { phone_info: { phoneNumber: '13800138000' } } },
    ] as Answer[]) {
      const { fetch } = fakeFetch(answer)
      const error = await failure(
        client(fetch, { logger }).getUserPhoneNumber(TOKEN, { code: PHONE_CODE, openid: 'o' }),
      )
      const text = [JSON.stringify(error), error.message, error.errmsg ?? '', ...lines].join('\n')
      for (const secret of [TOKEN, PHONE_CODE, '13800138000']) expect(text).not.toContain(secret)
    }
  })
})

describe('createWechatClient', () => {
  it.each([
    [{ baseUrl: 'ftp://x' }, 'baseUrl'],
    [{ baseUrl: 'not a url' }, 'baseUrl'],
    [{ secret: '' }, 'secret'],
    [{ appid: '' }, 'appid'],
    [{ timeoutMs: 0 }, 'timeoutMs'],
    [{ retries: -1 }, 'retries'],
  ])('rejects %o naming %s, never the secret', (bad, name) => {
    const build = () => client(fakeFetch(ok).fetch, bad)
    expect(build).toThrow(TypeError)
    expect(build).toThrow(name)
    try {
      build()
    } catch (e) {
      expect(String(e)).not.toContain(SECRET)
    }
  })

  it('exposes the appid, and nothing of the secret when inspected', () => {
    const c = client(fakeFetch(ok).fetch)
    expect(c.appid).toBe('wx_app')
    expect(inspect(c, { depth: Infinity, showHidden: true })).not.toContain(SECRET)
    expect(JSON.stringify(c)).not.toContain(SECRET)
  })
})

describe('no secret leaves through an error or a log line', () => {
  // Answers that tempt a leak: WeChat echoing the request, a URL in a network
  // error, a session_key in a malformed answer.
  const urlError = new TypeError(
    `Failed to parse URL from http://wechat.test/sns/jscode2session?secret=${SECRET}&js_code=${CODE}`,
  )
  const tempting: [string, Answer[]][] = [
    ['an errmsg quoting the secret and code', [err(40029, `invalid code ${CODE} for ${SECRET}`)]],
    ['an errmsg quoting them URL-encoded', [err(48001, `bad ${encodeURIComponent(SECRET)}`)]],
    ['busy', [err(-1, `busy ${SECRET}`)]],
    ['a network error quoting the URL', [urlError]],
    ['a malformed answer holding a session_key', [{ body: { session_key: SESSION_KEY } }]],
    ['a timeout', ['hang']],
    ['an HTML error page', [{ status: 500, body: `<p>${SECRET}</p>` }]],
  ]

  it.each(tempting)('%s', async (_, answers) => {
    const { fetch } = fakeFetch(...answers)
    const { logger, lines } = recordingLogger()
    const error = await failure(client(fetch, { logger, timeoutMs: 30 }).code2Session(CODE))
    expect(error).toBeInstanceOf(WechatApiError)
    const cause = error.cause instanceof Error ? error.cause : undefined
    const renderings = [
      JSON.stringify(error),
      inspect(error, { depth: Infinity, showHidden: true }),
      String(error),
      error.stack ?? '',
      error.message,
      error.errmsg ?? '',
      String(cause),
      cause?.stack ?? '',
      ...lines,
    ].join('\n')
    for (const secret of [SECRET, encodeURIComponent(SECRET), CODE, SESSION_KEY]) {
      expect(renderings).not.toContain(secret)
    }
  })
})

const CONTENT = 'some user text that is private 0123456789'
const checkOk = (suggest = 'pass', label = 100) => ({
  body: {
    errcode: 0,
    errmsg: 'ok',
    result: { suggest, label },
    detail: [{ strategy: 'content_model', errcode: 0, suggest, label, prob: 90 }],
    trace_id: '60ae120f-371d5872-7941a05b',
  },
})
const checkInput = { openid: 'o-alice', scene: 2 as const, content: CONTENT }

describe('msgSecCheck', () => {
  it('POSTs /wxa/msg_sec_check with the token in the query and the v2 body', async () => {
    const { fetch, calls } = fakeFetch(checkOk('risky', 20001))
    expect(await client(fetch).msgSecCheck(TOKEN, checkInput)).toEqual({
      suggest: 'risky',
      label: 20001,
      traceId: '60ae120f-371d5872-7941a05b',
    })
    const [{ url, method, body }] = calls as [{ url: URL; method: string; body: unknown }]
    expect(method).toBe('POST')
    expect(url.pathname).toBe('/base/wxa/msg_sec_check')
    expect(Object.fromEntries(url.searchParams)).toEqual({ access_token: TOKEN })
    expect(body).toEqual({ version: 2, openid: 'o-alice', scene: 2, content: CONTENT })
  })

  it('retries -1 and a timeout (idempotent)', async () => {
    const { fetch, calls } = fakeFetch(err(-1), 'hang', checkOk('review', 20012))
    const result = await client(fetch, { timeoutMs: 50 }).msgSecCheck(TOKEN, checkInput)
    expect(result.suggest).toBe('review')
    expect(calls).toHaveLength(3)
  })

  it.each([
    [40001, 'ACCESS_TOKEN_INVALID'],
    [40003, 'OPENID_MISMATCH'],
    [61010, 'USER_INACTIVE'],
    [40129, 'SCENE_INVALID'],
    [45011, 'RATE_LIMITED'],
    [45009, 'QUOTA_EXHAUSTED'],
    [47001, 'UNEXPECTED'],
  ] as const)('maps errcode %i to %s', async (errcode, kind) => {
    const { fetch } = fakeFetch(err(errcode))
    expect(await failure(client(fetch).msgSecCheck(TOKEN, checkInput))).toMatchObject({
      kind,
      errcode,
      api: 'msgSecCheck',
    })
  })

  it('refuses content over 2500 characters, empty content and bad scenes before sending', async () => {
    const { fetch, calls } = fakeFetch(checkOk())
    const c = client(fetch)
    // 2500 characters outside the BMP are 5000 UTF-16 units: still allowed.
    await c.msgSecCheck(TOKEN, { ...checkInput, content: '😀'.repeat(2500) })
    expect(calls).toHaveLength(1)
    for (const content of ['', 'x'.repeat(2501)]) {
      expect(await failure(c.msgSecCheck(TOKEN, { ...checkInput, content }))).toMatchObject({
        kind: 'INPUT_INVALID',
        attempts: 0,
        errcode: null,
      })
    }
    for (const scene of [0, 5, 1.5]) {
      const bad = { ...checkInput, scene: scene as 1 }
      expect(await failure(c.msgSecCheck(TOKEN, bad))).toMatchObject({
        kind: 'SCENE_INVALID',
        attempts: 0,
      })
    }
    expect(calls).toHaveLength(1)
  })

  it('refuses an answer without a verdict as malformed', async () => {
    const { fetch } = fakeFetch({ body: { errcode: 0, errmsg: 'ok', trace_id: 't' } })
    expect(await failure(client(fetch).msgSecCheck(TOKEN, checkInput))).toMatchObject({
      kind: 'MALFORMED_RESPONSE',
    })
  })

  it('keeps the token and the content out of errors and logs', async () => {
    const { logger, lines } = recordingLogger()
    const { fetch } = fakeFetch(err(87014, `risky content ${CONTENT} token ${TOKEN}`))
    const error = await failure(client(fetch, { logger }).msgSecCheck(TOKEN, checkInput))
    const text = [JSON.stringify(error), inspect(error, { showHidden: true }), ...lines].join('\n')
    expect(text).not.toContain(CONTENT)
    expect(text).not.toContain(TOKEN)
    expect(error.errmsg).toContain('[redacted]')
  })
})

describe('mediaCheckAsync', () => {
  const media = {
    openid: 'o-alice',
    scene: 1 as const,
    mediaUrl: 'https://cdn.example.com/a.png?sign=secret-signature-123',
    mediaType: 'image' as const,
  }

  it('POSTs /wxa/media_check_async with the v2 body and returns the trace id', async () => {
    const { fetch, calls } = fakeFetch({ body: { errcode: 0, errmsg: 'ok', trace_id: 'tr-1' } })
    expect(await client(fetch).mediaCheckAsync(TOKEN, media)).toEqual({ traceId: 'tr-1' })
    const [{ url, body }] = calls as [{ url: URL; method: string; body?: unknown }]
    expect(url.pathname).toBe('/base/wxa/media_check_async')
    expect(url.searchParams.get('access_token')).toBe(TOKEN)
    expect(body).toEqual({
      media_url: media.mediaUrl,
      media_type: 2,
      version: 2,
      openid: 'o-alice',
      scene: 1,
    })
    const audio = fakeFetch({ body: { errcode: 0, errmsg: 'ok', trace_id: 'tr-2' } })
    await client(audio.fetch).mediaCheckAsync(TOKEN, { ...media, mediaType: 'audio' })
    expect(audio.calls[0]?.body).toMatchObject({ media_type: 1 })
  })

  it('retries -1 but not a timeout (a second check would push a second verdict)', async () => {
    const busy = fakeFetch(err(-1), { body: { errcode: 0, errmsg: 'ok', trace_id: 'tr' } })
    await client(busy.fetch).mediaCheckAsync(TOKEN, media)
    expect(busy.calls).toHaveLength(2)
    const slow = fakeFetch('hang')
    const error = await failure(client(slow.fetch, { timeoutMs: 50 }).mediaCheckAsync(TOKEN, media))
    expect(error).toMatchObject({ kind: 'UNAVAILABLE', reason: 'timeout' })
    expect(slow.calls).toHaveLength(1)
  })

  it('refuses a bad URL, media type or scene before sending', async () => {
    const { fetch, calls } = fakeFetch({ body: { errcode: 0, errmsg: 'ok', trace_id: 'tr' } })
    const c = client(fetch)
    for (const bad of [
      { ...media, mediaUrl: 'ftp://x/y.png' },
      { ...media, mediaUrl: 'not a url' },
      { ...media, mediaType: 'video' as 'image' },
      { ...media, openid: '' },
    ]) {
      expect(await failure(c.mediaCheckAsync(TOKEN, bad))).toMatchObject({
        kind: 'INPUT_INVALID',
        attempts: 0,
      })
    }
    expect(await failure(c.mediaCheckAsync(TOKEN, { ...media, scene: 9 as 1 }))).toMatchObject({
      kind: 'SCENE_INVALID',
    })
    expect(calls).toHaveLength(0)
  })

  it('keeps a signed media URL out of errors', async () => {
    const { fetch } = fakeFetch(err(40003, `bad ${media.mediaUrl}`))
    const error = await failure(client(fetch).mediaCheckAsync(TOKEN, media))
    expect(JSON.stringify(error)).not.toContain('secret-signature-123')
  })
})
