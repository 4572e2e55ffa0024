/*
 * The steps of `auth.login`, each a named function over the request's
 * context, so the procedure reads as the flow it is.
 */
import type { User } from '@wxapp/db'
import type { ClientInfo } from '@wxapp/session/shared'
import type { Code2SessionResult } from '@wxapp/wechat'
import type { CloudIdentity } from '../cloud-identity'
import type { Context } from '../context'
import { ReasonedError } from '../errors'
import { publicUser } from '../users'
import { callWechat, wechatLoginError } from '../wechat-errors'
import type { WechatApp } from './wechat-apps'

const MINUTE = 60_000

/** The rate limiter's key of a login limit (`key`: what it counts, see below). */
export const loginLimitKey = (key: string) => `login:${key}`

/** What the per-user login limit counts: one WeChat user of one app (a deleted account's row goes with it). */
export const userLoginLimit = (appid: string, openid: string) => `user:${appid}:${openid}`

/** Counts one login against a per-minute limit (0: none); refuses beyond it. */
export async function limitLogins(
  ctx: Context,
  key: string,
  perMinute: number,
  who: string,
): Promise<void> {
  if (perMinute === 0) return
  const result = await ctx.services.rateLimiter.hit(loginLimitKey(key), perMinute, MINUTE)
  if (result.allowed) return
  ctx.log.warn({ limit: who, count: result.count }, 'login rate limit reached')
  throw new ReasonedError('LOGIN_RATE_LIMITED', {
    message: `Too many logins ${who}: try again after ${result.resetAt.toISOString()}`,
  })
}

/** wx.login's code -> WeChat's identity of the user (code2Session), or the typed error. */
export function exchangeCode(
  ctx: Context,
  app: WechatApp,
  code: string,
): Promise<Code2SessionResult> {
  return callWechat(ctx.log, app.appid, wechatLoginError, () => app.client.code2Session(code))
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
  app: WechatApp,
  code: string | undefined,
  cloud: CloudIdentity | null,
): Promise<LoginIdentity> {
  if (code === undefined) {
    if (!cloud) throw new ReasonedError('LOGIN_CODE_REQUIRED')
    ctx.log.info({ appid: app.appid, source: cloud.source }, 'login by Cloud Hosting identity')
    return { openid: cloud.openid, unionid: cloud.unionid, sessionKey: null }
  }
  const exchanged = await exchangeCode(ctx, app, code)
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

/**
 * The user of (appid, openid), created on first login. The upsert's update is
 * a real write (last login), which makes PostgreSQL run it as one INSERT … ON
 * CONFLICT, so concurrent first logins create exactly one user; a unique
 * violation is still possible on other paths and is answered by a re-read.
 */
export async function upsertUser(
  ctx: Context,
  identity: { appid: string; openid: string; unionid?: string | undefined },
): Promise<User> {
  const { prisma } = ctx.services.db
  const where = { appid_openid: { appid: identity.appid, openid: identity.openid } }
  const data = {
    lastLoginAt: new Date(),
    ...(identity.unionid ? { unionid: identity.unionid } : {}),
  }
  try {
    return await prisma.user.upsert({
      where,
      create: { appid: identity.appid, openid: identity.openid, ...data },
      update: data,
    })
  } catch (error) {
    if ((error as { code?: string }).code !== 'P2002') throw error
    return prisma.user.update({ where, data })
  }
}

/**
 * Keeps the login's session_key (sealed) and opens a session: what
 * `auth.login` answers. A login without a session_key (Cloud Hosting's
 * headers) leaves whatever key an earlier code login of the same user kept:
 * it is still that user's, and with none, the procedures that need one
 * answer SESSION_KEY_MISSING.
 */
export async function openSession(
  ctx: Context,
  opts: { user: User; appid: string; sessionKey: string | null; client: ClientInfo | undefined },
) {
  const { user, appid } = opts
  const { sessions, sessionKeys } = ctx.services
  // What a login changes (last login time, unionid) is nothing another
  // instance's cached user shows: no announcement, one statement less.
  await sessions.forgetUser(user.id, { everywhere: false })
  if (opts.sessionKey !== null) {
    await sessionKeys.store({ userId: user.id, appid, sessionKey: opts.sessionKey })
  }
  const { token, session } = await sessions.create({
    userId: user.id,
    appid,
    client: opts.client,
    ip: ctx.clientIp,
  })
  ctx.log.info({ userId: user.id, sessionId: session.id, appid }, 'logged in')
  return { token, expiresAt: session.absoluteExpiresAt.toISOString(), user: publicUser(user) }
}
