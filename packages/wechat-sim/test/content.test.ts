import { pino } from 'pino'
import { beforeEach, describe, expect, it } from 'vitest'
import {
  ContentRuleSet,
  ContentRulesRequest,
  ContentSecurity,
  ghId,
  MEDIA_CHECK_LIMIT,
  MSG_SEC_CHECK_LIMIT,
  traceId,
} from '../src/content'
import { PushDelivery } from '../src/push'
import { type Result, SimState } from '../src/state'

const A = { appid: 'wx_app_a', secret: 'secret_a' }
const B = { appid: 'wx_app_b', secret: 'secret_b' }
const logger = pino({ level: 'silent' })

const errcode = (r: Result<unknown>): number => (r.ok ? 0 : r.error.errcode)
const hash = (c: string) => c.repeat(64)

describe('ContentRuleSet', () => {
  it('matches words case-insensitively; risky wins over review; else pass', () => {
    const rules = new ContentRuleSet()
    expect(rules.judgeText('anything')).toEqual({ suggest: 'pass', label: 100 })
    rules.set(ContentRulesRequest.parse({ text: { risky: ['Spam'], review: ['maybe', 'spa'] } }))
    expect(rules.judgeText('is this SPAM?')).toEqual({ suggest: 'risky', label: 20001 })
    expect(rules.judgeText('maybe')).toEqual({ suggest: 'review', label: 21000 })
    expect(rules.judgeText('a spa day')).toEqual({ suggest: 'review', label: 21000 })
    expect(rules.judgeText('clean')).toEqual({ suggest: 'pass', label: 100 })
  })

  it('matches media by hash, case-insensitively, and replaces or clears the rules', () => {
    const rules = new ContentRuleSet()
    rules.set(ContentRulesRequest.parse({ images: { risky: [hash('A')], review: [hash('b')] } }))
    expect(rules.judgeMedia(hash('a')).suggest).toBe('risky')
    expect(rules.judgeMedia(hash('B')).suggest).toBe('review')
    expect(rules.judgeMedia(hash('c')).suggest).toBe('pass')
    expect(rules.get()).toEqual({
      text: { risky: [], review: [] },
      images: { risky: [hash('a')], review: [hash('b')] },
    })
    rules.set(ContentRulesRequest.parse({ text: { review: ['x'] } }))
    expect(rules.judgeMedia(hash('a')).suggest).toBe('pass')
    rules.clear()
    expect(rules.judgeText('x').suggest).toBe('pass')
  })

  it('validates the request: hex hashes, non-empty words, no unknown keys', () => {
    expect(ContentRulesRequest.safeParse({}).success).toBe(true)
    expect(ContentRulesRequest.safeParse({ images: { risky: ['xyz'] } }).success).toBe(false)
    expect(ContentRulesRequest.safeParse({ text: { risky: [''] } }).success).toBe(false)
    expect(ContentRulesRequest.safeParse({ video: {} }).success).toBe(false)
  })
})

describe('ContentSecurity', () => {
  let t: number
  let state: SimState
  let content: ContentSecurity
  beforeEach(() => {
    t = Date.UTC(2026, 0, 1, 12)
    state = new SimState({ apps: [A, B], now: () => t })
    const push = new PushDelivery({ logger, now: () => state.now() })
    content = new ContentSecurity({ state, logger, push, checkDelayMs: 60_000 })
  })
  const tokenOf = (app = A) => {
    const r = state.stableToken({ grant_type: 'client_credential', ...app })
    if (!r.ok) throw new Error('no token')
    return r.body.access_token
  }
  const visit = (user: string, app = A) => {
    const r = state.code2Session({
      ...app,
      js_code: state.login({ appid: app.appid, user }),
      grant_type: 'authorization_code',
    })
    if (!r.ok) throw new Error('no session')
    return r.body.openid
  }

  it('knows who visited in the last 2 hours of the simulated clock', () => {
    const openid = visit('alice')
    const token = tokenOf()
    const body = { version: 2, openid, scene: 1, content: 'hi' }
    expect(errcode(content.msgSecCheck(token, body))).toBe(0)
    expect(state.openidActivity(A.appid, openid, 7_200_000)).toBe('active')
    t += 7_200_000
    expect(state.openidActivity(A.appid, openid, 7_200_000)).toBe('inactive')
    expect(errcode(content.msgSecCheck(tokenOf(), body))).toBe(61010)
    expect(state.openidActivity(B.appid, openid, 7_200_000)).toBe('unknown')
    // The sweep forgets the visit; the user stays known, so still 61010.
    state.sweep()
    expect(errcode(content.msgSecCheck(tokenOf(), body))).toBe(61010)
  })

  it('limits each app per API on a sliding minute; reset clears the windows', () => {
    const openid = visit('alice')
    const token = tokenOf()
    const body = { version: 2, openid, scene: 4, content: 'hi' }
    for (let i = 0; i < MSG_SEC_CHECK_LIMIT; i++) content.msgSecCheck(token, body)
    expect(errcode(content.msgSecCheck(token, body))).toBe(45011)
    // Another app has its own window.
    expect(errcode(content.msgSecCheck(tokenOf(B), { ...body, openid: visit('bob', B) }))).toBe(0)
    t += 60_000
    expect(errcode(content.msgSecCheck(token, body))).toBe(0)
    content.reset()

    const media = { version: 2, openid, scene: 1, media_type: 2, media_url: 'http://127.0.0.1:9/a' }
    for (let i = 0; i < MEDIA_CHECK_LIMIT; i++) content.mediaCheckAsync(token, media)
    expect(errcode(content.mediaCheckAsync(token, media))).toBe(45011)
    content.reset()
    expect(errcode(content.mediaCheckAsync(token, media))).toBe(0)
    content.reset()
  })

  it('checks the token first: in the body 47001, missing 41001, unknown 40001', () => {
    const openid = visit('alice')
    const body = { version: 2, openid, scene: 1, content: 'hi' }
    expect(errcode(content.msgSecCheck(undefined, { ...body, access_token: tokenOf() }))).toBe(
      47001,
    )
    expect(errcode(content.msgSecCheck(undefined, body))).toBe(41001)
    expect(errcode(content.msgSecCheck('made-up', body))).toBe(40001)
    expect(errcode(content.msgSecCheck(tokenOf(), 'not an object'))).toBe(47001)
  })

  it('shapes ids like WeChat', () => {
    expect(traceId()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/)
    expect(ghId(A.appid)).toBe(ghId(A.appid))
    expect(ghId(A.appid)).not.toBe(ghId(B.appid))
  })
})
