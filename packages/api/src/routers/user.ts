import { z } from 'zod'
import { ReasonedError } from '../errors'
import { deleteAccount, exportUserData, UserExport } from '../services/account'
import { requireWechatApp } from '../services/apps'
import { fetchPhoneNumber, storePhoneNumber } from '../services/phone'
import { updateProfile } from '../services/profile'
import { isStorableText, NOT_STORABLE } from '../text'
import { protectedProcedure, router } from '../trpc'
import { maskPhone, publicUser } from '../users'

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
    .mutation(async ({ ctx, input }) => publicUser(await updateProfile(ctx, input))),

  /** Binds the phone number behind a getPhoneNumber button's code; answers it masked. */
  bindPhone: protectedProcedure
    .input(z.object({ code: z.string().trim().min(1).max(128) }))
    .mutation(async ({ ctx, input }) => {
      // The session's app may have left the configuration since it logged in.
      const app = requireWechatApp(ctx, ctx.session.appid, 'Binding a phone number')
      const phone = await fetchPhoneNumber(ctx, app, { code: input.code, openid: ctx.user.openid })
      await storePhoneNumber(ctx, ctx.user.id, phone)
      ctx.log.info({ userId: ctx.user.id, appid: app.appid }, 'phone number bound')
      return { phoneNumber: maskPhone(phone.purePhoneNumber), countryCode: phone.countryCode }
    }),

  /**
   * Everything the server holds on the caller, as JSON (their full phone
   * number included: it is theirs), without any secret.
   */
  exportData: protectedProcedure.output(UserExport).query(async ({ ctx }) => {
    const data = await exportUserData(ctx.services.db.prisma, ctx.user.id, {
      currentSessionId: ctx.session.id,
    })
    if (!data) throw new ReasonedError('TOKEN_INVALID')
    return data
  }),

  /**
   * Deletes the caller's account and all its data (see services/account.ts);
   * every token of theirs is refused afterwards, on every instance.
   */
  deleteAccount: protectedProcedure.mutation(async ({ ctx }) => {
    await deleteAccount(ctx, ctx.user)
    return { deleted: true as const }
  }),
})
