import { describe, expect, it } from 'vitest'
import { rawCall } from './login-fixture'
import {
  APP_A,
  type Backend,
  expectNothingLeaked,
  loginRaw,
  useWorld,
  type World,
} from './wechat-fixture'

const USERS = 50

/**
 * The shared access token end to end: `processes` server processes on one
 * database, driven through user.bindPhone (the API that needs the token).
 * The servers learn time from WeChat's expires_in against their own clocks;
 * the simulator's clock is moved here, so the servers meet WeChat's 42001
 * (expired) and 40001 (revoked) and must recover through a refresh.
 */
export function describeAccessTokenFlows(
  name: string,
  prepare: () => Promise<Backend>,
  processes: number,
) {
  describe(`the shared access token on ${name}, ${processes} server process(es)`, () => {
    const world = useWorld(prepare, { servers: processes })
    /** Authorization headers of USERS users, user i logged in on server i % processes. */
    const auth: string[] = []
    const user = (i: number) => `token-user-${i}`
    const serverOf = (i: number) => world.servers[i % world.servers.length] ?? world.server

    /**
     * Every user binds a phone at once, spread over the servers; all must
     * succeed. WeChat answers the first stable_token call slowly, so every
     * process is sure to want a token while one of them is refreshing.
     */
    async function bindAll(w: World, count = USERS) {
      await w.control.faults({ path: '/cgi-bin/stable_token', delayMs: 300, count: 1 })
      const codes = await Promise.all(Array.from({ length: count }, (_, i) => w.phoneCode(user(i))))
      const results = await Promise.all(
        codes.map((code, i) =>
          rawCall(serverOf(i).url, 'user.bindPhone', { code }, { authorization: auth[i] ?? '' }),
        ),
      )
      for (const r of results) expect(r.status, JSON.stringify(r.body)).toBe(200)
    }

    it(`${USERS} concurrent callers across the processes cause exactly one stable_token call`, async () => {
      for (let i = 0; i < USERS; i++)
        auth.push(await loginRaw(world, user(i), { server: serverOf(i) }))
      expect(await world.stats()).toEqual({ stable_token: 0, getuserphonenumber: 0 })
      await bindAll(world)
      expect(await world.stats()).toEqual({ stable_token: 1, getuserphonenumber: USERS })
      // Afterwards every process serves the token from memory.
      await bindAll(world, 10)
      expect((await world.stats()).stable_token).toBe(1)
    })

    it('a token revoked at WeChat (40001): every process recovers, one refresh in all', async () => {
      await world.forceRefreshAtWechat()
      const before = await world.stats()
      await bindAll(world, 20)
      const after = await world.stats()
      expect(after.stable_token - before.stable_token).toBe(1)
    })

    it("WeChat's clock passes the token's expiry (42001): recovered with one refresh in all", async () => {
      // The servers' own clocks still say the token has hours left: only
      // WeChat's 42001 tells them, and they refresh in normal mode.
      await world.control.advanceClock(2 * 3600_000 + 60_000)
      const before = await world.stats()
      await bindAll(world, 20)
      const after = await world.stats()
      expect(after.stable_token - before.stable_token).toBe(1)
      expect(world.logs()).toContain('"errcode":42001')
    })

    it('keeps one sealed row per app in the database, and the token out of responses and logs', async () => {
      const token = await world.currentAccessToken()
      const rows = await world.backend.sql?.<{ appid: string; encrypted: string }>(
        'SELECT appid, encrypted FROM wechat_access_tokens',
      )
      if (rows) {
        expect(rows.map((r) => r.appid)).toEqual([APP_A.appid])
        expect(rows[0]?.encrypted).toMatch(/^v1\./)
        expect(rows[0]?.encrypted).not.toContain(token)
      }
      expectNothingLeaked(world, [token])
    })
  })
}
