import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Database, openDatabase } from '@wxapp/db'
import { createTestPostgres, type TestPostgres } from '@wxapp/db/testing'
import { createLocalStore, createS3Store, type ObjectStore } from '@wxapp/storage'
import {
  type RunningProcess,
  type S3Server,
  SIM_DEV_APPID,
  SIM_DEV_SECRET,
  startApiServer,
  startS3Server,
  startSimulator,
} from '@wxapp/testing'
import { createSimControl, type SimControl } from '@wxapp/wechat-sim/client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rawCall } from './login-fixture'

// A 1×1 PNG.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
)

type Data<T> = { result: { data: T } }

/**
 * user.deleteAccount end to end: the built server and the simulator as
 * processes, PostgreSQL, and each kind of upload store (a local folder, and
 * S3 through s3rver). What is left is checked where it would be: rows with
 * SQL on the database, files in the store itself.
 */
describe.each(['local', 's3'] as const)('account deletion with %s storage', (storage) => {
  let db: TestPostgres
  let sql: Database
  let sim: RunningProcess
  let s3: S3Server | undefined
  let server: RunningProcess
  let control: SimControl
  let store: ObjectStore
  let uploadDir: string

  beforeAll(async () => {
    uploadDir = await mkdtemp(join(tmpdir(), 'wxapp-account-deletion-'))
    db = await createTestPostgres()
    sim = await startSimulator()
    control = createSimControl({ baseUrl: sim.url })
    if (storage === 's3') s3 = await startS3Server()
    server = await startApiServer({
      DATABASE_URL: db.url,
      WECHAT_API_BASE: sim.url,
      WECHAT_APPID: SIM_DEV_APPID,
      WECHAT_SECRET: SIM_DEV_SECRET,
      UPLOAD_DIR: uploadDir,
      // So that the user has a rate-limit row for deletion to remove.
      LOGIN_RATE_LIMIT_PER_USER: '100',
      ...(s3?.serverEnv ?? {}),
    })
    sql = await openDatabase({ url: db.url, poolSize: 2 })
    store = s3
      ? createS3Store({
          endpoint: s3.endpoint,
          region: s3.region,
          bucket: s3.bucket,
          credentials: s3.credentials,
          forcePathStyle: true,
        })
      : createLocalStore({ dir: uploadDir })
  })
  afterAll(async () => {
    // The server first, then what it depends on; each runs even if one fails.
    const code = await server?.stop()
    await sim?.stop()
    await s3?.remove()
    await sql?.close()
    await db?.drop()
    await rm(uploadDir, { recursive: true, force: true })
    expect(code).toBe(0)
  })

  const login = async (user: string) => {
    const code = await control.login({ appid: SIM_DEV_APPID, user })
    const res = await rawCall(server.url, 'auth.login', { code })
    expect(res.status).toBe(200)
    return (res.body as unknown as Data<{ token: string; user: { id: string } }>).result.data
  }
  const call = (path: string, token: string, input?: unknown) =>
    rawCall(server.url, path, input, { authorization: `Bearer ${token}` })
  const me = async (token: string) => {
    const res = await fetch(`${server.url}/trpc/user.me`, {
      headers: { authorization: `Bearer ${token}` },
    })
    return { status: res.status, body: (await res.json()) as Record<string, unknown> }
  }
  const count = async (query: string, ...values: unknown[]) => {
    const rows = await sql.prisma.$queryRawUnsafe<{ n: number }[]>(query, ...values)
    return rows[0]?.n
  }
  const rowsOf = async (userId: string, openid: string) => ({
    users: await count('SELECT count(*)::int AS n FROM users WHERE id = $1::uuid', userId),
    ...Object.fromEntries(
      await Promise.all(
        ['sessions', 'wechat_session_keys', 'uploads', 'content_checks'].map(async (table) => [
          table,
          await count(`SELECT count(*)::int AS n FROM ${table} WHERE user_id = $1::uuid`, userId),
        ]),
      ),
    ),
    rate_limit_logs: await count(
      'SELECT count(*)::int AS n FROM rate_limit_logs WHERE key LIKE $1',
      `%:${openid}`,
    ),
  })
  const inStore = async (key: string) => {
    const object = await store.get(key)
    object?.body.destroy()
    return object !== null
  }

  it('removes every row and file of the user; the old token gets 401; a new login is a new user', async () => {
    const user = `gone-${storage}`
    const { token, user: created } = await login(user)
    const userId = created.id

    const form = new FormData()
    form.append('file', new Blob([PNG], { type: 'image/png' }), 'a.png')
    const uploaded = await fetch(`${server.url}/uploads/avatar`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: form,
    })
    expect(uploaded.status).toBe(201)
    const { url } = (await uploaded.json()) as { url: string }
    const key = `avatars/${url.split('/').pop()}`

    const phoneNumber = '13987654321'
    const phoneCode = await control.phoneCode({ appid: SIM_DEV_APPID, user, phoneNumber })
    expect((await call('user.bindPhone', token, { code: phoneCode })).status).toBe(200)
    const profile = await call('user.updateProfile', token, { nickname: '要走了', avatarUrl: url })
    expect(profile.status).toBe(200)

    const { openid } = await sql.prisma.user.findUniqueOrThrow({ where: { id: userId } })
    expect(await rowsOf(userId, openid)).toEqual({
      users: 1,
      sessions: 1,
      wechat_session_keys: 1,
      uploads: 1,
      // What updateProfile's content security recorded (the avatar's check).
      content_checks: 1,
      rate_limit_logs: 1,
    })
    expect(await inStore(key)).toBe(true)
    expect((await fetch(url.replace(/^.*\/uploads\//, `${server.url}/uploads/`))).status).toBe(200)

    const deleted = await call('user.deleteAccount', token)
    expect(deleted).toEqual({ status: 200, body: { result: { data: { deleted: true } } } })

    expect(await rowsOf(userId, openid)).toEqual({
      users: 0,
      sessions: 0,
      wechat_session_keys: 0,
      uploads: 0,
      content_checks: 0,
      rate_limit_logs: 0,
    })
    expect(
      await count('SELECT count(*)::int AS n FROM users WHERE phone_number = $1', phoneNumber),
    ).toBe(0)
    expect(await inStore(key)).toBe(false)
    expect((await fetch(`${server.url}/uploads/${key}`)).status).toBe(404)

    const refused = await me(token)
    expect(refused.status).toBe(401)
    expect(refused.body).toMatchObject({ error: { data: { reason: 'TOKEN_INVALID' } } })
    const form2 = new FormData()
    form2.append('file', new Blob([PNG], { type: 'image/png' }), 'a.png')
    const uploadRefused = await fetch(`${server.url}/uploads/avatar`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: form2,
    })
    expect(uploadRefused.status).toBe(401)

    const again = await login(user)
    expect(again.user.id).not.toBe(userId)
    const fresh = await me(again.token)
    expect(fresh.body).toEqual({
      result: {
        data: {
          id: again.user.id,
          platform: 'weapp',
          nickname: null,
          avatarUrl: null,
          phoneNumber: null,
          createdAt: expect.any(String),
        },
      },
    })
    const output = server.output()
    expect(output).toContain('account deleted')
    expect(output).not.toContain(token)
    expect(output).not.toContain(phoneNumber)
  })
})
