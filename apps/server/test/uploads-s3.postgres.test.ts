import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTestPostgres, type TestPostgres } from '@wxapp/db/testing'
import {
  type RunningProcess,
  type S3Server,
  SIM_DEV_APPID,
  SIM_DEV_SECRET,
  startApiServer,
  startS3Server,
  startSimulator,
} from '@wxapp/testing'
import { createSimControl } from '@wxapp/wechat-sim/client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rawCall } from './login-fixture'

// A 1×1 PNG, and a GIF that differs from it.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
)
const GIF = Buffer.concat([Buffer.from('GIF89a'), Buffer.alloc(40, 7)])
const CDN = 'http://cdn.invalid/files'

interface ErrorAnswer {
  error: { data: { code: string; httpStatus: number; reason: string } }
}

/**
 * Two server instances on one PostgreSQL database and one S3-compatible
 * store (s3rver), each with a local upload folder of its own that must stay
 * unused: whatever one instance stored, the other serves.
 */
describe('avatar uploads in shared S3 storage, across two instances', () => {
  let s3: S3Server
  let db: TestPostgres
  let sim: RunningProcess
  let first: RunningProcess
  let second: RunningProcess
  const dirs: string[] = []
  let token: string

  const upload = (server: RunningProcess, body: Buffer) => {
    const form = new FormData()
    form.append('file', new Blob([body], { type: 'image/png' }), 'a.png')
    return fetch(`${server.url}/uploads/avatar`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: form,
    })
  }
  const me = async (server: RunningProcess) => {
    const res = await fetch(`${server.url}/trpc/user.me`, {
      headers: { authorization: `Bearer ${token}` },
    })
    return ((await res.json()) as { result: { data: { avatarUrl: string | null } } }).result.data
  }

  beforeAll(async () => {
    s3 = await startS3Server()
    db = await createTestPostgres()
    sim = await startSimulator()
    const start = async (env: Record<string, string> = {}) => {
      const dir = await mkdtemp(join(tmpdir(), 'wxapp-uploads-s3-'))
      dirs.push(dir)
      return startApiServer({
        DATABASE_URL: db.url,
        WECHAT_API_BASE: sim.url,
        WECHAT_APPID: SIM_DEV_APPID,
        WECHAT_SECRET: SIM_DEV_SECRET,
        UPLOAD_DIR: dir,
        // Each instance reads the profile from the database, so that both
        // can be asked whether it changed.
        SESSION_CACHE_TTL: '0s',
        ...s3.serverEnv,
        ...env,
      })
    }
    first = await start()
    second = await start({ UPLOAD_PUBLIC_URL: `${CDN}/` })
    const code = await createSimControl({ baseUrl: sim.url }).login({
      appid: SIM_DEV_APPID,
      user: 'sam',
    })
    const login = await rawCall(first.url, 'auth.login', { code })
    token = (login.body as { result: { data: { token: string } } }).result.data.token
  })
  afterAll(async () => {
    // Servers first, then what they depend on; each stop runs even if one fails.
    const codes = await Promise.all([first?.stop(), second?.stop()])
    await sim?.stop()
    await s3?.remove()
    await db?.drop()
    for (const dir of dirs) await rm(dir, { recursive: true, force: true })
    expect(codes).toEqual([0, 0])
  })

  it('serves from one instance, with the same bytes and type, what the other stored', async () => {
    const res = await upload(first, PNG)
    expect(res.status).toBe(201)
    const { url } = (await res.json()) as { url: string }
    expect(url).toMatch(new RegExp(`^${first.url}/uploads/avatars/[0-9a-f]{64}\\.png$`))

    const got = await fetch(`${second.url}${new URL(url).pathname}`)
    expect(got.status).toBe(200)
    expect(got.headers.get('content-type')).toBe('image/png')
    expect(got.headers.get('content-length')).toBe(String(PNG.length))
    expect(got.headers.get('cache-control')).toContain('immutable')
    expect(got.headers.get('x-content-type-options')).toBe('nosniff')
    expect(Buffer.from(await got.arrayBuffer())).toEqual(PNG)

    // Neither instance wrote to its own folder.
    for (const dir of dirs) expect(await readdir(dir)).toEqual([])
  })

  it('links to UPLOAD_PUBLIC_URL when it is set, under the key the bucket holds', async () => {
    const res = await upload(second, GIF)
    expect(res.status).toBe(201)
    const { url } = (await res.json()) as { url: string }
    expect(url).toMatch(new RegExp(`^${CDN}/avatars/[0-9a-f]{64}\\.gif$`))
    const name = url.split('/').pop()
    const got = await fetch(`${first.url}/uploads/avatars/${name}`)
    expect(got.headers.get('content-type')).toBe('image/gif')
    expect(Buffer.from(await got.arrayBuffer())).toEqual(GIF)
  })

  it('answers 404 in the error shape for an object the store does not hold', async () => {
    const res = await fetch(`${second.url}/uploads/avatars/${'b'.repeat(64)}.png`)
    expect(res.status).toBe(404)
    expect(((await res.json()) as ErrorAnswer).error.data).toMatchObject({
      httpStatus: 404,
      reason: 'NOT_FOUND',
    })
  })

  it('answers 503 UPLOAD_STORAGE_UNAVAILABLE while the store is down, and leaves the avatar as it was', async () => {
    const { url } = (await (await upload(first, PNG)).json()) as { url: string }
    const set = await rawCall(
      first.url,
      'user.updateProfile',
      { avatarUrl: url },
      { authorization: `Bearer ${token}` },
    )
    expect(set.status).toBe(200)

    await s3.stop()
    try {
      const started = Date.now()
      const refused = await upload(second, GIF)
      expect(refused.status).toBe(503)
      expect(((await refused.json()) as ErrorAnswer).error.data).toEqual({
        code: 'SERVICE_UNAVAILABLE',
        httpStatus: 503,
        reason: 'UPLOAD_STORAGE_UNAVAILABLE',
      })
      expect(Date.now() - started).toBeLessThan(15_000)

      const read = await fetch(`${second.url}${new URL(url).pathname}`)
      expect(read.status).toBe(503)
      expect(((await read.json()) as ErrorAnswer).error.data.reason).toBe(
        'UPLOAD_STORAGE_UNAVAILABLE',
      )
      // No URL came back, so nothing changed the profile: both instances agree.
      expect((await me(first)).avatarUrl).toBe(url)
      expect((await me(second)).avatarUrl).toBe(url)
      // The log names the failure, never the key pair.
      const logs = second.output()
      expect(logs).toContain('upload storage unavailable')
      expect(logs).not.toContain(s3.serverEnv.S3_SECRET_ACCESS_KEY)
    } finally {
      await s3.start()
    }
    const back = await fetch(`${second.url}${new URL(url).pathname}`)
    expect(back.status).toBe(200)
    expect(Buffer.from(await back.arrayBuffer())).toEqual(PNG)
  })
})
