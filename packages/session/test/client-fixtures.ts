/*
 * Test doubles for the session client: a fake WeChat (codes), a fake login
 * source, and a small tRPC server on 127.0.0.1 that mimics the API contract
 * (auth.login issuing tokens, protected procedures answering UNAUTHORIZED with
 * a session reason, server-side expiry and revocation controls).
 */
import { randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { createTRPCClient, httpBatchLink, type TRPCClient } from '@trpc/client'
import { initTRPC, TRPCError } from '@trpc/server'
import { type CreateHTTPContextOptions, createHTTPServer } from '@trpc/server/adapters/standalone'
import { z } from 'zod'
import {
  createSessionClient,
  type LoginResult,
  type SessionClient,
  type SessionClientOptions,
  type SessionLinkOptions,
  type SessionUser,
  sessionHeaders,
  sessionLink,
  type WechatLoginSource,
} from '../src/client/index'
import type { LoginReason, SessionReason } from '../src/shared/index'

export const APPID = 'wx-test-app'

/** A fake WeChat: issues single-use codes for one user. */
export class FakeWechat {
  private readonly codes = new Map<string, { used: boolean }>()
  private counter = 0
  issued = 0

  issueCode(): string {
    this.issued++
    const code = `code-${++this.counter}-${randomBytes(4).toString('hex')}`
    this.codes.set(code, { used: false })
    return code
  }

  /** Consumes a code: 'ok', or why not. */
  exchange(code: string): 'ok' | 'WECHAT_CODE_USED' | 'WECHAT_CODE_INVALID' {
    const entry = this.codes.get(code)
    if (!entry) return 'WECHAT_CODE_INVALID'
    if (entry.used) return 'WECHAT_CODE_USED'
    entry.used = true
    return 'ok'
  }
}

/** A scriptable login source: counts calls; `next` replaces the next logins' behaviour. */
export class FakeLoginSource implements WechatLoginSource {
  loginCalls = 0
  checkCalls = 0
  sessionValid = true
  /** Behaviours for the next login() calls, first in first out. */
  readonly next: Array<() => Promise<string>> = []
  /** Delay before login() answers (ms). */
  delayMs = 0
  lastCode: string | null = null

  constructor(private readonly wechat: FakeWechat = new FakeWechat()) {}

  async login(): Promise<string> {
    this.loginCalls++
    if (this.delayMs) await sleep(this.delayMs)
    const behaviour = this.next.shift()
    const code = behaviour ? await behaviour() : this.wechat.issueCode()
    this.lastCode = code
    return code
  }

  async checkSession(): Promise<boolean> {
    this.checkCalls++
    return this.sessionValid
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

// ---------------------------------------------------------------------------
// The fake API server.

class ReasonedError extends TRPCError {
  constructor(
    code: TRPCError['code'],
    readonly reason: string,
    message: string,
  ) {
    super({ code, message })
  }
}

interface ServerSession {
  userId: string
  appid: string
  expiresAt: number
  revoked: boolean
}

interface Context {
  token: string | null
  appid: string | null
}

export interface FakeApiOptions {
  /** Session lifetime in ms (default one day). */
  lifetimeMs?: number
}

export class FakeApi {
  readonly wechat = new FakeWechat()
  readonly sessions = new Map<string, ServerSession>()
  /** Every token ever issued (to check none leaks into an error). */
  readonly issuedTokens: string[] = []
  /** HTTP requests received, in order. */
  readonly requests: Array<{ url: string; authorization: string | null; appid: string | null }> = []
  /** Procedure calls, counted by path. */
  readonly calls: Record<string, number> = {}
  /** Tokens with which each `user.me` call arrived. */
  readonly meTokens: Array<string | null> = []
  /** The next `auth.login` calls fail with these (first in first out). */
  readonly loginFaults: Array<{ code: TRPCError['code']; reason: LoginReason }> = []
  /** Refuse every token with this reason, even fresh ones. */
  refuseAll: SessionReason | null = null
  /** Delay auth.login answers (ms). */
  loginDelayMs = 0
  readonly lifetimeMs: number
  url = ''
  private server: ReturnType<typeof createHTTPServer> | null = null
  private userCounter = 0

  constructor(options: FakeApiOptions = {}) {
    this.lifetimeMs = options.lifetimeMs ?? 24 * 3600_000
  }

  /** Server-side expiry of every session. */
  expireAll(): void {
    for (const session of this.sessions.values()) session.expiresAt = Date.now() - 1
  }

  /** Server-side revocation of one session (or all). */
  revoke(token?: string): void {
    for (const [key, session] of this.sessions) {
      if (token === undefined || key === token) session.revoked = true
    }
  }

  count(path: string): number {
    return this.calls[path] ?? 0
  }

  readonly router = (() => {
    const t = initTRPC.context<Context>().create({
      isDev: false,
      errorFormatter: ({ shape, error }) => ({
        ...shape,
        data: {
          code: shape.data.code,
          httpStatus: shape.data.httpStatus,
          path: shape.data.path,
          reason: error instanceof ReasonedError ? error.reason : shape.data.code,
        },
      }),
    })
    const counted = t.procedure.use(({ path, next }) => {
      this.calls[path] = (this.calls[path] ?? 0) + 1
      return next()
    })
    const authed = counted.use(({ ctx, next }) => {
      const token = ctx.token
      if (!token) throw new ReasonedError('UNAUTHORIZED', 'AUTH_REQUIRED', 'Log in first')
      const session = this.sessions.get(token)
      if (!session || (ctx.appid !== null && ctx.appid !== session.appid)) {
        throw new ReasonedError('UNAUTHORIZED', 'TOKEN_INVALID', 'The session token is not valid')
      }
      if (this.refuseAll) throw new ReasonedError('UNAUTHORIZED', this.refuseAll, 'Refused')
      if (session.revoked) {
        throw new ReasonedError('UNAUTHORIZED', 'SESSION_REVOKED', 'The session was logged out')
      }
      if (session.expiresAt <= Date.now()) {
        throw new ReasonedError('UNAUTHORIZED', 'SESSION_EXPIRED', 'The session has expired')
      }
      return next({ ctx: { ...ctx, token, session } })
    })

    return t.router({
      auth: t.router({
        login: counted
          .input(
            z.object({
              code: z.string().min(1),
              appid: z.string().optional(),
              client: z.object({ platform: z.string().optional() }).optional(),
            }),
          )
          .mutation(async ({ input }): Promise<LoginResult> => {
            if (this.loginDelayMs) await sleep(this.loginDelayMs)
            const fault = this.loginFaults.shift()
            if (fault) throw new ReasonedError(fault.code, fault.reason, `Login refused`)
            const outcome = this.wechat.exchange(input.code)
            if (outcome !== 'ok') throw new ReasonedError('BAD_REQUEST', outcome, 'Bad code')
            const token = randomBytes(24).toString('base64url')
            const expiresAt = Date.now() + this.lifetimeMs
            const userId = `user-${++this.userCounter}`
            this.sessions.set(token, {
              userId,
              appid: input.appid ?? APPID,
              expiresAt,
              revoked: false,
            })
            this.issuedTokens.push(token)
            return {
              token,
              expiresAt: new Date(expiresAt).toISOString(),
              user: { id: userId, nickname: null, avatarUrl: null },
            }
          }),
        logout: authed.mutation(({ ctx }) => {
          ctx.session.revoked = true
          return { ok: true as const }
        }),
      }),
      user: t.router({
        me: authed.query(({ ctx }): SessionUser => {
          this.meTokens.push(ctx.token)
          return { id: ctx.session.userId, nickname: null, avatarUrl: null }
        }),
        echo: authed.input(z.object({ n: z.number() })).query(({ input }) => input.n),
        /** A protected call that fails with an ordinary error. */
        missing: authed.query(() => {
          throw new ReasonedError('NOT_FOUND', 'NOT_FOUND', 'Nothing here')
        }),
        /** UNAUTHORIZED for a reason no login fixes. */
        forbidden: authed.query(() => {
          throw new ReasonedError('UNAUTHORIZED', 'PHONE_REQUIRED', 'Bind a phone first')
        }),
      }),
    })
  })()

  async start(): Promise<string> {
    const createContext = ({ req }: CreateHTTPContextOptions): Context => {
      const auth = req.headers.authorization
      const appid = req.headers['x-wx-appid']
      return {
        token: typeof auth === 'string' && auth.startsWith('Bearer ') ? auth.slice(7) : null,
        appid: typeof appid === 'string' ? appid : null,
      }
    }
    const server = createHTTPServer({ router: this.router, createContext, basePath: '/trpc/' })
    server.on('request', (req) => {
      const auth = req.headers.authorization
      const appid = req.headers['x-wx-appid']
      this.requests.push({
        url: req.url ?? '',
        authorization: typeof auth === 'string' ? auth : null,
        appid: typeof appid === 'string' ? appid : null,
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    this.server = server
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/trpc`
    return this.url
  }

  async stop(): Promise<void> {
    const server = this.server
    if (!server) return
    this.server = null
    server.closeAllConnections()
    await new Promise<void>((resolve, reject) =>
      server.close((error) => (error ? reject(error) : resolve())),
    )
  }

  /** Forgets requests and counters (sessions and codes stay). */
  resetCounters(): void {
    this.requests.length = 0
    this.meTokens.length = 0
    for (const key of Object.keys(this.calls)) delete this.calls[key]
  }
}

export type FakeRouter = FakeApi['router']

export interface AppUnderTest {
  session: SessionClient
  api: TRPCClient<FakeRouter>
  /** Requests the tRPC client sent (by its fetch). */
  fetches: string[]
}

/**
 * The app's wiring, as the mini-program does it: a session client whose login
 * goes through the same tRPC client, sessionLink before httpBatchLink.
 */
export function createApp(
  url: string,
  options: Omit<SessionClientOptions, 'login' | 'appid'> & { appid?: string },
  linkOptions: SessionLinkOptions = {},
): AppUnderTest {
  const fetches: string[] = []
  let api: TRPCClient<FakeRouter> | null = null
  const session = createSessionClient({
    appid: APPID,
    ...options,
    login: (args) => {
      if (!api) throw new Error('not wired')
      return api.auth.login.mutate(args)
    },
  })
  const headers = sessionHeaders(session, { appidHeader: linkOptions.appidHeader })
  api = createTRPCClient<FakeRouter>({
    links: [
      sessionLink(session, linkOptions),
      httpBatchLink({
        url,
        headers: (opts) => headers(opts),
        fetch: (input, init) => {
          fetches.push(String(input))
          return fetch(input, init)
        },
      }),
    ],
  })
  return { session, api, fetches }
}

/** Every message and string in an error and its causes, for leak checks. */
export function errorText(error: unknown): string {
  const parts: string[] = []
  let current: unknown = error
  for (let depth = 0; depth < 6 && current; depth++) {
    if (current instanceof Error) {
      parts.push(current.name, current.message, String(current.stack ?? ''))
    }
    try {
      parts.push(JSON.stringify(current))
    } catch {
      parts.push(String(current))
    }
    current = typeof current === 'object' ? (current as { cause?: unknown }).cause : undefined
  }
  return parts.join('\n')
}
