/**
 * The content-check rules (src/services/content-check.ts) through the API and
 * the service functions, with the simulator in process as WeChat: verdicts,
 * what WeChat failing does, rechecks and their backoff, pushed verdicts
 * applied once, and risky files removed even after a store outage.
 */
import type { ObjectStore } from '@wxapp/storage'
import { StorageUnavailableError } from '@wxapp/storage'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  applyMediaVerdict,
  recheckContent,
  recheckDelayMs,
  removeRiskyFiles,
} from '../src/services/content-check'
import { APP_A, createTestApi, refusal, type TestApi } from './helpers/api'

const MSG_SEC_CHECK = '/wxa/msg_sec_check'
const MEDIA_CHECK = '/wxa/media_check_async'

let api: TestApi
let users = 0
beforeAll(async () => {
  api = await createTestApi()
  await api.sim.setContentRules({
    text: { risky: ['赌博'], review: ['代购'] },
    images: { risky: [], review: [] },
  })
})
afterAll(() => api?.close())
afterEach(async () => {
  await api.sim.faults({ path: MSG_SEC_CHECK, count: 0 })
  await api.sim.faults({ path: MEDIA_CHECK, count: 0 })
})

const newUser = () => api.login(`content-${++users}`)
const checksOf = (userId: string) =>
  api.db.prisma.contentCheck.findMany({ where: { userId }, orderBy: { createdAt: 'asc' } })
const due = (id: string) =>
  api.db.prisma.contentCheck.update({
    where: { id },
    data: { nextCheckAt: new Date(Date.now() - 1000) },
  })

describe('nicknames', () => {
  it('refuses risky ones, stores reviewed ones with a record, and passes the rest without one', async () => {
    const { api: me, user } = await newUser()
    expect(await refusal(me.user.updateProfile({ nickname: '赌博' }))).toMatchObject({
      reason: 'CONTENT_RISKY',
      code: 'UNPROCESSABLE_CONTENT',
    })
    expect((await me.user.me()).nickname).toBeNull()
    expect(await checksOf(user.id)).toEqual([])

    expect((await me.user.updateProfile({ nickname: '代购' })).nickname).toBe('代购')
    expect(await checksOf(user.id)).toMatchObject([{ kind: 'nickname', status: 'review' }])

    expect((await me.user.updateProfile({ nickname: '小红' })).nickname).toBe('小红')
    expect(await checksOf(user.id)).toHaveLength(1)
    // The same nickname again is no change, so no call.
    const before = (await api.sim.stats())[APP_A.appid]?.msg_sec_check
    await me.user.updateProfile({ nickname: '小红' })
    expect((await api.sim.stats())[APP_A.appid]?.msg_sec_check).toBe(before)
  })

  it('keeps a nickname WeChat could not check, backs off while it stays down, and settles it when it answers', async () => {
    const { api: me, user } = await newUser()
    await api.sim.faults({ path: MSG_SEC_CHECK, errcode: -1, count: 100 })
    expect((await me.user.updateProfile({ nickname: '代购达人' })).nickname).toBe('代购达人')
    const [check] = await checksOf(user.id)
    if (!check) throw new Error('no check recorded')
    expect(check).toMatchObject({ status: 'unchecked', attempts: 1 })

    await due(check.id)
    const start = Date.now()
    expect(await recheckContent(api.services, api.logger)).toBe(1)
    const still = await api.db.prisma.contentCheck.findUniqueOrThrow({ where: { id: check.id } })
    expect(still).toMatchObject({ status: 'unchecked', attempts: 2 })
    // Backs off: two minutes after a second failure.
    expect(still.nextCheckAt?.getTime()).toBeGreaterThanOrEqual(start + recheckDelayMs(2) - 1000)
    // Not due: nothing to do.
    expect(await recheckContent(api.services, api.logger)).toBe(0)

    await api.sim.faults({ path: MSG_SEC_CHECK, count: 0 })
    await due(check.id)
    await recheckContent(api.services, api.logger)
    expect(
      await api.db.prisma.contentCheck.findUniqueOrThrow({ where: { id: check.id } }),
    ).toMatchObject({
      status: 'review',
      attempts: 3,
      nextCheckAt: null,
    })
    expect((await me.user.me()).nickname).toBe('代购达人')
  })

  it('marks a recheck superseded when the nickname changed meanwhile', async () => {
    const { api: me, user } = await newUser()
    await api.sim.faults({ path: MSG_SEC_CHECK, errcode: -1, count: 3 })
    await me.user.updateProfile({ nickname: '第一个' })
    await me.user.updateProfile({ nickname: '第二个' })
    const [first] = await checksOf(user.id)
    if (!first) throw new Error('no check recorded')
    await due(first.id)
    await recheckContent(api.services, api.logger)
    expect(
      await api.db.prisma.contentCheck.findUniqueOrThrow({ where: { id: first.id } }),
    ).toMatchObject({ status: 'superseded', nextCheckAt: null })
    expect((await me.user.me()).nickname).toBe('第二个')
  })

  it('backs off from a minute to at most an hour', () => {
    expect([1, 2, 3, 7, 8, 20].map(recheckDelayMs)).toEqual([
      60_000, 120_000, 240_000, 3_600_000, 3_600_000, 3_600_000,
    ])
  })
})

describe('avatars from elsewhere and pushed verdicts', () => {
  it('submits an avatar URL from elsewhere, and applies its verdict once', async () => {
    const { api: me, user } = await newUser()
    const url = 'https://example.invalid/avatar.png'
    expect((await me.user.updateProfile({ avatarUrl: url })).avatarUrl).toBe(url)
    const [check] = await checksOf(user.id)
    expect(check).toMatchObject({
      kind: 'avatar',
      content: url,
      status: 'pending',
      uploadKey: null,
    })
    const traceId = check?.traceId as string
    expect(traceId).toMatch(/\S+/)

    const verdict = {
      appid: APP_A.appid,
      traceId,
      suggest: 'risky',
      label: 20002,
      errcode: 0,
    } as const
    // Another app's push for this trace is not this check's.
    expect(
      await applyMediaVerdict(api.services, api.logger, { ...verdict, appid: 'wx_other' }),
    ).toBe('unknown')
    expect(await applyMediaVerdict(api.services, api.logger, verdict)).toBe('risky')
    expect((await me.user.me()).avatarUrl).toBeNull()
    expect(await applyMediaVerdict(api.services, api.logger, { ...verdict, suggest: 'pass' })).toBe(
      'duplicate',
    )
    expect(await checksOf(user.id)).toMatchObject([{ status: 'risky', label: 20002 }])
    // Set again, it is refused: it was found risky.
    expect(await refusal(me.user.updateProfile({ avatarUrl: url }))).toMatchObject({
      reason: 'CONTENT_RISKY',
    })
  })

  it('submits again what WeChat could not download (a verdict with an errcode)', async () => {
    const { api: me, user } = await newUser()
    await me.user.updateProfile({ avatarUrl: 'https://example.invalid/b.png' })
    const [check] = await checksOf(user.id)
    const traceId = check?.traceId as string
    expect(
      await applyMediaVerdict(api.services, api.logger, {
        appid: APP_A.appid,
        traceId,
        suggest: 'review',
        label: 0,
        errcode: 100,
      }),
    ).toBe('unchecked')
    const failed = await api.db.prisma.contentCheck.findUniqueOrThrow({ where: { traceId } })
    expect(failed.status).toBe('unchecked')
    await due(failed.id)
    await recheckContent(api.services, api.logger)
    const again = await api.db.prisma.contentCheck.findUniqueOrThrow({ where: { id: failed.id } })
    expect(again).toMatchObject({ status: 'pending', attempts: 2 })
    expect(again.traceId).not.toBe(traceId)
  })

  it('removes a risky upload from the store, after the store comes back if it was down', async () => {
    const { user } = await newUser()
    const key = 'avatars/risky-test.png'
    await api.services.files.put(key, new Uint8Array([1, 2, 3]), 'image/png')
    await api.db.prisma.upload.create({ data: { userId: user.id, key, url: 'http://x/risky.png' } })
    const check = await api.db.prisma.contentCheck.create({
      data: {
        userId: user.id,
        appid: APP_A.appid,
        kind: 'avatar',
        content: 'http://x/risky.png',
        uploadKey: key,
        status: 'pending',
        traceId: `trace-${user.id}`,
      },
    })
    const real = api.services.files
    const down: ObjectStore = {
      ...real,
      delete: async () => {
        throw new StorageUnavailableError('delete', key, { cause: new Error('down') })
      },
    }
    api.services.files = down
    try {
      await applyMediaVerdict(api.services, api.logger, {
        appid: APP_A.appid,
        traceId: check.traceId as string,
        suggest: 'risky',
        label: 20001,
        errcode: 0,
      })
    } finally {
      api.services.files = real
    }
    expect(await real.get(key)).not.toBeNull()
    const waiting = await api.db.prisma.contentCheck.findUniqueOrThrow({ where: { id: check.id } })
    expect(waiting.nextCheckAt?.getTime()).toBeGreaterThan(Date.now())
    expect(await api.db.prisma.upload.count({ where: { key } })).toBe(0)

    await due(check.id)
    await removeRiskyFiles(api.services, api.logger)
    expect(await real.get(key)).toBeNull()
    expect(
      (await api.db.prisma.contentCheck.findUniqueOrThrow({ where: { id: check.id } })).nextCheckAt,
    ).toBeNull()
  })
})
