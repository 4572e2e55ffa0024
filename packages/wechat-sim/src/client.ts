/**
 * A client for the simulator's control endpoints: the stand-in for wx.login
 * and wx.checkSession in the H5 preview and in Node tests. Browser-safe: no
 * Node APIs; `fetch` can be injected (the mini-program runtime has none).
 */
import * as z from 'zod/mini'
import type { ContentRulesInput } from './content'
import type {
  ClockResponse,
  CodeResponse,
  FaultRequest,
  LoginRequest,
  PhoneCodeRequest,
  UserRequest,
} from './protocol'
import type { PushConfigRequest } from './push'

export type { ApiPath, ApiStats } from './constants'
export { SIM_DEV_APPID } from './constants'
export type { ContentRulesInput } from './content'
export type { ClockResponse, FaultRequest, PhoneCodeRequest, UserRequest } from './protocol'
export type { PushConfigRequest } from './push'

/** The part of `fetch` the client uses, so a Taro.request-based one fits. */
export type SimFetch = (
  url: string,
  init: { method: string; headers?: Record<string, string>; body?: string },
) => Promise<{ ok: boolean; status: number; text(): Promise<string> }>

/** The simulator refused a control request (4xx with its reason) or did not answer properly. */
export class SimControlError extends Error {
  override name = 'SimControlError'
  constructor(
    /** HTTP status; 0 when the response could not be read. */
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

const Counts = z.object({
  jscode2session: z.number(),
  stable_token: z.number(),
  getuserphonenumber: z.number(),
  checksession: z.number(),
  msg_sec_check: z.number(),
  media_check_async: z.number(),
  oauth_token: z.number(),
})
const CodeBody = z.object({ code: z.string() })
const CodesBody = z.object({ code: z.string(), anonymousCode: z.optional(z.string()) })
const ValidBody = z.object({ valid: z.boolean() })
const OkBody = z.object({ ok: z.literal(true) })
const StatsBody = z.record(z.string(), Counts)
const ClockBody = z.object({ now: z.number(), offsetMs: z.number() })
const ErrorBody = z.object({ error: z.string() })
const Lists = z.object({ risky: z.array(z.string()), review: z.array(z.string()) })
const RulesBody = z.object({ text: Lists, images: Lists })
const PushRecordBody = z.object({
  appid: z.string(),
  trace_id: z.optional(z.string()),
  event: z.optional(z.string()),
  mode: z.enum(['plain', 'safe', 'none']),
  attempts: z.number(),
  statuses: z.array(z.union([z.number(), z.literal('timeout'), z.literal('network')])),
  delivered: z.boolean(),
  duplicated: z.boolean(),
  done: z.boolean(),
  undeliverable: z.optional(z.string()),
  at: z.number(),
})
const PushesBody = z.object({ pushes: z.array(PushRecordBody) })

export type SimStats = z.infer<typeof StatsBody>
export type SimContentRules = z.infer<typeof RulesBody>
export type SimPushRecord = z.infer<typeof PushRecordBody>

export interface SimControl {
  /** wx.login() for simulated user `user` of app `appid`: a fresh login code. */
  login(req: UserRequest): Promise<string>
  /** Any platform's login; Douyin's also gives anonymousCode (`anonymous`: only that). */
  loginCodes(req: LoginRequest): Promise<CodeResponse>
  /** wx.checkSession(): true while the user's WeChat session is valid. */
  checkSession(req: UserRequest): Promise<boolean>
  /** WeChat expires the user's session_key; the next login gets a new one. */
  expireSession(req: UserRequest): Promise<void>
  /** The code a getPhoneNumber button gives. */
  phoneCode(req: PhoneCodeRequest): Promise<string>
  /** The next `count` calls to `path` fail with `errcode` and/or wait `delayMs`; count 0 clears. */
  faults(req: FaultRequest): Promise<void>
  /** Forget everything (codes, sessions, tokens, faults, stats, clock offset). */
  reset(): Promise<void>
  /** Calls per known appid and API since the start or the last reset. */
  stats(): Promise<SimStats>
  /** Moves the simulator's clock forward (code/token expiry, rate windows). */
  advanceClock(ms: number): Promise<ClockResponse>
  /** Replaces the content-security rules (words for text, SHA-256 hex for media). */
  setContentRules(rules: ContentRulesInput): Promise<void>
  contentRules(): Promise<SimContentRules>
  /** Where and how `appid`'s message pushes go (overrides SIM_PUSH_*). */
  pushConfig(req: PushConfigRequest): Promise<void>
  /** The push deliveries since the start or the last reset. */
  pushes(): Promise<SimPushRecord[]>
}

export function createSimControl(opts: { baseUrl: string; fetch?: SimFetch }): SimControl {
  const base = opts.baseUrl.replace(/\/+$/, '')
  const doFetch: SimFetch =
    opts.fetch ??
    ((url, init) => {
      if (typeof globalThis.fetch !== 'function') {
        throw new SimControlError(0, 'no global fetch here: pass one to createSimControl')
      }
      return globalThis.fetch(url, init)
    })

  async function call<T>(
    method: 'GET' | 'POST',
    path: string,
    schema: z.ZodMiniType<T>,
    body?: unknown,
  ): Promise<T> {
    const res = await doFetch(`${base}${path}`, {
      method,
      headers: body === undefined ? undefined : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await res.text()
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      throw new SimControlError(
        res.status,
        `${path}: the simulator answered ${res.status}, not JSON`,
      )
    }
    if (!res.ok) {
      const reason = ErrorBody.safeParse(json)
      throw new SimControlError(
        res.status,
        `${path}: ${reason.success ? reason.data.error : `HTTP ${res.status}`}`,
      )
    }
    const parsed = schema.safeParse(json)
    if (!parsed.success) throw new SimControlError(res.status, `${path}: unexpected response shape`)
    return parsed.data
  }

  return {
    login: async (req) => (await call('POST', '/sim/login', CodeBody, req)).code,
    loginCodes: async (req) => {
      const { code, anonymousCode } = await call('POST', '/sim/login', CodesBody, req)
      return anonymousCode === undefined ? { code } : { code, anonymousCode }
    },
    checkSession: async (req) => (await call('POST', '/sim/check-session', ValidBody, req)).valid,
    expireSession: async (req) => {
      await call('POST', '/sim/expire-session', OkBody, req)
    },
    phoneCode: async (req) => (await call('POST', '/sim/phone-code', CodeBody, req)).code,
    faults: async (req) => {
      await call('POST', '/sim/faults', OkBody, req)
    },
    reset: async () => {
      await call('POST', '/sim/reset', OkBody, {})
    },
    stats: () => call('GET', '/sim/stats', StatsBody),
    advanceClock: (ms) => call('POST', '/sim/clock', ClockBody, { advanceMs: ms }),
    setContentRules: async (rules) => {
      await call('POST', '/sim/content-rules', OkBody, rules)
    },
    contentRules: () => call('GET', '/sim/content-rules', RulesBody),
    pushConfig: async (req) => {
      await call('POST', '/sim/push-config', OkBody, req)
    },
    pushes: async () => (await call('GET', '/sim/pushes', PushesBody)).pushes,
  }
}

/**
 * wx.login / wx.checkSession for one simulated user, in the shape of the
 * session client's login source: the H5 preview's and the Node tests' stand-in
 * for the WeChat app on a phone. A checkSession that fails to reach the
 * simulator answers false (as an expired session would: log in again).
 */
export function simLoginSource(
  control: SimControl,
  who: UserRequest,
): { login(): Promise<string>; checkSession(): Promise<boolean> } {
  return {
    login: () => control.login(who),
    checkSession: () => control.checkSession(who).catch(() => false),
  }
}
