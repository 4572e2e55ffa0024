// The system under benchmark: the built WeChat simulator and the built API
// server (production bundles, separate processes), and a way to get a real
// session token through the simulator, as the app does.
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import {
  freePort,
  type RunningProcess,
  SIM_DEV_APPID,
  SIM_DEV_SECRET,
  serverEntry,
  startSimulator,
  TEST_DATA_KEY,
} from '@wxapp/testing'
import { createSimControl, type SimControl } from '@wxapp/wechat-sim/client'

export interface BenchServer {
  url: string
  child: ChildProcess
  /** The server's log so far (stdout and stderr). */
  log(): string
  /** SIGTERM, then waits for the exit; returns the exit code. */
  stop(): Promise<number | null>
}

/**
 * The built API server with its output going to a file, as in production
 * (stdout to a file or a log shipper): @wxapp/testing's startApiServer keeps
 * every log line in the parent's memory, which at tens of thousands of
 * requests a second would load the benchmark's own process (autocannon's)
 * and skew what it measures.
 */
export async function startBenchServer(opts: {
  env: Record<string, string>
  nodeOptions?: string
  /**
   * Another build of the server (a baseline to compare with): its dist/main.js,
   * in a checkout with its own node_modules. Default: this checkout's.
   */
  entry?: string
}): Promise<BenchServer> {
  const entry = opts.entry ?? serverEntry
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run pnpm build first`)
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const dir = mkdtempSync(join(tmpdir(), 'wxapp-bench-'))
  const logFile = join(dir, 'server.log')
  const fd = openSync(logFile, 'w')
  const child = spawn(process.execPath, [entry], {
    cwd: dirname(entry),
    env: {
      PATH: process.env.PATH ?? '',
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'info',
      DATA_ENCRYPTION_KEY: TEST_DATA_KEY,
      ...(opts.nodeOptions ? { NODE_OPTIONS: opts.nodeOptions } : {}),
      ...opts.env,
    },
    stdio: ['ignore', fd, fd],
  })
  closeSync(fd)
  const log = () => readFileSync(logFile, 'utf8')
  const exited = () => child.exitCode !== null || child.signalCode !== null
  const killOnExit = () => child.kill('SIGKILL')
  process.once('exit', killOnExit)
  const stop = async () => {
    process.off('exit', killOnExit)
    if (!exited()) {
      const closed = once(child, 'close')
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
      await closed
      clearTimeout(timer)
    }
    rmSync(dir, { recursive: true, force: true })
    return child.exitCode
  }
  const deadline = Date.now() + 60_000
  for (;;) {
    if (exited()) {
      const text = log()
      await stop()
      throw new Error(`the server exited before it was ready:\n${text}`)
    }
    if (
      await fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break
    if (Date.now() > deadline) {
      const text = log()
      await stop()
      throw new Error(`the server was not ready in time:\n${text}`)
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  return { url, child, log, stop }
}

export interface Stack {
  sim: RunningProcess
  server: BenchServer
  control: SimControl
  stop(): Promise<void>
}

/**
 * The simulator and one API server on `databaseUrl`, logging in to the
 * simulator's development app with no login rate limits. Request logs stay on
 * (LOG_LEVEL=info, the production default) unless `env` says otherwise: their
 * cost is part of what a request costs. `nodeOptions` goes to the server
 * (NODE_OPTIONS).
 */
export async function startStack(opts: {
  databaseUrl: string
  env?: Record<string, string>
  nodeOptions?: string
  entry?: string
  /** A simulator already running (not stopped with the stack). */
  sim?: RunningProcess
}): Promise<Stack> {
  const sim = opts.sim ?? (await startSimulator({ LOG_LEVEL: 'warn' }))
  const ownSim = !opts.sim
  let server: BenchServer
  try {
    server = await startBenchServer({
      env: {
        DATABASE_URL: opts.databaseUrl,
        WECHAT_API_BASE: sim.url,
        WECHAT_APPID: SIM_DEV_APPID,
        WECHAT_SECRET: SIM_DEV_SECRET,
        LOGIN_RATE_LIMIT: '0',
        LOGIN_RATE_LIMIT_PER_USER: '0',
        ...opts.env,
      },
      ...(opts.nodeOptions ? { nodeOptions: opts.nodeOptions } : {}),
      ...(opts.entry ? { entry: opts.entry } : {}),
    })
  } catch (error) {
    if (ownSim) await sim.stop()
    throw error
  }
  return {
    sim,
    server,
    control: createSimControl({ baseUrl: sim.url }),
    async stop() {
      await Promise.all([server.stop(), ownSim ? sim.stop() : undefined])
    },
  }
}

/** Logs simulated user `user` in with a fresh wx.login code; returns the session token. */
export async function loginToken(stack: Stack, user: string): Promise<string> {
  const code = await stack.control.login({ appid: SIM_DEV_APPID, user })
  const res = await fetch(`${stack.server.url}/trpc/auth.login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code }),
  })
  const body = (await res.json()) as { result?: { data?: { token?: string } } }
  const token = body.result?.data?.token
  if (!res.ok || !token) throw new Error(`auth.login failed: ${res.status} ${JSON.stringify(body)}`)
  return token
}

/**
 * The URL the app's typed client (httpBatchLink) requests for `user.me`:
 * a batch of one GET with no input.
 */
export const USER_ME_BATCH_PATH = `/trpc/user.me?batch=1&input=${encodeURIComponent('{}')}`
