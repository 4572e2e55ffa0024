import type { User } from '@wxapp/db'
import type { Context } from '../context'
import { requireApp } from './apps'
import {
  type CheckedUser,
  checkNickname,
  latestAvatarVerdict,
  nicknameRecord,
  refuseRiskyAvatar,
  submitAvatarCheck,
} from './content-check'

export interface ProfileChange {
  nickname?: string | undefined
  avatarUrl?: string | undefined
}

/**
 * Changes the nickname and/or avatar, each through WeChat's content security
 * (see content-check.ts for what each verdict does): a risky nickname throws
 * CONTENT_RISKY before anything is written; a check record is written
 * before the change it records.
 */
export async function updateProfile(
  ctx: Context & { user: User },
  change: ProfileChange,
): Promise<User> {
  const { prisma } = ctx.services.db
  const user = ctx.user
  // The session's app may have left the configuration since it logged in.
  const app = requireApp(ctx, user.appid)
  const now = new Date()
  const nickname = change.nickname !== user.nickname ? change.nickname : undefined
  const record =
    nickname === undefined
      ? null
      : nicknameRecord(user, nickname, await checkNickname(app, ctx.log, user, nickname), now)
  const avatarUrl = change.avatarUrl !== user.avatarUrl ? change.avatarUrl : undefined
  const submitAvatar = avatarUrl !== undefined && (await avatarNeedsCheck(ctx, user, avatarUrl))
  // The record before the change, so no stored content goes unrecorded (a
  // failed update leaves a record of content not in use, which the recheck
  // marks superseded). Two statements, not an interactive transaction: on
  // the embedded PGlite a transaction amid concurrent requests is what
  // pglite-socket gets wrong (another connection's unnamed statement is
  // replaced mid-way: "bind message supplies 8 parameters ...").
  if (record) await prisma.contentCheck.create({ data: record })
  const updated = await prisma.user.update({
    where: { id: user.id },
    data: {
      ...(change.nickname !== undefined ? { nickname: change.nickname } : {}),
      ...(change.avatarUrl !== undefined ? { avatarUrl: change.avatarUrl } : {}),
    },
  })
  await ctx.services.sessions.forgetUser(user.id)
  // An avatar from elsewhere (any http(s) URL a client sends): WeChat downloads and checks it.
  if (submitAvatar) {
    await submitAvatarCheck(ctx.services, app, ctx.log, user, { key: null, url: avatarUrl })
  }
  return updated
}

/**
 * Whether an avatar URL still has to go to WeChat: not for one of the user's
 * uploads (checked when uploaded) nor for one checked before; a URL found
 * risky before is refused.
 */
async function avatarNeedsCheck(ctx: Context, user: CheckedUser, url: string): Promise<boolean> {
  const earlier = await latestAvatarVerdict(ctx.services, { userId: user.id, content: url })
  if (earlier === 'risky') refuseRiskyAvatar()
  if (earlier) return false
  const upload = await ctx.services.db.prisma.upload.findFirst({
    where: { userId: user.id, url },
    select: { id: true },
  })
  return upload === null
}
