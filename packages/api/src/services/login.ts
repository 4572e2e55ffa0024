/*
 * The steps of `auth.login`, each a named function over the request's
 * context, so the procedure reads as the flow it is.
 */
import { Platform, Prisma, type User } from '@wxapp/db'
import type { SessionRecord } from '@wxapp/session/server'
import type { ClientInfo } from '@wxapp/session/shared'
import type { WechatApiError } from '@wxapp/wechat'
import { v7 as uuidv7 } from 'uuid'
import { z } from 'zod'
import type { CloudIdentity } from '../cloud-identity'
import type { Context } from '../context'
import { ReasonedError } from '../errors'
import { publicUser } from '../users'
import { wechatLoginError } from '../wechat-errors'
import { type CodeExchange, type MiniApp, PLATFORM_NAMES } from './apps'
import type { RateLimitResult } from './rate-limit'

const MINUTE = 60_000

/** The rate limiter's key of a login limit (`key`: what it counts, see below). */
export const loginLimitKey = (key: string) => `login:${key}`

/** What the per-user login limit counts: one WeChat user of one app (a deleted account's row goes with it). */
export const userLoginLimit = (appid: string, openid: string) => `user:${appid}:${openid}`

/** A login limit: what it counts (see loginLimitKey), per minute (0: none), and whom, for the refusal. */
export interface LoginLimit {
  key: string
  perMinute: number
  who: string
}

function refuseLogin(ctx: Context, limit: LoginLimit, result: RateLimitResult): never {
  ctx.log.warn({ limit: limit.who, count: result.count }, 'login rate limit reached')
  throw new ReasonedError('LOGIN_RATE_LIMITED', {
    message: `Too many logins ${limit.who}: try again after ${result.resetAt.toISOString()}`,
  })
}

/** Counts one login against a per-minute limit (0: none); refuses beyond it. */
export async function limitLogins(ctx: Context, limit: LoginLimit): Promise<void> {
  if (limit.perMinute === 0) return
  const result = await ctx.services.rateLimiter.hit(
    loginLimitKey(limit.key),
    limit.perMinute,
    MINUTE,
  )
  if (!result.allowed) refuseLogin(ctx, limit, result)
}

/**
 * A login code -> the platform's identity of the user (code2Session, or
 * Alipay's oauth token), or the typed error. Every platform's refusals map to
 * the same reasons; the platform's own code (errcode, Alipay's sub_code) is
 * logged, and the message names the platform.
 */
export async function exchangeCode(
  ctx: Context,
  app: MiniApp,
  code: string,
  options?: { anonymous?: boolean },
): Promise<CodeExchange> {
  try {
    return await app.login.code2Session(code, options)
  } catch (error) {
    const mapped = wechatLoginError(error)
    const platformError = error as WechatApiError
    const details = {
      platform: app.platform,
      appid: app.appid,
      reason: mapped.reason,
      kind: platformError.kind,
      errcode: platformError.errcode,
      subCode: platformError.subCode,
    }
    if (mapped.code === 'INTERNAL_SERVER_ERROR') {
      ctx.log.error({ ...details, err: error }, 'login code exchange failed on the server side')
    } else {
      ctx.log.warn(details, 'login code refused')
    }
    if (app.platform === 'weapp') throw mapped
    // The reasons' texts speak of WeChat: name the user's platform instead.
    const names = PLATFORM_NAMES[app.platform]
    throw new ReasonedError(mapped.reason, {
      message: mapped.message
        .replaceAll('WeChat', names.service)
        .replaceAll('wx.login', names.login),
      cause: error,
    })
  }
}

/** Who logs in, and the session_key to keep for them (null: none came). */
export interface LoginIdentity {
  openid: string
  unionid?: string | undefined
  sessionKey: string | null
}

/**
 * Who a login is for: the code's user (code2Session), or, on Cloud Hosting
 * without a code, the user the gateway's headers name (no session_key comes
 * with those). The caller has checked that one of the two is there and that
 * `app` is the gateway's app when there is a cloud identity.
 *
 * A code and the headers together (the app's usual login, which calls
 * wx.login, running behind the gateway) must name the same user, or the
 * login is refused. Neither is taken over the other: the headers say who is
 * calling now, the code only that someone held a fresh code of its user, so
 * letting the code win would let a leaked code log in as its owner through
 * another person's WeChat, and letting the headers win would keep the code
 * user's session_key for the wrong user. Both agreeing is both proofs.
 */
export async function loginIdentity(
  ctx: Context,
  app: MiniApp,
  login: { code?: string | undefined; anonymous?: boolean | undefined },
  cloud: CloudIdentity | null,
): Promise<LoginIdentity> {
  const { code, anonymous } = login
  if (code === undefined) {
    if (!cloud) throw new ReasonedError('LOGIN_CODE_REQUIRED')
    ctx.log.info({ appid: app.appid, source: cloud.source }, 'login by Cloud Hosting identity')
    return { openid: cloud.openid, unionid: cloud.unionid, sessionKey: null }
  }
  if (anonymous && app.platform !== 'tt') {
    throw new ReasonedError('INVALID_INPUT', { message: "Anonymous login codes are Douyin's only" })
  }
  const exchanged = await exchangeCode(ctx, app, code, anonymous ? { anonymous } : undefined)
  if (cloud && exchanged.openid !== cloud.openid) {
    ctx.log.warn({ appid: app.appid }, 'login code of another user than the Cloud Hosting caller')
    throw new ReasonedError('LOGIN_IDENTITY_MISMATCH')
  }
  return {
    openid: exchanged.openid,
    // WeChat's unionid, else the gateway's (the same user, as just checked).
    unionid: exchanged.unionid ?? cloud?.unionid,
    sessionKey: exchanged.sessionKey,
  }
}

const date = z.date()
const text = z.string().nullable()

/** The user's row as the statement returns it, checked into Prisma's own type. */
const UserRow = z
  .object({
    id: z.string(),
    platform: z.enum(Platform),
    appid: z.string(),
    openid: z.string(),
    unionid: text,
    nickname: text,
    avatar_url: text,
    phone_number: text,
    phone_country_code: text,
    created_at: date,
    updated_at: date,
    last_login_at: date.nullable(),
  })
  .transform(
    (r): User => ({
      id: r.id,
      platform: r.platform,
      appid: r.appid,
      openid: r.openid,
      unionid: r.unionid,
      nickname: r.nickname,
      avatarUrl: r.avatar_url,
      phoneNumber: r.phone_number,
      phoneCountryCode: r.phone_country_code,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      lastLoginAt: r.last_login_at,
    }),
  )

/**
 * A login's writes, in one statement (data-modifying CTEs), after counting
 * it against `limit` (the per-user limit): the user of (platform, appid, openid),
 * created on first login; the login's session_key, sealed; the new session.
 * A refused login writes nothing; an allowed one costs one round trip. A
 * login without a session_key (Cloud Hosting's headers) leaves whatever key
 * an earlier code login of the same user kept: it is still that user's, and
 * with none, the procedures that need one answer SESSION_KEY_MISSING.
 *
 * INSERT … ON CONFLICT DO UPDATE (a real write: last login) makes concurrent
 * first logins create exactly one user; the id is only used when the row is
 * new (UUIDv7, as Prisma's @default(uuid(7)) makes). Raw SQL: Prisma sends
 * each write as its own statement and compiles its upserts on every call;
 * rows are checked by zod, not cast. Timestamps are `timestamp` columns
 * holding UTC, which is how the adapter sends a Date.
 */
export async function recordLogin(
  ctx: Context,
  identity: {
    platform: Platform
    appid: string
    openid: string
    unionid?: string | undefined
    /** Stored sealed with the user when not null (see above for null). */
    sessionKey: string | null
  },
  limit: LoginLimit,
  client: ClientInfo | undefined,
): Promise<{ user: User; token: string; session: SessionRecord }> {
  const { prisma } = ctx.services.db
  const hit =
    limit.perMinute === 0
      ? null
      : ctx.services.rateLimiter.hitStatement(loginLimitKey(limit.key), limit.perMinute, MINUTE)
  const at = new Date()
  const hitSql = hit
    ? hit.sql
    : Prisma.sql`SELECT true AS allowed, 0 AS count, NULL::timestamptz AS oldest`
  const userIds = Prisma.sql`SELECT id::uuid FROM u`
  const session = ctx.services.sessions.insertStatement({
    userIds,
    appid: identity.appid,
    client,
    ip: ctx.clientIp,
  })
  const rows: unknown[] = await prisma.$queryRaw`
    WITH hit AS (${hitSql}),
    u AS (
      INSERT INTO users AS u (id, platform, appid, openid, unionid, created_at, updated_at, last_login_at)
      SELECT ${uuidv7()}::uuid, ${identity.platform}::platform, ${identity.appid}, ${identity.openid},
             ${identity.unionid || null},
             ${at}::timestamp, ${at}::timestamp, ${at}::timestamp
       WHERE (SELECT allowed FROM hit)
      ON CONFLICT (platform, appid, openid) DO UPDATE SET
        last_login_at = EXCLUDED.last_login_at,
        updated_at = EXCLUDED.updated_at,
        unionid = coalesce(EXCLUDED.unionid, u.unionid)
      RETURNING u.id::text AS id, u.platform::text AS platform, u.appid, u.openid, u.unionid, u.nickname, u.avatar_url,
        u.phone_number, u.phone_country_code, u.created_at, u.updated_at, u.last_login_at
    ),${
      identity.sessionKey === null
        ? Prisma.empty
        : Prisma.sql`
    k AS (${ctx.services.sessionKeys.storeStatement({
      userIds,
      appid: identity.appid,
      openid: identity.openid,
      sessionKey: identity.sessionKey,
    })}),`
    }
    s AS (${session.sql})
    SELECT h.allowed, h.count, h.oldest, u.* FROM hit h LEFT JOIN u ON true`
  const [row] = rows
  if (hit) {
    const result = hit.result(row)
    if (!result.allowed) refuseLogin(ctx, limit, result)
  }
  const user = UserRow.parse(row)
  return { user, ...session.opened(user.id) }
}

/** What `auth.login` answers for the login recordLogin wrote. */
export async function loggedIn(
  ctx: Context,
  login: { user: User; token: string; session: SessionRecord },
) {
  const { user, token, session } = login
  // What a login changes (last login time, unionid) is nothing another
  // instance's cached user shows: no announcement, one statement less.
  await ctx.services.sessions.forgetUser(user.id, { everywhere: false })
  ctx.log.info({ userId: user.id, sessionId: session.id, appid: session.appid }, 'logged in')
  return { token, expiresAt: session.absoluteExpiresAt.toISOString(), user: publicUser(user) }
}
