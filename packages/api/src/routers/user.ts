import { z } from 'zod'
import { ReasonedError } from '../errors'
import { protectedProcedure, router } from '../trpc'
import { publicUser } from '../users'

/** 1-64 characters (code points, so an emoji counts once) after trimming. */
const nickname = z
  .string()
  .trim()
  .refine((v) => [...v].length >= 1, 'Nickname must not be empty')
  .refine((v) => [...v].length <= 64, 'Nickname must be at most 64 characters')

const avatarUrl = z
  .string()
  .trim()
  .max(2048, 'Avatar URL is too long')
  .refine((v) => {
    try {
      const url = new URL(v)
      return url.protocol === 'https:' || url.protocol === 'http:'
    } catch {
      return false
    }
  }, 'Avatar URL must be an http(s) URL')

export const userRouter = router({
  me: protectedProcedure.query(async ({ ctx }) => {
    const user = await ctx.services.db.prisma.user.findUnique({ where: { id: ctx.session.userId } })
    // The session cascades with its user, so this only happens in a race with deletion.
    if (!user)
      throw new ReasonedError({ code: 'NOT_FOUND', reason: 'NOT_FOUND', message: 'User not found' })
    return publicUser(user)
  }),

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
      return publicUser(user)
    }),

  /**
   * Binds the phone number behind a getPhoneNumber button's code. Not served
   * yet: it needs the shared WeChat access token; until then the answer is a
   * typed 501 the app can show.
   */
  bindPhone: protectedProcedure
    .input(z.object({ code: z.string().trim().min(1).max(128) }))
    .mutation((): { phoneNumber: string } => {
      throw new ReasonedError({
        code: 'NOT_IMPLEMENTED',
        reason: 'PHONE_BINDING_UNAVAILABLE',
        message: 'Binding a phone number is not available on this server yet',
      })
    }),
})
