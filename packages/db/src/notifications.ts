import pg from 'pg'
import type { Database } from './database'
import { type DatabaseLogger, silentLogger } from './logger'
import { clientConfig, quoteIdent } from './temp-database'

/**
 * Messages to every process on one database: PostgreSQL's LISTEN/NOTIFY,
 * which needs no other server (the instances already share the database)
 * and delivers within milliseconds, at commit. The listener holds one
 * connection of its own, outside the pool: it must be a direct (session)
 * connection, not one through a transaction-mode pooler such as PgBouncer's.
 */
export interface NotificationChannel {
  /** NOTIFY; never rejects (a failure is logged: the receivers' caches expire by themselves). */
  publish(message: string): Promise<void>
  /**
   * `onMessage` for every message on the channel, this process's own too;
   * `onGap` when messages may have been missed: the connection was lost, and
   * again once it listens anew.
   */
  subscribe(onMessage: (message: string) => void, onGap: () => void): void
  /** Stops listening (before the database is closed). */
  close(): Promise<void>
}

const RETRY_MIN_MS = 100
const RETRY_MAX_MS = 5000

/**
 * Opens `channel` on the database and listens before it resolves. An
 * embedded database (PGlite) belongs to one process: messages go straight to
 * its subscribers.
 */
export async function openNotificationChannel(
  db: Database,
  channel: string,
  opts: { logger?: DatabaseLogger } = {},
): Promise<NotificationChannel> {
  const logger = opts.logger ?? silentLogger
  const subscribers: { onMessage: (m: string) => void; onGap: () => void }[] = []
  const deliver = (message: string) => {
    for (const s of subscribers) s.onMessage(message)
  }
  const gap = () => {
    for (const s of subscribers) s.onGap()
  }
  const subscribe: NotificationChannel['subscribe'] = (onMessage, onGap) => {
    subscribers.push({ onMessage, onGap })
  }

  if (db.kind === 'pglite') {
    return {
      publish: async (message) => deliver(message),
      subscribe,
      close: async () => {},
    }
  }

  let client: pg.Client | undefined
  let closed = false
  let retryMs = RETRY_MIN_MS
  let retryTimer: NodeJS.Timeout | undefined

  const listen = async (): Promise<void> => {
    const next = new pg.Client({ ...clientConfig(db.connection), keepAlive: true })
    next.on('notification', (n) => {
      if (n.channel === channel) deliver(n.payload ?? '')
    })
    // A lost connection: say so at once (the caches start over), and listen again.
    next.once('error', (error) => {
      logger.warn({ err: error, channel }, 'notification listener lost its connection')
      lost(next)
    })
    next.once('end', () => lost(next))
    await next.connect()
    await next.query(`LISTEN ${quoteIdent(channel)}`)
    client = next
  }

  const lost = (which: pg.Client) => {
    if (closed || client !== which) return
    client = undefined
    which.end().catch(() => {})
    gap()
    retry()
  }

  const retry = () => {
    if (closed || retryTimer) return
    retryTimer = setTimeout(async () => {
      retryTimer = undefined
      try {
        await listen()
        retryMs = RETRY_MIN_MS
        logger.info({ channel }, 'notification listener reconnected')
        // What was sent while it was away is lost.
        gap()
      } catch (error) {
        logger.warn({ err: error, channel, retryMs }, 'notification listener cannot reconnect yet')
        retryMs = Math.min(retryMs * 2, RETRY_MAX_MS)
        retry()
      }
    }, retryMs)
    retryTimer.unref()
  }

  await listen()
  return {
    async publish(message) {
      try {
        await db.prisma.$executeRaw`SELECT pg_notify(${channel}, ${message})`
      } catch (error) {
        logger.warn({ err: error, channel }, 'cannot send a notification')
      }
    },
    subscribe,
    async close() {
      closed = true
      clearTimeout(retryTimer)
      const c = client
      client = undefined
      await c?.end().catch(() => {})
    },
  }
}
