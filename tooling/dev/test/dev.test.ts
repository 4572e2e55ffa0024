import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import platformApps from '@wxapp/env/dev-platform-apps.json'
import { freePort, workspaceRoot } from '@wxapp/testing'
import { afterEach, describe, expect, it } from 'vitest'

/**
 * `pnpm dev` as a developer runs it: the real orchestrator with every part
 * (simulator, API server, weapp watch build, H5 preview) on free ports, an
 * in-memory database and a throwaway data folder.
 */
interface Dev {
  child: ChildProcess
  output(): string
  ports: { server: number; sim: number; h5: number }
}

const running: Dev[] = []
const dirs: string[] = []

async function startDev(ports?: Partial<Dev['ports']>): Promise<Dev> {
  const dataDir = await mkdtemp(join(tmpdir(), 'wxapp-dev-'))
  dirs.push(dataDir)
  const all = {
    server: ports?.server ?? (await freePort()),
    sim: ports?.sim ?? (await freePort()),
    h5: ports?.h5 ?? (await freePort()),
  }
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(all.server),
    SIM_PORT: String(all.sim),
    H5_PORT: String(all.h5),
    DATABASE_URL: 'pglite:memory:',
    DATA_DIR: dataDir,
    NO_COLOR: '1',
  }
  // No real credentials: the simulator runs.
  delete env.WECHAT_APPID
  delete env.WECHAT_SECRET
  const child = spawn(process.execPath, [join(workspaceRoot, 'tooling/dev/dev.mjs')], {
    cwd: workspaceRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let text = ''
  child.stdout?.setEncoding('utf8').on('data', (c: string) => {
    text += c
  })
  child.stderr?.setEncoding('utf8').on('data', (c: string) => {
    text += c
  })
  const dev = { child, output: () => text, ports: all }
  running.push(dev)
  return dev
}

async function interrupt(dev: Dev): Promise<number | null> {
  if (dev.child.exitCode !== null) return dev.child.exitCode
  const closed = once(dev.child, 'close')
  dev.child.kill('SIGINT')
  const [code] = (await closed) as [number | null]
  return code
}

async function status(url: string): Promise<number> {
  return fetch(url).then(
    (r) => r.status,
    () => 0,
  )
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

afterEach(async () => {
  for (const dev of running.splice(0)) {
    await interrupt(dev)
  }
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true })
})

describe('pnpm dev', () => {
  it('starts every part, prints where each runs, logs a simulated user in, and Ctrl-C stops them all', async () => {
    const dev = await startDev()
    const server = `http://127.0.0.1:${dev.ports.server}`
    const sim = `http://127.0.0.1:${dev.ports.sim}`
    const h5 = `http://127.0.0.1:${dev.ports.h5}`

    await expect
      .poll(() => status(`${server}/readyz`), { timeout: 120_000, interval: 500 })
      .toBe(200)
    expect(dev.output()).toContain(`API server   ${server}`)
    expect(dev.output()).toContain(`WeChat       simulator at ${sim}`)
    expect(dev.output()).toContain(`H5 preview   ${h5}`)
    expect(dev.output()).toContain('weapp build')

    // A simulated user logs in end to end: simulator code -> API server -> simulator.
    const { code } = (await (
      await fetch(`${sim}/sim/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ appid: 'wx_sim_dev_app', user: 'dev-test' }),
      })
    ).json()) as { code: string }
    const login = await fetch(`${server}/trpc/auth.login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code }),
    })
    expect(login.status).toBe(200)
    // Every platform is configured against the simulator, Alipay with its
    // per-run keys: a user of each development app logs in.
    expect(dev.output()).toContain('Platforms    QQ, Douyin and Alipay simulated too')
    for (const platform of ['qq', 'tt', 'alipay'] as const) {
      const app = platformApps[platform]
      const minted = await fetch(`${sim}/sim/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ appid: app.appid, user: 'dev-test' }),
      })
      const other = await fetch(`${server}/trpc/auth.login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          code: ((await minted.json()) as { code: string }).code,
          appid: app.appid,
        }),
      })
      expect(other.status, platform).toBe(200)
      const body = (await other.json()) as { result: { data: { user: { platform: string } } } }
      expect(body.result.data.user.platform).toBe(platform)
    }
    // Content checks are wired: an uploaded avatar's verdict is pushed to the
    // server in safe mode and accepted.
    const { token } = ((await login.json()) as { result: { data: { token: string } } }).result.data
    const form = new FormData()
    const png = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(32, 9)])
    form.append('file', new Blob([png], { type: 'image/png' }), 'a.png')
    const upload = await fetch(`${server}/uploads/avatar`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: form,
    })
    expect(upload.status).toBe(201)
    await expect
      .poll(
        async () => {
          const { pushes } = (await (await fetch(`${sim}/sim/pushes`)).json()) as {
            pushes: { mode: string; delivered: boolean }[]
          }
          return pushes.map((p) => `${p.mode}:${p.delivered}`)
        },
        { timeout: 10_000, interval: 200 },
      )
      .toEqual(['safe:true'])
    // The server lets the H5 preview's origin call it.
    const preflight = await fetch(`${server}/trpc/user.me`, {
      method: 'OPTIONS',
      headers: { origin: h5, 'access-control-request-method': 'GET' },
    })
    expect(preflight.headers.get('access-control-allow-origin')).toBe(h5)

    await expect.poll(() => status(h5), { timeout: 180_000, interval: 1000 }).toBe(200)
    await expect
      .poll(() => /Watching|编译成功|Compiled/.test(dev.output()), { timeout: 120_000 })
      .toBe(true)

    expect(await interrupt(dev)).toBe(0)
    expect(dev.output()).toContain('stopped')
    for (const port of Object.values(dev.ports)) expect(await accepts(port)).toBe(false)
  })

  it('shows a part that crashes, keeps the others running, and still stops cleanly', async () => {
    // The simulator cannot listen: its port is taken.
    const blocker = createServer()
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r))
    const address = blocker.address()
    const simPort = typeof address === 'object' && address ? address.port : 0
    try {
      const dev = await startDev({ sim: simPort })
      await expect
        .poll(() => dev.output().includes('✖ sim crashed'), { timeout: 120_000, interval: 500 })
        .toBe(true)
      await expect
        .poll(() => status(`http://127.0.0.1:${dev.ports.server}/healthz`), {
          timeout: 120_000,
          interval: 500,
        })
        .toBe(200)
      expect(await interrupt(dev)).toBe(0)
      expect(await accepts(dev.ports.server)).toBe(false)
    } finally {
      blocker.close()
    }
  })
})
