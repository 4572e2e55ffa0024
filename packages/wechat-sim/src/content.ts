/**
 * Content security (server/API/sec-center/sec-check), version 2:
 * POST /wxa/msg_sec_check decides at once by the text rules;
 * POST /wxa/media_check_async answers a trace_id, then downloads the media,
 * decides by the SHA-256 of its bytes and pushes event wxa_media_check to the
 * app's push URL (push.ts). Rules come from POST /sim/content-rules.
 *
 * Kept out of state.ts and server.ts (they call in here) so those change
 * little. No content, URL or token is ever logged.
 */
import { createHash, randomBytes } from 'node:crypto'
import type { Logger } from 'pino'
import { z } from 'zod'
import { VISIT_WINDOW_MS } from './constants'
import { type PushDelivery, sleep } from './push'
import type { Result, SimState } from './state'

export const MSG_SEC_CHECK_PATH = '/wxa/msg_sec_check'
export const MEDIA_CHECK_ASYNC_PATH = '/wxa/media_check_async'

/** msg_sec_check: 4,000 calls a minute per app; media_check_async: 2,000. */
export const MSG_SEC_CHECK_LIMIT = 4000
export const MEDIA_CHECK_LIMIT = 2000
export const CONTENT_WINDOW_MS = 60_000
/** "不超过2500字": counted in characters (code points). */
export const MAX_CONTENT_CHARS = 2500
/** What the simulator downloads at most, and how long it waits for it. */
export const MAX_MEDIA_BYTES = 10 * 1024 * 1024
export const MEDIA_DOWNLOAD_TIMEOUT_MS = 5_000
/** Default wait between media_check_async's answer and its download. */
export const DEFAULT_CHECK_DELAY_MS = 100
/** The event's errcode when the media cannot be downloaded (v1's status_code -1008). */
export const MEDIA_DOWNLOAD_FAILED = -1008

/** WeChat's labels: 100 normal; the simulator answers 20001 for risky and 21000 for review. */
export const LABEL_PASS = 100
export const LABEL_RISKY = 20001
export const LABEL_REVIEW = 21000

const words = z
  .array(z.string().min(1, 'must not be empty').max(200, 'must be at most 200 characters'))
  .max(10_000)
  .default([])
const hashes = z
  .array(z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be the hex SHA-256 of the bytes'))
  .max(10_000)
  .default([])

/** POST /sim/content-rules: replaces the rules (missing lists are empty). */
export const ContentRulesRequest = z.strictObject({
  text: z.strictObject({ risky: words, review: words }).default({ risky: [], review: [] }),
  images: z.strictObject({ risky: hashes, review: hashes }).default({ risky: [], review: [] }),
})
export type ContentRules = z.infer<typeof ContentRulesRequest>
export type ContentRulesInput = z.input<typeof ContentRulesRequest>

export type Suggest = 'pass' | 'review' | 'risky'
export interface Verdict {
  suggest: Suggest
  label: number
}

const emptyRules = (): ContentRules => ({
  text: { risky: [], review: [] },
  images: { risky: [], review: [] },
})

/** The rules: a word anywhere in the text (case-insensitive), or an image's exact hash. Risky wins. */
export class ContentRuleSet {
  private rules: ContentRules = emptyRules()

  set(rules: ContentRules): void {
    this.rules = {
      text: { risky: [...rules.text.risky], review: [...rules.text.review] },
      images: {
        risky: rules.images.risky.map((h) => h.toLowerCase()),
        review: rules.images.review.map((h) => h.toLowerCase()),
      },
    }
  }

  get(): ContentRules {
    return structuredClone(this.rules)
  }

  clear(): void {
    this.rules = emptyRules()
  }

  judgeText(text: string): Verdict {
    const lower = text.toLowerCase()
    const has = (list: string[]) => list.some((w) => lower.includes(w.toLowerCase()))
    if (has(this.rules.text.risky)) return { suggest: 'risky', label: LABEL_RISKY }
    if (has(this.rules.text.review)) return { suggest: 'review', label: LABEL_REVIEW }
    return { suggest: 'pass', label: LABEL_PASS }
  }

  /** Images and audio alike, by the lowercase hex SHA-256 of the bytes. */
  judgeMedia(sha256: string): Verdict {
    const hash = sha256.toLowerCase()
    if (this.rules.images.risky.includes(hash)) return { suggest: 'risky', label: LABEL_RISKY }
    if (this.rules.images.review.includes(hash)) return { suggest: 'review', label: LABEL_REVIEW }
    return { suggest: 'pass', label: LABEL_PASS }
  }
}

export interface MsgSecCheckBody {
  errcode: 0
  errmsg: 'ok'
  result: Verdict
  detail: { strategy: string; errcode: number; suggest: Suggest; label: number; prob: number }[]
  trace_id: string
}
export interface MediaCheckAsyncBody {
  errcode: 0
  errmsg: 'ok'
  trace_id: string
}

/** The v2 wxa_media_check event, as WeChat pushes it. */
export interface MediaCheckEvent {
  ToUserName: string
  FromUserName: string
  CreateTime: number
  MsgType: 'event'
  Event: 'wxa_media_check'
  appid: string
  trace_id: string
  version: 2
  detail: MsgSecCheckBody['detail']
  errcode: number
  errmsg: string
  result: Verdict
}

/** A trace id shaped like WeChat's: `8hex-8hex-8hex`. */
export function traceId(random: (n: number) => Buffer = randomBytes): string {
  const r = random(12).toString('hex')
  return `${r.slice(0, 8)}-${r.slice(8, 16)}-${r.slice(16)}`
}

/** The app's original id (its push ToUserName), stable per appid. */
export function ghId(appid: string): string {
  return `gh_${createHash('sha256').update(appid).digest('hex').slice(0, 12)}`
}

const SCENES = [1, 2, 3, 4]
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)
const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.length > 0

export interface ContentSecurityOptions {
  state: SimState
  push: PushDelivery
  logger: Logger
  /** Default wait before media_check_async downloads (ms). */
  checkDelayMs?: number
  /** Aborted at shutdown: pending checks are dropped. */
  signal?: AbortSignal
}

/** The two APIs and their per-app minute windows. */
export class ContentSecurity {
  readonly rules = new ContentRuleSet()
  private readonly state: SimState
  readonly push: PushDelivery
  private readonly logger: Logger
  private readonly signal?: AbortSignal
  private checkDelayMs: number
  private windows = new Map<string, number[]>()
  /** Bumped by reset: checks scheduled before it are dropped. */
  private generation = 0
  private pending = new Set<Promise<void>>()

  constructor(options: ContentSecurityOptions) {
    this.state = options.state
    this.push = options.push
    this.logger = options.logger
    this.signal = options.signal
    this.checkDelayMs = options.checkDelayMs ?? DEFAULT_CHECK_DELAY_MS
  }

  knowsApp(appid: string): boolean {
    return this.state.appids().includes(appid)
  }

  setCheckDelay(ms: number): void {
    this.checkDelayMs = ms
  }

  reset(): void {
    this.generation++
    this.rules.clear()
    this.windows.clear()
    this.push.reset()
  }

  /** Resolves when every scheduled media check has pushed (for tests and shutdown). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending])
  }

  private error(errcode: number): { ok: false; error: ReturnType<SimState['errorBody']> } {
    return { ok: false, error: this.state.errorBody(errcode) }
  }

  /** A sliding 60 s window per (app, API) on the simulator's clock. */
  private allow(appid: string, api: string, limit: number): boolean {
    const key = `${appid}\u0000${api}`
    const now = this.state.now()
    const recent = (this.windows.get(key) ?? []).filter((t) => now - t < CONTENT_WINDOW_MS)
    const allowed = recent.length < limit
    if (allowed) recent.push(now)
    this.windows.set(key, recent)
    return allowed
  }

  /** The checks both APIs share: token, body, openid, scene, rate. */
  private common(
    token: string | undefined,
    body: unknown,
    api: string,
    limit: number,
  ): Result<{ appid: string; openid: string; body: Record<string, unknown> }> {
    // The token belongs in the query; in the body WeChat answers 47001.
    if (!nonEmpty(token) && isObject(body) && 'access_token' in body) return this.error(47001)
    const auth = this.state.authorize(token)
    if (!auth.ok) return auth
    if (!isObject(body)) return this.error(47001)
    if (body.version !== 2) return this.error(47001)
    if (!nonEmpty(body.openid)) return this.error(41009)
    if (typeof body.scene !== 'number' || !SCENES.includes(body.scene)) return this.error(40129)
    const { appid } = auth.body
    const activity = this.state.openidActivity(appid, body.openid, VISIT_WINDOW_MS)
    if (activity === 'unknown') return this.error(40003)
    if (activity === 'inactive') return this.error(61010)
    if (!this.allow(appid, api, limit)) return this.error(45011)
    return { ok: true, body: { appid, openid: body.openid, body } }
  }

  /** POST /wxa/msg_sec_check. */
  msgSecCheck(token: string | undefined, body: unknown): Result<MsgSecCheckBody> {
    const checked = this.common(token, body, 'msg_sec_check', MSG_SEC_CHECK_LIMIT)
    if (!checked.ok) return checked
    const { content } = checked.body.body
    if (!nonEmpty(content) || [...content].length > MAX_CONTENT_CHARS) return this.error(47001)
    const verdict = this.rules.judgeText(content)
    return {
      ok: true,
      body: {
        errcode: 0,
        errmsg: 'ok',
        result: verdict,
        detail: [{ strategy: 'content_model', errcode: 0, ...verdict, prob: 90 }],
        trace_id: traceId(),
      },
    }
  }

  /** POST /wxa/media_check_async: answers at once; the verdict is pushed later. */
  mediaCheckAsync(token: string | undefined, body: unknown): Result<MediaCheckAsyncBody> {
    const checked = this.common(token, body, 'media_check_async', MEDIA_CHECK_LIMIT)
    if (!checked.ok) return checked
    const b = checked.body.body
    if (b.media_type !== 1 && b.media_type !== 2) return this.error(47001)
    if (!nonEmpty(b.media_url) || !isHttpUrl(b.media_url)) return this.error(47001)
    const id = traceId()
    this.schedule(checked.body.appid, checked.body.openid, b.media_url, id)
    return { ok: true, body: { errcode: 0, errmsg: 'ok', trace_id: id } }
  }

  private schedule(appid: string, openid: string, url: string, id: string): void {
    const generation = this.generation
    const job = (async () => {
      await sleep(this.checkDelayMs, this.signal)
      if (generation !== this.generation || this.signal?.aborted) return
      const media = await download(url, this.signal)
      if (generation !== this.generation || this.signal?.aborted) return
      const verdict = media.ok
        ? this.rules.judgeMedia(createHash('sha256').update(media.bytes).digest('hex'))
        : { suggest: 'review' as const, label: LABEL_PASS }
      const errcode = media.ok ? 0 : MEDIA_DOWNLOAD_FAILED
      this.logger.debug(
        { appid, trace_id: id, downloaded: media.ok, suggest: verdict.suggest },
        'media check done',
      )
      const event: MediaCheckEvent = {
        ToUserName: ghId(appid),
        FromUserName: openid,
        CreateTime: Math.floor(this.state.now() / 1000),
        MsgType: 'event',
        Event: 'wxa_media_check',
        appid,
        trace_id: id,
        version: 2,
        detail: [{ strategy: 'content_model', errcode, ...verdict, prob: 90 }],
        errcode,
        errmsg: media.ok ? 'ok' : 'media download failed',
        result: verdict,
      }
      await this.push.deliver(appid, event, { traceId: id, event: event.Event })
    })().catch((error: unknown) => {
      this.logger.error({ err: error, appid, trace_id: id }, 'media check failed')
    })
    this.pending.add(job)
    void job.finally(() => this.pending.delete(job))
  }
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value)
    return url.protocol === 'http:' || url.protocol === 'https:'
  } catch {
    return false
  }
}

/** GET with a timeout and a size bound; never throws. */
async function download(
  url: string,
  signal?: AbortSignal,
): Promise<{ ok: true; bytes: Buffer } | { ok: false }> {
  const signals = [AbortSignal.timeout(MEDIA_DOWNLOAD_TIMEOUT_MS)]
  if (signal) signals.push(signal)
  try {
    const res = await fetch(url, { signal: AbortSignal.any(signals), redirect: 'follow' })
    if (!res.ok || !res.body) {
      await res.body?.cancel()
      return { ok: false }
    }
    const declared = Number(res.headers.get('content-length') ?? '0')
    if (declared > MAX_MEDIA_BYTES) {
      await res.body.cancel()
      return { ok: false }
    }
    const chunks: Uint8Array[] = []
    let size = 0
    const reader = res.body.getReader()
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      size += value.length
      if (size > MAX_MEDIA_BYTES) {
        await reader.cancel()
        return { ok: false }
      }
      chunks.push(value)
    }
    return { ok: true, bytes: Buffer.concat(chunks) }
  } catch {
    return { ok: false }
  }
}
