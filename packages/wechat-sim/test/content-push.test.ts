/**
 * Content security and message push on the built simulator process, with a
 * tiny receiver on 127.0.0.1 standing in for the app's server: it serves the
 * media the simulator downloads and takes the pushes.
 */
import { createDecipheriv, createHash } from 'node:crypto'
import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type RunningProcess, startSimulator } from '@wxapp/testing'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  createSimControl,
  type SimControl,
  SimControlError,
  type SimPushRecord,
} from '../src/client'
import { SIM_DEV_APPID, SIM_DEV_SECRET } from '../src/constants'

const OTHER = { appid: 'wx_other_app', secret: 'other_secret_value' }
const TOKEN = 'push-token-123'
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG'

interface Received {
  query: Record<string, string>
  body: string
}

/** The app's server: GET /media/<name> serves bytes, POST /push records and answers from a script. */
function startReceiver() {
  const media = new Map<string, Buffer>()
  const received: Received[] = []
  const answers: { status: number; body: string }[] = []
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://receiver.invalid')
    if (req.method === 'GET' && url.pathname.startsWith('/media/')) {
      const bytes = media.get(url.pathname.slice('/media/'.length))
      if (!bytes) return res.writeHead(404).end('missing')
      return res.writeHead(200, { 'content-type': 'image/png' }).end(bytes)
    }
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      received.push({
        query: Object.fromEntries(url.searchParams),
        body: Buffer.concat(chunks).toString('utf8'),
      })
      const answer = answers.shift() ?? { status: 200, body: 'success' }
      res.writeHead(answer.status).end(answer.body)
    })
  })
  return {
    media,
    received,
    answers,
    async listen(): Promise<string> {
      server.listen(0, '127.0.0.1')
      await once(server, 'listening')
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    },
    async close(): Promise<void> {
      server.closeAllConnections()
      await new Promise((r) => server.close(r))
    },
  }
}

let sim: RunningProcess
let control: SimControl
let receiver: ReturnType<typeof startReceiver>
let receiverUrl: string

beforeAll(async () => {
  receiver = startReceiver()
  receiverUrl = await receiver.listen()
  sim = await startSimulator({
    SIM_APPS: `${OTHER.appid}:${OTHER.secret}`,
    SIM_MEDIA_CHECK_DELAY: '0ms',
  })
  control = createSimControl({ baseUrl: sim.url })
})
afterAll(async () => {
  await sim?.stop()
  await receiver?.close()
})
beforeEach(async () => {
  await control.reset()
  receiver.received.length = 0
  receiver.answers.length = 0
  receiver.media.clear()
})

type Json = Record<string, unknown>
async function post(path: string, body: unknown, query: Record<string, string> = {}) {
  const res = await fetch(`${sim.url}${path}?${new URLSearchParams(query)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  expect(res.status).toBe(200)
  return (await res.json()) as Json
}
async function accessToken(app = { appid: SIM_DEV_APPID, secret: SIM_DEV_SECRET }) {
  const body = await post('/cgi-bin/stable_token', { grant_type: 'client_credential', ...app })
  return String(body.access_token)
}
/** A user who visited the app now: wx.login, then the server's code2Session. */
async function visitor(user: string, app = { appid: SIM_DEV_APPID, secret: SIM_DEV_SECRET }) {
  const code = await control.login({ appid: app.appid, user })
  const res = await fetch(
    `${sim.url}/sns/jscode2session?${new URLSearchParams({ ...app, js_code: code, grant_type: 'authorization_code' })}`,
  )
  return String(((await res.json()) as Json).openid)
}
const check = (token: string, body: Json) =>
  post('/wxa/msg_sec_check', body, { access_token: token })
const mediaCheck = (token: string, body: Json) =>
  post('/wxa/media_check_async', body, { access_token: token })
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex')
const sha1Sorted = (...parts: string[]) =>
  createHash('sha1').update(parts.sort().join('')).digest('hex')

async function waitForPushes(
  done: (pushes: SimPushRecord[]) => boolean,
  timeoutMs = 10_000,
): Promise<SimPushRecord[]> {
  const started = Date.now()
  for (;;) {
    const pushes = await control.pushes()
    if (done(pushes)) return pushes
    if (Date.now() - started > timeoutMs) throw new Error(`pushes: ${JSON.stringify(pushes)}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}
const allDone = (n: number) => (p: SimPushRecord[]) => p.length >= n && p.every((r) => r.done)

describe('POST /wxa/msg_sec_check', () => {
  it('decides by the content rules: risky wins over review, else pass', async () => {
    await control.setContentRules({ text: { risky: ['BadWord'], review: ['meh'] } })
    const token = await accessToken()
    const openid = await visitor('alice')
    const verdict = async (content: string) => {
      const body = await check(token, { version: 2, openid, scene: 2, content })
      expect(body).toMatchObject({ errcode: 0, errmsg: 'ok' })
      expect(body.trace_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/)
      expect(body.detail).toEqual([expect.objectContaining({ strategy: 'content_model' })])
      return body.result
    }
    expect(await verdict('hello there')).toEqual({ suggest: 'pass', label: 100 })
    expect(await verdict('well meh')).toEqual({ suggest: 'review', label: 21000 })
    expect(await verdict('a badword here')).toEqual({ suggest: 'risky', label: 20001 })
    expect(await verdict('meh and BADWORD')).toEqual({ suggest: 'risky', label: 20001 })
    expect(await control.contentRules()).toEqual({
      text: { risky: ['BadWord'], review: ['meh'] },
      images: { risky: [], review: [] },
    })
    await control.reset()
    expect((await control.contentRules()).text.risky).toEqual([])
  })

  it('answers errcodes for bad input', async () => {
    const token = await accessToken()
    const openid = await visitor('alice')
    const ok = { version: 2, openid, scene: 1, content: 'hi' }
    const code = async (body: Json, query: Record<string, string> = { access_token: token }) =>
      (await post('/wxa/msg_sec_check', body, query)).errcode
    expect(await code(ok)).toBe(0)
    expect(await code({ ...ok, access_token: token }, {})).toBe(47001)
    expect(await code(ok, {})).toBe(41001)
    expect(await code(ok, { access_token: 'nope' })).toBe(40001)
    expect(await code({ ...ok, version: undefined })).toBe(47001)
    expect(await code({ ...ok, openid: undefined })).toBe(41009)
    expect(await code({ ...ok, scene: 5 })).toBe(40129)
    expect(await code({ ...ok, content: '' })).toBe(47001)
    expect(await code({ ...ok, content: 'x'.repeat(2501) })).toBe(47001)
    expect(await code({ ...ok, content: '字'.repeat(2500) })).toBe(0)
    expect(await code({ ...ok, openid: 'o-nobody-knows-this' })).toBe(40003)
    // Another app's user is unknown to this app.
    const otherOpenid = await visitor('alice', OTHER)
    expect(await code({ ...ok, openid: otherOpenid })).toBe(40003)
    // Two hours after the last code2Session: 61010.
    await control.advanceClock(2 * 3_600_000)
    expect(await code(ok, { access_token: await accessToken() })).toBe(61010)
    const get = await fetch(`${sim.url}/wxa/msg_sec_check?access_token=${token}`)
    expect(((await get.json()) as Json).errcode).toBe(43002)
  })

  it('answers 61010 two hours after the last code2Session, 0 after a new one', async () => {
    const carol = await visitor('carol')
    await control.advanceClock(2 * 3_600_000 + 1)
    const fresh = await accessToken()
    expect(
      (await check(fresh, { version: 2, openid: carol, scene: 1, content: 'hi' })).errcode,
    ).toBe(61010)
    await visitor('carol')
    expect(
      (await check(fresh, { version: 2, openid: carol, scene: 1, content: 'hi' })).errcode,
    ).toBe(0)
  })

  it('limits an app to 4,000 checks a minute, and takes faults and stats', async () => {
    const token = await accessToken()
    const openid = await visitor('alice')
    const body = { version: 2, openid, scene: 1, content: 'hi' }
    for (let i = 0; i < 40; i++) {
      const batch = await Promise.all(Array.from({ length: 100 }, () => check(token, body)))
      expect(batch.every((b) => b.errcode === 0)).toBe(true)
    }
    expect((await check(token, body)).errcode).toBe(45011)
    await control.advanceClock(60_000)
    expect((await check(await accessToken(), body)).errcode).toBe(0)

    await control.faults({ path: '/wxa/msg_sec_check', errcode: -1, count: 1 })
    const fresh = await accessToken()
    expect((await check(fresh, body)).errcode).toBe(-1)
    expect((await check(fresh, body)).errcode).toBe(0)
    expect((await control.stats())[SIM_DEV_APPID]?.msg_sec_check).toBe(4004)
  }, 90_000)
})

describe('POST /wxa/media_check_async and the push', () => {
  const png = Buffer.from('not really a png, but bytes to hash 0123456789')

  async function setUp(extra: { aesKey?: string | null; duplicateRate?: number } = {}) {
    await control.pushConfig({
      appid: SIM_DEV_APPID,
      url: `${receiverUrl}/push?app=dev`,
      token: TOKEN,
      duplicateRate: 0,
      retryDelayMs: 50,
      checkDelayMs: 0,
      ...extra,
    })
    receiver.media.set('a.png', png)
    const token = await accessToken()
    const openid = await visitor('alice')
    return { token, openid }
  }
  const mediaBody = (openid: string, name = 'a.png') => ({
    media_url: `${receiverUrl}/media/${name}`,
    media_type: 2,
    version: 2,
    openid,
    scene: 1,
  })

  it('downloads the media, decides by its SHA-256 and pushes a signed plain event', async () => {
    const { token, openid } = await setUp()
    await control.setContentRules({ images: { risky: [sha256(png)] } })
    const answer = await mediaCheck(token, mediaBody(openid))
    expect(answer).toMatchObject({ errcode: 0, errmsg: 'ok' })
    const traceId = String(answer.trace_id)
    const [record] = await waitForPushes(allDone(1))
    expect(record).toMatchObject({
      appid: SIM_DEV_APPID,
      trace_id: traceId,
      event: 'wxa_media_check',
      mode: 'plain',
      attempts: 1,
      statuses: [200],
      delivered: true,
      duplicated: false,
    })
    expect(receiver.received).toHaveLength(1)
    const [push] = receiver.received as [Received]
    const { signature, timestamp, nonce, app } = push.query
    expect(app).toBe('dev')
    expect(signature).toBe(sha1Sorted(TOKEN, String(timestamp), String(nonce)))
    expect(push.query.encrypt_type).toBeUndefined()
    const event = JSON.parse(push.body) as Json
    expect(event).toMatchObject({
      FromUserName: openid,
      MsgType: 'event',
      Event: 'wxa_media_check',
      appid: SIM_DEV_APPID,
      trace_id: traceId,
      version: 2,
      errcode: 0,
      result: { suggest: 'risky', label: 20001 },
    })
    expect(event.ToUserName).toMatch(/^gh_[0-9a-f]{12}$/)
    expect(Math.abs(Number(event.CreateTime) - Date.now() / 1000)).toBeLessThan(60)
    expect((await control.stats())[SIM_DEV_APPID]?.media_check_async).toBe(1)
  })

  it('pushes in safe mode: { ToUserName, Encrypt } with msg_signature', async () => {
    const { token, openid } = await setUp({ aesKey: AES_KEY })
    await control.setContentRules({ images: { review: [sha256(png)] } })
    const traceId = String((await mediaCheck(token, mediaBody(openid))).trace_id)
    const [record] = await waitForPushes(allDone(1))
    expect(record).toMatchObject({ mode: 'safe', delivered: true })
    const [push] = receiver.received as [Received]
    const q = push.query
    const envelope = JSON.parse(push.body) as { ToUserName: string; Encrypt: string }
    expect(envelope.ToUserName).toMatch(/^gh_/)
    expect(q.encrypt_type).toBe('aes')
    expect(q.signature).toBe(sha1Sorted(TOKEN, String(q.timestamp), String(q.nonce)))
    expect(q.msg_signature).toBe(
      sha1Sorted(TOKEN, String(q.timestamp), String(q.nonce), envelope.Encrypt),
    )
    // Decrypted here with node:crypto alone.
    const key = Buffer.from(`${AES_KEY}=`, 'base64')
    const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16))
    decipher.setAutoPadding(false)
    const plain = Buffer.concat([
      decipher.update(Buffer.from(envelope.Encrypt, 'base64')),
      decipher.final(),
    ])
    const pad = plain[plain.length - 1] ?? 0
    expect(pad).toBeGreaterThanOrEqual(1)
    expect(pad).toBeLessThanOrEqual(32)
    expect(plain.length % 32).toBe(0)
    const body = plain.subarray(0, plain.length - pad)
    const length = body.readUInt32BE(16)
    const message = JSON.parse(body.subarray(20, 20 + length).toString('utf8')) as Json
    expect(body.subarray(20 + length).toString('utf8')).toBe(SIM_DEV_APPID)
    expect(message).toMatchObject({
      ToUserName: envelope.ToUserName,
      trace_id: traceId,
      result: { suggest: 'review', label: 21000 },
    })
  })

  it('retries after a 500 or a wrong answer, up to 3 times', async () => {
    const { token, openid } = await setUp()
    receiver.answers.push({ status: 500, body: 'oops' }, { status: 200, body: 'not success' })
    await mediaCheck(token, mediaBody(openid))
    const [record] = await waitForPushes(allDone(1))
    expect(record).toMatchObject({ attempts: 3, statuses: [500, 200, 200], delivered: true })
    expect(receiver.received).toHaveLength(3)

    await control.reset()
    receiver.received.length = 0
    for (let i = 0; i < 4; i++) receiver.answers.push({ status: 503, body: '' })
    await mediaCheck(await accessToken(), mediaBody(await visitor('alice')))
    const [failed] = await waitForPushes(allDone(1))
    expect(failed).toMatchObject({ attempts: 4, statuses: [503, 503, 503, 503], delivered: false })
  })

  it('sends a delivered message twice with duplicateRate 1', async () => {
    const { token, openid } = await setUp({ duplicateRate: 1 })
    await mediaCheck(token, mediaBody(openid))
    const [record] = await waitForPushes(allDone(1))
    expect(record).toMatchObject({ attempts: 2, delivered: true, duplicated: true })
    expect(receiver.received).toHaveLength(2)
    const [a, b] = receiver.received as [Received, Received]
    expect(b).toEqual(a)
  })

  it('pushes a failed download with a non-zero errcode', async () => {
    const { token, openid } = await setUp()
    await mediaCheck(token, mediaBody(openid, 'missing.png'))
    await waitForPushes(allDone(1))
    const event = JSON.parse((receiver.received[0] as Received).body) as Json
    expect(event.errcode).toBe(-1008)
    expect(event.result).toMatchObject({ suggest: 'review' })
  })

  it('records an undeliverable push for an app with no push URL', async () => {
    const token = await accessToken(OTHER)
    const openid = await visitor('dora', OTHER)
    const answer = await mediaCheck(token, {
      media_url: `${receiverUrl}/media/none.png`,
      media_type: 1,
      version: 2,
      openid,
      scene: 3,
    })
    expect(answer.errcode).toBe(0)
    const [record] = await waitForPushes(allDone(1))
    expect(record).toMatchObject({
      appid: OTHER.appid,
      mode: 'none',
      attempts: 0,
      delivered: false,
      undeliverable: 'no push URL configured',
    })
  })

  it('answers errcodes for a bad media request', async () => {
    const { token, openid } = await setUp()
    const ok = mediaBody(openid)
    const code = async (body: Json) => (await mediaCheck(token, body)).errcode
    expect(await code({ ...ok, media_type: 3 })).toBe(47001)
    expect(await code({ ...ok, media_url: 'ftp://x/y' })).toBe(47001)
    expect(await code({ ...ok, scene: 0 })).toBe(40129)
    expect(await code({ ...ok, openid: 'o-unknown' })).toBe(40003)
    expect((await post('/wxa/media_check_async', { ...ok, access_token: token })).errcode).toBe(
      47001,
    )
    await control.faults({ path: '/wxa/media_check_async', errcode: 45009, count: 1 })
    expect(await code(ok)).toBe(45009)
  })

  it('refuses bad control requests with 400', async () => {
    const refused = async (p: Promise<unknown>) => {
      const error = await p.then(
        () => null,
        (e: unknown) => e,
      )
      expect(error).toBeInstanceOf(SimControlError)
      expect((error as SimControlError).status).toBe(400)
      return (error as SimControlError).message
    }
    expect(await refused(control.setContentRules({ images: { risky: ['not-a-hash'] } }))).toContain(
      'images.risky',
    )
    expect(
      await refused(control.pushConfig({ appid: 'wx_unknown', url: receiverUrl, token: TOKEN })),
    ).toContain('appid')
    const secretKey = 'short-secret-key'
    const message = await refused(
      control.pushConfig({
        appid: SIM_DEV_APPID,
        url: receiverUrl,
        token: TOKEN,
        aesKey: secretKey,
      }),
    )
    expect(message).toContain('aesKey')
    expect(message).not.toContain(secretKey)
  })

  it('keeps the push token, the AES key and the content out of its log', async () => {
    const { token, openid } = await setUp({ aesKey: AES_KEY })
    await check(token, { version: 2, openid, scene: 1, content: 'private words 12345' })
    await mediaCheck(token, mediaBody(openid))
    await waitForPushes(allDone(1))
    for (const secret of [TOKEN, AES_KEY, 'private words 12345', token]) {
      expect(sim.output()).not.toContain(secret)
    }
  })
})
