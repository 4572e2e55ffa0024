import type { PhoneInfo } from '@wxapp/wechat'
import { z } from 'zod'
import { ReasonedError } from '../errors'
import { isStorableText, NOT_STORABLE } from '../text'
import { protectedProcedure, router } from '../trpc'
import { maskPhone, publicUser } from '../users'
import { wechatPhoneError } from '../wechat-errors'

/** 1-64 characters (code points, so an emoji counts once) after trimming. */
const nickname = z
  .string()
  .trim()
  .refine((v) => [...v].length >= 1, 'Nickname must not be empty')
  .refine((v) => [...v].length <= 64, 'Nickname must be at most 64 characters')
  .refine(isStorableText, `Nickname ${NOT_STORABLE}`)

const avatarUrl = z
  .string()
  .trim()
  .max(2048, 'Avatar URL is too long')
  .refine(isStorableText, `Avatar URL ${NOT_STORABLE}`)
  .refine((v) => {
    try {
      const url = new URL(v)
      return url.protocol === 'https:' || url.protocol === 'http:'
    } catch {
      return false
    }
  }, 'Avatar URL must be an http(s) URL')

export const userRouter = router({
  // The user came with the session (one read; from the session cache while it is fresh).
  me: protectedProcedure.query(({ ctx }) => publicUser(ctx.user)),

  updateProfile: protectedProcedure
    .input(z.object({ nickname: nickname.optional(), avatarUrl: avatarUrl.optional() }).strict())
    .mutation(async ({ ctx, input }) => {
      const user = await ctx.services.db.prisma.user.update({
        where: { id: ctx.session.userId },
        data: {
          ...(input.nickname !== undefined ? { nickname: input.nickname } : {}),
          ...(input.avatarUrl !== undefined ? { avatarUrl: input.avatarUrl } : {}),
        },
      })
      ctx.services.sessions.forgetUser(user.id)
      return publicUser(user)
    }),

  /**
   * Binds the phone number behind a getPhoneNumber button's code: WeChat's
   * getuserphonenumber with the app's shared access token (refreshed once if
   * WeChat refuses it), naming the user's openid so another user's code is
   * refused. Stores the number without its country code, plus the country
   * code; answers the number masked.
   */
  bindPhone: protectedProcedure
    .input(z.object({ code: z.string().trim().min(1).max(128) }))
    .mutation(async ({ ctx, input }) => {
      const { appid, userId } = ctx.session
      const { prisma } = ctx.services.db
      const app = ctx.services.apps.get(appid)
      if (!app) {
        // The session's app was removed from the configuration since it logged in.
        throw new ReasonedError({
          code: 'BAD_REQUEST',
          reason: 'APP_UNKNOWN',
          message: 'This server no longer serves that mini-program',
        })
      }
      const user = await prisma.user.findUnique({ where: { id: userId }, select: { openid: true } })
      if (!user)
        throw new ReasonedError({
          code: 'NOT_FOUND',
          reason: 'NOT_FOUND',
          message: 'User not found',
        })

      let phone: PhoneInfo
      try {
        phone = await app.accessToken.call((token) =>
          app.client.getUserPhoneNumber(token, { code: input.code, openid: user.openid }),
        )
      } catch (error) {
        const mapped = wechatPhoneError(error)
        if (mapped.code === 'INTERNAL_SERVER_ERROR') {
          ctx.log.error({ err: error, appid }, 'WeChat phone number call failed on the server side')
        }
        throw mapped
      }
      await prisma.user.update({
        where: { id: userId },
        data: { phoneNumber: phone.purePhoneNumber, phoneCountryCode: phone.countryCode },
      })
      ctx.services.sessions.forgetUser(userId)
      ctx.log.info({ userId, appid }, 'phone number bound')
      return { phoneNumber: maskPhone(phone.purePhoneNumber), countryCode: phone.countryCode }
    }),
})
