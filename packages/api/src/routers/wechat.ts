import { checkRawDataSignature, decryptUserData, WechatDataError } from '@wxapp/wechat'
import { z } from 'zod'
import { ReasonedError } from '../errors'
import { protectedProcedure, router } from '../trpc'
import { wechatDataError } from '../wechat-errors'

const base64 = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[A-Za-z0-9+/]+={0,2}$/, 'must be base64')

/**
 * Bounds well above what WeChat sends (a user's profile or a phone number is
 * a few hundred bytes), so nothing large is decrypted or hashed.
 */
const DecryptInput = z
  .object({
    encryptedData: base64(16_384),
    iv: base64(24),
    rawData: z.string().min(1).max(8192).optional(),
    signature: z
      .string()
      .regex(/^[0-9a-fA-F]{40}$/, 'must be 40 hex digits')
      .optional(),
  })
  .strict()
  .refine((v) => (v.rawData === undefined) === (v.signature === undefined), {
    message: 'rawData and signature go together',
    path: ['signature'],
  })

export const wechatRouter = router({
  /**
   * Decrypts legacy `encryptedData` (and checks `rawData`'s signature when
   * given) with the session_key WeChat issued at this login. The key never
   * leaves the server; the answer is the decrypted object, watermark included.
   */
  decryptUserData: protectedProcedure.input(DecryptInput).mutation(async ({ ctx, input }) => {
    const { appid, userId } = ctx.session
    let sessionKey: string | null
    try {
      sessionKey = await ctx.services.sessionKeys.read({ userId, appid })
    } catch (error) {
      // Sealed with a data key the server no longer has: a new login stores a readable one.
      ctx.log.warn({ err: error, userId }, 'stored session_key cannot be opened')
      sessionKey = null
    }
    if (!sessionKey) {
      throw new ReasonedError('SESSION_KEY_MISSING')
    }
    try {
      if (input.rawData !== undefined && input.signature !== undefined) {
        checkRawDataSignature({ rawData: input.rawData, signature: input.signature, sessionKey })
      }
      return decryptUserData({
        encryptedData: input.encryptedData,
        iv: input.iv,
        sessionKey,
        appid,
      })
    } catch (error) {
      if (error instanceof WechatDataError) {
        ctx.log.info({ userId, appid, kind: error.kind }, 'user data refused')
      }
      throw wechatDataError(error)
    }
  }),
})
