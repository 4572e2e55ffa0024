import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { APP_A, APP_B, createTestApi, refusal, type TestApi } from '../helpers/api'

let api: TestApi
let clock = new Date('2026-03-01T00:00:00Z')
beforeAll(async () => {
  api = await createTestApi({
    sessionPolicy: {
      idleTimeoutMs: 3600_000,
      absoluteLifetimeMs: 7200_000,
      renewIntervalMs: 60_000,
    },
    now: () => clock,
  })
})
afterAll(() => api?.close())

const UNAUTHORIZED = (reason: string) => ({ code: 'UNAUTHORIZED', reason })

describe('session.list', () => {
  it("lists the user's active sessions, newest first, marking the caller's, without tokens", async () => {
    const phone = await api.login('amy', { clientIp: '10.0.0.7' })
    clock = new Date(clock.getTime() + 1000)
    const tablet = await api.login('amy')
    const list = await tablet.api.session.list()
    expect(list).toEqual([
      expect.objectContaining({ current: true, appid: APP_A.appid, ip: '127.0.0.1' }),
      expect.objectContaining({ current: false, ip: '10.0.0.7' }),
    ])
    expect(list[0]).toEqual({
      id: expect.any(String),
      current: true,
      appid: APP_A.appid,
      createdAt: expect.any(String),
      lastUsedAt: clock.toISOString(),
      expiresAt: new Date(clock.getTime() + 3600_000).toISOString(),
      client: {},
      ip: '127.0.0.1',
    })
    expect(JSON.stringify(list)).not.toContain(phone.token.split('.')[1])
  })
})

describe('session.revoke', () => {
  it("logs out one of the user's own sessions; another user's, or an unknown one, is NOT_FOUND", async () => {
    const mine = await api.login('ben')
    const other = await api.login('ben')
    const stranger = await api.login('cleo')
    const otherSession = (await mine.api.session.list()).find((s) => !s.current)
    expect(await mine.api.session.revoke({ id: otherSession?.id ?? '' })).toEqual({ revoked: true })
    expect(await refusal(other.api.user.me())).toEqual(UNAUTHORIZED('SESSION_REVOKED'))
    expect(await refusal(mine.api.session.revoke({ id: otherSession?.id ?? '' }))).toEqual({
      code: 'NOT_FOUND',
      reason: 'NOT_FOUND',
    })
    const [strangerSession] = await stranger.api.session.list()
    expect(await refusal(mine.api.session.revoke({ id: strangerSession?.id ?? '' }))).toEqual({
      code: 'NOT_FOUND',
      reason: 'NOT_FOUND',
    })
    expect((await stranger.api.user.me()).id).toBe(stranger.user.id)
    expect(await refusal(mine.api.session.revoke({ id: 'not-a-uuid' }))).toEqual({
      code: 'BAD_REQUEST',
      reason: 'INVALID_INPUT',
    })
  })
})

describe('protected procedures', () => {
  it('say why a token opens no session, with each session reason', async () => {
    const { token } = await api.login('dora')
    const flipped = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A')
    const cases: [string | null, string | null, string][] = [
      [null, null, 'AUTH_REQUIRED'],
      ['garbage', null, 'TOKEN_INVALID'],
      [flipped, null, 'TOKEN_INVALID'],
      [`01900000-0000-7000-8000-000000000000${token.slice(36)}`, null, 'TOKEN_INVALID'],
      ["' OR 1=1 --", null, 'TOKEN_INVALID'],
      [token, APP_B.appid, 'TOKEN_INVALID'],
      [token, 'wx_unknown', 'TOKEN_INVALID'],
    ]
    for (const [given, appid, reason] of cases) {
      expect(await refusal(api.caller({ token: given, appid }).user.me()), String(given)).toEqual(
        UNAUTHORIZED(reason),
      )
    }
    expect((await api.caller({ token, appid: APP_A.appid }).user.me()).id).toEqual(
      expect.any(String),
    )
  })

  it('renew an idle session while it is used, and refuse it once idle too long or too old', async () => {
    const { api: me } = await api.login('ed')
    // Idle for at most 1 h: each use renews it (written at most once a minute)...
    for (let i = 0; i < 2; i++) {
      clock = new Date(clock.getTime() + 50 * 60_000)
      expect((await me.user.me()).nickname).toBeNull()
    }
    // ...but no session outlives 2 h.
    clock = new Date(clock.getTime() + 50 * 60_000)
    expect(await refusal(me.user.me())).toEqual(UNAUTHORIZED('SESSION_EXPIRED'))
    const idle = await api.login('ed')
    clock = new Date(clock.getTime() + 3600_000)
    expect(await refusal(idle.api.user.me())).toEqual(UNAUTHORIZED('SESSION_EXPIRED'))
  })
})
