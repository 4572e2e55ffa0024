import type { Database } from '@wxapp/db'

/** What every procedure sees. Built per request by the HTTP adapter. */
export interface Context {
  db: Database
  requestId: string
}
