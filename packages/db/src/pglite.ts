// The embedded database: PGlite (PostgreSQL compiled to WASM) served on a
// loopback port by pglite-socket, so the app and the migrator reach it through
// the same pg driver and adapter as a PostgreSQL server.
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { PGLiteSocketServer } from '@electric-sql/pglite-socket'
import type { ConnectionParams } from './url'

export interface EmbeddedServer {
  pglite: PGlite
  connection: ConnectionParams
  /** Stops the socket server, then closes PGlite (a clean close lets the folder reopen). */
  close(): Promise<void>
}

/** Another live process has the folder open: PGlite is one process's database. */
export class DatabaseInUseError extends Error {
  constructor(dir: string, pid: number) {
    super(
      `The embedded database in ${dir} is in use by process ${pid}. PGlite serves one process at a ` +
        'time: stop that process, or use a PostgreSQL server (DATABASE_URL=postgresql://…) to ' +
        `share a database. If no such process runs, delete ${join(dir, LOCK_FILE)}.`,
    )
    this.name = 'DatabaseInUseError'
  }
}

const LOCK_FILE = '.wxapp-db.lock'
/** Folders this process has open (a lock file with our own pid may be a restarted container's). */
const openHere = new Set<string>()

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * PGlite takes no lock of its own and two processes writing one folder
 * corrupt it, so a lock file names the owner's pid. A lock whose process is
 * gone (a crash) is taken over.
 */
function lockFolder(dir: string): () => void {
  const path = join(dir, LOCK_FILE)
  if (openHere.has(dir)) throw new DatabaseInUseError(dir, process.pid)
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx')
      writeFileSync(fd, `${process.pid}\n`)
      closeSync(fd)
      openHere.add(dir)
      return () => {
        openHere.delete(dir)
        rmSync(path, { force: true })
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      let pid = 0
      try {
        pid = Number.parseInt(readFileSync(path, 'utf8'), 10)
      } catch {
        // Removed meanwhile, or unreadable: try again.
      }
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
        throw new DatabaseInUseError(dir, pid)
      }
      rmSync(path, { force: true })
    }
  }
  throw new Error(`Cannot lock the embedded database folder ${dir}`)
}

// A pristine cluster (just after initdb) kept as a tarball: a new in-memory
// instance loads it in about 0.6 s instead of running initdb again (about
// 2-3 s). Only in-memory instances use it; folders get a real initdb.
let pristine: Promise<Blob> | undefined

async function createMemoryPGlite(): Promise<PGlite> {
  if (pristine) {
    const template = await pristine.catch(() => undefined)
    if (template) return PGlite.create({ loadDataDir: template })
  }
  const db = await PGlite.create()
  pristine ??= db.dumpDataDir('none').catch((error: unknown) => {
    pristine = undefined
    throw error
  })
  await pristine.catch(() => undefined)
  return db
}

export interface StartEmbeddedOptions {
  /** Folder to keep the database in; null for memory. */
  dir: string | null
  /** How many connections the socket server accepts at once. */
  maxConnections: number
}

export async function startEmbedded({
  dir,
  maxConnections,
}: StartEmbeddedOptions): Promise<EmbeddedServer> {
  let unlock = (): void => {}
  if (dir !== null) {
    mkdirSync(dir, { recursive: true })
    unlock = lockFolder(dir)
  }
  let pglite: PGlite | undefined
  try {
    pglite = dir === null ? await createMemoryPGlite() : await PGlite.create({ dataDir: dir })
    // Port 0: the OS picks a free port, read back after start.
    const server = new PGLiteSocketServer({
      db: pglite,
      host: '127.0.0.1',
      port: 0,
      maxConnections,
    })
    await server.start()
    const address = server.getServerConn()
    const port = Number(address.slice(address.lastIndexOf(':') + 1))
    const db = pglite
    let closing: Promise<void> | undefined
    return {
      pglite: db,
      connection: {
        host: '127.0.0.1',
        port,
        user: 'postgres',
        password: '',
        database: 'postgres',
      },
      close() {
        closing ??= (async () => {
          try {
            await server.stop()
            await db.close()
          } finally {
            unlock()
          }
        })()
        return closing
      },
    }
  } catch (error) {
    await pglite?.close().catch(() => {})
    unlock()
    throw error
  }
}
