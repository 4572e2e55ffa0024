import { z } from 'zod'
import { exchangeCode, limitLogins, openSession, upsertUser } from '../services/login'
import { requireApp } from '../services/wechat-apps'
import { toStorableText } from '../text'
import { protectedProcedure, publicProcedure, router } from '../trpc'

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

const LoginInput = z.object({
  code: z.string().trim().min(1).max(128),
  appid: z.string().trim().min(1).max(64).optional(),
  client: ClientInfoSchema.optional(),
})

export const authRouter = router({
  /**
   * wx.login's code → a session token. The code is exchanged with WeChat
   * (code2Session); the session_key stays on the server, sealed.
   */
  login: publicProcedure.input(LoginInput).mutation(async ({ ctx, input }) => {
    const app = requireApp(ctx, input.appid)
    const limits = ctx.services.loginLimits
    await limitLogins(ctx, `ip:${ctx.clientIp}`, limits.perIpPerMinute, 'from this address')
    const identity = await exchangeCode(ctx, app, input.code)
    await limitLogins(
      ctx,
      `user:${app.appid}:${identity.openid}`,
      limits.perUserPerMinute,
      'for this WeChat user',
    )
    const { openid, unionid } = identity
    const user = await upsertUser(ctx, { appid: app.appid, openid, unionid })
    return openSession(ctx, {
      user,
      appid: app.appid,
      sessionKey: identity.sessionKey,
      client: input.client,
    })
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
