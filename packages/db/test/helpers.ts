import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { onTestFinished } from 'vitest'

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url))
export const REPO_PRISMA = join(REPO_ROOT, 'prisma')
export const REPO_MIGRATIONS = join(REPO_PRISMA, 'migrations')
export const REPO_SCHEMA = join(REPO_PRISMA, 'schema.prisma')

/** A temp directory removed when the current test ends, pass or fail. */
export async function tempDir(prefix = 'wxapp-db-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  cleanup(() => rm(dir, { recursive: true, force: true }))
  return dir
}

/** A copy of the repo's prisma/ folder (schema and migrations) in a temp dir. */
export async function copyOfPrisma(): Promise<{
  dir: string
  schema: string
  migrations: string
}> {
  const dir = join(await tempDir(), 'prisma')
  await cp(REPO_PRISMA, dir, { recursive: true })
  return { dir, schema: join(dir, 'schema.prisma'), migrations: join(dir, 'migrations') }
}

let stack: Array<() => Promise<unknown> | unknown> | undefined

/**
 * Registers cleanup that runs when the current test ends, pass or fail, last
 * registered first (pools close before the server they talk to). A failing
 * step does not stop the others.
 */
export function cleanup(fn: () => Promise<unknown> | unknown): void {
  if (!stack) {
    const steps: Array<() => Promise<unknown> | unknown> = []
    stack = steps
    onTestFinished(async () => {
      stack = undefined
      let first: unknown
      for (const step of steps.reverse()) {
        try {
          await step()
        } catch (error) {
          first ??= error
        }
      }
      if (first !== undefined) throw first
    })
  }
  stack.push(fn)
}
