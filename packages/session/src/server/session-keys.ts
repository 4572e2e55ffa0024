import type { PrismaClient } from '@wxapp/db'
import type { SecretBox } from './secret-box'

/**
 * Keeps each user's latest WeChat session_key, sealed with the server's data
 * key and bound to (appid, user) so a row copied onto another user does not
 * open. Nothing here ever returns the key to a client; only server code that
 * decrypts WeChat data reads it.
 */
export interface SessionKeyVault {
  store(input: { userId: string; appid: string; sessionKey: string }): Promise<void>
  read(input: { userId: string; appid: string }): Promise<string | null>
}

const context = (appid: string, userId: string) => `wechat-session-key:${appid}:${userId}`

export function createSessionKeyVault(opts: {
  prisma: PrismaClient
  box: SecretBox
}): SessionKeyVault {
  const { prisma, box } = opts
  return {
    async store({ userId, appid, sessionKey }) {
      const encrypted = box.seal(sessionKey, context(appid, userId))
      // One raw INSERT … ON CONFLICT (on every code login): Prisma's upsert
      // is the same statement, compiled on each call. updated_at is UTC, as
      // the adapter sends a Date.
      await prisma.$executeRaw`
        INSERT INTO wechat_session_keys AS k (user_id, appid, encrypted, updated_at)
        VALUES (${userId}::uuid, ${appid}, ${encrypted}, ${new Date()}::timestamp)
        ON CONFLICT (user_id) DO UPDATE SET
          appid = EXCLUDED.appid, encrypted = EXCLUDED.encrypted, updated_at = EXCLUDED.updated_at`
    },
    async read({ userId, appid }) {
      const row = await prisma.wechatSessionKey.findUnique({ where: { userId } })
      if (!row || row.appid !== appid) return null
      return box.open(row.encrypted, context(appid, userId))
    },
  }
}
