import type { User } from '@wxapp/db'
import type { LoginReason } from '@wxapp/session/shared'
import type { WechatClient } from '@wxapp/wechat'
import { z } from 'zod'
import type { Context } from '../context'
import { ReasonedError } from '../errors'
import { toStorableText } from '../text'
import { protectedProcedure, publicProcedure, router } from '../trpc'
import { publicUser } from '../users'
import { wechatLoginError } from '../wechat-errors'

const MINUTE = 60_000

// Descriptive only (the session list shows it): cleaned rather than refused,
// so an odd device name never fails a login.
const clientField = z.string().trim().max(64).transform(toStorableText).optional()
const ClientInfoSchema = z
  .object({
    platform: clientField,
    model: clientField,
    system: clientField,
    version: clientField,
  })
  .strip()

function loginError(
  code: 'BAD_REQUEST' | 'TOO_MANY_REQUESTS',
  reason: LoginReason,
  message: string,
) {
  return new ReasonedError({ code, reason, message })
}

async function limit(ctx: Context, key: string, perMinute: number, who: string): Promise<void> {
  if (perMinute === 0) return
  const result = await ctx.services.rateLimiter.hit(key, perMinute, MINUTE)
  if (!result.allowed) {
    ctx.log.warn({ limit: who, count: result.count }, 'login rate limit reached')
    throw loginError(
      'TOO_MANY_REQUESTS',
      'LOGIN_RATE_LIMITED',
      `Too many logins ${who}: try again after ${result.resetAt.toISOString()}`,
    )
  }
}

/**
 * The user of (appid, openid), created on first login. The upsert's update is
 * a real write (last login), which makes PostgreSQL run it as one INSERT … ON
 * CONFLICT, so concurrent first logins create exactly one user; a unique
 * violation is still possible on other paths and is answered by a re-read.
 */
async function upsertUser(
  ctx: Context,
  identity: { appid: string; openid: string; unionid?: string | undefined },
): Promise<User> {
  const { prisma } = ctx.services.db
  const now = new Date()
  const data = { lastLoginAt: now, ...(identity.unionid ? { unionid: identity.unionid } : {}) }
  try {
    return await prisma.user.upsert({
      where: { appid_openid: { appid: identity.appid, openid: identity.openid } },
      create: { appid: identity.appid, openid: identity.openid, ...data },
      update: data,
    })
  } catch (error) {
    if ((error as { code?: string }).code !== 'P2002') throw error
    return prisma.user.update({
      where: { appid_openid: { appid: identity.appid, openid: identity.openid } },
      data,
    })
  }
}

export const authRouter = router({
  /**
   * wx.login's code → a session token. The code is exchanged with WeChat
   * (code2Session); the session_key stays on the server, sealed.
   */
  login: publicProcedure
    .input(
      z.object({
        code: z.string().trim().min(1).max(128),
        appid: z.string().trim().min(1).max(64).optional(),
        client: ClientInfoSchema.optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const appid = input.appid ?? ctx.appid ?? ctx.services.apps.defaultAppid
      const wechat: WechatClient | undefined = ctx.services.apps.get(appid)?.client
      if (!wechat) {
        throw loginError(
          'BAD_REQUEST',
          'APP_UNKNOWN',
          'This server does not serve that mini-program',
        )
      }
      const limits = ctx.services.loginLimits
      await limit(ctx, `login:ip:${ctx.clientIp}`, limits.perIpPerMinute, 'from this address')

      let identity: Awaited<ReturnType<WechatClient['code2Session']>>
      try {
        identity = await wechat.code2Session(input.code)
      } catch (error) {
        const mapped = wechatLoginError(error)
        if (mapped.code === 'INTERNAL_SERVER_ERROR') {
          ctx.log.error({ err: error, appid }, 'WeChat refused the server: check its configuration')
        }
        throw mapped
      }
      await limit(
        ctx,
        `login:user:${appid}:${identity.openid}`,
        limits.perUserPerMinute,
        'for this WeChat user',
      )

      const user = await upsertUser(ctx, {
        appid,
        openid: identity.openid,
        unionid: identity.unionid,
      })
      ctx.services.sessions.forgetUser(user.id)
      await ctx.services.sessionKeys.store({
        userId: user.id,
        appid,
        sessionKey: identity.sessionKey,
      })
      const { token, session } = await ctx.services.sessions.create({
        userId: user.id,
        appid,
        client: input.client,
        ip: ctx.clientIp,
      })
      ctx.log.info({ userId: user.id, sessionId: session.id, appid }, 'logged in')
      return {
        token,
        expiresAt: session.absoluteExpiresAt.toISOString(),
        user: publicUser(user),
      }
    }),

  /** Logs out the session that makes the call. */
  logout: protectedProcedure.mutation(async ({ ctx }) => {
    await ctx.services.sessions.revoke(ctx.session.id, 'logout')
    return { ok: true as const }
  }),

  /** Logs out every session of the user, this one included. */
  logoutAll: protectedProcedure.mutation(async ({ ctx }) => {
    const revoked = await ctx.services.sessions.revokeAllForUser(ctx.session.userId, 'logout_all')
    return { revoked }
  }),
})
