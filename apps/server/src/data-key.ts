import { randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from 'pino'

const FILE = 'data-encryption.key'

/**
 * The keys that encrypt secrets at rest: DATA_ENCRYPTION_KEY when set, else
 * (development only; production requires the variable) a key generated once
 * into the data folder, next to the embedded database it protects.
 */
export async function loadDataKeys(opts: {
  configured: Buffer[] | null
  dataDir: string
  logger: Logger
}): Promise<Buffer[]> {
  if (opts.configured) return opts.configured
  const path = join(opts.dataDir, FILE)
  try {
    const key = Buffer.from((await readFile(path, 'utf8')).trim(), 'base64')
    if (key.length !== 32) throw new Error(`${path} does not hold a base64 32-byte key`)
    return [key]
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  await mkdir(opts.dataDir, { recursive: true })
  const key = randomBytes(32)
  // 'wx': never overwrite a key another process wrote meanwhile.
  await writeFile(path, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' }).catch(
    async (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error
    },
  )
  opts.logger.warn(
    { path },
    'DATA_ENCRYPTION_KEY is not set: using a development key kept in the data folder',
  )
  const stored = Buffer.from((await readFile(path, 'utf8')).trim(), 'base64')
  return [stored]
}
