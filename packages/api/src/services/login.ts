/*
 * The steps of `auth.login`, each a named function over the request's
 * context, so the procedure reads as the flow it is.
 */
import type { User } from '@wxapp/db'
import type { ClientInfo } from '@wxapp/session/shared'
import type { Code2SessionResult } from '@wxapp/wechat'
import type { Context } from '../context'
import { ReasonedError } from '../errors'
import { publicUser } from '../users'
import { callWechat, wechatLoginError } from '../wechat-errors'
import type { WechatApp } from './wechat-apps'

const MINUTE = 60_000

/** Counts one login against a per-minute limit (0: none); refuses beyond it. */
export async function limitLogins(
  ctx: Context,
  key: string,
  perMinute: number,
  who: string,
): Promise<void> {
  if (perMinute === 0) return
  const result = await ctx.services.rateLimiter.hit(`login:${key}`, perMinute, MINUTE)
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

/** Keeps the login's session_key (sealed) and opens a session: what `auth.login` answers. */
export async function openSession(
  ctx: Context,
  opts: { user: User; appid: string; sessionKey: string; client: ClientInfo | undefined },
) {
  const { user, appid } = opts
  const { sessions, sessionKeys } = ctx.services
  // What a login changes (last login time, unionid) is nothing another
  // instance's cached user shows: no announcement, one statement less.
  await sessions.forgetUser(user.id, { everywhere: false })
  await sessionKeys.store({ userId: user.id, appid, sessionKey: opts.sessionKey })
  const { token, session } = await sessions.create({
    userId: user.id,
    appid,
    client: opts.client,
    ip: ctx.clientIp,
  })
  ctx.log.info({ userId: user.id, sessionId: session.id, appid }, 'logged in')
  return { token, expiresAt: session.absoluteExpiresAt.toISOString(), user: publicUser(user) }
}
