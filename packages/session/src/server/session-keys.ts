import { Prisma, type PrismaClient } from '@wxapp/db'
import { z } from 'zod'
import { type SecretBox, SecretBoxError } from './secret-box'

/**
 * Keeps each user's latest WeChat session_key, sealed with the server's data
 * key and bound to the user (the app and its openid, which name one user) so
 * a row copied onto another user does not open. Nothing here ever returns the
 * key to a client; only server code that decrypts WeChat data reads it.
 */
export interface SessionKeyVault {
  store(input: { userId: string; appid: string; openid: string; sessionKey: string }): Promise<void>
  /**
   * The same write as a statement to put in a larger one (a data-modifying
   * CTE), for the users whose ids `userIds` selects (one column): a login
   * stores the key in the statement that upserts its user, one round trip.
   */
  storeStatement(input: {
    userIds: Prisma.Sql
    appid: string
    openid: string
    sessionKey: string
  }): Prisma.Sql
  read(input: { userId: string; appid: string }): Promise<string | null>
}

/**
 * Bound to (appid, openid), known before the user's row is written, so the
 * key is sealed before the statement that upserts the user and stores it.
 */
const context = (appid: string, openid: string) => `wechat-session-key/openid:${appid}:${openid}`
/** What keys were bound to before: (appid, user id). Still opened. */
const userIdContext = (appid: string, userId: string) => `wechat-session-key:${appid}:${userId}`

const KeyRow = z.object({ appid: z.string(), encrypted: z.string(), openid: z.string() })

export function createSessionKeyVault(opts: {
  prisma: PrismaClient
  box: SecretBox
}): SessionKeyVault {
  const { prisma, box } = opts
  // updated_at is a `timestamp` column holding UTC, which is how the adapter sends a Date.
  const storeStatement: SessionKeyVault['storeStatement'] = ({
    userIds,
    appid,
    openid,
    sessionKey,
  }) => Prisma.sql`
    INSERT INTO wechat_session_keys AS k (user_id, appid, encrypted, updated_at)
    SELECT src.id, ${appid}, ${box.seal(sessionKey, context(appid, openid))}, ${new Date()}::timestamp
      FROM (${userIds}) AS src(id)
    ON CONFLICT (user_id) DO UPDATE SET
      appid = EXCLUDED.appid, encrypted = EXCLUDED.encrypted, updated_at = EXCLUDED.updated_at`
  return {
    async store({ userId, ...rest }) {
      await prisma.$executeRaw(
        storeStatement({ userIds: Prisma.sql`SELECT ${userId}::uuid`, ...rest }),
      )
    },
    storeStatement,
    async read({ userId, appid }) {
      // With the user's openid (what the key is bound to): one statement.
      const rows: unknown[] = await prisma.$queryRaw`
        SELECT k.appid, k.encrypted, u.openid
          FROM wechat_session_keys k JOIN users u ON u.id = k.user_id
         WHERE k.user_id = ${userId}::uuid`
      const [value] = rows
      if (value === undefined) return null
      const row = KeyRow.parse(value)
      if (row.appid !== appid) return null
      try {
        return box.open(row.encrypted, context(appid, row.openid))
      } catch (error) {
        if (!(error instanceof SecretBoxError)) throw error
        // Sealed before keys were bound to the openid.
        return box.open(row.encrypted, userIdContext(appid, userId))
      }
    },
  }
}
