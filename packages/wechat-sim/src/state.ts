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
  type Platform,
  RISKY_USER_PREFIX,
  VISIT_WINDOW_MS,
} from './constants'
import type {
  CodeResponse,
  FaultRequest,
  LoginRequest,
  PhoneCodeRequest,
  StatsResponse,
  UserRequest,
} from './protocol'

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
  /** WeChat's apps. */
  apps: readonly SimApp[]
  /** QQ's and Douyin's apps (appid:secret, like WeChat's). */
  qqApps?: readonly SimApp[]
  ttApps?: readonly SimApp[]
  /** Alipay's apps: no secret; the gateway checks each request's RSA2 signature. */
  alipayAppids?: readonly string[]
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
/** Douyin's jscode2session v2 answer, errors included (err_no != 0; HTTP 200). */
export interface TtCode2SessionBody {
  err_no: number
  err_tips: string
  log_id: string
  /** Absent values are empty strings: openid needs a code, anonymous_openid an anonymous_code. */
  data: { session_key: string; openid: string; anonymous_openid: string; unionid: string }
}
/** alipay.system.oauth.token's answer (alipay_system_oauth_token_response). */
export interface AlipayTokenBody {
  user_id: string
  open_id: string
  access_token: string
  expires_in: number
  refresh_token: string
  re_expires_in: number
  auth_start: string
}
/** Alipay's error_response. */
export interface AlipayError {
  code: string
  msg: string
  sub_code: string
  sub_msg: string
}
export type AlipayResult = { ok: true; body: AlipayTokenBody } | { ok: false; error: AlipayError }
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
  /** Douyin's anonymous_code (tt.login without a Douyin account). */
  anonymous?: boolean
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

// Douyin's err_tips (code2Session's table: developer.open-douyin.com, mini-app
// server/log-in/code-2-session).
const TT_TIPS: Record<number, string> = {
  [-1]: 'system error',
  40015: 'bad appid',
  40017: 'bad secret',
  40018: 'bad code',
  40019: 'bad anonymous_code',
  40020: 'code and anonymous_code are both empty',
}
const TT_NO_DATA = { session_key: '', openid: '', anonymous_openid: '', unionid: '' }

// Alipay's gateway codes (opendocs.alipay.com common error codes) and
// alipay.system.oauth.token's sub_codes.
const ALIPAY_MSG: Record<string, string> = {
  '20000': 'Service Currently Unavailable',
  '40001': 'Missing Required Arguments',
  '40002': 'Invalid Arguments',
  '40004': 'Business Failed',
}
export const ALIPAY_SUB_MSG: Record<string, string> = {
  'isp.unknow-error': '服务暂不可用',
  'isv.missing-app-id': '缺少appId参数',
  'isv.missing-method': '缺少方法名参数',
  'isv.missing-signature': '缺少签名参数',
  'isv.missing-signature-type': '缺少签名类型参数',
  'isv.missing-timestamp': '缺少时间戳参数',
  'isv.missing-version': '缺少版本参数',
  'isv.invalid-app-id': '无效的AppID参数',
  'isv.invalid-method': '不存在的方法名',
  'isv.invalid-signature': '验签出错',
  'isv.invalid-signature-type': '无效的签名类型',
  'isv.invalid-timestamp': '非法的时间戳参数',
  'isv.grant-type-invalid': 'grant_type参数不正确',
  'isv.code-invalid': '授权码code无效',
}
/** alipay.system.oauth.token: access_token and refresh_token lives (chosen; the docs' examples vary). */
const ALIPAY_TOKEN_TTL_S = 1_296_000
const ALIPAY_REFRESH_TTL_S = 2_592_000

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
  oauth_token: 0,
})

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.length > 0

export class SimState {
  /** appid -> platform and secret (none for Alipay); an appid belongs to one platform. */
  private readonly apps: ReadonlyMap<string, { platform: Platform; secret: string }>
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
    const apps = new Map<string, { platform: Platform; secret: string }>()
    const add = (platform: Platform, list: readonly SimApp[]) => {
      for (const { appid, secret } of list) {
        const known = apps.get(appid)
        if (known && known.platform !== platform) {
          throw new Error(`appid ${appid} is both a ${known.platform} and a ${platform} app`)
        }
        apps.set(appid, { platform, secret })
      }
    }
    add('weapp', options.apps)
    add('qq', options.qqApps ?? [])
    add('tt', options.ttApps ?? [])
    add(
      'alipay',
      (options.alipayAppids ?? []).map((appid) => ({ appid, secret: '' })),
    )
    this.apps = apps
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

  /** The platform an appid belongs to, if the simulator knows it. */
  platformOf(appid: string): Platform | undefined {
    return this.apps.get(appid)?.platform
  }

  private secretOf(appid: string, platform: Platform): string | undefined {
    const app = this.apps.get(appid)
    return app?.platform === platform ? app.secret : undefined
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

  /**
   * Stable per user across a platform's appids (all bound to one developer
   * account), different between platforms. WeChat's keeps its old derivation.
   */
  unionid(user: string, platform: Platform = 'weapp'): string {
    const parts = platform === 'weapp' ? ['unionid', user] : ['unionid', platform, user]
    return `o${this.hmac(...parts)
      .toString('base64url')
      .slice(0, 27)}`
  }

  /** Douyin's anonymous_openid: per (appid, device), the user name standing for the device. */
  private anonymousOpenid(appid: string, user: string): string {
    return `a${this.hmac('anonymous_openid', appid, user).toString('base64url').slice(0, 27)}`
  }

  /** Alipay's user_id: 2088 and 12 digits, one per user across apps (as Alipay's is). */
  private alipayUserId(user: string): string {
    const n = this.hmac('alipay_user_id', user).readUIntBE(0, 6) % 1_000_000_000_000
    return `2088${String(n).padStart(12, '0')}`
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
    return this.loginCodes({ appid, user }).code
  }

  /**
   * POST /sim/login for any platform: wx.login / qq.login / tt.login /
   * my.getAuthCode. Douyin's also gives an anonymous_code, and with
   * `anonymous` (no Douyin account) only that, `code` being empty. Douyin
   * refreshes session_key on every login (its docs say so).
   */
  loginCodes({ appid, user, anonymous }: LoginRequest): CodeResponse {
    this.requireApp(appid)
    const platform = this.platformOf(appid)
    if (anonymous && platform !== 'tt') {
      throw new SimInputError('anonymous: only Douyin (tt) apps have anonymous logins')
    }
    const key = userKey(appid, user)
    const session = this.sessions.get(key)
    if (!session?.valid || (platform === 'tt' && !anonymous)) {
      this.sessions.set(key, { sessionKey: this.random(16).toString('base64'), valid: true })
    }
    this.users.set(userKey(appid, this.openid(appid, user)), user)
    const expiresAt = this.now() + CODE_TTL_MS
    const mint = (kind: boolean) => {
      const code = this.newCode()
      this.codes.set(code, { appid, user, expiresAt, used: false, anonymous: kind })
      return code
    }
    if (platform !== 'tt') return { code: mint(false) }
    return { code: anonymous ? '' : mint(false), anonymousCode: mint(true) }
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

  /**
   * GET /sns/jscode2session, and QQ's (/qq/sns/jscode2session: the same
   * fields and errcodes; an appid of another platform is unknown there).
   * Only a successful exchange uses up the code.
   */
  code2Session(
    q: {
      appid?: string
      secret?: string
      js_code?: string
      grant_type?: string
    },
    platform: 'weapp' | 'qq' = 'weapp',
  ): Result<Code2SessionBody> {
    if (!nonEmpty(q.appid)) return this.error(41002)
    if (!nonEmpty(q.secret)) return this.error(41004)
    if (!nonEmpty(q.js_code)) return this.error(41008)
    if (q.grant_type !== 'authorization_code') return this.error(40002)
    const secret = this.secretOf(q.appid, platform)
    if (secret === undefined) return this.error(40013)
    if (!safeEqual(q.secret, secret)) return this.error(40125)
    const now = this.now()
    const code = this.codes.get(q.js_code)
    // A code of another app is as unknown as a made-up one.
    if (!code || code.appid !== q.appid || now >= code.expiresAt) return this.error(40029)
    if (code.used) return this.error(40163)
    // 40226 (high-risk user) is in WeChat's table only.
    if (platform === 'weapp' && code.user.startsWith(RISKY_USER_PREFIX)) return this.error(40226)
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
      body: {
        openid,
        session_key: session.sessionKey,
        unionid: this.unionid(code.user, platform),
      },
    }
  }

  /** Douyin's error answer (also for injected faults). */
  ttErrorBody(errNo: number): TtCode2SessionBody {
    return {
      err_no: errNo,
      err_tips: TT_TIPS[errNo] ?? 'error',
      log_id: this.logId(),
      data: TT_NO_DATA,
    }
  }

  private logId(): string {
    return this.random(12).toString('hex').toUpperCase()
  }

  /**
   * POST /tt/api/apps/v2/jscode2session `{ appid, secret, code?, anonymous_code? }`.
   * Codes are single-use ("只能使用一次"): a used, expired, made-up or other
   * app's code is 40018 (anonymous_code: 40019), as Douyin has no separate
   * "used" error. Both given: both must be good, and both are used up.
   */
  ttCode2Session(body: unknown): TtCode2SessionBody {
    const b = (
      typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {}
    ) as Record<string, unknown>
    if (!nonEmpty(b.appid)) return this.ttErrorBody(40015)
    const secret = this.secretOf(b.appid, 'tt')
    if (secret === undefined) return this.ttErrorBody(40015)
    if (!nonEmpty(b.secret) || !safeEqual(b.secret, secret)) return this.ttErrorBody(40017)
    const given = nonEmpty(b.code) ? b.code : undefined
    const givenAnon = nonEmpty(b.anonymous_code) ? b.anonymous_code : undefined
    if (given === undefined && givenAnon === undefined) return this.ttErrorBody(40020)
    const now = this.now()
    const live = (value: string | undefined, anonymous: boolean) => {
      const c = value === undefined ? undefined : this.codes.get(value)
      return c && c.appid === b.appid && !c.used && now < c.expiresAt && !!c.anonymous === anonymous
        ? c
        : undefined
    }
    const code = live(given, false)
    if (given !== undefined && !code) return this.ttErrorBody(40018)
    const anon = live(givenAnon, true)
    if (givenAnon !== undefined && !anon) return this.ttErrorBody(40019)
    const data = { ...TT_NO_DATA }
    if (code) {
      code.used = true
      const key = userKey(code.appid, code.user)
      this.visits.set(key, now)
      let session = this.sessions.get(key)
      if (!session) {
        session = { sessionKey: this.random(16).toString('base64'), valid: true }
        this.sessions.set(key, session)
      }
      data.openid = this.openid(code.appid, code.user)
      data.session_key = session.sessionKey
      data.unionid = this.unionid(code.user, 'tt')
      this.users.set(userKey(code.appid, data.openid), code.user)
    }
    if (anon) {
      anon.used = true
      data.anonymous_openid = this.anonymousOpenid(anon.appid, anon.user)
    }
    return { err_no: 0, err_tips: 'success', log_id: this.logId(), data }
  }

  /** Alipay's error_response for a code and sub_code (also for injected faults). */
  alipayError(code: string, subCode: string): { ok: false; error: AlipayError } {
    return {
      ok: false,
      error: {
        code,
        msg: ALIPAY_MSG[code] ?? 'Business Failed',
        sub_code: subCode,
        sub_msg: ALIPAY_SUB_MSG[subCode] ?? subCode,
      },
    }
  }

  /**
   * alipay.system.oauth.token's rules, after the gateway (alipay.ts) has
   * checked the common parameters and the signature. Unknown, expired, used
   * and other apps' codes are all isv.code-invalid (its documented
   * "授权码(auth_code) 错误、状态不对或过期").
   */
  alipayOauthToken(
    appid: string,
    grantType: string | undefined,
    authCode: string | undefined,
  ): AlipayResult {
    if (grantType !== 'authorization_code')
      return this.alipayError('40002', 'isv.grant-type-invalid')
    const now = this.now()
    const code = nonEmpty(authCode) ? this.codes.get(authCode) : undefined
    if (!code || code.appid !== appid || code.used || now >= code.expiresAt) {
      return this.alipayError('40002', 'isv.code-invalid')
    }
    code.used = true
    const key = userKey(code.appid, code.user)
    this.visits.set(key, now)
    const openid = this.openid(code.appid, code.user)
    this.users.set(userKey(code.appid, openid), code.user)
    return {
      ok: true,
      body: {
        user_id: this.alipayUserId(code.user),
        open_id: openid,
        access_token: `authusrB${this.random(24).toString('hex')}`,
        expires_in: ALIPAY_TOKEN_TTL_S,
        refresh_token: `authusrB${this.random(24).toString('hex')}`,
        re_expires_in: ALIPAY_REFRESH_TTL_S,
        auth_start: beijingTime(now),
      },
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
    const secret = this.secretOf(b.appid, 'weapp')
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

/** `yyyy-MM-dd HH:mm:ss` in Beijing time, Alipay's timestamp format. */
export function beijingTime(t: number): string {
  return new Date(t + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ')
}

function userKey(appid: string, user: string): string {
  return `${appid}\u0000${user}`
}

export const isApiPath = (path: string): path is ApiPath =>
  (API_PATHS as readonly string[]).includes(path)
