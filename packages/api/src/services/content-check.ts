/**
 * WeChat's content security for what users supply: nicknames through
 * msg_sec_check (answered at once), avatars through media_check_async
 * (answered later, at the message-push endpoint).
 *
 * The policy, stated once:
 * - `risky` is never stored: a nickname is refused with CONTENT_RISKY; an
 *   avatar that turns out risky is removed from storage and from every
 *   profile showing it.
 * - `review` is stored and recorded (status `review`) for a person to look at.
 * - `pass` is stored.
 * - WeChat failing (busy, timeout, limits) neither loses the change nor lets
 *   it through silently: it is stored and recorded `unchecked`, and
 *   `recheckContent` (the housekeeping loop) asks WeChat again with backoff
 *   until it answers, then applies the verdict as above.
 * - Users of QQ, Douyin and Alipay apps: WeChat's checks take WeChat openids
 *   only, and those platforms' own checks are not wired in (yet), so their
 *   content is stored and recorded `review` for a person, never let through
 *   unrecorded (`manualReview`).
 *
 * Content and verdict labels are user data: logs carry ids, trace ids and
 * labels, never the text.
 */
import type { Prisma } from '@wxapp/db'
import { WechatApiError } from '@wxapp/wechat'
import { z } from 'zod'
import type { ApiLogger, ApiServices } from '../context'
import { ReasonedError } from '../errors'
import type { MiniApp, WechatApp } from './apps'

/** msg_sec_check / media_check_async scene 1: profile data (nickname, avatar). */
export const PROFILE_SCENE = 1

export type ContentKind = 'nickname' | 'avatar'
export type ContentStatus = 'pending' | 'pass' | 'review' | 'risky' | 'unchecked' | 'superseded'

/** After a failed check: 1 min, doubling, at most 1 h between attempts. */
const RECHECK_BASE_MS = 60_000
const RECHECK_MAX_MS = 3_600_000
/** How long a claimed recheck stays claimed (another instance skips it meanwhile). */
const CLAIM_MS = 5 * 60_000

export function recheckDelayMs(attempts: number): number {
  return Math.min(RECHECK_MAX_MS, RECHECK_BASE_MS * 2 ** Math.max(0, attempts - 1))
}

/** The user a check is about: enough to name them to WeChat. */
export interface CheckedUser {
  id: string
  appid: string
  openid: string
}

/** What msg_sec_check says of a nickname, or `unchecked` when it could not be asked. */
export type WechatNicknameVerdict =
  | { status: 'pass' | 'review'; label: number; traceId: string }
  | { status: 'unchecked' }

export type NicknameVerdict =
  | WechatNicknameVerdict
  /** No automatic check on this app's platform: stored, for a person to look at. */
  | { status: 'manual' }

/** The platforms whose content goes to a person, not to WeChat (see the policy above). */
export function manualReview(app: MiniApp): app is Exclude<MiniApp, WechatApp> {
  return app.platform !== 'weapp'
}

/**
 * Asks WeChat about a nickname before it is stored (other platforms': see
 * the policy above). Throws CONTENT_RISKY for `risky`; answers `unchecked`
 * when WeChat could not be asked (the caller stores it and records it for a
 * recheck).
 */
export async function checkNickname(
  app: MiniApp,
  log: ApiLogger,
  user: CheckedUser,
  nickname: string,
): Promise<NicknameVerdict> {
  return manualReview(app) ? { status: 'manual' } : askMsgSecCheck(app, log, user, nickname)
}

async function askMsgSecCheck(
  app: WechatApp,
  log: ApiLogger,
  user: CheckedUser,
  nickname: string,
): Promise<WechatNicknameVerdict> {
  try {
    const result = await app.accessToken.call((token) =>
      app.client.msgSecCheck(token, {
        openid: user.openid,
        scene: PROFILE_SCENE,
        content: nickname,
      }),
    )
    if (result.suggest === 'risky') {
      log.info(
        { userId: user.id, appid: app.appid, traceId: result.traceId, label: result.label },
        'nickname refused by content security',
      )
      throw new ReasonedError('CONTENT_RISKY', {
        message: "WeChat's content security refused this nickname: choose another",
      })
    }
    return { status: result.suggest, label: result.label, traceId: result.traceId }
  } catch (error) {
    if (!(error instanceof WechatApiError)) throw error
    log.warn(
      { userId: user.id, appid: app.appid, kind: error.kind, errcode: error.errcode },
      'nickname could not be checked; stored and recorded for a recheck',
    )
    return { status: 'unchecked' }
  }
}

/** The row a nickname verdict leaves: none for a pass, a record for review or a recheck. */
export function nicknameRecord(
  user: CheckedUser,
  nickname: string,
  verdict: NicknameVerdict,
  now: Date,
): Prisma.ContentCheckCreateManyInput | null {
  if (verdict.status === 'pass') return null
  const base = { userId: user.id, appid: user.appid, kind: 'nickname', content: nickname }
  if (verdict.status === 'manual') return { ...base, status: 'review', attempts: 0, decidedAt: now }
  if (verdict.status === 'review') {
    return {
      ...base,
      status: 'review',
      label: verdict.label,
      traceId: verdict.traceId,
      attempts: 1,
      decidedAt: now,
    }
  }
  return {
    ...base,
    status: 'unchecked',
    attempts: 1,
    nextCheckAt: new Date(now.getTime() + recheckDelayMs(1)),
  }
}

export interface UploadedAvatar {
  /** The object's key in the upload store; null for a URL from elsewhere. */
  key: string | null
  /** The URL WeChat downloads it from (and the profile shows). */
  url: string
}

/**
 * What is known of an uploaded file already: the same bytes from the same
 * user have the same key, so a verdict given once holds for every upload.
 */
export function knownAvatarVerdict(
  services: ApiServices,
  key: string,
): Promise<ContentStatus | null> {
  return latestAvatarVerdict(services, { uploadKey: key })
}

/** The latest verdict on an avatar (by upload key, or by user and URL), superseded ones aside. */
export async function latestAvatarVerdict(
  services: ApiServices,
  where: { uploadKey: string } | { userId: string; content: string },
): Promise<ContentStatus | null> {
  const check = await services.db.prisma.contentCheck.findFirst({
    where: { ...where, kind: 'avatar', status: { not: 'superseded' } },
    orderBy: { createdAt: 'desc' },
    select: { status: true },
  })
  return check ? (check.status as ContentStatus) : null
}

/**
 * Submits an uploaded avatar to media_check_async and records it `pending`
 * with WeChat's trace_id (the push of the verdict names only that), or
 * `unchecked` when WeChat could not be asked. The row is written before the
 * call, so a verdict that comes back fast finds it.
 */
export async function submitAvatarCheck(
  services: ApiServices,
  app: MiniApp,
  log: ApiLogger,
  user: CheckedUser,
  avatar: UploadedAvatar,
  now = new Date(),
): Promise<ContentStatus> {
  const base = {
    userId: user.id,
    appid: app.appid,
    kind: 'avatar',
    content: avatar.url,
    uploadKey: avatar.key,
  }
  if (manualReview(app)) {
    await services.db.prisma.contentCheck.create({
      data: { ...base, status: 'review', attempts: 0, decidedAt: now },
    })
    log.info({ userId: user.id, appid: app.appid }, 'avatar recorded for review')
    return 'review'
  }
  const check = await services.db.prisma.contentCheck.create({
    data: { ...base, status: 'pending', attempts: 1 },
    select: { id: true },
  })
  return askMediaCheck(
    services,
    app,
    log,
    user,
    { id: check.id, url: avatar.url, attempts: 1 },
    now,
  )
}

async function askMediaCheck(
  services: ApiServices,
  app: WechatApp,
  log: ApiLogger,
  user: CheckedUser,
  check: { id: string; url: string; attempts: number },
  now: Date,
): Promise<ContentStatus> {
  try {
    const { traceId } = await app.accessToken.call((token) =>
      app.client.mediaCheckAsync(token, {
        openid: user.openid,
        scene: PROFILE_SCENE,
        mediaUrl: check.url,
        mediaType: 'image',
      }),
    )
    await services.db.prisma.contentCheck.update({
      where: { id: check.id },
      data: { status: 'pending', traceId, nextCheckAt: null },
    })
    log.info({ userId: user.id, appid: app.appid, traceId }, 'avatar submitted to content security')
    return 'pending'
  } catch (error) {
    if (!(error instanceof WechatApiError)) throw error
    log.warn(
      { userId: user.id, appid: app.appid, kind: error.kind, errcode: error.errcode },
      'avatar could not be submitted to content security; kept and recorded for a recheck',
    )
    await services.db.prisma.contentCheck.update({
      where: { id: check.id },
      data: {
        status: 'unchecked',
        nextCheckAt: new Date(now.getTime() + recheckDelayMs(check.attempts)),
      },
    })
    return 'unchecked'
  }
}

export interface MediaVerdict {
  appid: string
  traceId: string
  suggest: 'pass' | 'review' | 'risky'
  label: number
  /** Not 0: WeChat could not check (it could not download the file, say); the verdict means nothing. */
  errcode: number
}

export type MediaVerdictOutcome =
  /** No check has this trace_id (yet, or any more: the account was deleted). */
  | 'unknown'
  /** The check was decided already: a retry or a duplicate push. */
  | 'duplicate'
  | 'pass'
  | 'review'
  | 'risky'
  /** WeChat could not check it: submitted again by recheckContent. */
  | 'unchecked'

/**
 * Applies a pushed media_check_async verdict, once: only a `pending` check
 * changes (one conditional UPDATE), so retries and duplicates change nothing.
 * A risky avatar leaves every profile showing it and its upload row in the
 * same transaction, then its file leaves the store (see removeRiskyFiles).
 */
export async function applyMediaVerdict(
  services: ApiServices,
  log: ApiLogger,
  verdict: MediaVerdict,
  now = new Date(),
): Promise<MediaVerdictOutcome> {
  const { prisma } = services.db
  const outcome = await prisma.$transaction(async (tx) => {
    const check = await tx.contentCheck.findUnique({
      where: { traceId: verdict.traceId },
      select: { id: true, appid: true, userId: true, content: true, uploadKey: true },
    })
    if (!check || check.appid !== verdict.appid) return { kind: 'unknown' as const }
    if (verdict.errcode !== 0) {
      const failed = await tx.contentCheck.updateMany({
        where: { id: check.id, status: 'pending' },
        data: { status: 'unchecked', nextCheckAt: new Date(now.getTime() + recheckDelayMs(1)) },
      })
      return { kind: failed.count === 0 ? ('duplicate' as const) : ('unchecked' as const) }
    }
    const decided = await tx.contentCheck.updateMany({
      where: { id: check.id, status: 'pending' },
      data: {
        status: verdict.suggest,
        label: verdict.label,
        decidedAt: now,
        // A risky file still has to leave the store: removeRiskyFiles clears this.
        nextCheckAt: verdict.suggest === 'risky' ? now : null,
      },
    })
    if (decided.count === 0) return { kind: 'duplicate' as const }
    if (verdict.suggest !== 'risky') return { kind: verdict.suggest }
    // Every profile showing it (a URL from elsewhere may be several users'), each cache told.
    const showing = await tx.user.findMany({
      where: { avatarUrl: check.content },
      select: { id: true },
    })
    await tx.user.updateMany({ where: { avatarUrl: check.content }, data: { avatarUrl: null } })
    if (check.uploadKey) await tx.upload.deleteMany({ where: { key: check.uploadKey } })
    return { kind: 'risky' as const, users: showing.map((u) => u.id) }
  })
  log.info(
    {
      appid: verdict.appid,
      traceId: verdict.traceId,
      suggest: verdict.suggest,
      label: verdict.label,
      errcode: verdict.errcode,
      outcome: outcome.kind,
    },
    'avatar verdict received',
  )
  if (outcome.kind === 'risky') {
    for (const userId of outcome.users)
      await services.sessions.forgetUser(userId, { everywhere: true })
    await removeRiskyFiles(services, log, now)
  }
  return outcome.kind
}

const ClaimedRow = z.object({ id: z.string() })

/**
 * Removes the files of risky avatars from the store (each row marked by
 * `next_check_at`), clearing the mark once the file is gone. A store that is
 * down leaves the mark, and the housekeeping loop tries again.
 */
export async function removeRiskyFiles(services: ApiServices, log: ApiLogger, now = new Date()) {
  const { prisma } = services.db
  const rows = await prisma.contentCheck.findMany({
    where: { status: 'risky', kind: 'avatar', nextCheckAt: { lte: now } },
    select: { id: true, uploadKey: true, traceId: true, attempts: true },
    take: 50,
  })
  for (const row of rows) {
    try {
      if (row.uploadKey) await services.files.delete(row.uploadKey)
      await prisma.contentCheck.update({ where: { id: row.id }, data: { nextCheckAt: null } })
      log.info({ traceId: row.traceId, key: row.uploadKey }, 'risky avatar removed from storage')
    } catch (error) {
      log.warn(
        { traceId: row.traceId, key: row.uploadKey, err: error },
        'risky avatar could not be removed from storage; trying again later',
      )
      await prisma.contentCheck.update({
        where: { id: row.id },
        data: {
          attempts: row.attempts + 1,
          nextCheckAt: new Date(now.getTime() + recheckDelayMs(row.attempts)),
        },
      })
    }
  }
}

/**
 * Checks again what WeChat could not check (status `unchecked`, due): a
 * nickname still in use goes through msg_sec_check (risky: the profile loses
 * it), an avatar is submitted again. Rows are claimed with one UPDATE … FOR
 * UPDATE SKIP LOCKED, so instances running this together take different rows.
 */
export async function recheckContent(
  services: ApiServices,
  log: ApiLogger,
  opts: { now?: Date; limit?: number } = {},
): Promise<number> {
  const now = opts.now ?? new Date()
  const { prisma } = services.db
  const claimed = z.array(ClaimedRow).parse(
    await prisma.$queryRaw`UPDATE content_checks SET next_check_at = ${new Date(now.getTime() + CLAIM_MS)}
        WHERE id IN (SELECT id FROM content_checks
          WHERE status = 'unchecked' AND next_check_at <= ${now}
          ORDER BY next_check_at LIMIT ${opts.limit ?? 20} FOR UPDATE SKIP LOCKED)
        RETURNING id::text AS id`,
  )
  for (const { id } of claimed) {
    const check = await prisma.contentCheck.findUnique({
      where: { id },
      include: {
        user: { select: { id: true, appid: true, openid: true, nickname: true, avatarUrl: true } },
      },
    })
    if (!check) continue
    const app = services.apps.get(check.appid)
    const inUse =
      check.kind === 'nickname'
        ? check.user.nickname === check.content
        : check.user.avatarUrl === check.content || check.uploadKey !== null
    // Only WeChat apps' content is ever `unchecked`; another platform's (an
    // appid moved between platforms) has nothing to ask WeChat with.
    if (!app || manualReview(app) || !inUse) {
      // Nothing to protect any more (changed since, or the app left the configuration).
      await prisma.contentCheck.update({
        where: { id },
        data: { status: 'superseded', nextCheckAt: null },
      })
      continue
    }
    const attempts = check.attempts + 1
    await prisma.contentCheck.update({ where: { id }, data: { attempts } })
    if (check.kind === 'avatar') {
      await askMediaCheck(services, app, log, check.user, { id, url: check.content, attempts }, now)
      continue
    }
    await recheckNickname(services, app, log, check, attempts, now)
  }
  return claimed.length
}

async function recheckNickname(
  services: ApiServices,
  app: WechatApp,
  log: ApiLogger,
  check: { id: string; content: string; user: CheckedUser },
  attempts: number,
  now: Date,
) {
  const { prisma } = services.db
  let verdict: WechatNicknameVerdict | 'risky'
  try {
    verdict = await askMsgSecCheck(app, log, check.user, check.content)
  } catch (error) {
    if (!(error instanceof ReasonedError) || error.reason !== 'CONTENT_RISKY') throw error
    verdict = 'risky'
  }
  if (verdict === 'risky') {
    await prisma.$transaction([
      prisma.user.updateMany({
        where: { id: check.user.id, nickname: check.content },
        data: { nickname: null },
      }),
      prisma.contentCheck.update({
        where: { id: check.id },
        data: { status: 'risky', decidedAt: now, nextCheckAt: null },
      }),
    ])
    await services.sessions.forgetUser(check.user.id, { everywhere: true })
    return
  }
  if (verdict.status === 'unchecked') {
    await prisma.contentCheck.update({
      where: { id: check.id },
      data: { nextCheckAt: new Date(now.getTime() + recheckDelayMs(attempts)) },
    })
    return
  }
  await prisma.contentCheck.update({
    where: { id: check.id },
    data: {
      status: verdict.status,
      label: verdict.label,
      traceId: verdict.traceId,
      decidedAt: now,
      nextCheckAt: null,
    },
  })
}

/** A risky verdict known already: refused before anything is stored. */
export function refuseRiskyAvatar(): never {
  throw new ReasonedError('CONTENT_RISKY', {
    message: "WeChat's content security refused this image: choose another",
  })
}
