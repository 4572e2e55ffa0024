import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { dirname, join } from 'node:path'

export interface LogLine {
  level: number
  msg: string
  [key: string]: unknown
}

export interface RunningProcess {
  /** The base URL it listens on (http://127.0.0.1:<port>). */
  url: string
  child: ChildProcess
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string
  /** Its JSON log lines so far. */
  logs(): LogLine[]
  /** Sends `signal` (SIGTERM by default), waits for exit, SIGKILLs after 15 s; returns the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

/** The workspace root: the nearest ancestor of this file holding pnpm-workspace.yaml. */
export const workspaceRoot = (() => {
  let dir = import.meta.dirname
  while (!existsSync(join(dir, 'pnpm-workspace.yaml'))) {
    const parent = dirname(dir)
    if (parent === dir) throw new Error('not inside the workspace')
    dir = parent
  }
  return dir
})()

const running = new Set<ChildProcess>()
// Last resort when a test runner exits between start and stop.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL')
})

function spawnNode(entry: string, env: Record<string, string>, args: string[] = []) {
  if (!existsSync(entry)) throw new Error(`${entry} is missing: build it first (pnpm build)`)
  const child = spawn(process.execPath, [entry, ...args], {
    cwd: dirname(entry),
    // Only what the test passes, plus PATH: the parent's environment (say a
    // developer's DATABASE_URL) must not leak into the process under test.
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  running.add(child)
  child.once('exit', () => running.delete(child))
  let text = ''
  const append = (chunk: string) => {
    text += chunk
  }
  child.stdout?.setEncoding('utf8').on('data', append)
  child.stderr?.setEncoding('utf8').on('data', append)
  return { child, output: () => text }
}

export function parseLogLines(text: string): LogLine[] {
  const lines: LogLine[] = []
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue
    try {
      lines.push(JSON.parse(line) as LogLine)
    } catch {
      // a line still being written
    }
  }
  return lines
}

const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null

/** A port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const address = server.address()
  await new Promise((resolve) => server.close(resolve))
  if (typeof address !== 'object' || !address) throw new Error('no port')
  return address.port
}

/**
 * Starts a Node entry point on a free loopback port, or `port` (passed as
 * PORT, with HOST=127.0.0.1), and waits until GET `readyPath` answers 2xx.
 */
export async function startNodeProcess(opts: {
  entry: string
  env: Record<string, string>
  readyPath: string
  timeoutMs?: number
  /** Listen on this port instead of a free one (a restart on the address clients know). */
  port?: number
}): Promise<RunningProcess> {
  const port = opts.port ?? (await freePort())
  const url = `http://127.0.0.1:${port}`
  const { child, output } = spawnNode(opts.entry, {
    HOST: '127.0.0.1',
    ...opts.env,
    PORT: String(port),
  })
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000)
  for (;;) {
    if (exited(child)) {
      throw new Error(
        `${opts.entry} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${output()}`,
      )
    }
    const ok = await fetch(`${url}${opts.readyPath}`).then(
      (r) => r.ok,
      () => false,
    )
    if (ok) break
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`${opts.entry} was not ready in time:\n${output()}`)
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  const stop = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> => {
    if (exited(child)) return child.exitCode
    // 'close' rather than 'exit': it waits for the output pipes to drain.
    const closed = once(child, 'close')
    child.kill(signal)
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
    const [code] = (await closed) as [number | null]
    clearTimeout(timer)
    return code
  }
  return { url, child, output, logs: () => parseLogLines(output()), stop }
}

/** Runs a Node entry point expecting it to stop by itself; returns its exit code and output. */
export async function runNodeToExit(opts: {
  entry: string
  env: Record<string, string>
  /** Command-line arguments after the entry (`migrate`). */
  args?: string[]
  timeoutMs?: number
}): Promise<{ code: number | null; output: string }> {
  const { child, output } = spawnNode(opts.entry, opts.env, opts.args)
  const closed = once(child, 'close')
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000)
  const [code] = (await closed) as [number | null]
  clearTimeout(timer)
  return { code, output: output() }
}
