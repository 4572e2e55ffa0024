/**
 * The API in process, as tRPC's next-prisma-starter tests it: procedures
 * called through `createCaller` over a context of real parts. An embedded
 * PostgreSQL (PGlite) in memory, migrated (or a fresh database on the
 * PostgreSQL server of TEST_DATABASE_URL); the services the server builds
 * (createApiServices); the WeChat simulator on a loopback port, its control
 * client minting codes as a phone would. Log lines are kept for assertions.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TRPCError } from '@trpc/server'
import {
  applyMigrations,
  type Database,
  type NotificationChannel,
  openDatabase,
  openNotificationChannel,
} from '@wxapp/db'
import { createTestPostgres, type TestPostgres } from '@wxapp/db/testing'
import { parseMiniLoginEnv } from '@wxapp/mini-login'
import { createLocalStore, type ObjectStore } from '@wxapp/storage'
import {
  createSimServer,
  SIM_DEV_ALIPAY_APPID,
  SIM_DEV_APPID,
  SIM_DEV_QQ_APPID,
  SIM_DEV_QQ_SECRET,
  SIM_DEV_SECRET,
  SIM_DEV_TT_APPID,
  SIM_DEV_TT_SECRET,
  SimState,
} from '@wxapp/wechat-sim'
import { createSimControl, type SimControl } from '@wxapp/wechat-sim/client'
import { pino } from 'pino'
import { z } from 'zod'
import { cloudIdentityOf, type RequestHeaders } from '../../src/cloud-identity'
import type { ApiServices, Context, LoginLimits } from '../../src/context'
import { reasonOf } from '../../src/errors'
import { appRouter } from '../../src/root'
import { type ApiServicesOptions, createApiServices } from '../../src/services/index'
import { createCallerFactory } from '../../src/trpc'

export const APP_A = { appid: SIM_DEV_APPID, secret: SIM_DEV_SECRET }
export const APP_B = { appid: 'wx_second_app', secret: 'second_app_secret_0123456789abcd' }
/** The other platforms' apps, with `platforms: true`: the simulator's development apps. */
export const QQ_APP = { appid: SIM_DEV_QQ_APPID, secret: SIM_DEV_QQ_SECRET }
export const TT_APP = { appid: SIM_DEV_TT_APPID, secret: SIM_DEV_TT_SECRET }
export const ALIPAY_APPID = SIM_DEV_ALIPAY_APPID
const AlipayKeys = z.object({ alipayPublicKey: z.string(), appPrivateKey: z.string() })
const DATA_KEY = Buffer.alloc(32, 0x5a)
const createCaller = createCallerFactory(appRouter)
const secretOf = (appid: string) => (appid === APP_B.appid ? APP_B.secret : APP_A.secret)

export type Caller = ReturnType<typeof createCaller>

export interface LogLine {
  level: number
  msg: string
  [field: string]: unknown
}

export interface TestApi {
  services: ApiServices
  /** The services' logger (its lines land in `logs`). */
  logger: pino.Logger
  db: Database
  sim: SimControl
  /** Every log line the services and procedures wrote, as JSON objects. */
  logs: LogLine[]
  /** Every answer and error message the callers got, for leak checks. */
  answers: string[]
  /**
   * A caller with this request's token, app header and address. `headers`
   * stand for the request's other headers, read as the server reads them:
   * the Cloud Hosting identity only with `cloudHosting` (WECHAT_CLOUD_HOSTING),
   * and their x-wx-appid names the app when `appid` is not given.
   */
  caller(request?: CallerRequest): Caller
  /**
   * A caller on a second instance (`peer: true`): its own services and session
   * cache over the same database, told of the first one's session changes as
   * the server's instances are (LISTEN/NOTIFY on PostgreSQL).
   */
  peer(request?: CallerRequest): Caller
  /** Logs simulated WeChat user `user` in to `appid`: the token and the public user. */
  login(user: string, opts?: { appid?: string; clientIp?: string }): Promise<LoggedIn>
  /** The session_key WeChat issued to `user` (learned as the phone's WeChat would). */
  sessionKey(user: string, appid?: string): Promise<string>
  /** WeChat's current access token of the app; `force` revokes it and makes a new one. */
  stableToken(opts?: { appid?: string; force?: boolean }): Promise<string>
  close(): Promise<void>
}

export interface CallerRequest {
  token?: string | null
  appid?: string | null
  clientIp?: string
  headers?: RequestHeaders
  cloudHosting?: boolean
}

export interface LoggedIn {
  token: string
  user: { id: string; nickname: string | null; avatarUrl: string | null }
  /** A caller carrying the token. */
  api: Caller
}

export async function createTestApi(
  opts: {
    loginLimits?: LoginLimits
    sessionPolicy?: ApiServicesOptions['sessionPolicy']
    sessionCache?: ApiServicesOptions['sessionCache']
    now?: () => Date
    /** Default PGlite in memory. */
    database?: 'pglite' | 'postgres'
    /** A second instance for `peer()`. */
    peer?: boolean
    /** The upload store (default: a local folder of its own, removed at close). */
    files?: ObjectStore
    /** Also serve QQ_APP, TT_APP and the Alipay app, through the simulator. */
    platforms?: boolean
  } = {},
): Promise<TestApi> {
  const state = new SimState({
    apps: [APP_A, APP_B],
    ...(opts.platforms ? { qqApps: [QQ_APP], ttApps: [TT_APP], alipayAppids: [ALIPAY_APPID] } : {}),
    seed: 'api-router-tests',
  })
  const simServer = createSimServer({ state, logger: pino({ level: 'silent' }) })
  await new Promise<void>((resolve) => simServer.listen(0, '127.0.0.1', resolve))
  const simUrl = `http://127.0.0.1:${(simServer.address() as AddressInfo).port}`
  const sim = createSimControl({ baseUrl: simUrl })
  // Configured as the server is, from its environment variables.
  const platforms = opts.platforms
    ? await (async () => {
        const keys = AlipayKeys.parse(await (await fetch(`${simUrl}/sim/alipay-keys`)).json())
        return parseMiniLoginEnv({
          QQ_APPS: `${QQ_APP.appid}:${QQ_APP.secret}`,
          QQ_API_BASE: `${simUrl}/qq`,
          TT_APPS: `${TT_APP.appid}:${TT_APP.secret}`,
          TT_API_BASE: `${simUrl}/tt`,
          ALIPAY_APPID,
          ALIPAY_PRIVATE_KEY: keys.appPrivateKey,
          ALIPAY_PUBLIC_KEY: keys.alipayPublicKey,
          ALIPAY_GATEWAY: `${simUrl}/alipay/gateway.do`,
        })
      })()
    : undefined

  const logs: LogLine[] = []
  const logger = pino(
    { level: 'debug' },
    { write: (line: string) => void logs.push(JSON.parse(line) as LogLine) },
  )
  const filesDir = await mkdtemp(join(tmpdir(), 'wxapp-api-files-'))
  // Both instances keep files in one place, as the server's share a bucket.
  const files = opts.files ?? createLocalStore({ dir: filesDir })
  let postgres: TestPostgres | undefined
  const open = async () => {
    if (opts.database !== 'postgres') return openDatabase({ url: 'pglite:memory:' })
    postgres ??= await createTestPostgres()
    return openDatabase({ url: postgres.url, poolSize: 4 })
  }
  const db = await open()
  await applyMigrations(db)
  // PGlite is one process's database: the peer shares it (and its channel).
  const peerDb = opts.peer ? (db.kind === 'pglite' ? db : await open()) : undefined
  const channels: NotificationChannel[] = []
  const changesOf = async (of: Database) => {
    if (!opts.peer) return undefined
    // PGlite's channel delivers to its own subscribers: one for both.
    const shared = of.kind === 'pglite' ? channels[0] : undefined
    if (shared) return shared
    const channel = await openNotificationChannel(of, 'test_session_changes')
    channels.push(channel)
    return channel
  }
  const servicesOn = async (of: Database) =>
    createApiServices({
      db: of,
      dataKeys: [DATA_KEY],
      logger,
      wechat: { apps: [APP_A, APP_B], apiBase: simUrl, timeoutMs: 2000 },
      platforms,
      sessionPolicy: opts.sessionPolicy,
      sessionCache: opts.sessionCache,
      sessionChanges: await changesOf(of),
      loginLimits: opts.loginLimits ?? { perIpPerMinute: 0, perUserPerMinute: 0 },
      now: opts.now,
      files,
    })
  const services = await servicesOn(db)
  const peerServices = peerDb ? await servicesOn(peerDb) : undefined

  const answers: string[] = []
  let requests = 0
  const callerOn = (on: ApiServices, request: CallerRequest = {}) => {
    const ctx: Context = {
      services: on,
      requestId: `test-${++requests}`,
      clientIp: request.clientIp ?? '127.0.0.1',
      token: request.token ?? null,
      appid: request.appid ?? headerAppid(request.headers),
      cloudIdentity: cloudIdentityOf(request.headers ?? {}, request.cloudHosting ?? false),
      log: logger,
    }
    return createCaller(ctx, {
      onError: ({ error }) => void answers.push(error.message),
    })
  }

  const caller: TestApi['caller'] = (request) => callerOn(services, request)

  return {
    services,
    logger,
    db,
    sim,
    logs,
    answers,
    caller,
    peer(request) {
      if (!peerServices) throw new Error('createTestApi({ peer: true }) for a peer')
      return callerOn(peerServices, request)
    },
    async login(user, { appid = APP_A.appid, clientIp } = {}) {
      const code = await sim.login({ appid, user })
      const result = await caller({ clientIp }).auth.login({ code, appid })
      answers.push(JSON.stringify(result))
      return {
        token: result.token,
        user: result.user,
        api: caller({ token: result.token, appid }),
      }
    },
    async stableToken({ appid = APP_A.appid, force = false } = {}) {
      const res = await fetch(`${simUrl}/cgi-bin/stable_token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          grant_type: 'client_credential',
          appid,
          secret: secretOf(appid),
          force_refresh: force,
        }),
      })
      const body = (await res.json()) as { access_token?: string }
      if (!body.access_token) throw new Error('the simulator gave no access token')
      return body.access_token
    },
    async sessionKey(user, appid = APP_A.appid) {
      const secret = secretOf(appid)
      const code = await sim.login({ appid, user })
      const query = new URLSearchParams({
        appid,
        secret,
        js_code: code,
        grant_type: 'authorization_code',
      })
      const body = (await (await fetch(`${simUrl}/sns/jscode2session?${query}`)).json()) as {
        session_key?: string
      }
      if (!body.session_key) throw new Error('the simulator gave no session_key')
      return body.session_key
    },
    async close() {
      for (const channel of channels) await channel.close()
      if (peerDb && peerDb !== db) await peerDb.close()
      await db.close()
      await postgres?.drop()
      await rm(filesDir, { recursive: true, force: true })
      simServer.closeAllConnections()
      await new Promise<void>((resolve) => simServer.close(() => resolve()))
    },
  }
}

/** The x-wx-appid of `headers`, as the server's requestAuth reads it. */
function headerAppid(headers: RequestHeaders | undefined): string | null {
  const value = headers?.['x-wx-appid']
  return typeof value === 'string' && value.length > 0 ? value : null
}

/** What a call failed with: the ReasonedError (or TRPCError) a client would be answered with. */
export async function failure(call: Promise<unknown>): Promise<TRPCError & { reason?: string }> {
  try {
    await call
  } catch (error) {
    if (error instanceof TRPCError) return error as TRPCError & { reason?: string }
    throw error
  }
  throw new Error('expected the call to fail')
}

/** `{ code, reason }` of a failed call: the pair a client is answered with and branches on. */
export async function refusal(call: Promise<unknown>) {
  const error = await failure(call)
  return { code: error.code, reason: reasonOf(error) }
}

/** None of `secrets` in any answer, error message or log line. */
export function leaked(api: TestApi, secrets: readonly string[]): string[] {
  const texts = [...api.answers, ...api.logs.map((line) => JSON.stringify(line))]
  return secrets.filter((secret) => texts.some((text) => text.includes(secret)))
}
