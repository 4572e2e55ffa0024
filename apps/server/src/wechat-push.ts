import { createHash } from 'node:crypto'
import { type ApiServices, applyMediaVerdict, REASON_MESSAGES } from '@wxapp/api'
import { type PushReason, REASONS } from '@wxapp/session/shared'
import {
  decryptPushMessage,
  PushEnvelope,
  type PushMessage,
  parsePushMessage,
  verifyMessageSignature,
  verifyPushSignature,
  WechatPushError,
} from '@wxapp/wechat'
import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import { z } from 'zod'
import type { WechatPushConfig } from './config'
import { errorBody } from './http-errors'

/** Pushes whose timestamp is further than this from our clock are refused (replays). */
export const PUSH_MAX_SKEW_S = 300
/** WeChat's pushes are small; a bound before reading. */
const MAX_PUSH_BYTES = 64 * 1024

export interface PushOptions {
  services: ApiServices
  apps: readonly WechatPushConfig[]
  /** The clock the timestamps are checked against (tests move it). */
  now?: () => Date
}

const Signed = z.object({
  signature: z.string().regex(/^[0-9a-f]{40}$/i),
  timestamp: z.string().regex(/^\d{1,12}$/),
  nonce: z.string().min(1).max(64),
})
const Verification = Signed.extend({ echostr: z.string().min(1).max(512) })
const PostQuery = Signed.extend({
  encrypt_type: z.enum(['aes', 'raw']).optional(),
  msg_signature: z
    .string()
    .regex(/^[0-9a-f]{40}$/i)
    .optional(),
})

function fail(reply: FastifyReply, reason: PushReason) {
  const status = REASONS[reason].status
  return reply.code(status).send(errorBody(status, REASON_MESSAGES[reason], reason))
}

/**
 * WeChat's message push ("消息推送"), for the verdicts of media_check_async:
 *
 * - `GET /wechat/push` is the console's URL check: `signature` is the SHA-1 of
 *   the sorted Token, timestamp and nonce, and the answer is `echostr`.
 * - `POST /wechat/push` takes JSON messages, plain or in safe mode (the body
 *   `{ ToUserName, Encrypt }`, AES with the EncodingAESKey, `msg_signature`
 *   over the ciphertext too). An app with an EncodingAESKey takes safe mode
 *   only: in plain mode the signature does not cover the body.
 *
 * The app is the one whose Token makes the signature match (each app may have
 * its own). Stale timestamps and bad signatures get 401. Handling is
 * idempotent: a verdict changes a check only while it is pending (one
 * conditional UPDATE), so WeChat's retries and same-second duplicates change
 * nothing; a receipt per message (SHA-256 of the app and the message) makes a
 * duplicate cheap and shows in the log.
 */
export const wechatPushRoutes: FastifyPluginAsync<PushOptions> = async (app, opts) => {
  const now = opts.now ?? (() => new Date())
  // The body as text: safe mode's signature and the receipts need the bytes
  // WeChat sent, not a re-serialised object. Scoped to this plugin.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser(
    '*',
    { parseAs: 'string', bodyLimit: MAX_PUSH_BYTES },
    (_req, body, done) => done(null, body),
  )

  const fresh = (timestamp: string) =>
    Math.abs(now().getTime() / 1000 - Number(timestamp)) <= PUSH_MAX_SKEW_S

  app.get('/wechat/push', async (request, reply) => {
    if (opts.apps.length === 0) return fail(reply, 'PUSH_NOT_CONFIGURED')
    const query = Verification.safeParse(request.query)
    if (!query.success) return fail(reply, 'PUSH_SIGNATURE_INVALID')
    const { signature, timestamp, nonce, echostr } = query.data
    const pushApp = opts.apps.find((p) =>
      verifyPushSignature({ token: p.token, timestamp, nonce, signature }),
    )
    if (!pushApp) return fail(reply, 'PUSH_SIGNATURE_INVALID')
    if (!fresh(timestamp)) return fail(reply, 'PUSH_TIMESTAMP_STALE')
    request.log.info({ appid: pushApp.appid }, 'message push URL verified')
    return reply.type('text/plain; charset=utf-8').send(echostr)
  })

  app.post('/wechat/push', async (request, reply) => {
    if (opts.apps.length === 0) return fail(reply, 'PUSH_NOT_CONFIGURED')
    const query = PostQuery.safeParse(request.query)
    if (!query.success) return fail(reply, 'PUSH_SIGNATURE_INVALID')
    const { signature, timestamp, nonce } = query.data
    const candidates = opts.apps.filter((p) =>
      verifyPushSignature({ token: p.token, timestamp, nonce, signature }),
    )
    if (candidates.length === 0) return fail(reply, 'PUSH_SIGNATURE_INVALID')
    if (!fresh(timestamp)) return fail(reply, 'PUSH_TIMESTAMP_STALE')
    const body = parseJson(typeof request.body === 'string' ? request.body : '')
    if (body === undefined) return fail(reply, 'PUSH_MESSAGE_INVALID')

    let appid: string
    let text: string
    if (query.data.encrypt_type === 'aes') {
      const envelope = PushEnvelope.safeParse(body)
      const msgSignature = query.data.msg_signature
      if (!envelope.success || !msgSignature) return fail(reply, 'PUSH_MESSAGE_INVALID')
      const encrypt = envelope.data.Encrypt
      const pushApp = candidates.find(
        (p) =>
          p.aesKey !== null &&
          verifyMessageSignature({ token: p.token, timestamp, nonce, encrypt, msgSignature }),
      )
      if (!pushApp?.aesKey) return fail(reply, 'PUSH_SIGNATURE_INVALID')
      try {
        const plain = decryptPushMessage({ aesKey: pushApp.aesKey, encrypt })
        // The appid inside the ciphertext is the one WeChat encrypted for.
        if (plain.appid !== pushApp.appid) return fail(reply, 'PUSH_MESSAGE_INVALID')
        appid = pushApp.appid
        text = plain.message
      } catch (error) {
        if (!(error instanceof WechatPushError)) throw error
        request.log.warn({ appid: pushApp.appid, kind: error.kind }, 'push did not decrypt')
        return fail(reply, 'PUSH_MESSAGE_INVALID')
      }
    } else {
      // Several apps may share a Token: the message's own appid picks among them.
      const named = z.object({ appid: z.string() }).safeParse(body)
      const pushApp =
        candidates.find((p) => named.success && p.appid === named.data.appid) ?? candidates[0]
      if (!pushApp) return fail(reply, 'PUSH_SIGNATURE_INVALID')
      if (pushApp.aesKey !== null) return fail(reply, 'PUSH_SIGNATURE_INVALID')
      appid = pushApp.appid
      text = request.body as string
    }

    let message: PushMessage
    try {
      message = parsePushMessage(parseJson(text))
    } catch (error) {
      if (!(error instanceof WechatPushError)) throw error
      return fail(reply, 'PUSH_MESSAGE_INVALID')
    }
    const key = createHash('sha256').update(appid).update('\n').update(text).digest()
    const { prisma } = opts.services.db
    const seen = await prisma.wechatPushReceipt.findUnique({
      where: { key },
      select: { key: true },
    })
    if (seen) {
      request.log.info({ appid, event: eventOf(message) }, 'duplicate push ignored')
      return reply.type('text/plain').send('success')
    }
    if (message.kind === 'media_check') {
      if (message.appid !== appid) return fail(reply, 'PUSH_MESSAGE_INVALID')
      const outcome = await applyMediaVerdict(opts.services, request.log, {
        appid,
        traceId: message.traceId,
        suggest: message.suggest,
        label: message.label,
        errcode: message.errcode,
      })
      // Not recorded yet (the verdict beat our own write of the trace_id):
      // WeChat pushes again, by then it is there.
      if (outcome === 'unknown') return fail(reply, 'PUSH_TRACE_UNKNOWN')
    } else {
      request.log.info({ appid, event: eventOf(message) }, 'push without a handler acknowledged')
    }
    // After handling: a push that failed half way is handled again when WeChat retries.
    await prisma.wechatPushReceipt.createMany({
      data: [{ key, appid, event: eventOf(message) }],
      skipDuplicates: true,
    })
    return reply.type('text/plain').send('success')
  })
}

function eventOf(message: PushMessage): string {
  return message.kind === 'media_check' ? 'wxa_media_check' : (message.event ?? message.msgType)
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}
