import { LRUCache } from 'lru-cache'
import { sessionState } from './policy'
import { frozenRecord, type SessionRecord, type SessionRowWithUser } from './session-row'

/**
 * A short-lived in-process cache of validated sessions (and their users), so
 * that a busy session costs one database read per `ttlMs` instead of one per
 * call. Only active sessions are kept. Forgetting (a revocation, a changed
 * user) takes effect at once in this instance; another instance that revokes
 * a session or changes a user is seen here when its change is announced (see
 * SessionChangeChannel in store.ts), else within `ttlMs`.
 */
export interface SessionCacheOptions {
  /** How long a validated session is trusted without reading the database; 0 turns the cache off. */
  ttlMs: number
  /** Most sessions kept (the least recently used go first); default 10 000. */
  maxEntries?: number
}

export interface CachedSession {
  /** Frozen, with its user: shared by every call the entry answers. */
  readonly row: SessionRowWithUser
  readonly record: SessionRecord
}

export interface SessionCache {
  /** The entry of a session validated less than `ttlMs` ago, without a database read. */
  get(sessionId: string): CachedSession | undefined
  /**
   * The session's row: one database read shared by concurrent callers, kept
   * when the session is active and nothing was forgotten while it ran.
   */
  load(sessionId: string): Promise<SessionRowWithUser | null>
  /** Replaces a cached entry's row by a newer one of the same session (after a renewal). */
  update(row: SessionRowWithUser): void
  forget(sessionId: string): void
  forgetUser(userId: string): void
  /** Forgets everything, reads in flight included (changes may have been missed). */
  clear(): void
}

type ReadSession = (sessionId: string) => Promise<SessionRowWithUser | null>

/** No cache: every call reads the database. */
export function noSessionCache(read: ReadSession): SessionCache {
  return {
    get: () => undefined,
    load: read,
    update: () => {},
    forget: () => {},
    forgetUser: () => {},
    clear: () => {},
  }
}

/** What a load hands back: the row, and whether it may stay (the slot of a null row never stays). */
interface Loaded {
  row: SessionRowWithUser | null
  entry: CachedSession | null
}

/**
 * On lru-cache: `ttl` and `max` bound it, `fetch` shares one read among
 * concurrent callers. A delete while a read is in flight aborts that fetch,
 * and with `ignoreFetchAbort` its callers still get what it read but nothing
 * is stored: a read that started before a revocation answers the calls that
 * joined it, never a later one. The user of a read in flight is not known
 * yet, so `forgetUser` drops every read in flight as well as the user's
 * cached sessions (an over-cautious re-read at worst).
 */
export function lruSessionCache(
  read: ReadSession,
  opts: SessionCacheOptions & { now: () => number },
): SessionCache {
  const byUser = new Map<string, Set<string>>()
  const reading = new Set<string>()
  const unindex = (entry: Loaded, sessionId: string) => {
    const userId = entry.row?.userId
    if (userId === undefined) return
    const ids = byUser.get(userId)
    ids?.delete(sessionId)
    if (ids?.size === 0) byUser.delete(userId)
  }
  const cache: LRUCache<string, Loaded> = new LRUCache<string, Loaded>({
    max: Math.max(1, opts.maxEntries ?? 10_000),
    // lru-cache calls an entry stale only past its ttl; ours is stale at it.
    ttl: Math.max(1, opts.ttlMs - 1),
    perf: { now: opts.now },
    // Read the clock on every call (an injected clock may jump).
    ttlResolution: 0,
    ignoreFetchAbort: true,
    onInsert: (entry, sessionId) => {
      const userId = entry.row?.userId
      if (userId === undefined) return
      const ids = byUser.get(userId) ?? new Set<string>()
      byUser.set(userId, ids.add(sessionId))
    },
    dispose: unindex,
    fetchMethod: async (sessionId, _stale, { signal }) => {
      reading.add(sessionId)
      const row = await read(sessionId).finally(() => reading.delete(sessionId))
      // Dropped while it ran: its callers get the row, nothing is stored.
      if (signal.aborted) return { row, entry: null }
      const keep = row !== null && sessionState(row, new Date(opts.now())) === 'active'
      // Not to be kept: dropping the slot aborts this very fetch, whose
      // callers still get the row (see ignoreFetchAbort above).
      if (!keep) {
        cache.delete(sessionId)
        return { row, entry: null }
      }
      Object.freeze(row.user)
      return { row, entry: Object.freeze({ row, record: frozenRecord(row) }) }
    },
  })
  return {
    get: (sessionId) => cache.get(sessionId)?.entry ?? undefined,
    async load(sessionId) {
      const loaded = await cache.fetch(sessionId, { forceRefresh: true })
      return loaded?.row ?? null
    },
    update(row) {
      const current = cache.peek(row.id)?.row
      // Only over an older row: a reload may have brought a newer one meanwhile.
      if (!current || current.lastUsedAt >= row.lastUsedAt) return
      Object.freeze(row.user)
      // Keeps the entry's age: a renewal does not make the row any fresher.
      cache.set(
        row.id,
        { row, entry: Object.freeze({ row, record: frozenRecord(row) }) },
        { noUpdateTTL: true },
      )
    },
    forget: (sessionId) => {
      cache.delete(sessionId)
    },
    forgetUser(userId) {
      for (const sessionId of [...reading, ...(byUser.get(userId) ?? [])]) cache.delete(sessionId)
    },
    clear() {
      // One by one, so each read in flight is aborted as forget() does.
      for (const sessionId of [...reading, ...cache.keys()]) cache.delete(sessionId)
    },
  }
}
