import { TRPCClientError } from '@trpc/client'
import type { AppRouter } from '@wxapp/api'
import type { KeyValueStorage } from '@wxapp/session/client'
import {
  type RunningProcess,
  SIM_DEV_APPID,
  SIM_DEV_SECRET,
  startApiServer,
  startSimulator,
} from '@wxapp/testing'
import { createSimControl, type SimControl } from '@wxapp/wechat-sim/client'
import { afterAll, beforeAll, expect } from 'vitest'
import { launchApp, rawCall, responses } from './login-fixture'

/** The second mini-program, known to the simulator (SIM_APPS) and the server (WECHAT_APPS). */
export const APP_B = { appid: 'wx_second_app', secret: 'second_app_secret_0123456789abcd' }
export const APP_A = { appid: SIM_DEV_APPID, secret: SIM_DEV_SECRET }
const SECRETS: Record<string, string> = { [APP_A.appid]: APP_A.secret, [APP_B.appid]: APP_B.secret }

export interface Backend {
  /** DATABASE_URL for every server process. */
  url: string
  cleanup: () => Promise<void>
  /** SQL on the servers' database, where the test can reach it (PostgreSQL). */
  sql?: <T extends object>(text: string, params?: unknown[]) => Promise<T[]>
}

export interface World {
  sim: RunningProcess
  control: SimControl
  /** The server processes, all on one database. */
  servers: RunningProcess[]
  server: RunningProcess
  backend: Backend
  launch(
    user: string,
    opts?: { appid?: string; server?: RunningProcess; storage?: KeyValueStorage },
  ): ReturnType<typeof launchApp>
  /** Calls counted by the simulator for an app (default app A). */
  stats(appid?: string): Promise<{ stable_token: number; getuserphonenumber: number }>
  phoneCode(
    user: string,
    extra?: { appid?: string; phoneNumber?: string; countryCode?: string },
  ): Promise<string>
  /** What WeChat's app would encrypt with: the user's session_key, learned by exchanging a fresh code. */
  sessionKey(user: string, appid?: string): Promise<string>
  /** Another deployment forces a refresh at WeChat: every cached token of the app stops working. */
  forceRefreshAtWechat(appid?: string): Promise<void>
  /** The app's current token at WeChat (counts as one stable_token call). */
  currentAccessToken(appid?: string): Promise<string>
  /** Every log line of every server so far. */
  logs(): string
}

/** Starts the world in beforeAll and stops it in afterAll; its fields are set once beforeAll ran. */
export function useWorld(prepare: () => Promise<Backend>, opts: { servers?: number } = {}): World {
  const world = {} as World
  const count = opts.servers ?? 1

  beforeAll(async () => {
    const sim = await startSimulator({ SIM_APPS: `${APP_B.appid}:${APP_B.secret}` })
    const backend = await prepare()
    const env = {
      WECHAT_API_BASE: sim.url,
      WECHAT_APPID: APP_A.appid,
      WECHAT_SECRET: APP_A.secret,
      WECHAT_APPS: `${APP_B.appid}:${APP_B.secret}`,
      DATABASE_URL: backend.url,
    }
    // One at a time: the first migrates, the others find the schema in place.
    const servers: RunningProcess[] = []
    for (let i = 0; i < count; i++) servers.push(await startApiServer(env))
    const control = createSimControl({ baseUrl: sim.url })
    const [server] = servers
    if (!server) throw new Error('no server')

    const stableToken = async (appid: string, force: boolean) => {
      const res = await fetch(`${sim.url}/cgi-bin/stable_token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          grant_type: 'client_credential',
          appid,
          secret: SECRETS[appid],
          force_refresh: force,
        }),
      })
      const body = (await res.json()) as { access_token?: string }
      if (!body.access_token) throw new Error('the simulator gave no access token')
      return body.access_token
    }

    Object.assign(world, {
      sim,
      control,
      servers,
      server,
      backend,
      launch: (user, o = {}) =>
        launchApp({
          apiUrl: (o.server ?? server).url,
          simUrl: sim.url,
          appid: o.appid ?? APP_A.appid,
          user,
          ...(o.storage ? { storage: o.storage } : {}),
        }),
      stats: async (appid = APP_A.appid) => {
        const s = (await control.stats())[appid]
        return {
          stable_token: s?.stable_token ?? 0,
          getuserphonenumber: s?.getuserphonenumber ?? 0,
        }
      },
      phoneCode: (user, extra = {}) =>
        control.phoneCode({
          appid: extra.appid ?? APP_A.appid,
          user,
          ...(extra.phoneNumber ? { phoneNumber: extra.phoneNumber } : {}),
          ...(extra.countryCode ? { countryCode: extra.countryCode } : {}),
        }),
      sessionKey: async (user, appid = APP_A.appid) => {
        const code = await control.login({ appid, user })
        const query = new URLSearchParams({
          appid,
          secret: SECRETS[appid] ?? '',
          js_code: code,
          grant_type: 'authorization_code',
        })
        const res = await fetch(`${sim.url}/sns/jscode2session?${query}`)
        const body = (await res.json()) as { session_key?: string }
        if (!body.session_key) throw new Error('the simulator gave no session_key')
        return body.session_key
      },
      forceRefreshAtWechat: async (appid = APP_A.appid) => {
        await stableToken(appid, true)
      },
      currentAccessToken: (appid = APP_A.appid) => stableToken(appid, false),
      logs: () => servers.map((s) => s.output()).join('\n'),
    } satisfies World)
  })

  afterAll(async () => {
    // Servers before the simulator (see soak-run.ts).
    const codes = [
      ...(await Promise.all((world.servers ?? []).map((s) => s.stop()))),
      await world.sim?.stop(),
    ]
    await world.backend?.cleanup()
    expect(codes.every((c) => c === 0)).toBe(true)
  })

  return world
}

/** A user logged in through auth.login directly; returns the Authorization header value. */
export async function loginRaw(
  world: World,
  user: string,
  opts: { appid?: string; server?: RunningProcess } = {},
): Promise<string> {
  const appid = opts.appid ?? APP_A.appid
  const code = await world.control.login({ appid, user })
  const res = await rawCall((opts.server ?? world.server).url, 'auth.login', { code, appid })
  const token = (res.body as { result?: { data?: { token?: string } } }).result?.data?.token
  if (res.status !== 200 || !token) throw new Error(`login failed: ${res.status}`)
  return `Bearer ${token}`
}

/** The tRPC error data of a failed call, or a failure if it succeeded. */
export async function failure(
  promise: Promise<unknown>,
): Promise<{ httpStatus?: number; code?: string; reason?: string }> {
  const error = await promise.then(
    () => {
      throw new Error('expected the call to fail')
    },
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(TRPCClientError)
  return ((error as TRPCClientError<AppRouter>).data ?? {}) as {
    httpStatus?: number
    code?: string
    reason?: string
  }
}

/** What WeChat's app does with user data: AES-128-CBC under the session_key, plus a signed rawData. */
export { sealUserData } from '@wxapp/testing'

/** None of `secrets` in any response the test clients received, nor in any server log line. */
export function expectNothingLeaked(world: World, secrets: readonly string[]) {
  const logs = world.logs()
  const everything = [...responses, logs]
  for (const secret of [APP_A.secret, APP_B.secret, ...secrets]) {
    expect(secret.length).toBeGreaterThan(6)
    for (const text of everything) expect(text.includes(secret), 'a secret leaked').toBe(false)
  }
}

/** A PostgreSQL backend for the world, with SQL access for the test. */
export async function postgresBackend(): Promise<Backend> {
  const { createTestPostgres } = await import('@wxapp/db/testing')
  const pg = (await import('pg')).default
  const db = await createTestPostgres()
  return {
    url: db.url,
    cleanup: db.drop,
    sql: async <T extends object>(text: string, params: unknown[] = []) => {
      const client = new pg.Client({ connectionString: db.url })
      await client.connect()
      try {
        return (await client.query(text, params)).rows as T[]
      } finally {
        await client.end()
      }
    },
  }
}

export const pgliteBackend = async (): Promise<Backend> => ({
  url: 'pglite:memory:',
  cleanup: async () => {},
})
