// `prisma generate` without network access. The CLI insists on a native
// schema-engine binary before any command and downloads one when none is
// configured; generate never runs it, so pointing PRISMA_SCHEMA_ENGINE_BINARY
// at an existing file (this script, which is not executable) is enough.
// Runs against the repo's prisma.config.ts, from the workspace root.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const self = fileURLToPath(import.meta.url)

function workspaceRoot(from) {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir
    if (dirname(dir) === dir) throw new Error(`No pnpm-workspace.yaml above ${from}`)
  }
}

const root = workspaceRoot(dirname(self))
const prismaCli = createRequire(import.meta.url).resolve('prisma/build/index.js')
const env = {
  ...process.env,
  PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY || self,
  // No update check or telemetry: both would try the network.
  CHECKPOINT_DISABLE: '1',
  PRISMA_HIDE_UPDATE_MESSAGE: '1',
}
const result = spawnSync(
  process.execPath,
  [prismaCli, 'generate', '--config', join(root, 'prisma.config.ts'), ...process.argv.slice(2)],
  { cwd: root, env, stdio: 'inherit' },
)
if (result.error) throw result.error
process.exit(result.status ?? 1)
