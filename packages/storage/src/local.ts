import { randomBytes } from 'node:crypto'
import { mkdir, open, rename, rm, writeFile } from 'node:fs/promises'
import { dirname, extname, join, resolve } from 'node:path'
import { checkKey, type ObjectStore, type StoredObject } from './store'

/**
 * A folder keeps bytes only, so the content type comes from the key's
 * extension; a put whose type disagrees with it is refused, so that what is
 * read back is what was written. Files stored before this package existed
 * (`avatars/<hash>.png` and so on) are served as they are.
 */
const TYPES: Readonly<Record<string, string>> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
}
const DEFAULT_TYPE = 'application/octet-stream'

export const contentTypeOfKey = (key: string): string =>
  TYPES[extname(key).toLowerCase()] ?? DEFAULT_TYPE

export interface LocalStoreOptions {
  /** The folder objects are kept in (created when missing); keys are paths inside it. */
  dir: string
}

const isMissing = (error: unknown) =>
  (error as { code?: string }).code === 'ENOENT' || (error as { code?: string }).code === 'EISDIR'

/** The local-disk driver: one process's (or one shared volume's) folder. */
export function createLocalStore(opts: LocalStoreOptions): ObjectStore {
  const root = resolve(opts.dir)
  const pathOf = (key: string) => {
    checkKey(key)
    return join(root, key)
  }

  return {
    kind: 'local',

    async put(key, bytes, contentType) {
      const path = pathOf(key)
      const expected = contentTypeOfKey(key)
      if (contentType !== expected) {
        throw new TypeError(`The local store serves ${key} as ${expected}, not ${contentType}`)
      }
      await mkdir(dirname(path), { recursive: true })
      // Write then rename: a reader never sees half a file, and a crash
      // leaves only a temporary file behind, never a short object.
      const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`
      try {
        await writeFile(temp, bytes)
        await rename(temp, path)
      } catch (error) {
        await rm(temp, { force: true })
        throw error
      }
    },

    async get(key): Promise<StoredObject | null> {
      const path = pathOf(key)
      // One open file for the size and the bytes: a rename in between
      // cannot pair one file's size with another's contents.
      const handle = await open(path, 'r').catch((error: unknown) => {
        if (isMissing(error)) return null
        throw error
      })
      if (!handle) return null
      try {
        const stats = await handle.stat()
        if (!stats.isFile()) {
          await handle.close()
          return null
        }
        return {
          body: handle.createReadStream(),
          contentType: contentTypeOfKey(key),
          size: stats.size,
        }
      } catch (error) {
        await handle.close()
        throw error
      }
    },

    async delete(key) {
      await rm(pathOf(key), { force: true })
    },
  }
}
