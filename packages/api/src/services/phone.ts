import type { PhoneInfo } from '@wxapp/wechat'
import type { Context } from '../context'
import { wechatPhoneError } from '../wechat-errors'
import type { WechatApp } from './wechat-apps'

/**
 * The phone number behind a getPhoneNumber button's code: WeChat's
 * getuserphonenumber with the app's shared access token (refreshed once if
 * WeChat refuses it), naming the user's openid so another user's code is
 * refused.
 */
export async function fetchPhoneNumber(
  ctx: Context,
  app: WechatApp,
  request: { code: string; openid: string },
): Promise<PhoneInfo> {
  try {
    return await app.accessToken.call((token) => app.client.getUserPhoneNumber(token, request))
  } catch (error) {
    const mapped = wechatPhoneError(error)
    if (mapped.code === 'INTERNAL_SERVER_ERROR') {
      ctx.log.error(
        { err: error, appid: app.appid },
        'WeChat phone number call failed on the server side',
      )
    }
    throw mapped
  }
}

/** Stores the number without its country code, plus the country code. */
export async function storePhoneNumber(ctx: Context, userId: string, phone: PhoneInfo) {
  await ctx.services.db.prisma.user.update({
    where: { id: userId },
    data: { phoneNumber: phone.purePhoneNumber, phoneCountryCode: phone.countryCode },
  })
  ctx.services.sessions.forgetUser(userId)
}
