import type { PhoneInfo } from '@wxapp/wechat'
import type { Context } from '../context'
import { callWechat, wechatPhoneError } from '../wechat-errors'
import type { WechatApp } from './apps'

/**
 * The phone number behind a getPhoneNumber button's code: WeChat's
 * getuserphonenumber with the app's shared access token (refreshed once if
 * WeChat refuses it), naming the user's openid so another user's code is
 * refused.
 */
export function fetchPhoneNumber(
  ctx: Context,
  app: WechatApp,
  request: { code: string; openid: string },
): Promise<PhoneInfo> {
  return callWechat(ctx.log, app.appid, wechatPhoneError, () =>
    app.accessToken.call((token) => app.client.getUserPhoneNumber(token, request)),
  )
}

/** Stores the number without its country code, plus the country code. */
export async function storePhoneNumber(ctx: Context, userId: string, phone: PhoneInfo) {
  await ctx.services.db.prisma.user.update({
    where: { id: userId },
    data: { phoneNumber: phone.purePhoneNumber, phoneCountryCode: phone.countryCode },
  })
  await ctx.services.sessions.forgetUser(userId)
}
