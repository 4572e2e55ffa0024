import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './processes'

export interface BalancerBackend {
  /** The server's name in HAProxy (and in the x-served-by header of each answer). */
  name: string
  port: number
}

export interface Balancer {
  url: string
  /** Each backend's state as HAProxy sees it (UP, DOWN, …), from its stats page. */
  states(): Promise<Record<string, string>>
  stop(): Promise<void>
}

/** Where Debian's haproxy is; .ci/run installs it (apt-get install haproxy). */
export function haproxyBinary(): string {
  for (const path of ['/usr/sbin/haproxy', '/usr/bin/haproxy']) {
    if (spawnSync(path, ['-v']).status === 0) return path
  }
  throw new Error('HAProxy is needed for these tests: apt-get install haproxy (.ci/run does it)')
}

/**
 * HAProxy in front of `backends`, as the README's balancer recipe sets it up:
 * round robin, health checks on /readyz every 200 ms (down after 3 failures,
 * up after 2 passes), a request whose connection is refused sent to another
 * server (the request never reached the first one, so it is safe even for a
 * mutation), and a GET whose server closed without answering sent again.
 */
export async function startHaproxy(backends: BalancerBackend[]): Promise<Balancer> {
  const binary = haproxyBinary()
  const port = await freePort()
  const statsPort = await freePort()
  const dir = await mkdtemp(join(tmpdir(), 'wxapp-haproxy-'))
  const config = [
    'global',
    '  maxconn 4096',
    'defaults',
    '  mode http',
    '  timeout connect 1s',
    '  timeout client 30s',
    '  timeout server 30s',
    // A health check may take longer than its interval on a busy machine
    // (the whole suite shares two cores): a slow answer is not a down server.
    '  timeout check 2s',
    // Every retry goes to another server (not only the last).
    '  option redispatch 1',
    '  retries 3',
    // A refused connection is always safe to retry elsewhere; a connection
    // that closed with no answer (a crash) only for a request that changes
    // nothing, so a mutation is never sent twice.
    '  retry-on conn-failure empty-response',
    'frontend api',
    `  bind 127.0.0.1:${port}`,
    '  default_backend servers',
    'frontend stats',
    `  bind 127.0.0.1:${statsPort}`,
    '  stats enable',
    '  stats uri /stats',
    'backend servers',
    '  balance roundrobin',
    '  option httpchk GET /readyz',
    '  http-check expect status 200',
    '  http-request disable-l7-retry unless METH_GET || METH_HEAD',
    '  http-response set-header x-served-by %[srv_name]',
    '  default-server inter 200ms fall 3 rise 2',
    ...backends.map((b) => `  server ${b.name} 127.0.0.1:${b.port} check`),
    '',
  ].join('\n')
  const file = join(dir, 'haproxy.cfg')
  await writeFile(file, config)
  const check = spawnSync(binary, ['-c', '-f', file], { encoding: 'utf8' })
  if (check.status !== 0) throw new Error(`bad HAProxy configuration:\n${check.stderr}`)
  // -db: stay in the foreground, so stopping this child stops HAProxy.
  const child: ChildProcess = spawn(binary, ['-db', '-f', file], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  // Last resort when a test runner exits between start and stop.
  const kill = () => child.kill('SIGKILL')
  process.once('exit', kill)
  child.once('exit', () => process.off('exit', kill))
  let errors = ''
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (errors += c))
  const url = `http://127.0.0.1:${port}`
  const states = async (): Promise<Record<string, string>> => {
    const csv = await (await fetch(`http://127.0.0.1:${statsPort}/stats;csv`)).text()
    const out: Record<string, string> = {}
    for (const line of csv.split('\n')) {
      const [proxy, server, ...rest] = line.split(',')
      // Column 18 of HAProxy's CSV is the status.
      if (proxy === 'servers' && server && server !== 'BACKEND') out[server] = rest[15] ?? ''
    }
    return out
  }
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const closed = once(child, 'close')
      child.kill('SIGTERM')
      await closed
    }
    await rm(dir, { recursive: true, force: true })
  }
  const deadline = Date.now() + 10_000
  for (;;) {
    if (child.exitCode !== null) {
      await stop()
      throw new Error(`HAProxy exited: ${errors}`)
    }
    const up = await states().then(
      (s) => Object.values(s).some((v) => v.startsWith('UP')),
      () => false,
    )
    if (up) break
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`HAProxy has no backend up after 10 s: ${errors}`)
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  return { url, states, stop }
}
