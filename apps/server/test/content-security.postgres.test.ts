/**
 * WeChat's content security and message push, end to end: the built server
 * on PostgreSQL, the simulator process as WeChat (msg_sec_check,
 * media_check_async, pushes in safe and plain mode), and the database and
 * the upload folder looked at directly.
 */
import { createHash } from 'node:crypto'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Database, openDatabase } from '@wxapp/db'
import { createTestPostgres, type TestPostgres } from '@wxapp/db/testing'
import {
  type RunningProcess,
  SIM_DEV_APPID,
  SIM_DEV_SECRET,
  startApiServer,
  startSimulator,
} from '@wxapp/testing'
import { encryptPushMessage, messageSignature, pushSignature } from '@wxapp/wechat'
import { createSimControl, type SimControl } from '@wxapp/wechat-sim/client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rawCall } from './login-fixture'

const APP_B = 'wx00000000000000b2'
const SECRET_B = 'b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2'
const TOKEN_A = 'tokenSafeA1'
const AES_A = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG'
const TOKEN_B = 'tokenPlainB2'

// Distinct images (the rules name images by the SHA-256 of their bytes).
const png = (fill: number) =>
  Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    Buffer.alloc(64, fill),
  ])
const RISKY_IMAGE = png(1)
const REVIEW_IMAGE = png(2)
const PASS_IMAGE = png(3)
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex')

interface Login {
  token: string
  userId: string
  headers: Record<string, string>
}

describe('content security and message push (server and simulator processes, PostgreSQL)', () => {
  let pg: TestPostgres
  let db: Database
  let sim: RunningProcess
  let server: RunningProcess
  let control: SimControl
  let dir: string
  let users = 0

  const login = async (appid = SIM_DEV_APPID): Promise<Login> => {
    const code = await control.login({ appid, user: `cs-user-${++users}` })
    const res = await rawCall(server.url, 'auth.login', { code, appid })
    const data = (res.body as { result: { data: { token: string; user: { id: string } } } }).result
      .data
    return {
      token: data.token,
      userId: data.user.id,
      headers: { authorization: `Bearer ${data.token}`, 'x-wx-appid': appid },
    }
  }
  const updateProfile = (who: Login, input: object) =>
    rawCall(server.url, 'user.updateProfile', input, who.headers)
  const me = async (who: Login) => {
    const res = await fetch(`${server.url}/trpc/user.me`, { headers: who.headers })
    return (
      (await res.json()) as {
        result: { data: { nickname: string | null; avatarUrl: string | null } }
      }
    ).result.data
  }
  const upload = async (who: Login, bytes: Buffer) => {
    const form = new FormData()
    form.append('file', new Blob([bytes], { type: 'image/png' }), 'a.png')
    const res = await fetch(`${server.url}/uploads/avatar`, {
      method: 'POST',
      headers: who.headers,
      body: form,
    })
    return {
      status: res.status,
      body: (await res.json()) as { url?: string; error?: { data: { reason: string } } },
    }
  }
  const checksOf = (userId: string) =>
    db.prisma.contentCheck.findMany({ where: { userId }, orderBy: { createdAt: 'asc' } })
  const until = async <T>(what: string, probe: () => Promise<T | undefined>, ms = 10_000) => {
    const end = Date.now() + ms
    for (;;) {
      const value = await probe()
      if (value !== undefined) return value
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }
  const files = async () => (await readdir(join(dir, 'avatars')).catch(() => [])) as string[]

  beforeAll(async () => {
    pg = await createTestPostgres()
    dir = await mkdtemp(join(tmpdir(), 'wxapp-content-'))
    sim = await startSimulator({ SIM_APPS: `${APP_B}:${SECRET_B}` })
    control = createSimControl({ baseUrl: sim.url })
    server = await startApiServer({
      DATABASE_URL: pg.url,
      WECHAT_API_BASE: sim.url,
      WECHAT_APPID: SIM_DEV_APPID,
      WECHAT_SECRET: SIM_DEV_SECRET,
      WECHAT_APPS: `${APP_B}:${SECRET_B}`,
      WECHAT_PUSH_TOKEN: `${SIM_DEV_APPID}:${TOKEN_A},${APP_B}:${TOKEN_B}`,
      WECHAT_PUSH_AES_KEY: `${SIM_DEV_APPID}:${AES_A}`,
      CONTENT_RECHECK_INTERVAL: '200ms',
      UPLOAD_DIR: dir,
      SESSION_CACHE_TTL: '0s',
    })
    const url = `${server.url}/wechat/push`
    await control.pushConfig({
      appid: SIM_DEV_APPID,
      url,
      token: TOKEN_A,
      aesKey: AES_A,
      duplicateRate: 0,
      retryDelayMs: 200,
    })
    await control.pushConfig({
      appid: APP_B,
      url,
      token: TOKEN_B,
      aesKey: null,
      duplicateRate: 1,
      retryDelayMs: 200,
    })
    await control.setContentRules({
      text: { risky: ['赌博'], review: ['代购'] },
      images: { risky: [sha256(RISKY_IMAGE)], review: [sha256(REVIEW_IMAGE)] },
    })
    db = await openDatabase({ url: pg.url })
  })
  afterAll(async () => {
    const code = await server?.stop()
    await sim?.stop()
    await db?.close()
    await pg?.drop()
    await rm(dir, { recursive: true, force: true })
    expect(code).toBe(0)
  })

  describe('nicknames (msg_sec_check)', () => {
    it('refuses a risky nickname with CONTENT_RISKY and stores nothing', async () => {
      const who = await login()
      const res = await updateProfile(who, { nickname: '赌博大王' })
      expect(res.status).toBe(422)
      expect(res.body.error?.data).toMatchObject({
        code: 'UNPROCESSABLE_CONTENT',
        reason: 'CONTENT_RISKY',
      })
      const row = await db.prisma.user.findUniqueOrThrow({ where: { id: who.userId } })
      expect(row.nickname).toBeNull()
      expect(await checksOf(who.userId)).toEqual([])
    })

    it('stores a nickname WeChat wants reviewed, and records it for a person', async () => {
      const who = await login()
      const res = await updateProfile(who, { nickname: '代购小王' })
      expect(res.status).toBe(200)
      expect((await me(who)).nickname).toBe('代购小王')
      const [check, ...more] = await checksOf(who.userId)
      expect(more).toEqual([])
      expect(check).toMatchObject({ kind: 'nickname', content: '代购小王', status: 'review' })
      expect(check?.traceId).toMatch(/\S+/)
      expect(check?.label).toBeGreaterThan(100)
    })

    it('stores a nickname that passes, with no record', async () => {
      const who = await login()
      expect((await updateProfile(who, { nickname: '小明' })).status).toBe(200)
      expect((await me(who)).nickname).toBe('小明')
      expect(await checksOf(who.userId)).toEqual([])
    })

    it('keeps a change WeChat could not check, records it unchecked, and checks it again later', async () => {
      const who = await login()
      // Busy through every retry of the first call.
      await control.faults({ path: '/wxa/msg_sec_check', errcode: -1, count: 3 })
      const res = await updateProfile(who, { nickname: '赌博小明' })
      expect(res.status).toBe(200)
      expect((await me(who)).nickname).toBe('赌博小明')
      const [check] = await checksOf(who.userId)
      expect(check).toMatchObject({ status: 'unchecked', attempts: 1 })
      expect(check?.nextCheckAt?.getTime()).toBeGreaterThan(Date.now())
      // Its time comes (the backoff is a minute; the test does not wait it out).
      await db.prisma.contentCheck.update({
        where: { id: check?.id },
        data: { nextCheckAt: new Date(Date.now() - 1000) },
      })
      const decided = await until('the recheck', async () => {
        const [row] = await checksOf(who.userId)
        return row?.status === 'unchecked' ? undefined : row
      })
      expect(decided).toMatchObject({ status: 'risky', attempts: 2 })
      // Risky after all: the profile loses it.
      expect((await me(who)).nickname).toBeNull()
    })
  })

  describe('avatars (media_check_async, verdict pushed in safe mode)', () => {
    it('shows a new avatar at once, and removes it from storage and the profile when the pushed verdict is risky', async () => {
      const who = await login()
      const up = await upload(who, RISKY_IMAGE)
      expect(up.status).toBe(201)
      const url = up.body.url as string
      expect((await updateProfile(who, { avatarUrl: url })).status).toBe(200)
      const name = url.split('/').pop() as string
      const decided = await until('the risky verdict', async () => {
        const [row] = await checksOf(who.userId)
        return row?.status === 'risky' && row.nextCheckAt === null ? row : undefined
      })
      expect(decided).toMatchObject({ kind: 'avatar', content: url, uploadKey: `avatars/${name}` })
      expect(decided.traceId).toMatch(/\S+/)
      expect(await files()).not.toContain(name)
      expect((await fetch(url)).status).toBe(404)
      expect((await me(who)).avatarUrl).toBeNull()
      expect(await db.prisma.upload.count({ where: { userId: who.userId } })).toBe(0)
      // The push came encrypted, once.
      const pushes = (await control.pushes()).filter((p) => p.trace_id === decided.traceId)
      expect(pushes).toMatchObject([{ mode: 'safe', delivered: true, duplicated: false }])

      // The same picture again is refused before it is stored.
      const again = await upload(who, RISKY_IMAGE)
      expect(again.status).toBe(422)
      expect(again.body.error?.data.reason).toBe('CONTENT_RISKY')
      expect(await files()).not.toContain(name)
    })

    it('keeps an avatar that passes', async () => {
      const who = await login()
      const up = await upload(who, PASS_IMAGE)
      const url = up.body.url as string
      expect((await updateProfile(who, { avatarUrl: url })).status).toBe(200)
      await until('the pass verdict', async () => {
        const [row] = await checksOf(who.userId)
        return row?.status === 'pass' ? row : undefined
      })
      expect(await files()).toContain(url.split('/').pop())
      expect((await me(who)).avatarUrl).toBe(url)
    })
  })

  describe('the push endpoint', () => {
    const now = () => String(Math.floor(Date.now() / 1000))
    const push = (query: Record<string, string>, body: string) =>
      fetch(`${server.url}/wechat/push?${new URLSearchParams(query)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      })
    const signedQuery = (token: string, timestamp = now(), nonce = 'n0nce') => ({
      signature: pushSignature(token, timestamp, nonce),
      timestamp,
      nonce,
    })
    const reasonOf = async (res: Response) =>
      ((await res.json()) as { error: { data: { reason: string } } }).error.data.reason

    it("answers WeChat's URL verification with echostr, and 401 to a wrong signature", async () => {
      const ok = await fetch(
        `${server.url}/wechat/push?${new URLSearchParams({ ...signedQuery(TOKEN_B), echostr: 'hello123' })}`,
      )
      expect(ok.status).toBe(200)
      expect(await ok.text()).toBe('hello123')
      const bad = await fetch(
        `${server.url}/wechat/push?${new URLSearchParams({ ...signedQuery('notTheToken'), echostr: 'x' })}`,
      )
      expect(bad.status).toBe(401)
      expect(await reasonOf(bad)).toBe('PUSH_SIGNATURE_INVALID')
    })

    it('applies a plain-mode verdict once: the duplicates WeChat sends, and a replay, change nothing', async () => {
      const who = await login(APP_B)
      const up = await upload(who, REVIEW_IMAGE)
      expect(up.status).toBe(201)
      const check = await until('the review verdict', async () => {
        const [row] = await checksOf(who.userId)
        return row?.status === 'review' ? row : undefined
      })
      // The simulator sent this one twice in the same second.
      const records = await until('both deliveries', async () => {
        const found = (await control.pushes()).filter((p) => p.trace_id === check.traceId)
        return found.every((p) => p.done) && found.length > 0 ? found : undefined
      })
      expect(records).toMatchObject([{ mode: 'plain', delivered: true, duplicated: true }])
      const receipts = await db.prisma.wechatPushReceipt.count({ where: { appid: APP_B } })

      // A replay of the same message, correctly signed: acknowledged, nothing changes.
      const message = JSON.stringify({
        ToUserName: 'gh_0000000000b2',
        FromUserName: 'someone',
        CreateTime: Math.floor(Date.now() / 1000),
        MsgType: 'event',
        Event: 'wxa_media_check',
        appid: APP_B,
        trace_id: check.traceId,
        version: 2,
        errcode: 0,
        errmsg: 'ok',
        result: { suggest: 'risky', label: 20002 },
      })
      for (let i = 0; i < 2; i++) {
        const res = await push(signedQuery(TOKEN_B), message)
        expect(res.status).toBe(200)
        expect(await res.text()).toBe('success')
      }
      const after = await db.prisma.contentCheck.findUniqueOrThrow({ where: { id: check.id } })
      expect(after).toEqual(check)
      expect(await db.prisma.wechatPushReceipt.count({ where: { appid: APP_B } })).toBe(
        receipts + 1,
      )
      expect(await files()).toContain((up.body.url as string).split('/').pop())
    })

    it('refuses forged, stale and wrongly-moded pushes with 401', async () => {
      const body = JSON.stringify({ MsgType: 'event', Event: 'other', appid: APP_B })
      const forged = await push(signedQuery('forgedToken'), body)
      expect(forged.status).toBe(401)
      expect(await reasonOf(forged)).toBe('PUSH_SIGNATURE_INVALID')

      const old = String(Math.floor(Date.now() / 1000) - 600)
      const stale = await push(signedQuery(TOKEN_B, old), body)
      expect(stale.status).toBe(401)
      expect(await reasonOf(stale)).toBe('PUSH_TIMESTAMP_STALE')

      // App A takes safe mode only: a plain push signed with its Token is refused.
      const plainToSafe = await push(
        signedQuery(TOKEN_A),
        JSON.stringify({ MsgType: 'event', Event: 'other', appid: SIM_DEV_APPID }),
      )
      expect(plainToSafe.status).toBe(401)

      // Safe mode: the ciphertext must be signed too, and decrypt for app A.
      const timestamp = now()
      const nonce = 'abc'
      const encrypt = encryptPushMessage({
        aesKey: AES_A,
        appid: SIM_DEV_APPID,
        message: JSON.stringify({ MsgType: 'event', Event: 'other' }),
      })
      const envelope = JSON.stringify({ ToUserName: 'gh_a', Encrypt: encrypt })
      const safeQuery = {
        ...signedQuery(TOKEN_A, timestamp, nonce),
        encrypt_type: 'aes',
        msg_signature: messageSignature(TOKEN_A, timestamp, nonce, encrypt),
      }
      const good = await push(safeQuery, envelope)
      expect(good.status).toBe(200)
      expect(await good.text()).toBe('success')
      const tampered = await push(
        { ...safeQuery, msg_signature: messageSignature(TOKEN_A, timestamp, nonce, `${encrypt}x`) },
        envelope,
      )
      expect(tampered.status).toBe(401)
      const otherApp = encryptPushMessage({ aesKey: AES_A, appid: APP_B, message: '{}' })
      const wrongApp = await push(
        { ...safeQuery, msg_signature: messageSignature(TOKEN_A, timestamp, nonce, otherApp) },
        JSON.stringify({ ToUserName: 'gh_a', Encrypt: otherApp }),
      )
      expect(wrongApp.status).toBe(400)
      expect(await reasonOf(wrongApp)).toBe('PUSH_MESSAGE_INVALID')
    })
  })
})
