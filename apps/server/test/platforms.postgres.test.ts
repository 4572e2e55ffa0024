/**
 * Four platforms on one built server, against the simulator process playing
 * each platform's login server (WeChat at /, QQ under /qq, Douyin under /tt,
 * Alipay's gateway at /alipay/gateway.do), configured as `pnpm dev` does:
 * QQ_APPS, TT_APPS, ALIPAY_* with RSA2 keys made for the run. PostgreSQL.
 */
import { generateKeyPairSync } from 'node:crypto'
import type { AppRouter } from '@wxapp/api'
import {
  alipayLoginSource,
  type LoginSource,
  memoryStorage,
  taroLoginSource,
  ttLoginSource,
} from '@wxapp/session/client'
import { launchApp, type RunningProcess, startApiServer, startSimulator } from '@wxapp/testing'
import {
  SIM_DEV_ALIPAY_APPID,
  SIM_DEV_QQ_APPID,
  SIM_DEV_QQ_SECRET,
  SIM_DEV_TT_APPID,
  SIM_DEV_TT_SECRET,
} from '@wxapp/wechat-sim'
import { createSimControl, type SimControl } from '@wxapp/wechat-sim/client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rawCall, responses } from './login-fixture'
import { APP_A, type Backend, postgresBackend } from './wechat-fixture'

const rsaPair = () => {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  return {
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  }
}
/** The app's key pair, "Alipay's" (the simulator's), and one neither side knows. */
const appKeys = rsaPair()
const gatewayKeys = rsaPair()
const strangerKeys = rsaPair()

const APPS = [
  { platform: 'weapp', appid: APP_A.appid },
  { platform: 'qq', appid: SIM_DEV_QQ_APPID },
  { platform: 'tt', appid: SIM_DEV_TT_APPID },
  { platform: 'alipay', appid: SIM_DEV_ALIPAY_APPID },
] as const

let sim: RunningProcess
let control: SimControl
let server: RunningProcess
let backend: Backend
let serverEnv: Record<string, string>

beforeAll(async () => {
  sim = await startSimulator({
    SIM_QQ_APPS: `${SIM_DEV_QQ_APPID}:${SIM_DEV_QQ_SECRET}`,
    SIM_TT_APPS: `${SIM_DEV_TT_APPID}:${SIM_DEV_TT_SECRET}`,
    SIM_ALIPAY_APPID: SIM_DEV_ALIPAY_APPID,
    SIM_ALIPAY_APP_PUBLIC_KEY: appKeys.publicKey,
    SIM_ALIPAY_PRIVATE_KEY: gatewayKeys.privateKey,
  })
  control = createSimControl({ baseUrl: sim.url })
  backend = await postgresBackend()
  serverEnv = {
    DATABASE_URL: backend.url,
    WECHAT_API_BASE: sim.url,
    QQ_APPS: `${SIM_DEV_QQ_APPID}:${SIM_DEV_QQ_SECRET}`,
    QQ_API_BASE: `${sim.url}/qq`,
    TT_APPS: `${SIM_DEV_TT_APPID}:${SIM_DEV_TT_SECRET}`,
    TT_API_BASE: `${sim.url}/tt`,
    ALIPAY_APPID: SIM_DEV_ALIPAY_APPID,
    ALIPAY_PRIVATE_KEY: appKeys.privateKey,
    ALIPAY_PUBLIC_KEY: gatewayKeys.publicKey,
    ALIPAY_GATEWAY: `${sim.url}/alipay/gateway.do`,
  }
  server = await startApiServer(serverEnv)
})

afterAll(async () => {
  const codes = [await server?.stop(), await sim?.stop()]
  await backend?.cleanup()
  expect(codes).toEqual([0, 0])
})

type Answer = {
  status: number
  body: Record<string, unknown> & { error?: { data?: { reason?: string } } }
}

const loginCall = (url: string, input: Record<string, unknown>) =>
  rawCall(url, 'auth.login', input) as Promise<Answer>

async function me(token: string, appid: string): Promise<Answer> {
  const res = await fetch(`${server.url}/trpc/user.me`, {
    headers: { authorization: `Bearer ${token}`, 'x-wx-appid': appid },
  })
  const text = await res.text()
  responses.push(text)
  return { status: res.status, body: JSON.parse(text) }
}

const tokenOf = (answer: Answer) => {
  const data = (answer.body as { result?: { data?: { token?: string; user?: { id: string } } } })
    .result?.data
  if (answer.status !== 200 || !data?.token || !data.user) {
    throw new Error(`login failed: ${answer.status} ${JSON.stringify(answer.body)}`)
  }
  return { token: data.token, userId: data.user.id }
}

describe('four platforms on the built server (PostgreSQL)', () => {
  describe.each(APPS)('$platform', ({ platform, appid }) => {
    it('logs in against the simulator; user.me and the users row name the platform', async () => {
      const code = await control.login({ appid, user: `ana-${platform}` })
      const { token, userId } = tokenOf(await loginCall(server.url, { code, appid }))
      const answer = await me(token, appid)
      expect(answer.status).toBe(200)
      expect(answer.body).toMatchObject({ result: { data: { id: userId, platform } } })
      const rows = await backend.sql?.<{ platform: string; appid: string }>(
        'SELECT platform::text AS platform, appid FROM users WHERE id = $1',
        [userId],
      )
      expect(rows).toEqual([{ platform, appid }])
      // The exchange went to this platform's server.
      const stats = (await control.stats())[appid]
      expect(platform === 'alipay' ? stats?.oauth_token : stats?.jscode2session).toBeGreaterThan(0)
    })

    it('refuses a used code with a typed reason', async () => {
      const code = await control.login({ appid, user: `ben-${platform}` })
      tokenOf(await loginCall(server.url, { code, appid }))
      const again = await loginCall(server.url, { code, appid })
      expect(again.status).toBe(400)
      expect(again.body.error?.data?.reason).toBe(
        platform === 'weapp' || platform === 'qq' ? 'WECHAT_CODE_USED' : 'WECHAT_CODE_INVALID',
      )
    })

    it("has its token refused by the other platforms' apps", async () => {
      const code = await control.login({ appid, user: `cai-${platform}` })
      const { token } = tokenOf(await loginCall(server.url, { code, appid }))
      for (const other of APPS.filter((a) => a.appid !== appid)) {
        const answer = await me(token, other.appid)
        expect(answer.status, other.platform).toBe(401)
        expect(answer.body.error?.data?.reason).toBe('TOKEN_INVALID')
      }
    })
  })

  it("logs in a Douyin user by tt.login's anonymousCode", async () => {
    const { anonymousCode } = await control.loginCodes({
      appid: SIM_DEV_TT_APPID,
      user: 'guest',
      anonymous: true,
    })
    const answer = await loginCall(server.url, {
      code: anonymousCode,
      appid: SIM_DEV_TT_APPID,
      anonymous: true,
    })
    const { token } = tokenOf(answer)
    expect((await me(token, SIM_DEV_TT_APPID)).body).toMatchObject({
      result: { data: { platform: 'tt' } },
    })
  })

  it('refuses Alipay answers and requests whose RSA2 signature does not check out', async () => {
    // The server signs with a key the gateway does not know: the gateway refuses it.
    const foreignSigner = await startApiServer({
      ...serverEnv,
      ALIPAY_PRIVATE_KEY: strangerKeys.privateKey,
    })
    // The server checks answers with a key that is not the gateway's.
    const foreignVerifier = await startApiServer({
      ...serverEnv,
      ALIPAY_PUBLIC_KEY: strangerKeys.publicKey,
    })
    try {
      const signed = await loginCall(foreignSigner.url, {
        code: await control.login({ appid: SIM_DEV_ALIPAY_APPID, user: 'dee' }),
        appid: SIM_DEV_ALIPAY_APPID,
      })
      expect(signed.status).toBe(500)
      expect(signed.body.error?.data?.reason).toBe('WECHAT_CREDENTIALS_INVALID')
      // The line may reach the pipe after the answer.
      await expect
        .poll(() => foreignSigner.logs())
        .toContainEqual(
          expect.objectContaining({ platform: 'alipay', subCode: 'isv.invalid-signature' }),
        )

      const verified = await loginCall(foreignVerifier.url, {
        code: await control.login({ appid: SIM_DEV_ALIPAY_APPID, user: 'dee' }),
        appid: SIM_DEV_ALIPAY_APPID,
      })
      expect(verified.status).toBe(503)
      expect(verified.body.error?.data?.reason).toBe('WECHAT_UNAVAILABLE')
      await expect
        .poll(() => foreignVerifier.logs())
        .toContainEqual(expect.objectContaining({ platform: 'alipay', kind: 'MALFORMED_RESPONSE' }))
    } finally {
      expect([await foreignSigner.stop(), await foreignVerifier.stop()]).toEqual([0, 0])
    }
  })

  it('puts no secret, key or code in an answer or a log line', async () => {
    const code = await control.login({ appid: SIM_DEV_ALIPAY_APPID, user: 'eli' })
    tokenOf(await loginCall(server.url, { code, appid: SIM_DEV_ALIPAY_APPID }))
    const texts = [...responses, server.output(), sim.output()]
    const privateBody = (pem: string) => pem.split('\n')[1] ?? pem
    for (const secret of [
      SIM_DEV_QQ_SECRET,
      SIM_DEV_TT_SECRET,
      APP_A.secret,
      privateBody(appKeys.privateKey),
      privateBody(gatewayKeys.privateKey),
    ]) {
      expect(texts.some((t) => t.includes(secret))).toBe(false)
    }
    expect(server.output().includes(code)).toBe(false)
  })

  describe("through the session client, with each platform's login source", () => {
    /**
     * The session package's own sources over stand-ins of each platform's
     * global (wx/qq, tt, my) whose codes come from the simulator, as the
     * phone's app would get them.
     */
    const sourceFor = (
      platform: string,
      appid: string,
      user: string,
      guest = false,
    ): LoginSource => {
      const checkSession = async () => {
        if (!(await control.checkSession({ appid, user }))) throw { errMsg: 'checkSession:fail' }
        return { errMsg: 'checkSession:ok' }
      }
      if (platform === 'tt') {
        return ttLoginSource({
          login: ({ success, fail }) => {
            control
              .loginCodes({ appid, user, anonymous: guest })
              .then((r) => success({ ...r, isLogin: !guest, errMsg: 'login:ok' }), fail)
          },
          checkSession: ({ success, fail }) => void checkSession().then(success, fail),
        })
      }
      if (platform === 'alipay') {
        return alipayLoginSource({
          getAuthCode: ({ scopes, success, fail }) => {
            if (scopes !== 'auth_base') return fail({ error: 11, errorMessage: 'wrong scope' })
            control.login({ appid, user }).then((authCode) => success({ authCode }), fail)
          },
        })
      }
      return taroLoginSource({
        login: async () => ({ code: await control.login({ appid, user }), errMsg: 'login:ok' }),
        checkSession,
      })
    }
    const cases = [...APPS, { platform: 'tt', appid: SIM_DEV_TT_APPID, guest: true }] as const

    it.each(cases)(
      '$platform: logs in once, relaunches without a login, and logs in again silently when the server refuses the token',
      async (c) => {
        const guest = 'guest' in c && c.guest
        const user = `fen-${c.platform}${guest ? '-guest' : ''}`
        const storage = memoryStorage()
        const launch = () =>
          launchApp<AppRouter>({
            apiUrl: server.url,
            appid: c.appid,
            source: sourceFor(c.platform, c.appid, user, guest),
            login: (api, args) => api.auth.login.mutate(args),
            storage,
            onResponse: (text) => responses.push(text),
          })
        const first = launch()
        const [a, b] = await Promise.all([first.api.user.me.query(), first.api.user.me.query()])
        expect(a).toMatchObject({ platform: c.platform })
        expect(b.id).toBe(a.id)
        expect(first.counters.authLogins).toBe(1)

        // A relaunch: the stored token holds (checkSession where the platform has it).
        const second = launch()
        expect((await second.api.user.me.query()).id).toBe(a.id)
        expect(second.counters.authLogins).toBe(0)

        // Logged out from another device: the stored token is refused, and one
        // silent login follows.
        const stored = JSON.parse(storage.snapshot()['wxapp.session'] ?? '{}') as {
          token?: string
        }
        const out = await rawCall(server.url, 'auth.logoutAll', null, {
          authorization: `Bearer ${stored.token}`,
          'x-wx-appid': c.appid,
        })
        expect(out.status).toBe(200)
        const third = launch()
        const again = await third.api.user.me.query()
        expect(again.id).toBe(a.id)
        expect(third.counters.authLogins).toBe(1)
        // The refused call was made with the stored token, then replayed.
        expect(third.counters.apiRequests).toBe(3)
      },
    )
  })
})
