/**
 * Bad input, property-based: random requests to every procedure of the
 * router (taken from the router itself, so a new procedure is covered without
 * editing this file) against ONE real server on PostgreSQL. Every answer must
 * be 2xx or 4xx (never 5xx, never a reset connection), every 4xx must carry
 * `error.data.reason`, and no answer may hold the app secrets, a session_key
 * or a token other than ones the request itself carried.
 *
 * FUZZ_SEED replays a run (the seed is printed), FUZZ_PATH replays the one
 * shrunk case fast-check reports; FUZZ_RUNS and FUZZ_TIME_LIMIT_MS bound it.
 */
import { appRouter } from '@wxapp/api'
import { createTestPostgres, type TestPostgres } from '@wxapp/db/testing'
import {
  type RunningProcess,
  SIM_DEV_APPID,
  SIM_DEV_SECRET,
  startApiServer,
  startSimulator,
  TEST_DATA_KEY,
} from '@wxapp/testing'
import { createSimControl, type SimControl } from '@wxapp/wechat-sim/client'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rawCall } from './login-fixture'
import { sealUserData } from './wechat-fixture'

const RUNS = Number(process.env.FUZZ_RUNS || 7000)
const TIME_LIMIT_MS = Number(process.env.FUZZ_TIME_LIMIT_MS || 40_000)
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : (Date.now() % 2 ** 31) | 0
const REPLAY_PATH = process.env.FUZZ_PATH || undefined

const APP_B = { appid: 'wx_fuzz_second_app', secret: 'fuzz_second_secret_0123456789abc' }

/** Every procedure the router serves, with its kind: derived, never listed by hand. */
const procedures = Object.entries(
  appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>,
).map(([path, p]) => ({ path, type: p._def.type }))

// ---------------------------------------------------------------------------
// What a request is made of. Tokens and keys are symbolic here and resolved
// when the request is sent, so a printed counterexample replays.

type Auth =
  | { kind: 'none' }
  | { kind: 'valid' }
  | { kind: 'valid-lowercase-scheme' }
  | { kind: 'valid-without-scheme' }
  | { kind: 'tampered'; at: number; char: string }
  | { kind: 'bearer'; value: string }
  | { kind: 'raw'; value: string }
  | { kind: 'huge'; length: number }

type Input =
  | { kind: 'none' }
  | { kind: 'json'; value: unknown }
  | { kind: 'raw'; text: string }
  | { kind: 'deep'; depth: number; shape: 'array' | 'object' | 'in-field' }
  | { kind: 'sealed'; watermark: 'own' | 'other'; tamper: boolean; signed: boolean }
  /** auth.login's input with a real wx.login code, and any client info. */
  | { kind: 'login-code'; user: string; client: unknown }
  /** user.bindPhone's input with a real phone code, of user A or of another user. */
  | { kind: 'phone-code'; owner: 'A' | 'other' }

interface FuzzRequest {
  method: 'natural' | 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS' | 'HEAD'
  /** One call, or several sent as one batch. */
  calls: { path: string; input: Input }[]
  batch: boolean
  /** Replaces the whole batch input (an array, a string…) when set. */
  batchInput: Input | null
  contentType: string | null
  auth: Auth
  appid: string | null
}

/** Header values fetch will send as they are (no NUL, CR, LF; Latin-1). */
function headerSafe(value: string): boolean {
  try {
    new Headers({ x: value })
    return true
  } catch {
    return false
  }
}
// Visible Latin-1, space and tab: what a header value may hold on the wire.
const latin1 = fc
  .oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff }), fc.constant(9))
  .map((c) => String.fromCharCode(c))
const headerString = fc.string({ unit: latin1, maxLength: 60 }).filter(headerSafe)

const specialStrings = [
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfffy',
  '\u202egnp.exe',
  '\ufeff',
  '\u200b',
  '\u0007\u001b[31m',
  ' ',
  '   \t ',
  '\n',
  "' OR 1=1 --",
  '"; DROP TABLE users; --',
  '<script>alert(1)</script>',
  // A template placeholder, spelled so that no linter takes it for a mistake.
  ['$', '{7*7}'].join(''),
  '%00',
  '%s%s%s%n',
  '../../etc/passwd',
  'https://example.com/a.png',
  'http://127.0.0.1:9/x',
  'javascript:alert(1)',
  'data:text/html,hi',
  'file:///etc/passwd',
  'https://exa mple.com/',
  `https://example.com/${'a'.repeat(2100)}`,
  '🙂',
  '🙂'.repeat(64),
  '🙂'.repeat(65),
  '👨‍👩‍👧‍👦'.repeat(20),
  'x'.repeat(64),
  'x'.repeat(129),
  'null',
  'NaN',
  '1e309',
  '00000000-0000-0000-0000-000000000000',
  '01900000-0000-7000-8000-000000000000',
  'AAAAAAAAAAAAAAAAAAAAAA==',
  '===',
  SIM_DEV_APPID,
  APP_B.appid,
]
const fieldNames = [
  'code',
  'appid',
  'client',
  'platform',
  'model',
  'system',
  'version',
  'nickname',
  'avatarUrl',
  'id',
  'echo',
  'encryptedData',
  'iv',
  'rawData',
  'signature',
]
const pollutionKeys = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  '__defineGetter__',
  'admin',
  '0',
  '',
]

const codeUnits = fc
  .array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 30 })
  .map((units) => String.fromCharCode(...units))
const huge = fc
  .record({
    length: fc.constantFrom(1000, 20_000, 300_000, 1_100_000),
    char: fc.constantFrom('x', '🙂', '\u0000', 'A', '='),
  })
  .map(({ length, char }) => char.repeat(length))
const text = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 2, arbitrary: codeUnits },
  { weight: 4, arbitrary: fc.constantFrom(...specialStrings) },
  { weight: 1, arbitrary: huge },
  { weight: 1, arbitrary: fc.uuid() },
  { weight: 1, arbitrary: fc.base64String({ maxLength: 64 }) },
  { weight: 1, arbitrary: fc.stringMatching(/^[0-9a-f]{40}$/) },
)
const key = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...fieldNames) },
  { weight: 2, arbitrary: fc.constantFrom(...pollutionKeys) },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
)
const { value } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    text,
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(key, tie('value'), { maxKeys: 5 }),
  ),
}))
const option = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined })
/** Inputs shaped like what the procedures expect, with any value in any field. */
const shaped = fc.oneof(
  fc.record(
    {
      code: text,
      appid: option(fc.oneof(text, fc.constantFrom(SIM_DEV_APPID, APP_B.appid))),
      client: option(value),
    },
    { requiredKeys: [] },
  ),
  fc.record({ nickname: text, avatarUrl: text }, { requiredKeys: [] }),
  fc.record({ id: fc.oneof(fc.uuid(), text) }),
  fc.record({ echo: text }),
  fc.record(
    {
      encryptedData: fc.oneof(fc.base64String({ maxLength: 200 }), text),
      iv: fc.oneof(fc.base64String({ minLength: 24, maxLength: 24 }), text),
      rawData: text,
      signature: fc.oneof(fc.stringMatching(/^[0-9a-f]{40}$/), text),
    },
    { requiredKeys: [] },
  ),
)
/** `{"__proto__": …, …}` as JSON text: JSON.stringify would drop a real prototype. */
const polluted = fc
  .tuple(fc.constantFrom('__proto__', 'constructor', 'prototype'), value, shaped)
  .map(([k, v, base]) => {
    const rest = JSON.stringify(base).slice(1)
    const own = `${JSON.stringify(k)}:${JSON.stringify(v ?? null)}`
    return `{${own}${rest === '}' ? '' : ','}${rest}`
  })

const input: fc.Arbitrary<Input> = fc.oneof(
  { weight: 2, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 4, arbitrary: shaped.map((v) => ({ kind: 'json' as const, value: v })) },
  { weight: 3, arbitrary: value.map((v) => ({ kind: 'json' as const, value: v })) },
  { weight: 1, arbitrary: fc.jsonValue().map((v) => ({ kind: 'json' as const, value: v })) },
  { weight: 2, arbitrary: polluted.map((t) => ({ kind: 'raw' as const, text: t })) },
  {
    weight: 1,
    arbitrary: fc
      .oneof(fc.string({ maxLength: 30 }), fc.constantFrom('{', '[1,', '{"a":}', 'undefined', ''))
      .map((t) => ({ kind: 'raw' as const, text: t })),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('deep' as const),
      depth: fc.integer({ min: 20, max: 6000 }),
      shape: fc.constantFrom('array' as const, 'object' as const, 'in-field' as const),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('login-code' as const),
      // Many users: WeChat allows one user 100 logins a minute.
      user: fc.nat({ max: 19 }).map((n) => `fuzz-login-${n}`),
      client: fc.oneof(value, fc.dictionary(fc.constantFrom('platform', 'model'), text)),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('phone-code' as const),
      owner: fc.constantFrom('A' as const, 'other' as const),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('sealed' as const),
      watermark: fc.constantFrom('own' as const, 'other' as const),
      tamper: fc.boolean(),
      signed: fc.boolean(),
    }),
  },
)

const auth: fc.Arbitrary<Auth> = fc.oneof(
  { weight: 2, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 5, arbitrary: fc.constant({ kind: 'valid' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'valid-lowercase-scheme' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'valid-without-scheme' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('tampered' as const),
      at: fc.nat({ max: 80 }),
      char: fc.constantFrom('A', 'a', '0', '-', '_', '.', '~', ' ', 'é'),
    }),
  },
  {
    weight: 1,
    arbitrary: headerString.map((v) => ({ kind: 'bearer' as const, value: v })),
  },
  { weight: 1, arbitrary: headerString.map((v) => ({ kind: 'raw' as const, value: v })) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(5000, 20_000).map((length) => ({ kind: 'huge' as const, length })),
  },
)

const bogusPaths = [
  '',
  'user',
  'user.',
  '.me',
  'user.me.x',
  'nope',
  '__proto__',
  'constructor',
  'toString',
  'user.__proto__',
  'auth.login/..',
  '%2e%2e',
  'a'.repeat(6000),
]
const path = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(...procedures.map((p) => p.path)) },
  { weight: 1, arbitrary: fc.constantFrom(...bogusPaths) },
)

/** Input a procedure accepts, so a good share of calls get past validation. */
function fittingInput(procedure: string): fc.Arbitrary<Input> {
  const json = (arb: fc.Arbitrary<unknown>) => arb.map((v) => ({ kind: 'json' as const, value: v }))
  switch (procedure) {
    case 'auth.login':
      return fc.record({
        kind: fc.constant('login-code' as const),
        // Many users: WeChat allows one user 100 logins a minute.
        user: fc.nat({ max: 19 }).map((n) => `fuzz-login-${n}`),
        client: fc.oneof(value, fc.dictionary(fc.constantFrom('platform', 'model'), text)),
      })
    case 'user.updateProfile':
      return json(
        fc.record(
          {
            nickname: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 64 }),
            avatarUrl: fc.webUrl(),
          },
          { requiredKeys: [] },
        ),
      )
    case 'user.bindPhone':
      return fc.record({
        kind: fc.constant('phone-code' as const),
        owner: fc.constantFrom('A' as const, 'other' as const),
      })
    case 'wechat.decryptUserData':
      return fc.record({
        kind: fc.constant('sealed' as const),
        watermark: fc.constantFrom('own' as const, 'other' as const),
        tamper: fc.boolean(),
        signed: fc.boolean(),
      })
    case 'session.revoke':
      return json(fc.record({ id: fc.uuid() }))
    case 'system.ping':
      return json(fc.option(fc.record({ echo: fc.string({ unit: 'grapheme', maxLength: 100 }) })))
    default:
      return fc.constant({ kind: 'none' as const })
  }
}
const call = path.chain((p) =>
  fc.record({
    path: fc.constant(p),
    input: fc.oneof({ weight: 2, arbitrary: fittingInput(p) }, { weight: 3, arbitrary: input }),
  }),
)

const request: fc.Arbitrary<FuzzRequest> = fc
  .record({
    method: fc.oneof(
      { weight: 8, arbitrary: fc.constant('natural' as const) },
      { weight: 2, arbitrary: fc.constantFrom('GET' as const, 'POST' as const) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          'PUT' as const,
          'PATCH' as const,
          'DELETE' as const,
          'OPTIONS' as const,
          'HEAD' as const,
        ),
      },
    ),
    calls: fc.array(call, { minLength: 1, maxLength: 4 }),
    batch: fc.boolean(),
    batchInput: fc.option(input, { freq: 8, nil: null }),
    contentType: fc.oneof(
      { weight: 20, arbitrary: fc.constant('application/json') },
      {
        weight: 2,
        arbitrary: fc.constantFrom(
          null,
          'text/plain',
          'application/xml',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'application/json; charset=utf-16',
          'application/json; charset=latin1',
        ),
      },
      { weight: 1, arbitrary: headerString },
    ),
    auth,
    appid: fc.oneof(
      { weight: 4, arbitrary: fc.constant(null) },
      { weight: 2, arbitrary: fc.constantFrom(SIM_DEV_APPID, APP_B.appid, 'wx_unknown') },
      { weight: 1, arbitrary: headerString },
    ),
  })
  // One path is one call; several are only ever sent as a batch.
  .map((r) => ({ ...r, batch: r.batch || r.calls.length > 1 }))

// ---------------------------------------------------------------------------

interface Sent {
  method: string
  url: string
  status: number
  text: string
}

describe('bad input, property-based, against one server on PostgreSQL', () => {
  let db: TestPostgres
  let sim: RunningProcess
  let server: RunningProcess
  let control: SimControl
  /**
   * User A: the valid token the fuzzer may send. A fuzzed logout ends it; A
   * is then the next of a few users, so none nears WeChat's 100 logins a minute.
   */
  let tokenA = ''
  let userA = 'fuzz-a-0'
  let reloginsA = 0
  const tokensA: string[] = []
  /** User B: logged in, never sent: its token must never show up. */
  let tokenB = ''
  /** Session keys by user, learned once per user (they stay while the WeChat session does). */
  const sessionKeys = new Map<string, string>()
  const keyOf = async (user: string) => {
    let key = sessionKeys.get(user)
    if (!key) {
      key = await sessionKey(user)
      sessionKeys.set(user, key)
    }
    return key
  }

  const login = async (user: string, appid = SIM_DEV_APPID) => {
    const code = await control.login({ appid, user })
    const res = await rawCall(server.url, 'auth.login', { code, appid })
    const token = (res.body as { result?: { data?: { token?: string } } }).result?.data?.token
    if (res.status !== 200 || !token) throw new Error(`login of ${user} failed: ${res.status}`)
    return token
  }
  /** What WeChat's app encrypts with: the session_key the server also holds (same while valid). */
  const sessionKey = async (user: string) => {
    const code = await control.login({ appid: SIM_DEV_APPID, user })
    const query = new URLSearchParams({
      appid: SIM_DEV_APPID,
      secret: SIM_DEV_SECRET,
      js_code: code,
      grant_type: 'authorization_code',
    })
    const res = await fetch(`${sim.url}/sns/jscode2session?${query}`)
    return ((await res.json()) as { session_key: string }).session_key
  }

  beforeAll(async () => {
    db = await createTestPostgres()
    sim = await startSimulator({
      SIM_SEED: 'fuzz-seed',
      SIM_APPS: `${APP_B.appid}:${APP_B.secret}`,
    })
    server = await startApiServer({
      WECHAT_API_BASE: sim.url,
      WECHAT_APPID: SIM_DEV_APPID,
      WECHAT_SECRET: SIM_DEV_SECRET,
      WECHAT_APPS: `${APP_B.appid}:${APP_B.secret}`,
      DATABASE_URL: db.url,
      // Only warnings and errors: thousands of requests would fill the buffer.
      LOG_LEVEL: 'warn',
    })
    control = createSimControl({ baseUrl: sim.url })
    tokenA = await login(userA)
    tokensA.push(tokenA)
    tokenB = await login('fuzz-b')
    await keyOf(userA)
    await keyOf('fuzz-b')
  })

  afterAll(async () => {
    // The server first: it may still be talking to the simulator.
    const codes = [await server?.stop(), await sim?.stop()]
    await db?.drop()
    // Why the server did not stop cleanly, if it did not.
    const errors = server?.logs().filter((l) => l.level >= 50)
    const notJson = server
      ?.output()
      .split('\n')
      .filter((line) => line.trim() && !line.startsWith('{'))
    expect({ codes, errors, notJson }).toEqual({ codes: [0, 0], errors: [], notJson: [] })
  })

  function authHeader(a: Auth): string | null {
    switch (a.kind) {
      case 'none':
        return null
      case 'valid':
        return `Bearer ${tokenA}`
      case 'valid-lowercase-scheme':
        return `bearer ${tokenA}`
      case 'valid-without-scheme':
        return tokenA
      case 'tampered': {
        const at = a.at % tokenA.length
        const changed = tokenA.slice(0, at) + a.char + tokenA.slice(at + 1)
        return `Bearer ${changed === tokenA ? `${tokenA}x` : changed}`
      }
      case 'bearer':
        return `Bearer ${a.value}`
      case 'raw':
        return a.value
      case 'huge':
        return `Bearer ${'x'.repeat(a.length)}`
    }
  }

  async function inputText(i: Input): Promise<string | undefined> {
    switch (i.kind) {
      case 'none':
        return undefined
      case 'json':
        return JSON.stringify(i.value ?? null)
      case 'raw':
        return i.text
      case 'deep': {
        const { depth } = i
        if (i.shape === 'array') return '['.repeat(depth) + ']'.repeat(depth)
        if (i.shape === 'object') return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`
        return `{"nickname":${'['.repeat(depth)}${']'.repeat(depth)}}`
      }
      case 'sealed': {
        const appid = i.watermark === 'own' ? SIM_DEV_APPID : APP_B.appid
        const sealed = sealUserData(
          { nickName: 'fuzz', watermark: { appid, timestamp: 1 } },
          await keyOf(userA),
        )
        const encryptedData = i.tamper
          ? `${sealed.encryptedData.slice(0, 8)}AAAA${sealed.encryptedData.slice(12)}`
          : sealed.encryptedData
        return JSON.stringify({
          encryptedData,
          iv: sealed.iv,
          ...(i.signed ? { rawData: sealed.rawData, signature: sealed.signature } : {}),
        })
      }
      case 'login-code': {
        const code = await control.login({ appid: SIM_DEV_APPID, user: i.user })
        return JSON.stringify({ code, client: i.client ?? null })
      }
      case 'phone-code': {
        const user = i.owner === 'A' ? userA : 'fuzz-b'
        return JSON.stringify({ code: await control.phoneCode({ appid: SIM_DEV_APPID, user }) })
      }
    }
  }

  async function send(r: FuzzRequest): Promise<Sent> {
    const first = r.calls[0]?.path
    const natural = procedures.find((p) => p.path === first)?.type === 'query' ? 'GET' : 'POST'
    const method = r.method === 'natural' ? natural : r.method
    const pathPart = r.calls.map((c) => encodeURIComponent(c.path)).join(',')
    let inputJson: string | undefined
    if (r.batch) {
      if (r.batchInput) {
        inputJson = await inputText(r.batchInput)
      } else {
        const parts: string[] = []
        for (const [index, c] of r.calls.entries()) {
          const t = await inputText(c.input)
          if (t !== undefined) parts.push(`${JSON.stringify(String(index))}:${t}`)
        }
        inputJson = `{${parts.join(',')}}`
      }
    } else {
      inputJson = await inputText(r.calls[0]?.input ?? { kind: 'none' })
    }
    const query = new URLSearchParams()
    if (r.batch) query.set('batch', '1')
    const hasBody = method !== 'GET' && method !== 'HEAD'
    if (!hasBody && inputJson !== undefined) query.set('input', inputJson)
    const qs = query.toString()
    const url = `${server.url}/trpc/${pathPart}${qs ? `?${qs}` : ''}`
    const headers: Record<string, string> = {}
    const authorization = authHeader(r.auth)
    if (authorization !== null) headers.authorization = authorization
    if (r.appid !== null) headers['x-wx-appid'] = r.appid
    let body: ArrayBuffer | undefined
    if (hasBody && inputJson !== undefined) {
      // Bytes, not a string: fetch would add text/plain to a string body.
      body = new TextEncoder().encode(inputJson).buffer as ArrayBuffer
      if (r.contentType !== null) headers['content-type'] = r.contentType
    }
    const res = await fetch(url, {
      method,
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(20_000),
    })
    return { method, url, status: res.status, text: await res.text() }
  }

  /** Strings no answer may contain. */
  function forbidden(): string[] {
    const keys = [...sessionKeys.values()].flatMap((k) => [
      k,
      Buffer.from(k, 'base64').toString('hex'),
    ])
    const ownSecrets = tokensA.map((t) => t.split('.')[1] ?? t)
    return [
      SIM_DEV_SECRET,
      APP_B.secret,
      TEST_DATA_KEY,
      ...keys,
      tokenB,
      tokenB.split('.')[1] ?? tokenB,
      ...ownSecrets,
    ]
  }

  function check(sent: Sent): void {
    const where = `${sent.method} ${sent.url.slice(0, 160)} -> ${sent.status}: ${sent.text.slice(0, 300)}`
    const ok =
      (sent.status >= 200 && sent.status < 300) || (sent.status >= 400 && sent.status < 500)
    if (!ok) throw new Error(`not 2xx/4xx: ${where}`)
    for (const secret of forbidden()) {
      if (sent.text.includes(secret)) throw new Error(`an answer holds a secret: ${where}`)
    }
    // A HEAD answer has no body to carry a reason.
    if (sent.method === 'HEAD') return
    let body: unknown
    try {
      body = JSON.parse(sent.text)
    } catch {
      if (sent.status >= 400) throw new Error(`a 4xx that is not JSON: ${where}`)
      return
    }
    const items = Array.isArray(body) ? body : [body]
    const errors = items
      .map(
        (item) =>
          (item as { error?: { data?: { reason?: unknown; httpStatus?: unknown } } } | null)?.error,
      )
      .filter((e) => e !== undefined)
    if (sent.status >= 400 && errors.length === 0) throw new Error(`a 4xx without error: ${where}`)
    for (const error of errors) {
      const reason = error?.data?.reason
      if (typeof reason !== 'string' || reason === '') {
        throw new Error(`an error without data.reason: ${where}`)
      }
      // A batch answers 207 even when one of its calls failed inside.
      const status = error?.data?.httpStatus
      if (typeof status === 'number' && status >= 500) {
        throw new Error(`a call of the batch failed with ${status}: ${where}`)
      }
    }
  }

  it(
    'answers every random request with 2xx or 4xx, a reason on every error, and no secret',
    async () => {
      expect(procedures.map((p) => p.path)).toEqual(
        expect.arrayContaining(['auth.login', 'user.me', 'system.ping', 'wechat.decryptUserData']),
      )
      console.log(
        `fuzz: seed ${SEED}${REPLAY_PATH ? ` path ${REPLAY_PATH}` : ''} (FUZZ_SEED=${SEED} replays), ` +
          `up to ${RUNS} runs or ${TIME_LIMIT_MS / 1000} s over ${procedures.length} procedures`,
      )
      const statuses = new Map<string, Map<number, number>>()
      const pastAuth = new Map<string, number>()
      let runs = 0
      const started = performance.now()

      await fc.assert(
        fc.asyncProperty(request, async (r) => {
          runs++
          const sent = await send(r)
          check(sent)
          const first = r.calls[0]?.path ?? ''
          const byStatus = statuses.get(first) ?? new Map<number, number>()
          byStatus.set(sent.status, (byStatus.get(sent.status) ?? 0) + 1)
          statuses.set(first, byStatus)
          if (sent.status !== 401) pastAuth.set(first, (pastAuth.get(first) ?? 0) + 1)
          // A fuzzed logout may have ended A's session: log A in again.
          if (r.calls.some((c) => c.path.startsWith('auth.logout'))) {
            const me = await fetch(`${server.url}/trpc/user.me`, {
              headers: { authorization: `Bearer ${tokenA}` },
            })
            await me.text()
            if (me.status === 401) {
              reloginsA++
              userA = `fuzz-a-${reloginsA % 8}`
              tokenA = await login(userA)
              tokensA.push(tokenA)
              await keyOf(userA)
            }
          }
        }),
        {
          seed: SEED,
          ...(REPLAY_PATH ? { path: REPLAY_PATH } : {}),
          numRuns: RUNS,
          plugins: [fc.interruptAfterTimeLimit(TIME_LIMIT_MS)],
        },
      )

      const seconds = (performance.now() - started) / 1000
      const table = procedures.map(({ path: p }) => {
        const byStatus = statuses.get(p) ?? new Map<number, number>()
        const parts = [...byStatus.entries()].sort(([a], [b]) => a - b).map(([s, n]) => `${s}:${n}`)
        return `  ${p.padEnd(24)} ${parts.join(' ')}`
      })
      console.log(
        `fuzz: ${runs} requests in ${seconds.toFixed(1)} s (seed ${SEED}); answers by first procedure:\n${table.join('\n')}`,
      )
      // Every procedure was reached, and past the session check where it has one.
      for (const { path: p } of procedures) {
        const total = [...(statuses.get(p)?.values() ?? [])].reduce((a, b) => a + b, 0)
        expect(total, p).toBeGreaterThanOrEqual(runs > 500 ? 10 : 1)
        expect(pastAuth.get(p) ?? 0, p).toBeGreaterThan(0)
      }
      // Nothing unexpected happened inside: no error was logged.
      const failures = server.logs().filter((l) => l.level >= 50)
      expect(failures.map((l) => JSON.stringify(l).slice(0, 600))).toEqual([])
      for (const secret of forbidden()) expect(server.output().includes(secret)).toBe(false)
    },
    TIME_LIMIT_MS + 60_000,
  )
})
