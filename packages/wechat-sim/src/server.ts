/**
 * The simulator's HTTP layer on plain node:http: WeChat's API paths (errors
 * are HTTP 200 `{ errcode, errmsg }`, as WeChat sends them), QQ's under /qq
 * (WeChat's shapes), Douyin's under /tt (`{ err_no, err_tips, log_id, data }`),
 * Alipay's gateway at /alipay/gateway.do (signed JSON) and the /sim/*
 * control endpoints (JSON, 400 `{ error }` on bad input, CORS for the H5
 * preview). The rules live in state.ts.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { setTimeout as delay } from 'node:timers/promises'
import type { Logger } from 'pino'
import type { z } from 'zod'
import { AlipayGateway } from './alipay'
import { type ApiPath, SIM_DEV_ALIPAY_APPID } from './constants'
import { ContentSecurity } from './content'
import { contentControl, isContentControlPath, MethodNotAllowed } from './content-control'
import {
  ClockRequest,
  describeIssues,
  FaultRequest,
  LoginRequest,
  PhoneCodeRequest,
  UserRequest,
} from './protocol'
import { PushDelivery } from './push'
import { isApiPath, type Result, SimInputError, type SimState } from './state'

export interface SimServerOptions {
  state: SimState
  logger: Logger
  /** Aborted at shutdown: injected delays end early so the process can stop. */
  signal?: AbortSignal
  /** Content security and message push (default: plain, no push URL). */
  content?: ContentSecurity
  /** Alipay's gateway (default: the state's Alipay app, key pairs generated on first use). */
  alipay?: AlipayGateway
}

const MAX_BODY_BYTES = 64 * 1024

/** The paths answered with WeChat's `{ errcode, errmsg }` (QQ's included); Douyin and Alipay have their own handlers. */
type WechatStylePath = Exclude<ApiPath, '/tt/api/apps/v2/jscode2session' | '/alipay/gateway.do'>
const isWechatStyle = (path: ApiPath): path is WechatStylePath =>
  path !== '/tt/api/apps/v2/jscode2session' && path !== '/alipay/gateway.do'

const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  'access-control-allow-headers': 'content-type',
  'access-control-max-age': '600',
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    'cache-control': 'no-store',
    ...headers,
  })
  res.end(text)
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'body too large')
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}

export function createSimServer({
  state,
  logger,
  signal,
  content: given,
  alipay: givenAlipay,
}: SimServerOptions): Server {
  // Lazy: generating two RSA key pairs costs ~100 ms, which servers that
  // never see an Alipay call (most tests) need not pay.
  let alipayGateway = givenAlipay
  const alipay = (): AlipayGateway => {
    alipayGateway ??= new AlipayGateway(state, {
      appid: state.appids().find((a) => state.platformOf(a) === 'alipay') ?? SIM_DEV_ALIPAY_APPID,
    })
    return alipayGateway
  }
  const content =
    given ??
    new ContentSecurity({
      state,
      logger,
      signal,
      push: new PushDelivery({ logger, now: () => state.now(), signal }),
    })
  // Once shutting down, answers close their connection, so keep-alive
  // sockets do not hold server.close() open.
  const closing = (): Record<string, string> => (signal?.aborted ? { connection: 'close' } : {})
  async function api(
    req: IncomingMessage,
    path: WechatStylePath,
    url: URL,
  ): Promise<{ body: unknown; appid?: string }> {
    const q = Object.fromEntries(url.searchParams)
    const method = req.method ?? 'GET'
    const wantsPost =
      path === '/cgi-bin/stable_token' ||
      path === '/wxa/business/getuserphonenumber' ||
      path === '/wxa/msg_sec_check' ||
      path === '/wxa/media_check_async'
    if (wantsPost && method !== 'POST') return { body: state.errorBody(43002) }
    if (!wantsPost && method !== 'GET') return { body: state.errorBody(43001) }
    const body = wantsPost ? parseJson(await readBody(req)) : undefined

    const appid =
      path === '/sns/jscode2session' || path === '/qq/sns/jscode2session'
        ? q.appid
        : path === '/cgi-bin/stable_token'
          ? typeof body === 'object' && body !== null && 'appid' in body
            ? String(body.appid)
            : undefined
          : state.tokenAppid(q.access_token)
    state.countCall(path, appid)

    const fault = state.takeFault(path)
    // Shutting down ends an injected delay early.
    if (fault?.delayMs) await delay(fault.delayMs, undefined, { signal }).catch(() => {})
    if (fault?.errcode !== undefined) return { body: state.errorBody(fault.errcode), appid }

    let result: Result<unknown>
    switch (path) {
      case '/sns/jscode2session':
        result = state.code2Session(q)
        break
      case '/qq/sns/jscode2session':
        result = state.code2Session(q, 'qq')
        break
      case '/cgi-bin/stable_token':
        result = state.stableToken(body)
        break
      case '/wxa/business/getuserphonenumber':
        result = state.getUserPhoneNumber(q.access_token, body)
        break
      case '/wxa/checksession':
        result = state.checkSessionKey(q)
        break
      case '/wxa/msg_sec_check':
        result = content.msgSecCheck(q.access_token, body)
        break
      case '/wxa/media_check_async':
        result = content.mediaCheckAsync(q.access_token, body)
        break
    }
    return { body: result.ok ? result.body : result.error, appid }
  }

  /** Douyin: POST JSON; errors are HTTP 200 with err_no, as Douyin sends them. */
  async function ttApi(req: IncomingMessage): Promise<{ body: unknown; appid?: string }> {
    if (req.method !== 'POST') return { body: state.ttErrorBody(-1) }
    const body = parseJson(await readBody(req))
    const appid =
      typeof body === 'object' && body !== null && 'appid' in body ? String(body.appid) : undefined
    const path = '/tt/api/apps/v2/jscode2session'
    state.countCall(path, appid)
    const fault = state.takeFault(path)
    if (fault?.delayMs) await delay(fault.delayMs, undefined, { signal }).catch(() => {})
    if (fault?.errcode !== undefined) return { body: state.ttErrorBody(fault.errcode), appid }
    return { body: state.ttCode2Session(body), appid }
  }

  /** Alipay: common parameters in the query, the rest form-encoded in the body (the SDK's split); either works. */
  async function alipayApi(
    req: IncomingMessage,
    url: URL,
  ): Promise<{ text: string; appid?: string }> {
    const params = Object.fromEntries(url.searchParams)
    if (req.method === 'POST') {
      for (const [k, v] of new URLSearchParams(await readBody(req))) params[k] = v
    }
    const path = '/alipay/gateway.do'
    state.countCall(path, params.app_id)
    const fault = state.takeFault(path)
    if (fault?.delayMs) await delay(fault.delayMs, undefined, { signal }).catch(() => {})
    if (fault?.errcode !== undefined) {
      const code = String(fault.errcode)
      const sub = code === '40002' ? 'isv.code-invalid' : 'isp.unknow-error'
      return { text: alipay().render(state.alipayError(code, sub)), appid: params.app_id }
    }
    return alipay().handle(params)
  }

  async function control(req: IncomingMessage, path: string): Promise<unknown> {
    const method = req.method ?? 'GET'
    const parse = async <T>(schema: z.ZodType<T>): Promise<T> => {
      const json = parseJson(await readBody(req))
      if (json === undefined) throw new HttpError(400, 'the body must be a JSON object')
      const parsed = schema.safeParse(json)
      if (!parsed.success) throw new HttpError(400, describeIssues(parsed.error))
      return parsed.data
    }
    const route = `${method} ${path}`
    if (isContentControlPath(path)) return contentControl(content, method, path, parse)
    switch (route) {
      case 'POST /sim/login':
        return state.loginCodes(await parse(LoginRequest))
      case 'GET /sim/alipay-keys':
        return alipay().keys()
      case 'POST /sim/check-session':
        return { valid: state.checkSession(await parse(UserRequest)) }
      case 'POST /sim/expire-session':
        state.expireSession(await parse(UserRequest))
        return { ok: true }
      case 'POST /sim/phone-code':
        return { code: state.phoneCode(await parse(PhoneCodeRequest)) }
      case 'POST /sim/faults':
        state.setFault(await parse(FaultRequest))
        return { ok: true }
      case 'POST /sim/reset':
        await readBody(req)
        state.reset()
        content.reset()
        return { ok: true }
      case 'POST /sim/clock':
        return state.advanceClock((await parse(ClockRequest)).advanceMs)
      case 'GET /sim/clock':
        return state.clock()
      case 'GET /sim/stats':
        return state.allStats()
    }
    const known = [
      '/sim/login',
      '/sim/check-session',
      '/sim/expire-session',
      '/sim/phone-code',
      '/sim/faults',
      '/sim/reset',
      '/sim/clock',
      '/sim/stats',
      '/sim/alipay-keys',
    ]
    if (known.includes(path)) throw new HttpError(405, `${method} is not allowed on ${path}`)
    throw new HttpError(404, `no control endpoint ${path}`)
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now()
    const url = new URL(req.url ?? '/', 'http://sim.invalid')
    const path = url.pathname
    const method = req.method ?? 'GET'
    // Only the path: query strings carry secrets, codes and tokens.
    const log = (status: number, extra: Record<string, unknown> = {}, debug = false) =>
      logger[debug ? 'debug' : 'info'](
        { method, path, status, ms: Math.round(performance.now() - started), ...extra },
        'request',
      )

    if (path.startsWith('/sim/')) {
      if (method === 'OPTIONS') {
        res.writeHead(204, CORS_HEADERS).end()
        return log(204, {}, true)
      }
      try {
        const body = await control(req, path)
        send(res, 200, body, { ...CORS_HEADERS, ...closing() })
        return log(200, {}, true)
      } catch (error) {
        const status =
          error instanceof HttpError
            ? error.status
            : error instanceof SimInputError
              ? 400
              : error instanceof MethodNotAllowed
                ? 405
                : 500
        if (status === 500) logger.error({ err: error, path }, 'control endpoint failed')
        const message = status === 500 ? 'internal error' : (error as Error).message
        send(res, status, { error: message }, { ...CORS_HEADERS, ...closing() })
        return log(status, {}, true)
      }
    }

    if (path === '/healthz') {
      send(res, 200, { status: 'ok' })
      return log(200, {}, true)
    }

    if (path === '/tt/api/apps/v2/jscode2session') {
      try {
        const { body, appid } = await ttApi(req)
        send(res, req.method === 'POST' ? 200 : 405, body, closing())
        return log(200, { appid, err_no: (body as { err_no: number }).err_no })
      } catch (error) {
        if (!(error instanceof HttpError)) logger.error({ err: error, path }, 'API handler failed')
        send(res, error instanceof HttpError ? error.status : 500, state.ttErrorBody(-1))
        return log(500)
      }
    }

    if (path === '/alipay/gateway.do') {
      try {
        const { text, appid } = await alipayApi(req, url)
        if (!res.headersSent && !res.destroyed) {
          // The exact text: the signature covers its bytes.
          res.writeHead(200, {
            'content-type': 'application/json; charset=utf-8',
            'content-length': String(Buffer.byteLength(text)),
            'cache-control': 'no-store',
            ...closing(),
          })
          res.end(text)
        }
        return log(200, { appid })
      } catch (error) {
        if (!(error instanceof HttpError)) logger.error({ err: error, path }, 'API handler failed')
        send(res, error instanceof HttpError ? error.status : 500, { error: 'gateway failed' })
        return log(500)
      }
    }

    if (isApiPath(path) && isWechatStyle(path)) {
      try {
        const { body, appid } = await api(req, path, url)
        send(res, 200, body, closing())
        const errcode = (body as { errcode?: number }).errcode ?? 0
        return log(200, { appid, errcode })
      } catch (error) {
        if (error instanceof HttpError) {
          send(res, error.status, state.errorBody(47001))
          return log(error.status)
        }
        logger.error({ err: error, path }, 'API handler failed')
        send(res, 500, state.errorBody(-1))
        return log(500)
      }
    }

    // WeChat answers a path it does not serve with HTTP 200 and errcode 40066.
    send(res, 200, state.errorBody(40066))
    log(200, { errcode: 40066 })
  }

  return createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger.error({ err: error }, 'request failed')
      send(res, 500, { error: 'internal error' })
    })
  })
}
