/**
 * The control endpoints' request bodies (validated by the server) and
 * response shapes. The browser client imports only the types from here.
 */
import { z } from 'zod'
import { API_PATHS, type ApiStats } from './constants'

const appid = z
  .string({ error: 'must be a string' })
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, _ or -')
const user = z
  .string({ error: 'must be a string' })
  .min(1, 'must not be empty')
  .max(256, 'must be at most 256 characters')

export const UserRequest = z.strictObject({ appid, user })
export type UserRequest = z.infer<typeof UserRequest>

/** POST /sim/login; `anonymous` (Douyin only): tt.login with no Douyin account. */
export const LoginRequest = z.strictObject({
  appid,
  user,
  anonymous: z.boolean({ error: 'must be a boolean' }).optional(),
})
export type LoginRequest = z.infer<typeof LoginRequest>

export const PhoneCodeRequest = z.strictObject({
  appid,
  user,
  /** Digits without the country code; default: a number derived from the user. */
  phoneNumber: z
    .string({ error: 'must be a string' })
    .regex(/^\d{5,15}$/, 'must be 5-15 digits (no country code)')
    .optional(),
  /** Default 86. */
  countryCode: z
    .string({ error: 'must be a string' })
    .regex(/^\d{1,4}$/, 'must be 1-4 digits')
    .optional(),
})
export type PhoneCodeRequest = z.infer<typeof PhoneCodeRequest>

export const FaultRequest = z
  .strictObject({
    path: z.enum(API_PATHS, { error: `must be one of ${API_PATHS.join(', ')}` }),
    errcode: z
      .number({ error: 'must be a number' })
      .int('must be a whole number')
      .refine((n) => n !== 0, 'must not be 0 (0 is success)')
      .optional(),
    delayMs: z
      .number({ error: 'must be a number' })
      .int('must be a whole number')
      .min(0, 'must be between 0 and 120000')
      .max(120_000, 'must be between 0 and 120000')
      .optional(),
    count: z
      .number({ error: 'must be a number' })
      .int('must be a whole number')
      .min(0, 'must be between 0 and 100000')
      .max(100_000, 'must be between 0 and 100000'),
  })
  .refine((f) => f.count === 0 || f.errcode !== undefined || f.delayMs !== undefined, {
    message: 'needs errcode or delayMs (or count 0 to clear)',
    path: ['errcode'],
  })
export type FaultRequest = z.infer<typeof FaultRequest>

export const ClockRequest = z.strictObject({
  advanceMs: z
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(0, 'must be between 0 and 31536000000 (the clock only moves forward)')
    .max(365 * 86_400_000, 'must be between 0 and 31536000000 (the clock only moves forward)'),
})
export type ClockRequest = z.infer<typeof ClockRequest>

export interface CodeResponse {
  /** Empty for an anonymous Douyin login. */
  code: string
  /** Douyin apps only: tt.login's anonymousCode. */
  anonymousCode?: string
}
/** GET /sim/alipay-keys: what an app server needs to talk to the simulated gateway. */
export interface AlipayKeysResponse {
  appid: string
  /** The simulator's public key (SPKI PEM): the SDK's alipayPublicKey. */
  alipayPublicKey: string
  /** The app's private key (PKCS#8 PEM) if the simulator generated it; null when SIM_ALIPAY_APP_PUBLIC_KEY is set. */
  appPrivateKey: string | null
}
export interface ValidResponse {
  valid: boolean
}
export interface OkResponse {
  ok: true
}
export interface ClockResponse {
  /** The simulator's current time, ms since the epoch. */
  now: number
  /** How far it runs ahead of the real clock. */
  offsetMs: number
}
/** GET /sim/stats: calls per known appid and API since the start or the last reset. */
export type StatsResponse = Record<string, ApiStats>
/** The body of every 4xx answer from a control endpoint. */
export interface ControlError {
  error: string
}

/** Formats zod issues as `field: problem; field: problem` (never echoing values). */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ` : '') + issue.message)
    .join('; ')
}
