/**
 * Content security and message push: this package's client and push
 * functions against the real simulator process (packages/wechat-sim/dist),
 * which encrypts with @wecom/crypto, so the two sides share no code. A tiny
 * receiver on 127.0.0.1 plays the app's server: it serves the media and
 * checks each push the way the API server will.
 */
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type RunningProcess, SIM_DEV_APPID, SIM_DEV_SECRET, startSimulator } from '@wxapp/testing'
import { createSimControl, type SimControl } from '@wxapp/wechat-sim/client'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  createWechatClient,
  decryptPushMessage,
  PushEnvelope,
  type PushMessage,
  parsePushMessage,
  verifyMessageSignature,
  verifyPushSignature,
  type WechatApiError,
} from '../src/index'

const PUSH_TOKEN = 'receiver-token-42'
const AES_KEY = 'Zk3vQ8pL2mN7xR4tY6wB1cD9eF0gH5jK3lM8nP2qS7u'

interface Checked {
  mode: 'plain' | 'safe'
  signatureOk: boolean
  msgSignatureOk?: boolean
  message: PushMessage
}

let sim: RunningProcess
let control: SimControl
let server: Server
let receiverUrl: string
const media = new Map<string, Buffer>()
const checked: Checked[] = []
/** What the receiver does not accept, so that a test sees it. */
const problems: string[] = []

function receive(query: URLSearchParams, body: string): Checked {
  const timestamp = query.get('timestamp') ?? ''
  const nonce = query.get('nonce') ?? ''
  const signatureOk = verifyPushSignature({
    token: PUSH_TOKEN,
    timestamp,
    nonce,
    signature: query.get('signature') ?? '',
  })
  if (query.get('encrypt_type') !== 'aes') {
    return { mode: 'plain', signatureOk, message: parsePushMessage(JSON.parse(body)) }
  }
  const envelope = PushEnvelope.parse(JSON.parse(body))
  const msgSignatureOk = verifyMessageSignature({
    token: PUSH_TOKEN,
    timestamp,
    nonce,
    encrypt: envelope.Encrypt,
    msgSignature: query.get('msg_signature') ?? '',
  })
  const { message } = decryptPushMessage({
    aesKey: AES_KEY,
    encrypt: envelope.Encrypt,
    appid: SIM_DEV_APPID,
  })
  return {
    mode: 'safe',
    signatureOk,
    msgSignatureOk,
    message: parsePushMessage(JSON.parse(message)),
  }
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://receiver.invalid')
    if (req.method === 'GET') {
      const bytes = media.get(url.pathname)
      return bytes ? res.writeHead(200).end(bytes) : res.writeHead(404).end()
    }
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      try {
        const push = receive(url.searchParams, Buffer.concat(chunks).toString('utf8'))
        if (!push.signatureOk || push.msgSignatureOk === false) throw new Error('bad signature')
        checked.push(push)
        res.writeHead(200).end('success')
      } catch (error) {
        problems.push(String(error))
        res.writeHead(400).end()
      }
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  receiverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  sim = await startSimulator({ SIM_MEDIA_CHECK_DELAY: '0ms' })
  control = createSimControl({ baseUrl: sim.url })
})
afterAll(async () => {
  await sim?.stop()
  server?.closeAllConnections()
  await new Promise((r) => server?.close(r))
})
beforeEach(async () => {
  await control.reset()
  checked.length = 0
  problems.length = 0
  media.clear()
})

const wechat = () =>
  createWechatClient({
    appid: SIM_DEV_APPID,
    secret: SIM_DEV_SECRET,
    baseUrl: sim.url,
    backoffMs: 10,
  })
const visitor = async (user: string) =>
  (await wechat().code2Session(await control.login({ appid: SIM_DEV_APPID, user }))).openid
const token = async () => (await wechat().getStableAccessToken()).accessToken
const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a failure')
    },
    (e: unknown) => e as WechatApiError,
  )
async function waitForPushes(n: number): Promise<Checked[]> {
  const started = Date.now()
  while (checked.length < n || (await control.pushes()).some((p) => !p.done)) {
    if (Date.now() - started > 10_000) throw new Error(`pushes: ${problems.join('; ')}`)
    await new Promise((r) => setTimeout(r, 25))
  }
  return checked
}

describe('msgSecCheck against the simulator', () => {
  it('gets the verdict of the rules', async () => {
    await control.setContentRules({ text: { risky: ['forbidden'], review: ['dubious'] } })
    const client = wechat()
    const accessToken = await token()
    const openid = await visitor('alice')
    const verdict = (content: string) =>
      client.msgSecCheck(accessToken, { openid, scene: 2, content })
    expect(await verdict('hello')).toMatchObject({ suggest: 'pass', label: 100 })
    expect(await verdict('a dubious remark')).toMatchObject({ suggest: 'review' })
    expect((await verdict('forbidden dubious')).suggest).toBe('risky')
    expect((await verdict('hello')).traceId).toMatch(/^[0-9a-f-]{26}$/)
  })

  it('maps 40003, 61010, 45011 and a busy -1 retried', async () => {
    const client = wechat()
    const accessToken = await token()
    const openid = await visitor('alice')
    const input = { openid, scene: 1 as const, content: 'hi' }
    expect(
      await failure(client.msgSecCheck(accessToken, { ...input, openid: 'o-stranger' })),
    ).toMatchObject({ kind: 'OPENID_MISMATCH', errcode: 40003 })

    await control.faults({ path: '/wxa/msg_sec_check', errcode: -1, count: 1 })
    expect((await client.msgSecCheck(accessToken, input)).suggest).toBe('pass')
    expect((await control.stats())[SIM_DEV_APPID]?.msg_sec_check).toBe(3)

    await control.faults({ path: '/wxa/msg_sec_check', errcode: 45011, count: 1 })
    expect(await failure(client.msgSecCheck(accessToken, input))).toMatchObject({
      kind: 'RATE_LIMITED',
    })

    await control.advanceClock(2 * 3_600_000)
    expect(await failure(client.msgSecCheck(await token(), input))).toMatchObject({
      kind: 'USER_INACTIVE',
      errcode: 61010,
    })
  })
})

describe('mediaCheckAsync and the push against the simulator', () => {
  const png = Buffer.from('image bytes for the content check')
  const sha256 = createHash('sha256').update(png).digest('hex')

  it.each([
    ['plain', null],
    ['safe', AES_KEY],
  ] as const)('verifies and parses the %s-mode push of the verdict', async (mode, aesKey) => {
    await control.pushConfig({
      appid: SIM_DEV_APPID,
      url: `${receiverUrl}/push`,
      token: PUSH_TOKEN,
      aesKey,
      duplicateRate: 0,
      retryDelayMs: 50,
    })
    await control.setContentRules({ images: { risky: [sha256] } })
    media.set('/a.png', png)
    const openid = await visitor('alice')
    const { traceId } = await wechat().mediaCheckAsync(await token(), {
      openid,
      scene: 1,
      mediaUrl: `${receiverUrl}/a.png`,
      mediaType: 'image',
    })
    const [push] = await waitForPushes(1)
    expect(problems).toEqual([])
    expect(push).toMatchObject({ mode, signatureOk: true })
    if (mode === 'safe') expect(push?.msgSignatureOk).toBe(true)
    expect(push?.message).toMatchObject({
      kind: 'media_check',
      appid: SIM_DEV_APPID,
      traceId,
      suggest: 'risky',
      label: 20001,
      errcode: 0,
    })
    expect((await control.pushes())[0]).toMatchObject({ delivered: true, attempts: 1 })
  })

  it.each([
    ['token', 'another-token', AES_KEY, 'bad signature'],
    ['EncodingAESKey', PUSH_TOKEN, 'A'.repeat(43), 'WechatPushError'],
  ])(
    'a push signed or encrypted for another %s is refused, and retried',
    async (_, pushToken, aesKey, why) => {
      await control.pushConfig({
        appid: SIM_DEV_APPID,
        url: `${receiverUrl}/push`,
        token: pushToken,
        aesKey,
        duplicateRate: 0,
        retryDelayMs: 10,
      })
      media.set('/a.png', png)
      await wechat().mediaCheckAsync(await token(), {
        openid: await visitor('alice'),
        scene: 1,
        mediaUrl: `${receiverUrl}/a.png`,
        mediaType: 'image',
      })
      const started = Date.now()
      while (!(await control.pushes()).every((p) => p.done) || problems.length < 4) {
        if (Date.now() - started > 10_000) throw new Error('no refusals')
        await new Promise((r) => setTimeout(r, 25))
      }
      expect(problems).toHaveLength(4)
      expect(problems.every((p) => p.includes(why))).toBe(true)
      expect((await control.pushes())[0]).toMatchObject({ delivered: false, attempts: 4 })
    },
  )
})
