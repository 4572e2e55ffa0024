import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  type RunningProcess,
  SIM_DEV_APPID,
  SIM_DEV_SECRET,
  startApiServer,
  startSimulator,
} from '@wxapp/testing'
import { createSimControl } from '@wxapp/wechat-sim/client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rawCall } from './login-fixture'

// A 1×1 PNG, and the start of the other accepted formats.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
)
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(60, 1)])
const WEBP = Buffer.concat([
  Buffer.from('RIFF'),
  Buffer.alloc(4),
  Buffer.from('WEBPVP8 '),
  Buffer.alloc(40),
])

describe('avatar uploads', () => {
  let sim: RunningProcess
  let server: RunningProcess
  let dir: string
  let token: string

  const upload = (
    body: Buffer,
    opts: { auth?: string | null; filename?: string; type?: string } = {},
  ) => {
    const form = new FormData()
    form.append(
      'file',
      new Blob([body], { type: opts.type ?? 'image/png' }),
      opts.filename ?? 'a.png',
    )
    const auth = opts.auth === undefined ? `Bearer ${token}` : opts.auth
    return fetch(`${server.url}/uploads/avatar`, {
      method: 'POST',
      headers: auth ? { authorization: auth } : {},
      body: form,
    })
  }
  const reasonOf = async (res: Response) =>
    ((await res.json()) as { error: { data: { reason: string } } }).error.data.reason

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wxapp-uploads-'))
    sim = await startSimulator()
    server = await startApiServer({
      DATABASE_URL: 'pglite:memory:',
      WECHAT_API_BASE: sim.url,
      WECHAT_APPID: SIM_DEV_APPID,
      WECHAT_SECRET: SIM_DEV_SECRET,
      UPLOAD_DIR: dir,
      UPLOAD_MAX_BYTES: '4096',
    })
    const code = await createSimControl({ baseUrl: sim.url }).login({
      appid: SIM_DEV_APPID,
      user: 'pat',
    })
    const login = await rawCall(server.url, 'auth.login', { code })
    token = (login.body as { result: { data: { token: string } } }).result.data.token
  })
  afterAll(async () => {
    // Servers before the simulator: a stopping simulator could hold up a
    // server call in flight past its shutdown timeout.
    const codes = [await server?.stop(), await sim?.stop()]
    await rm(dir, { recursive: true, force: true })
    expect(codes).toEqual([0, 0])
  })

  it('stores an image under the hash of its bytes and serves it back, cacheable', async () => {
    const res = await upload(PNG)
    expect(res.status).toBe(201)
    const { url } = (await res.json()) as { url: string }
    expect(url).toMatch(new RegExp(`^${server.url}/uploads/avatars/[0-9a-f]{64}\\.png$`))
    const again = (await (await upload(PNG)).json()) as { url: string }
    expect(again.url).toBe(url)

    const got = await fetch(url)
    expect(got.status).toBe(200)
    expect(got.headers.get('content-type')).toBe('image/png')
    expect(got.headers.get('cache-control')).toContain('immutable')
    expect(got.headers.get('x-content-type-options')).toBe('nosniff')
    expect(Buffer.from(await got.arrayBuffer())).toEqual(PNG)
    expect(await readdir(join(dir, 'avatars'))).toEqual([url.split('/').pop()])
  })

  it('recognises the type by content, whatever the client claims', async () => {
    const jpeg = (await (
      await upload(JPEG, { filename: 'photo.png', type: 'image/png' })
    ).json()) as {
      url: string
    }
    expect(jpeg.url).toMatch(/\.jpg$/)
    expect((await fetch(jpeg.url)).headers.get('content-type')).toBe('image/jpeg')
    expect(((await (await upload(WEBP)).json()) as { url: string }).url).toMatch(/\.webp$/)

    const script = await upload(Buffer.from('<svg onload="alert(1)"></svg>'), {
      type: 'image/svg+xml',
    })
    expect(script.status).toBe(415)
    expect(await reasonOf(script)).toBe('UPLOAD_UNSUPPORTED_TYPE')
  })

  it('refuses files over the limit, requests without a file, and missing or bad sessions', async () => {
    const big = await upload(Buffer.concat([PNG, Buffer.alloc(5000)]))
    expect(big.status).toBe(413)
    expect(await reasonOf(big)).toBe('UPLOAD_TOO_LARGE')

    const notMultipart = await fetch(`${server.url}/uploads/avatar`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{}',
    })
    expect(notMultipart.status).toBe(400)
    expect(await reasonOf(notMultipart)).toBe('UPLOAD_MISSING')

    const anonymous = await upload(PNG, { auth: null })
    expect(anonymous.status).toBe(401)
    expect(await reasonOf(anonymous)).toBe('AUTH_REQUIRED')
    const forged = await upload(PNG, { auth: `Bearer ${token.slice(0, -2)}xx` })
    expect(forged.status).toBe(401)
    expect(await reasonOf(forged)).toBe('TOKEN_INVALID')
  })

  it('serves nothing but stored names', async () => {
    for (const name of [
      '..%2f..%2fetc%2fpasswd',
      'x.png',
      `${'A'.repeat(64)}.png`,
      `${'a'.repeat(64)}.svg`,
    ]) {
      expect((await fetch(`${server.url}/uploads/avatars/${name}`)).status, name).toBe(404)
    }
  })
})
