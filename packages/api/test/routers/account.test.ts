import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLocalStore, type ObjectStore, StorageUnavailableError } from '@wxapp/storage'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EXPORT_FORMAT, UserExport } from '../../src/services/account'
import { APP_A, createTestApi, type LoggedIn, leaked, refusal, type TestApi } from '../helpers/api'

/** Rows about one user, table by table, counted with SQL (not through the code under test). */
async function rowsOf(api: TestApi, userId: string, openid: string) {
  const count = async (sql: string, ...values: unknown[]) => {
    const rows = await api.db.prisma.$queryRawUnsafe<{ n: number }[]>(sql, ...values)
    return rows[0]?.n
  }
  const byUser = (table: string) =>
    count(`SELECT count(*)::int AS n FROM ${table} WHERE user_id = $1::uuid`, userId)
  return {
    users: await count('SELECT count(*)::int AS n FROM users WHERE id = $1::uuid', userId),
    sessions: await byUser('sessions'),
    wechatSessionKeys: await byUser('wechat_session_keys'),
    uploads: await byUser('uploads'),
    contentChecks: await byUser('content_checks'),
    rateLimitLogs: await count(
      'SELECT count(*)::int AS n FROM rate_limit_logs WHERE key LIKE $1',
      `%:${openid}`,
    ),
  }
}

describe.each(['pglite', 'postgres'] as const)(
  'user.deleteAccount and user.exportData on %s',
  (database) => {
    let api: TestApi
    beforeAll(async () => {
      api = await createTestApi({
        database,
        // Long enough that only the announcements can make the caches forget.
        sessionCache: { ttlMs: 60_000 },
        peer: true,
        loginLimits: { perIpPerMinute: 1000, perUserPerMinute: 1000 },
      })
    })
    afterAll(() => api?.close())

    let seq = 0
    /**
     * A user with all there is to hold: two sessions (each cached on both
     * instances), a session_key, a phone number, a nickname, two uploads and
     * two content checks.
     */
    async function fullUser(name: string) {
      const first = await api.login(name)
      const second = await api.login(name)
      const userId = first.user.id
      await first.api.user.updateProfile({ nickname: `${name} 🙂` })
      const phone = `139${String(++seq).padStart(8, '0')}`
      const code = await api.sim.phoneCode({ appid: APP_A.appid, user: name, phoneNumber: phone })
      await first.api.user.bindPhone({ code })
      const { prisma } = api.db
      const keys = [`avatars/${name}-1.png`, `avatars/${name}-2.png`]
      for (const key of keys) {
        await prisma.upload.create({ data: { userId, key, url: `https://files.test/${key}` } })
        await api.services.files.put(key, Buffer.from(`${key} bytes`), 'image/png')
      }
      await prisma.contentCheck.create({
        data: {
          userId,
          appid: APP_A.appid,
          kind: 'nickname',
          content: `${name} 🙂`,
          status: 'pass',
          label: 100,
          decidedAt: new Date(),
        },
      })
      await prisma.contentCheck.create({
        data: {
          userId,
          appid: APP_A.appid,
          kind: 'avatar',
          content: `https://files.test/${keys[0]}`,
          uploadKey: keys[0],
          status: 'pending',
          traceId: `trace-${name}`,
        },
      })
      // Warm both instances' caches with both sessions.
      for (const { token } of [first, second]) {
        await api.caller({ token }).user.me()
        await api.peer({ token }).user.me()
      }
      const { openid } = await prisma.user.findUniqueOrThrow({ where: { id: userId } })
      return { name, userId, openid, phone, keys, first, second }
    }

    const stored = async (key: string) => {
      const object = await api.services.files.get(key)
      object?.body.destroy()
      return object !== null
    }

    const refusedEverywhere = async (token: string) => {
      expect(await refusal(api.caller({ token }).user.me())).toEqual({
        code: 'UNAUTHORIZED',
        reason: 'TOKEN_INVALID',
      })
      // The peer hears of it by LISTEN/NOTIFY, within milliseconds of the commit
      // (its cache would keep the session for a minute otherwise).
      await expect
        .poll(() => refusal(api.peer({ token }).user.me()), { timeout: 2000, interval: 20 })
        .toEqual({ code: 'UNAUTHORIZED', reason: 'TOKEN_INVALID' })
    }

    it('deletes every row of the user in the database, and nothing of anyone else', async () => {
      const victim = await fullUser(`del-${database}`)
      const bystander = await fullUser(`keep-${database}`)
      const before = await rowsOf(api, bystander.userId, bystander.openid)
      expect(await rowsOf(api, victim.userId, victim.openid)).toEqual({
        users: 1,
        sessions: 2,
        wechatSessionKeys: 1,
        uploads: 2,
        contentChecks: 2,
        rateLimitLogs: 1,
      })

      expect(await Promise.all(victim.keys.map(stored))).toEqual([true, true])
      expect(await victim.first.api.user.deleteAccount()).toEqual({ deleted: true })
      expect(await Promise.all(victim.keys.map(stored))).toEqual([false, false])
      expect(await Promise.all(bystander.keys.map(stored))).toEqual([true, true])

      expect(await rowsOf(api, victim.userId, victim.openid)).toEqual({
        users: 0,
        sessions: 0,
        wechatSessionKeys: 0,
        uploads: 0,
        contentChecks: 0,
        rateLimitLogs: 0,
      })
      // The phone number went with the user row: nowhere else holds it.
      const phones = await api.db.prisma.user.count({ where: { phoneNumber: victim.phone } })
      expect(phones).toBe(0)
      expect(await rowsOf(api, bystander.userId, bystander.openid)).toEqual(before)
      expect(await bystander.second.api.user.me()).toMatchObject({
        id: bystander.userId,
        nickname: `${bystander.name} 🙂`,
      })
      // The per-address login limit names no one: it stays.
      expect(await api.db.prisma.rateLimitLog.count({ where: { key: 'login:ip:127.0.0.1' } })).toBe(
        1,
      )
      expect(
        api.logs.find((line) => line.msg === 'account deleted' && line.userId === victim.userId),
      ).toMatchObject({ sessions: 2, contentChecks: 2, uploads: 2, filesLeft: 0 })
    })

    it("refuses the asking token and the user's other tokens at once, on every instance", async () => {
      const user = await fullUser(`tokens-${database}`)
      await user.first.api.user.deleteAccount()
      await refusedEverywhere(user.first.token)
      await refusedEverywhere(user.second.token)
      expect(await refusal(user.second.api.user.exportData())).toEqual({
        code: 'UNAUTHORIZED',
        reason: 'TOKEN_INVALID',
      })
      expect(await refusal(user.second.api.user.deleteAccount())).toEqual({
        code: 'UNAUTHORIZED',
        reason: 'TOKEN_INVALID',
      })
    })

    it('deletes once when two sessions of the user ask at the same time; the other is refused', async () => {
      const user = await fullUser(`race-${database}`)
      const results = await Promise.allSettled([
        user.first.api.user.deleteAccount(),
        api.peer({ token: user.second.token }).user.deleteAccount(),
      ])
      const answers = await Promise.all(
        results.map(async (r) =>
          r.status === 'fulfilled' ? r.value : refusal(Promise.reject(r.reason)),
        ),
      )
      expect(answers).toContainEqual({ deleted: true })
      expect(answers).toContainEqual({ code: 'UNAUTHORIZED', reason: 'TOKEN_INVALID' })
      expect((await rowsOf(api, user.userId, user.openid)).users).toBe(0)
      await refusedEverywhere(user.first.token)
      await refusedEverywhere(user.second.token)
    })

    it('answers a write that was in flight when the account went with TOKEN_INVALID, not a 500', async () => {
      const { api: me, user } = await api.login(`inflight-${database}`)
      await me.user.me() // cached: the next call passes validation without reading
      // Deleted by another call after this one was validated (what the cache stands for).
      await api.db.prisma.user.delete({ where: { id: user.id } })
      expect(await refusal(me.user.updateProfile({ nickname: '还在吗' }))).toEqual({
        code: 'UNAUTHORIZED',
        reason: 'TOKEN_INVALID',
      })
    })

    it('makes a new, empty user at the next login of the same WeChat user', async () => {
      const old = await fullUser(`again-${database}`)
      await old.first.api.user.deleteAccount()
      const again: LoggedIn = await api.login(old.name)
      expect(again.user.id).not.toBe(old.userId)
      expect(await again.api.user.me()).toEqual({
        id: again.user.id,
        platform: 'weapp',
        nickname: null,
        avatarUrl: null,
        phoneNumber: null,
        createdAt: expect.any(String),
      })
      const data = await again.api.user.exportData()
      expect(data.user).toMatchObject({ openid: old.openid, phoneNumber: null, nickname: null })
      expect(data.sessions).toHaveLength(1)
      expect(data.uploads).toEqual([])
      expect(data.contentChecks).toEqual([])
      await refusedEverywhere(old.second.token)
    })

    it('exports everything held on the user, and no secret', async () => {
      const user = await fullUser(`export-${database}`)
      const third = await api.login(user.name)
      await third.api.auth.logout()
      const data = await user.second.api.user.exportData()

      expect(UserExport.parse(data)).toEqual(data)
      expect(data.format).toBe(EXPORT_FORMAT)
      expect(Date.parse(data.exportedAt)).toBeGreaterThan(Date.now() - 60_000)
      expect(data.user).toEqual({
        id: user.userId,
        platform: 'weapp',
        appid: APP_A.appid,
        openid: user.openid,
        unionid: expect.any(String),
        nickname: `${user.name} 🙂`,
        avatarUrl: null,
        phoneNumber: user.phone,
        phoneCountryCode: '86',
        createdAt: expect.stringMatching(/Z$/),
        updatedAt: expect.stringMatching(/Z$/),
        lastLoginAt: expect.stringMatching(/Z$/),
      })
      const sessionIds = [third, user.second, user.first].map((s) => s.token.split('.')[0])
      expect(data.sessions.map((s) => s.id)).toEqual(sessionIds)
      expect(data.sessions.map((s) => s.current)).toEqual([false, true, false])
      expect(data.sessions[0]).toMatchObject({
        appid: APP_A.appid,
        revokedAt: expect.stringMatching(/Z$/),
        revokedReason: 'logout',
        ip: '127.0.0.1',
        client: { platform: null, model: null, system: null, version: null },
      })
      expect(data.sessions[1]).toMatchObject({ revokedAt: null, revokedReason: null })
      expect(data.wechatSessionKey).toEqual({
        held: true,
        appid: APP_A.appid,
        updatedAt: expect.stringMatching(/Z$/),
      })
      expect(data.uploads).toEqual(
        user.keys.map((key) => ({
          key,
          url: `https://files.test/${key}`,
          createdAt: expect.stringMatching(/Z$/),
        })),
      )
      expect(data.contentChecks).toEqual([
        {
          kind: 'nickname',
          content: `${user.name} 🙂`,
          status: 'pass',
          label: 100,
          traceId: null,
          createdAt: expect.stringMatching(/Z$/),
          decidedAt: expect.stringMatching(/Z$/),
        },
        {
          kind: 'avatar',
          content: `https://files.test/${user.keys[0]}`,
          status: 'pending',
          label: null,
          traceId: `trace-${user.name}`,
          createdAt: expect.stringMatching(/Z$/),
          decidedAt: null,
        },
      ])

      const { prisma } = api.db
      const hashes = await prisma.session.findMany({
        where: { userId: user.userId },
        select: { tokenHash: true },
      })
      const sealed = await prisma.wechatSessionKey.findUniqueOrThrow({
        where: { userId: user.userId },
      })
      const sessionKey = await api.services.sessionKeys.read({
        userId: user.userId,
        appid: APP_A.appid,
      })
      expect(sessionKey).toEqual(expect.any(String))
      // The tokens went to the client at login (and are in its answers); the
      // rest is held by the server alone and appears nowhere, logs included.
      const tokens = [user.first, user.second, third].flatMap(({ token }) => [
        token,
        token.split('.')[1] ?? token,
      ])
      const stored = [
        ...hashes.flatMap(({ tokenHash }) => {
          const hash = Buffer.from(tokenHash)
          return [hash.toString('hex'), hash.toString('base64'), hash.toString('base64url')]
        }),
        sessionKey ?? 'no session key',
        sealed.encrypted,
        // Its ciphertext part alone, in case it were answered split.
        sealed.encrypted.split('.').at(-1) ?? sealed.encrypted,
      ]
      // The hashes are the ones of the tokens' secrets (the list above is the right one).
      const secret = user.first.token.split('.')[1] ?? ''
      expect(hashes.map((h) => Buffer.from(h.tokenHash).toString('hex'))).toContain(
        createHash('sha256').update(secret).digest('hex'),
      )
      const json = JSON.stringify(data)
      expect([...tokens, ...stored].filter((s) => json.includes(s))).toEqual([])
      expect(leaked(api, stored)).toEqual([])
    })
  },
)

describe('user.deleteAccount with a store that fails to remove a file', () => {
  let api: TestApi
  let filesDir: string
  beforeAll(async () => {
    filesDir = await mkdtemp(join(tmpdir(), 'wxapp-account-files-'))
    const local = createLocalStore({ dir: filesDir })
    const files: ObjectStore = {
      kind: 'local',
      put: (key, bytes, type) => local.put(key, bytes, type),
      get: (key) => local.get(key),
      delete: async (key) => {
        if (key.includes('stuck')) throw new StorageUnavailableError('delete', key)
        await local.delete(key)
      },
    }
    api = await createTestApi({ files })
  })
  afterAll(async () => {
    await api?.close()
    await rm(filesDir, { recursive: true, force: true })
  })

  it('deletes the account all the same, and logs the keys left in the store', async () => {
    const { api: me, user } = await api.login('stuck-store')
    const keys = ['avatars/stuck.png', 'avatars/fine.png']
    for (const key of keys) {
      await api.db.prisma.upload.create({ data: { userId: user.id, key, url: `https://f/${key}` } })
      await api.services.files.put(key, Buffer.from(key), 'image/png')
    }
    expect(await me.user.deleteAccount()).toEqual({ deleted: true })
    expect(await api.db.prisma.user.count({ where: { id: user.id } })).toBe(0)
    expect(await api.db.prisma.upload.count({ where: { userId: user.id } })).toBe(0)
    const present = await Promise.all(
      keys.map(async (key) => {
        const object = await api.services.files.get(key)
        object?.body.destroy()
        return object !== null
      }),
    )
    expect(present).toEqual([true, false])
    expect(
      api.logs.find((line) => line.msg.startsWith('deleted account left files')),
    ).toMatchObject({ level: 50, userId: user.id, keys: ['avatars/stuck.png'] })
    expect(await refusal(me.user.me())).toEqual({ code: 'UNAUTHORIZED', reason: 'TOKEN_INVALID' })
  })
})
