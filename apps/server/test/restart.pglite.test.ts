import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describeRestart } from './restart-flows'

// A folder, not memory: what survives the kill is what is on disk.
describeRestart('an embedded database folder', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wxapp-restart-'))
  return {
    url: `pglite:${dir}`,
    lockFile: join(dir, '.wxapp-db.lock'),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  }
})
