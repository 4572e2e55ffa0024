/**
 * The simulator's rules and in-memory state, with no I/O: the HTTP layer
 * (server.ts) parses requests and calls these methods; unit tests call them
 * directly with an injected clock.
 */
import { createHmac, randomBytes as nodeRandomBytes, timingSafeEqual } from 'node:crypto'
import {
  ACCESS_TOKEN_RENEW_MS,
  ACCESS_TOKEN_TTL_MS,
  API_NAMES,
  API_PATHS,
  type ApiPath,
  type ApiStats,
  CODE_TTL_MS,
  CODE2SESSION_LIMIT,
  CODE2SESSION_WINDOW_MS,
  FORCE_REFRESH_INTERVAL_MS,
  FORCE_REFRESH_PER_DAY,
  RISKY_USER_PREFIX,
  VISIT_WINDOW_MS,
} from './constants'
import type { FaultRequest, PhoneCodeRequest, StatsResponse, UserRequest } from './protocol'

/** WeChat's error body: sent with HTTP 200, as WeChat does. */
export interface WechatError {
  errcode: number
  errmsg: string
}
export type Result<T> = { ok: true; body: T } | { ok: false; error: WechatError }

export interface SimApp {
  appid: string
  secret: string
}

export interface SimStateOptions {
  apps: readonly SimApp[]
  /**
   * Keys openid/unionid derivation. Unset: random per process, so openids
   * cannot be guessed and are stable for the process's life only.
   */
  seed?: string
  /** The real clock (the state adds its own offset, see advanceClock). */
  now?: () => number
  randomBytes?: (size: number) => Buffer
}

/** A control request that names something the simulator does not know (answered 400). */
export class SimInputError extends Error {
  override name = 'SimInputError'
}

export interface Code2SessionBody {
  openid: string
  session_key: string
  unionid: string
}
export interface StableTokenBody {
  access_token: string
  expires_in: number
}
export interface PhoneNumberBody {
  errcode: 0
  errmsg: 'ok'
  phone_info: {
    phoneNumber: string
    purePhoneNumber: string
    countryCode: string
    watermark: { appid: string; timestamp: number }
  }
}
export interface OkBody {
  errcode: 0
  errmsg: 'ok'
}

// WeChat's texts, each answered as `<text>, rid: <request id>` as WeChat does;
// code2Session's (40029, 40226, 45011, -1) as its documented error table.
const ERRMSG: Record<number, string> = {
  [-1]: 'system error',
  40001: 'invalid credential, access_token is invalid or not latest',
  40002: 'invalid grant_type',
  40003: 'invalid openid',
  40013: 'invalid appid',
  40029: 'invalid code',
  40129: 'invalid scene',
  40097: 'invalid args',
  40125: 'invalid appsecret',
  40163: 'code been used',
  40066: 'invalid url',
  40226: 'code blocked',
  41001: 'access_token missing',
  41002: 'appid missing',
  41004: 'appsecret missing',
  41008: 'missing code',
  41009: 'missing openid',
  42001: 'access_token expired',
  43001: 'require GET method',
  43002: 'require POST method',
  45009: 'reach max api daily quota limit',
  45011: 'api minute-quota reach limit mustslower retry next minute',
  47001: 'data format error',
  61010: 'user access record expired',
  87009: 'invalid signature',
  1400001: 'phone number quota used up',
}

interface LoginCode {
  appid: string
  user: string
  expiresAt: number
  used: boolean
}
interface PhoneCode extends LoginCode {
  purePhoneNumber: string
  countryCode: string
  issuedAt: number
}
interface Session {
  sessionKey: string
  valid: boolean
}
interface AccessToken {
  appid: string
  expiresAt: number
  /** Replaced by a forced refresh: refused from then on (40001). */
  revoked: boolean
}
interface AppTokens {
  current: string
  expiresAt: number
  lastForcedAt: number
  forcedDay: number
  forcedCount: number
}
interface Fault {
  errcode?: number
  delayMs?: number
  remaining: number
}

const DAY_MS = 86_400_000
/** WeChat's quota day runs on Beijing time (UTC+8). */
const beijingDay = (t: number) => Math.floor((t + 8 * 3_600_000) / DAY_MS)
/** Expired tokens are remembered this long to answer 42001 rather than 40001. */
const EXPIRED_TOKEN_MEMORY_MS = 3_600_000

const emptyStats = (): ApiStats => ({
  jscode2session: 0,
  stable_token: 0,
  getuserphonenumber: 0,
  checksession: 0,
  msg_sec_check: 0,
  media_check_async: 0,
})

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.length > 0

export class SimState {
  private readonly apps: ReadonlyMap<string, string>
  private readonly seed: Buffer
  private readonly realNow: () => number
  private readonly random: (size: number) => Buffer

  private offsetMs = 0
  private codes = new Map<string, LoginCode>()
  private phoneCodes = new Map<string, PhoneCode>()
  /** Keyed by userKey(appid, user). */
  private sessions = new Map<string, Session>()
  /** Accepted code2Session calls in the last minute, per userKey. */
  private exchanges = new Map<string, number[]>()
  /** openid -> user, per appid (userKey(appid, openid)), for the APIs that name an openid. */
  private users = new Map<string, string>()
  private tokens = new Map<string, AccessToken>()
  private appTokens = new Map<string, AppTokens>()
  /** When each userKey last exchanged a code (code2Session): "visited the app". */
  private visits = new Map<string, number>()
  private faults = new Map<ApiPath, Fault>()
  private stats = new Map<string, ApiStats>()

  constructor(options: SimStateOptions) {
    this.apps = new Map(options.apps.map((a) => [a.appid, a.secret]))
    this.random = options.randomBytes ?? nodeRandomBytes
    this.seed = options.seed ? Buffer.from(options.seed) : this.random(32)
    this.realNow = options.now ?? Date.now
  }

  /** The simulated time: the real clock plus every advanceClock so far. */
  now(): number {
    return this.realNow() + this.offsetMs
  }

  appids(): string[] {
    return [...this.apps.keys()]
  }

  /** Moves the simulated clock forward (code and token expiry, rate windows, quota days). */
  advanceClock(ms: number): { now: number; offsetMs: number } {
    this.offsetMs += ms
    return { now: this.now(), offsetMs: this.offsetMs }
  }

  clock(): { now: number; offsetMs: number } {
    return { now: this.now(), offsetMs: this.offsetMs }
  }

  /** Forgets everything but the apps and the seed (openids stay the same). */
  reset(): void {
    this.offsetMs = 0
    for (const map of [
      this.codes,
      this.phoneCodes,
      this.sessions,
      this.exchanges,
      this.users,
      this.tokens,
      this.appTokens,
      this.visits,
      this.faults,
      this.stats,
    ]) {
      map.clear()
    }
  }

  /** Drops what can no longer matter, so memory stays bounded by recent activity. */
  sweep(): void {
    const now = this.now()
    for (const [code, c] of this.codes) if (now >= c.expiresAt) this.codes.delete(code)
    for (const [code, c] of this.phoneCodes) if (now >= c.expiresAt) this.phoneCodes.delete(code)
    for (const [key, times] of this.exchanges) {
      const recent = times.filter((t) => now - t < CODE2SESSION_WINDOW_MS)
      if (recent.length === 0) this.exchanges.delete(key)
      else this.exchanges.set(key, recent)
    }
    for (const [token, t] of this.tokens) {
      if (now >= t.expiresAt + EXPIRED_TOKEN_MEMORY_MS) this.tokens.delete(token)
    }
    for (const [key, t] of this.visits) if (now - t >= VISIT_WINDOW_MS) this.visits.delete(key)
  }

  /** How many live entries the state holds (for tests of the sweep). */
  size(): { codes: number; phoneCodes: number; exchanges: number; tokens: number } {
    return {
      codes: this.codes.size,
      phoneCodes: this.phoneCodes.size,
      exchanges: this.exchanges.size,
      tokens: this.tokens.size,
    }
  }

  // --- identities -----------------------------------------------------------

  private hmac(...parts: string[]): Buffer {
    return createHmac('sha256', this.seed).update(JSON.stringify(parts)).digest()
  }

  /** Stable per (appid, user), different across appids; 28 characters like WeChat's. */
  openid(appid: string, user: string): string {
    return `o${this.hmac('openid', appid, user).toString('base64url').slice(0, 27)}`
  }

  /** Stable per user across appids: every known app is bound to one Open Platform account. */
  unionid(user: string): string {
    return `o${this.hmac('unionid', user).toString('base64url').slice(0, 27)}`
  }

  private defaultPhone(user: string): string {
    const n = this.hmac('phone', user).readUIntBE(0, 6) % 1_000_000_000
    return `13${String(n).padStart(9, '0')}`
  }

  private newCode(): string {
    return this.random(24).toString('base64url')
  }

  private error(errcode: number): { ok: false; error: WechatError } {
    const r = this.random(12).toString('hex')
    const rid = `${r.slice(0, 8)}-${r.slice(8, 16)}-${r.slice(16)}`
    return { ok: false, error: { errcode, errmsg: `${ERRMSG[errcode] ?? 'error'}, rid: ${rid}` } }
  }

  /** The errmsg WeChat sends with an errcode (for injected faults). */
  errorBody(errcode: number): WechatError {
    return this.error(errcode).error
  }

  private requireApp(appid: string): void {
    if (!this.apps.has(appid)) throw new SimInputError('appid: not an app this simulator knows')
  }

  // --- the phone (control endpoints) ----------------------------------------

  /**
   * wx.login(). session_key rule: a login while the user's WeChat session is
   * valid keeps its session_key; a login after it expired (expireSession)
   * starts a new session with a new session_key, and the old key stops
   * working (checksession answers 87009). Real WeChat "may" rotate on any
   * login; rotating only after expiry is the deterministic subset tests can
   * rely on.
   */
  login({ appid, user }: UserRequest): string {
    this.requireApp(appid)
    const key = userKey(appid, user)
    const session = this.sessions.get(key)
    if (!session?.valid) {
      this.sessions.set(key, { sessionKey: this.random(16).toString('base64'), valid: true })
    }
    this.users.set(userKey(appid, this.openid(appid, user)), user)
    const code = this.newCode()
    this.codes.set(code, { appid, user, expiresAt: this.now() + CODE_TTL_MS, used: false })
    return code
  }

  /** wx.checkSession(): false before any login and after expireSession. */
  checkSession({ appid, user }: UserRequest): boolean {
    this.requireApp(appid)
    return this.sessions.get(userKey(appid, user))?.valid === true
  }

  /** WeChat expires the user's session_key; the next login rotates it. */
  expireSession({ appid, user }: UserRequest): void {
    this.requireApp(appid)
    const session = this.sessions.get(userKey(appid, user))
    if (session) session.valid = false
  }

  /** What a getPhoneNumber button gives: a single-use code, 5 minutes. */
  phoneCode({ appid, user, phoneNumber, countryCode }: PhoneCodeRequest): string {
    this.requireApp(appid)
    this.users.set(userKey(appid, this.openid(appid, user)), user)
    const code = this.newCode()
    const now = this.now()
    this.phoneCodes.set(code, {
      appid,
      user,
      expiresAt: now + CODE_TTL_MS,
      used: false,
      purePhoneNumber: phoneNumber ?? this.defaultPhone(user),
      countryCode: countryCode ?? '86',
      issuedAt: now,
    })
    return code
  }

  // --- faults and stats -----------------------------------------------------

  /** A new fault for a path replaces the old one; count 0 clears it. */
  setFault({ path, errcode, delayMs, count }: FaultRequest): void {
    if (count === 0) this.faults.delete(path)
    else this.faults.set(path, { errcode, delayMs, remaining: count })
  }

  /** Uses up one call of the path's fault, if any. */
  takeFault(path: ApiPath): { errcode?: number; delayMs?: number } | undefined {
    const fault = this.faults.get(path)
    if (!fault) return undefined
    fault.remaining -= 1
    if (fault.remaining <= 0) this.faults.delete(path)
    return { errcode: fault.errcode, delayMs: fault.delayMs }
  }

  /** Counts a call to a WeChat API; calls naming no known app are not counted. */
  countCall(path: ApiPath, appid: string | undefined): void {
    if (appid === undefined || !this.apps.has(appid)) return
    let s = this.stats.get(appid)
    if (!s) {
      s = emptyStats()
      this.stats.set(appid, s)
    }
    s[API_NAMES[path]] += 1
  }

  allStats(): StatsResponse {
    return Object.fromEntries(
      this.appids().map((appid) => [appid, { ...(this.stats.get(appid) ?? emptyStats()) }]),
    )
  }

  // --- WeChat's server API --------------------------------------------------

  /** The app whose access token this is, if the simulator issued it (for stats). */
  tokenAppid(token: string | undefined): string | undefined {
    return token === undefined ? undefined : this.tokens.get(token)?.appid
  }

  /** GET /sns/jscode2session. Only a successful exchange uses up the code. */
  code2Session(q: {
    appid?: string
    secret?: string
    js_code?: string
    grant_type?: string
  }): Result<Code2SessionBody> {
    if (!nonEmpty(q.appid)) return this.error(41002)
    if (!nonEmpty(q.secret)) return this.error(41004)
    if (!nonEmpty(q.js_code)) return this.error(41008)
    if (q.grant_type !== 'authorization_code') return this.error(40002)
    const secret = this.apps.get(q.appid)
    if (secret === undefined) return this.error(40013)
    if (!safeEqual(q.secret, secret)) return this.error(40125)
    const now = this.now()
    const code = this.codes.get(q.js_code)
    // A code of another app is as unknown as a made-up one.
    if (!code || code.appid !== q.appid || now >= code.expiresAt) return this.error(40029)
    if (code.used) return this.error(40163)
    if (code.user.startsWith(RISKY_USER_PREFIX)) return this.error(40226)
    const key = userKey(code.appid, code.user)
    const recent = (this.exchanges.get(key) ?? []).filter((t) => now - t < CODE2SESSION_WINDOW_MS)
    if (recent.length >= CODE2SESSION_LIMIT) {
      this.exchanges.set(key, recent)
      return this.error(45011)
    }
    recent.push(now)
    this.exchanges.set(key, recent)
    code.used = true
    this.visits.set(key, now)
    let session = this.sessions.get(key)
    if (!session) {
      session = { sessionKey: this.random(16).toString('base64'), valid: true }
      this.sessions.set(key, session)
    }
    const openid = this.openid(code.appid, code.user)
    this.users.set(userKey(code.appid, openid), code.user)
    return {
      ok: true,
      body: { openid, session_key: session.sessionKey, unionid: this.unionid(code.user) },
    }
  }

  /**
   * POST /cgi-bin/stable_token. Normal mode returns the same token while it
   * has more than 5 minutes left, then a new one (the old one keeps working
   * until it expires). force_refresh revokes the current token at once,
   * at most 20 times a (Beijing) day; one within 30 s of the last forced
   * refresh does not refresh (WeChat: "否则不会刷新") and is not counted.
   */
  stableToken(body: unknown): Result<StableTokenBody> {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return this.error(47001)
    const b = body as Record<string, unknown>
    if (!nonEmpty(b.appid)) return this.error(41002)
    if (!nonEmpty(b.secret)) return this.error(41004)
    if (b.grant_type !== 'client_credential') return this.error(40002)
    if (b.force_refresh !== undefined && typeof b.force_refresh !== 'boolean') {
      return this.error(47001)
    }
    const secret = this.apps.get(b.appid)
    if (secret === undefined) return this.error(40013)
    if (!safeEqual(b.secret, secret)) return this.error(40125)

    const appid = b.appid
    const now = this.now()
    const app = this.appTokens.get(appid)
    const issue = (forced: boolean) => {
      const token = this.random(48).toString('base64url')
      const expiresAt = now + ACCESS_TOKEN_TTL_MS
      if (app && forced) {
        const old = this.tokens.get(app.current)
        if (old) old.revoked = true
      }
      this.tokens.set(token, { appid, expiresAt, revoked: false })
      const next: AppTokens = app ?? {
        current: token,
        expiresAt,
        lastForcedAt: Number.NEGATIVE_INFINITY,
        forcedDay: beijingDay(now),
        forcedCount: 0,
      }
      next.current = token
      next.expiresAt = expiresAt
      this.appTokens.set(appid, next)
      return next
    }
    const answer = (t: AppTokens): Result<StableTokenBody> => ({
      ok: true,
      body: { access_token: t.current, expires_in: Math.floor((t.expiresAt - now) / 1000) },
    })

    if (b.force_refresh === true) {
      if (app && now - app.lastForcedAt < FORCE_REFRESH_INTERVAL_MS) {
        return now < app.expiresAt ? answer(app) : answer(issue(false))
      }
      const day = beijingDay(now)
      const count = app && app.forcedDay === day ? app.forcedCount : 0
      if (count >= FORCE_REFRESH_PER_DAY) return this.error(45009)
      const t = issue(true)
      t.lastForcedAt = now
      t.forcedDay = day
      t.forcedCount = count + 1
      return answer(t)
    }
    if (app && now < app.expiresAt - ACCESS_TOKEN_RENEW_MS) return answer(app)
    return answer(issue(false))
  }

  /** The app of a valid access token, or WeChat's error (for the APIs outside this file). */
  authorize(token: string | undefined): Result<{ appid: string }> {
    return this.checkToken(token)
  }

  /**
   * Whether `openid` is a user of `appid` (known from a login or phone code)
   * who exchanged a code within `windowMs` of the simulated clock.
   */
  openidActivity(
    appid: string,
    openid: string,
    windowMs: number,
  ): 'unknown' | 'inactive' | 'active' {
    const user = this.users.get(userKey(appid, openid))
    if (user === undefined) return 'unknown'
    const visit = this.visits.get(userKey(appid, user))
    return visit !== undefined && this.now() - visit < windowMs ? 'active' : 'inactive'
  }

  private checkToken(token: string | undefined): Result<{ appid: string }> {
    if (!nonEmpty(token)) return this.error(41001)
    const t = this.tokens.get(token)
    if (!t || t.revoked) return this.error(40001)
    if (this.now() >= t.expiresAt) return this.error(42001)
    return { ok: true, body: { appid: t.appid } }
  }

  /**
   * POST /wxa/business/getuserphonenumber. Unknown, expired, used and other
   * apps' codes all get 40029 (WeChat uses one errcode for all of them). A
   * body naming another user's openid gets 40003 (invalid openid) and leaves
   * the code unused.
   */
  getUserPhoneNumber(token: string | undefined, body: unknown): Result<PhoneNumberBody> {
    const auth = this.checkToken(token)
    if (!auth.ok) return auth
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return this.error(47001)
    const b = body as Record<string, unknown>
    if (!nonEmpty(b.code)) return this.error(41008)
    if (b.openid !== undefined && typeof b.openid !== 'string') return this.error(47001)
    const now = this.now()
    const code = this.phoneCodes.get(b.code)
    if (!code || code.appid !== auth.body.appid || now >= code.expiresAt || code.used) {
      return this.error(40029)
    }
    if (nonEmpty(b.openid) && b.openid !== this.openid(code.appid, code.user)) {
      return this.error(40003)
    }
    code.used = true
    const { countryCode, purePhoneNumber } = code
    return {
      ok: true,
      body: {
        errcode: 0,
        errmsg: 'ok',
        phone_info: {
          // WeChat: "phoneNumber has the country code for numbers outside China".
          phoneNumber: countryCode === '86' ? purePhoneNumber : `+${countryCode}${purePhoneNumber}`,
          purePhoneNumber,
          countryCode,
          watermark: { appid: code.appid, timestamp: Math.floor(code.issuedAt / 1000) },
        },
      },
    }
  }

  /**
   * GET /wxa/checksession: signature = hex(hmac_sha256(key = session_key, "")),
   * the key being the base64 string as WeChat hands it out. 0 only for the
   * user's current, unexpired session_key; otherwise 87009.
   */
  checkSessionKey(q: {
    access_token?: string
    openid?: string
    signature?: string
    sig_method?: string
  }): Result<OkBody> {
    const auth = this.checkToken(q.access_token)
    if (!auth.ok) return auth
    if (!nonEmpty(q.openid)) return this.error(41009)
    if (q.sig_method !== 'hmac_sha256') return this.error(40097)
    const user = this.users.get(userKey(auth.body.appid, q.openid))
    if (user === undefined) return this.error(40003)
    const session = this.sessions.get(userKey(auth.body.appid, user))
    if (!session?.valid || !nonEmpty(q.signature)) return this.error(87009)
    const expected = createHmac('sha256', session.sessionKey).update('').digest('hex')
    if (!safeEqual(q.signature.toLowerCase(), expected)) return this.error(87009)
    return { ok: true, body: { errcode: 0, errmsg: 'ok' } }
  }
}

function userKey(appid: string, user: string): string {
  return `${appid}\u0000${user}`
}

export const isApiPath = (path: string): path is ApiPath =>
  (API_PATHS as readonly string[]).includes(path)
