import { readdirSync } from 'node:fs'
import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { onTestFinished } from 'vitest'

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url))
export const REPO_PRISMA = join(REPO_ROOT, 'prisma')
export const REPO_MIGRATIONS = join(REPO_PRISMA, 'migrations')
export const REPO_SCHEMA = join(REPO_PRISMA, 'schema.prisma')

/**
 * The committed migrations (folder names under prisma/migrations), in the
 * order they apply: sorted by name, as the Prisma CLI and readMigrations do.
 * Tests derive expected counts and names from this list, so they keep
 * holding as the project adds migrations.
 */
export const COMMITTED_MIGRATIONS: readonly string[] = (() => {
  const names = readdirSync(REPO_MIGRATIONS, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort((a, b) => a.localeCompare(b))
  if (names.length === 0) throw new Error(`No migrations in ${REPO_MIGRATIONS}`)
  for (const name of names) {
    if (!/^\d{14}_[a-z0-9_]+$/.test(name)) {
      throw new Error(`Unexpected migration folder name ${name} in ${REPO_MIGRATIONS}`)
    }
  }
  return names
})()

/** The newest committed migration's folder name. */
export const LATEST_MIGRATION = COMMITTED_MIGRATIONS[COMMITTED_MIGRATIONS.length - 1] as string

/**
 * Matches the CLI's listing of exactly these names, one indented line each,
 * right after the line that starts with `header` (and ends in a colon).
 */
export function listedAfter(header: string, names: readonly string[]): RegExp {
  const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const lines = names.map((n) => `\\n {2}${literal(n)}`).join('')
  return new RegExp(`${literal(header)}[^\\n]*:${lines}(?:\\n(?! )|$)`)
}

/**
 * A model the repo schema does not have, appended to a copy of it to make a
 * self-contained schema change (existing models are left alone, so the edit
 * keeps applying as they evolve): a table with a unique and a plain index.
 */
export const PROBE_MODEL = `
model TestOnlyProbe {
  id        String   @id @default(uuid(7)) @db.Uuid
  ownerId   String   @map("owner_id") @db.Uuid
  tokenHash String   @unique @map("token_hash")
  expiresAt DateTime @map("expires_at")

  @@index([ownerId])
  @@map("test_only_probes")
}
`

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
