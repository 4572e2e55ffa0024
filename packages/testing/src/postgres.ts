import { execFile, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { freePort } from './processes'

const run = promisify(execFile)

export interface PrivatePostgres {
  /** postgresql://postgres@127.0.0.1:<port>/postgres (trust authentication). */
  url: string
  port: number
  /** pg_ctl stop (default mode `fast`: ends every connection, as a restart does). */
  stop(mode?: 'smart' | 'fast' | 'immediate'): Promise<void>
  /** pg_ctl start again on the same port and data folder; resolves once it accepts connections. */
  start(): Promise<void>
  /** Stops it (immediate) if it runs and deletes its folder. Idempotent. */
  remove(): Promise<void>
  /** The server's log so far. */
  log(): string
}

/** The PostgreSQL binaries: PG_BIN_DIR, else the newest /usr/lib/postgresql/<n>/bin. */
function binDir(): string {
  const given = process.env.PG_BIN_DIR
  if (given) return given
  const root = '/usr/lib/postgresql'
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : []
  if (!versions[0])
    throw new Error('no PostgreSQL binaries: set PG_BIN_DIR to the folder of initdb')
  return join(root, versions[0], 'bin')
}

// PostgreSQL refuses to run as root: as root, its commands run as the
// `postgres` OS user, which owns the folder.
const asRoot = process.getuid?.() === 0
function command(bin: string, args: string[]): [string, string[]] {
  return asRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args]
}

const started = new Set<{ pgCtl: string; data: string; dir: string }>()
// Last resort when a test runner exits without cleaning up: a daemonised
// postmaster is no child of ours and would outlive it.
process.once('exit', () => {
  for (const s of started) {
    const [cmd, args] = command(s.pgCtl, ['-D', s.data, '-m', 'immediate', '-w', 'stop'])
    spawnSync(cmd, args, { stdio: 'ignore', timeout: 10_000 })
    rmSync(s.dir, { recursive: true, force: true })
  }
})

/**
 * A PostgreSQL server of the test's own (initdb in a temp folder, a free
 * loopback port, its socket in that folder) that the test may stop and
 * start: never the shared server other tests use. Call `remove()` in
 * afterAll; it is also removed when the test process exits.
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = binDir()
  const pgCtl = join(bin, 'pg_ctl')
  const dir = mkdtempSync(join(tmpdir(), 'wxapp-pg-'))
  const data = join(dir, 'data')
  const logFile = join(dir, 'postgres.log')
  const entry = { pgCtl, data, dir }
  started.add(entry)
  const exec = (cmdBin: string, args: string[]) => {
    const [cmd, argv] = command(cmdBin, args)
    return run(cmd, argv, { timeout: 60_000 })
  }
  let port = 0
  let removed: Promise<void> | undefined
  const remove = () => {
    removed ??= (async () => {
      await exec(pgCtl, ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {})
      rmSync(dir, { recursive: true, force: true })
      started.delete(entry)
    })()
    return removed
  }
  const start = async () => {
    const options = [
      `-p ${port}`,
      `-k ${dir}`,
      '-c listen_addresses=127.0.0.1',
      // A test database: no durability needed, and a small footprint.
      '-c fsync=off',
      '-c max_connections=40',
      '-c shared_buffers=16MB',
    ].join(' ')
    await exec(pgCtl, ['-D', data, '-l', logFile, '-o', options, '-w', '-t', '30', 'start'])
  }
  try {
    if (asRoot) await run('chown', ['postgres:', dir])
    await exec(join(bin, 'initdb'), [
      '-D',
      data,
      '-U',
      'postgres',
      '-A',
      'trust',
      '-E',
      'UTF8',
      '--locale=C',
      '--no-sync',
    ])
    port = await freePort()
    await start()
  } catch (error) {
    await remove()
    throw error
  }
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    port,
    stop: async (mode = 'fast') => {
      await exec(pgCtl, ['-D', data, '-m', mode, '-w', 'stop'])
    },
    start,
    remove,
    log: () => {
      try {
        return readFileSync(logFile, 'utf8')
      } catch {
        return ''
      }
    },
  }
}
