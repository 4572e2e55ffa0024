import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { workspaceRoot } from './processes'

export interface ServerArtifact {
  /** The deployed folder, outside the repository. */
  dir: string
  /** Its main.js. */
  entry: string
  remove(): Promise<void>
}

/**
 * `pnpm deploy:server` of the current build (tests run after `pnpm build`),
 * then moved to another temporary folder, as a user copies it to a machine:
 * whatever it runs from there must be inside it.
 */
export async function deployServerArtifact(): Promise<ServerArtifact> {
  const staging = await mkdtemp(join(tmpdir(), 'wxapp-deploy-'))
  const dir = await mkdtemp(join(tmpdir(), 'wxapp-server-'))
  try {
    const child = spawn(
      process.execPath,
      [join(workspaceRoot, 'scripts/deploy-server.mjs'), staging, '--no-build'],
      { cwd: workspaceRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let output = ''
    child.stdout.setEncoding('utf8').on('data', (c: string) => (output += c))
    child.stderr.setEncoding('utf8').on('data', (c: string) => (output += c))
    const [code] = (await once(child, 'close')) as [number | null]
    if (code !== 0) throw new Error(`pnpm deploy:server failed (${code}):\n${output}`)
    await cp(staging, dir, { recursive: true, verbatimSymlinks: true })
  } catch (error) {
    await rm(dir, { recursive: true, force: true })
    throw error
  } finally {
    await rm(staging, { recursive: true, force: true })
  }
  return {
    dir,
    entry: join(dir, 'main.js'),
    remove: () => rm(dir, { recursive: true, force: true }),
  }
}
