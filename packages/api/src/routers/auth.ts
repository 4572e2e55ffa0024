import { z } from 'zod'
import { ReasonedError } from '../errors'
import { requireApp } from '../services/apps'
import {
  limitLogins,
  loggedIn,
  loginIdentity,
  recordLogin,
  userLoginLimit,
} from '../services/login'
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
  // Optional only for WeChat Cloud Hosting, whose gateway names the caller
  // (ctx.cloudIdentity); anywhere else a login without one is refused.
  code: z.string().trim().min(1).max(128).optional(),
  appid: z.string().trim().min(1).max(64).optional(),
  /** `code` is Douyin's anonymousCode (tt.login of a user not logged in to Douyin). */
  anonymous: z.boolean().optional(),
  client: ClientInfoSchema.optional(),
})

export const authRouter = router({
  /**
   * A login code → a session token. The appid names the app and so its
   * platform, whose server the code is exchanged with (WeChat's and QQ's
   * code2Session, Douyin's v2 jscode2session, Alipay's oauth token); the
   * session_key, where there is one, stays on the server, sealed. On WeChat
   * Cloud Hosting (WECHAT_CLOUD_HOSTING) the code may be left out: the
   * gateway's headers name the user, and no session_key is kept.
   */
  login: publicProcedure.input(LoginInput).mutation(async ({ ctx, input }) => {
    const cloud = ctx.cloudIdentity
    if (input.code === undefined && !cloud) throw new ReasonedError('LOGIN_CODE_REQUIRED')
    // Behind the gateway the caller's app is the gateway's X-WX-APPID (the
    // same header that names the app on every request): asking for another
    // app in the input would log in a user the gateway did not name.
    if (cloud && input.appid !== undefined && input.appid !== cloud.appid) {
      throw new ReasonedError('LOGIN_IDENTITY_MISMATCH', {
        message: 'The appid asked for is not the app calling through Cloud Hosting',
      })
    }
    const app = requireApp(ctx, cloud ? cloud.appid : input.appid)
    const limits = ctx.services.loginLimits
    await limitLogins(ctx, {
      key: `ip:${ctx.clientIp}`,
      perMinute: limits.perIpPerMinute,
      who: 'from this address',
    })
    const identity = await loginIdentity(ctx, app, input, cloud)
    const { openid, unionid, sessionKey } = identity
    // One statement counts the per-user limit and writes the user, the
    // sealed session_key and the session.
    const login = await recordLogin(
      ctx,
      { platform: app.platform, appid: app.appid, openid, unionid, sessionKey },
      {
        key: userLoginLimit(app.appid, openid),
        perMinute: limits.perUserPerMinute,
        who: 'for this user',
      },
      input.client,
    )
    return loggedIn(ctx, login)
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
