/**
 * The read behind every token that is not cached: the session and its user
 * in one statement. Prisma's `include` sends two (sessions, then users: it
 * does not join); its `$queryRaw` sends one, but still cost about 150 µs of
 * Prisma's own work per call, more than the rest of an uncached `user.me`
 * (docs/performance.md, issue 13). So this one read goes to the pool as a
 * prepared statement (`Database.query`), its row checked by zod at the
 * boundary rather than cast. Everything else about sessions stays Prisma's.
 */
import { type Database, Platform, type PreparedStatement, type User } from '@wxapp/db'
import { z } from 'zod'
import type { SessionRowWithUser } from './session-row'

const date = z.date()
const text = z.string().nullable()

/** One row of the join: the session's columns, then the user's with a `u_` prefix. */
const JoinedRow = z
  .object({
    id: z.string(),
    // pg reads bytea as a Buffer; Prisma's Bytes is a plain Uint8Array.
    token_hash: z.instanceof(Uint8Array).transform((b) => new Uint8Array(b)),
    revoked_at: date.nullable(),
    user_id: z.string(),
    appid: z.string(),
    created_at: date,
    last_used_at: date,
    expires_at: date,
    absolute_expires_at: date,
    client_platform: text,
    client_model: text,
    client_system: text,
    client_version: text,
    ip: text,
    u_platform: z.enum(Platform),
    u_appid: z.string(),
    u_openid: z.string(),
    u_unionid: text,
    u_nickname: text,
    u_avatar_url: text,
    u_phone_number: text,
    u_phone_country_code: text,
    u_created_at: date,
    u_updated_at: date,
    u_last_login_at: date.nullable(),
  })
  .transform((r): SessionRowWithUser => {
    // Typed as Prisma's User, so a column added to the model fails to compile here.
    const user: User = {
      id: r.user_id,
      platform: r.u_platform,
      appid: r.u_appid,
      openid: r.u_openid,
      unionid: r.u_unionid,
      nickname: r.u_nickname,
      avatarUrl: r.u_avatar_url,
      phoneNumber: r.u_phone_number,
      phoneCountryCode: r.u_phone_country_code,
      createdAt: r.u_created_at,
      updatedAt: r.u_updated_at,
      lastLoginAt: r.u_last_login_at,
    }
    return {
      id: r.id,
      tokenHash: r.token_hash,
      revokedAt: r.revoked_at,
      userId: r.user_id,
      appid: r.appid,
      createdAt: r.created_at,
      lastUsedAt: r.last_used_at,
      expiresAt: r.expires_at,
      absoluteExpiresAt: r.absolute_expires_at,
      clientPlatform: r.client_platform,
      clientModel: r.client_model,
      clientSystem: r.client_system,
      clientVersion: r.client_version,
      ip: r.ip,
      user,
    }
  })

const SESSION_WITH_USER: PreparedStatement = {
  name: 'wxapp_session_with_user',
  text: `SELECT s.id, s.token_hash, s.revoked_at, s.user_id, s.appid,
      s.created_at, s.last_used_at, s.expires_at, s.absolute_expires_at,
      s.client_platform, s.client_model, s.client_system, s.client_version, s.ip,
      u.platform AS u_platform, u.appid AS u_appid, u.openid AS u_openid, u.unionid AS u_unionid,
      u.nickname AS u_nickname, u.avatar_url AS u_avatar_url,
      u.phone_number AS u_phone_number, u.phone_country_code AS u_phone_country_code,
      u.created_at AS u_created_at, u.updated_at AS u_updated_at,
      u.last_login_at AS u_last_login_at
    FROM sessions s JOIN users u ON u.id = s.user_id
    WHERE s.id = $1`,
}

/** The session `id` (a UUID: the token format says so) with its user, or null. */
export async function readSessionWithUser(
  db: Pick<Database, 'query'>,
  id: string,
): Promise<SessionRowWithUser | null> {
  const [row] = await db.query(SESSION_WITH_USER, [id])
  return row === undefined ? null : JoinedRow.parse(row)
}
