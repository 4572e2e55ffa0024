/**
 * WeChat's message push ("消息推送") to an app's server, as WeChat delivers
 * it: JSON format, plain or safe mode (消息加解密, via @wecom/crypto: Tencent's
 * own implementation of the algorithm, so the simulator shares no code with
 * the receiver it tests).
 *
 * - Plain: POST the JSON, query `signature`, `timestamp`, `nonce`
 *   (signature = sha1 of sorted [token, timestamp, nonce] joined).
 * - Safe: POST `{ ToUserName, Encrypt }`, query also `encrypt_type=aes` and
 *   `msg_signature` = sha1 of sorted [token, timestamp, nonce, Encrypt].
 *
 * A delivery succeeds on a 2xx whose body is `success` or empty within 5 s;
 * otherwise it is retried 3 times (`retryDelayMs` apart). With probability
 * `duplicateRate` a delivered message is sent once more at once, as WeChat
 * sometimes does. Neither the token, the key nor a body is ever logged.
 */
import { createHash, randomBytes } from 'node:crypto'
import { encrypt as wecomEncrypt } from '@wecom/crypto'
import type { Logger } from 'pino'
import { z } from 'zod'

export const PUSH_TIMEOUT_MS = 5_000
export const PUSH_RETRIES = 3
export const DEFAULT_RETRY_DELAY_MS = 1_000
export const DEFAULT_DUPLICATE_RATE = 0.05
/** Deliveries remembered for GET /sim/pushes (oldest dropped first). */
export const MAX_PUSH_RECORDS = 1_000

const AES_KEY = /^[A-Za-z0-9+/]{43}$/

const appid = z
  .string({ error: 'must be a string' })
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, _ or -')

/** POST /sim/push-config: where and how one app's pushes go. */
export const PushConfigRequest = z.strictObject({
  appid,
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  token: z
    .string({ error: 'must be a string' })
    .min(1, 'must not be empty')
    .max(128, 'must be at most 128 characters'),
  /** A 43-character EncodingAESKey: safe mode. null or absent: plain mode. */
  aesKey: z
    .string({ error: 'must be a string or null' })
    .regex(AES_KEY, 'must be 43 base64 characters')
    .nullable()
    .optional(),
  duplicateRate: z
    .number({ error: 'must be a number' })
    .min(0, 'must be between 0 and 1')
    .max(1, 'must be between 0 and 1')
    .optional(),
  retryDelayMs: z
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(0, 'must be between 0 and 60000')
    .max(60_000, 'must be between 0 and 60000')
    .optional(),
  /** How long media_check_async waits before downloading (all apps). */
  checkDelayMs: z
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(0, 'must be between 0 and 60000')
    .max(60_000, 'must be between 0 and 60000')
    .optional(),
})
export type PushConfigRequest = z.infer<typeof PushConfigRequest>

export interface PushTarget {
  url: string
  token: string
  aesKey: string | null
  duplicateRate: number
  retryDelayMs: number
}

/** One attempt's outcome: the HTTP status, or why there was none. */
export type PushStatus = number | 'timeout' | 'network'

export interface PushRecord {
  appid: string
  trace_id?: string
  event?: string
  mode: 'plain' | 'safe' | 'none'
  /** Requests sent (a duplicate counts). */
  attempts: number
  statuses: PushStatus[]
  /** Some attempt was answered `success` (or empty) with a 2xx. */
  delivered: boolean
  /** The message was sent a second time after it was delivered. */
  duplicated: boolean
  /** No more attempts will be made (delivered, retries used up, or undeliverable). */
  done: boolean
  /** Why nothing was sent: no push URL configured for the app. */
  undeliverable?: 'no push URL configured'
  /** Sim-clock ms when the delivery began. */
  at: number
}

export interface PushDeliveryOptions {
  logger: Logger
  /** Applies to every app unless /sim/push-config says otherwise (SIM_PUSH_*). */
  defaults?: PushTarget
  /** The simulator's clock (CreateTime and timestamps). */
  now: () => number
  random?: () => number
  signal?: AbortSignal
}

export function sha1Sorted(...parts: string[]): string {
  return createHash('sha1').update(parts.sort().join('')).digest('hex')
}

export class PushDelivery {
  private readonly logger: Logger
  private readonly defaults?: PushTarget
  private readonly now: () => number
  private readonly random: () => number
  private readonly signal?: AbortSignal
  private targets = new Map<string, PushTarget>()
  private records: PushRecord[] = []

  constructor(options: PushDeliveryOptions) {
    this.logger = options.logger
    this.defaults = options.defaults
    this.now = options.now
    this.random = options.random ?? Math.random
    this.signal = options.signal
  }

  configure(req: PushConfigRequest): void {
    this.targets.set(req.appid, {
      url: req.url,
      token: req.token,
      aesKey: req.aesKey ?? null,
      duplicateRate: req.duplicateRate ?? DEFAULT_DUPLICATE_RATE,
      retryDelayMs: req.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS,
    })
  }

  target(appid: string): PushTarget | undefined {
    return this.targets.get(appid) ?? this.defaults
  }

  /** Forgets the deliveries; the configuration stays (it is the app's, like SIM_PUSH_*). */
  reset(): void {
    this.records = []
  }

  list(): PushRecord[] {
    return this.records.map((r) => ({ ...r, statuses: [...r.statuses] }))
  }

  /** Delivers `message` (a JSON object) to `appid`'s push URL; resolves when done. */
  async deliver(
    appid: string,
    message: { ToUserName?: string },
    meta: { traceId?: string; event?: string } = {},
  ): Promise<PushRecord> {
    const target = this.target(appid)
    const record: PushRecord = {
      appid,
      ...(meta.traceId ? { trace_id: meta.traceId } : {}),
      ...(meta.event ? { event: meta.event } : {}),
      mode: target ? (target.aesKey ? 'safe' : 'plain') : 'none',
      attempts: 0,
      statuses: [],
      delivered: false,
      duplicated: false,
      done: false,
      at: this.now(),
    }
    this.records.push(record)
    if (this.records.length > MAX_PUSH_RECORDS) this.records.shift()
    if (!target) {
      record.undeliverable = 'no push URL configured'
      record.done = true
      this.logger.info({ appid, trace_id: meta.traceId }, 'push undeliverable: no push URL')
      return record
    }

    const json = JSON.stringify(message)
    const toUser = message.ToUserName ?? ''
    for (let attempt = 0; attempt <= PUSH_RETRIES && !this.signal?.aborted; attempt++) {
      if (attempt > 0) await sleep(target.retryDelayMs, this.signal)
      const request = this.sign(target, appid, json, toUser)
      const status = await this.send(request)
      record.attempts++
      record.statuses.push(status.status)
      if (status.ok) {
        record.delivered = true
        if (this.random() < target.duplicateRate) {
          // The same request again, within the same second.
          const again = await this.send(request)
          record.attempts++
          record.statuses.push(again.status)
          record.duplicated = true
        }
        break
      }
    }
    record.done = true
    this.logger.info(
      {
        appid,
        trace_id: meta.traceId,
        mode: record.mode,
        attempts: record.attempts,
        statuses: record.statuses,
        delivered: record.delivered,
      },
      'push',
    )
    return record
  }

  private sign(
    target: PushTarget,
    appid: string,
    json: string,
    toUser: string,
  ): { url: string; body: string } {
    const timestamp = String(Math.floor(this.now() / 1000))
    const nonce = String(randomBytes(4).readUInt32BE(0))
    const url = new URL(target.url)
    url.searchParams.set('signature', sha1Sorted(target.token, timestamp, nonce))
    url.searchParams.set('timestamp', timestamp)
    url.searchParams.set('nonce', nonce)
    if (!target.aesKey) return { url: url.toString(), body: json }
    const encrypt = wecomEncrypt(target.aesKey, json, appid)
    url.searchParams.set('encrypt_type', 'aes')
    url.searchParams.set('msg_signature', sha1Sorted(target.token, timestamp, nonce, encrypt))
    return { url: url.toString(), body: JSON.stringify({ ToUserName: toUser, Encrypt: encrypt }) }
  }

  private async send(request: {
    url: string
    body: string
  }): Promise<{ ok: boolean; status: PushStatus }> {
    const signals = [AbortSignal.timeout(PUSH_TIMEOUT_MS)]
    if (this.signal) signals.push(this.signal)
    try {
      const res = await fetch(request.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: request.body,
        signal: AbortSignal.any(signals),
      })
      const text = (await res.text()).trim()
      const ok = res.status >= 200 && res.status < 300 && (text === '' || text === 'success')
      return { ok, status: res.status }
    } catch (error) {
      const timeout = error instanceof Error && error.name === 'TimeoutError'
      return { ok: false, status: timeout ? 'timeout' : 'network' }
    }
  }
}

/** Waits `ms`, ending early (without an error) when the simulator shuts down. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve()
    const timer = setTimeout(resolve, ms)
    timer.unref()
    signal?.addEventListener('abort', () => {
      clearTimeout(timer)
      resolve()
    })
  })
}
