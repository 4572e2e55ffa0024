/*
 * The tRPC side: a link placed before httpBatchLink (or httpLink) that makes
 * sure a session exists before each call, and answers a refused token with one
 * shared re-login and a single retry. App code never handles tokens.
 *
 *   links: [sessionLink(session), httpBatchLink({ url, headers: sessionHeaders(session) })]
 */
import { TRPCClientError, type TRPCLink } from '@trpc/client'
import type { AnyRouter } from '@trpc/server'
import { observable, type Unsubscribable } from '@trpc/server/observable'
import { APPID_HEADER, AUTH_HEADER, bearer } from '../shared/index'
import { isSessionFailure, SessionLoginError } from './errors'
import type { SessionClient } from './session-client'

/** Where the link leaves, in `op.context`, what the headers callback must send. */
export const SESSION_CONTEXT_KEY = 'wxappSession'

/** The session part of an operation's context. */
export interface SessionOperationContext {
  /** The token sent with the operation (updated by sessionHeaders to what went out). */
  token: string | null
  /** The appid to send as `x-wx-appid`, or null to send none. */
  appid: string | null
}

export interface SessionLinkOptions {
  /** Send `x-wx-appid` with every call (default true). */
  appidHeader?: boolean
  /** Procedures that need no session: no login before them (default `auth.login`). */
  publicPaths?: readonly string[]
  /**
   * Procedures that end a session: they carry the current or stored token but
   * never log in and never re-login (default `auth.logout`, `auth.logoutAll`).
   */
  revokePaths?: readonly string[]
}

export const DEFAULT_PUBLIC_PATHS: readonly string[] = ['auth.login']
export const DEFAULT_REVOKE_PATHS: readonly string[] = ['auth.logout', 'auth.logoutAll']

type AnySessionClient = Pick<
  SessionClient<unknown>,
  'appid' | 'token' | 'ensureSession' | 'relogin' | 'peekToken'
>

function sessionContextOf(context: unknown): SessionOperationContext | null {
  if (!context || typeof context !== 'object') return null
  const value = (context as Record<string, unknown>)[SESSION_CONTEXT_KEY]
  if (!value || typeof value !== 'object') return null
  const { token, appid } = value as { token?: unknown; appid?: unknown }
  if (token !== null && typeof token !== 'string') return null
  if (appid !== null && typeof appid !== 'string') return null
  return value as SessionOperationContext
}

/** The error an operation fails with when no session could be had: a TRPCClientError whose cause is the SessionLoginError. */
function loginFailure<TRouter extends AnyRouter>(error: unknown): TRPCClientError<TRouter> {
  const cause =
    error instanceof SessionLoginError
      ? error
      : new SessionLoginError('LOGIN_FAILED', 'Login failed', { cause: error })
  return TRPCClientError.from<TRouter>(cause)
}

/**
 * A link that puts a session under every call. Place it before the
 * terminating link, whose `headers` should be `sessionHeaders(client)`.
 */
export function sessionLink<TRouter extends AnyRouter = AnyRouter>(
  client: AnySessionClient,
  options: SessionLinkOptions = {},
): TRPCLink<TRouter> {
  const appid = options.appidHeader === false ? null : client.appid
  const publicPaths = options.publicPaths ?? DEFAULT_PUBLIC_PATHS
  const revokePaths = options.revokePaths ?? DEFAULT_REVOKE_PATHS

  return () =>
    ({ op, next }) =>
      observable((observer) => {
        const mode =
          publicPaths.indexOf(op.path) >= 0
            ? 'public'
            : revokePaths.indexOf(op.path) >= 0
              ? 'revoke'
              : 'session'
        let stopped = false
        let subscription: Unsubscribable | null = null

        const send = (token: string | null, mayRetry: boolean) => {
          if (stopped) return
          const session: SessionOperationContext = { token, appid }
          let emitted = false
          subscription = next({
            ...op,
            context: { ...op.context, [SESSION_CONTEXT_KEY]: session },
          }).subscribe({
            next(value) {
              emitted = true
              observer.next(value)
            },
            error(error) {
              // Re-login and retry once, only for a session refusal and only if
              // nothing reached the caller yet. A second refusal goes through.
              if (mayRetry && !emitted && isSessionFailure(error)) {
                client.relogin(session.token).then(
                  (fresh) => send(fresh, false),
                  (loginError: unknown) => {
                    if (!stopped) observer.error(loginFailure<TRouter>(loginError))
                  },
                )
                return
              }
              observer.error(error)
            },
            complete() {
              observer.complete()
            },
          })
        }

        if (mode === 'public') {
          send(null, false)
        } else if (mode === 'revoke') {
          client.peekToken().then(
            (token) => send(token, false),
            () => send(client.token, false),
          )
        } else {
          client.ensureSession().then(
            (token) => send(token, true),
            (error: unknown) => {
              if (!stopped) observer.error(loginFailure<TRouter>(error))
            },
          )
        }

        return () => {
          stopped = true
          if (subscription) subscription.unsubscribe()
        }
      })
}

export interface SessionHeadersOptions {
  /** Send `x-wx-appid` when no operation says otherwise (default true). */
  appidHeader?: boolean
}

/** What tRPC's HTTP links pass to `headers`: `{ opList }` (httpBatchLink) or `{ op }` (httpLink). */
export interface SessionHeadersInput {
  opList?: ReadonlyArray<{ context?: unknown }>
  op?: { context?: unknown }
}

/**
 * The `headers` callback for httpBatchLink / httpLink: `authorization: Bearer …`
 * and `x-wx-appid`. Forward the link's argument (`headers: (opts) => h(opts)`)
 * so the token the sessionLink chose is the one sent; without it the current
 * token is sent.
 */
export function sessionHeaders(
  client: Pick<SessionClient<unknown>, 'appid' | 'token'>,
  options: SessionHeadersOptions = {},
): (input?: SessionHeadersInput) => Record<string, string> {
  const fallbackAppid = options.appidHeader === false ? null : client.appid
  return (input) => {
    const ops = input ? (input.opList ?? (input.op ? [input.op] : [])) : []
    const contexts: SessionOperationContext[] = []
    for (const op of ops) {
      const context = sessionContextOf(op.context)
      if (context) contexts.push(context)
    }

    let token: string | null
    let appid: string | null
    if (contexts.length === 0) {
      token = client.token
      appid = fallbackAppid
    } else {
      const tokens: string[] = []
      for (const context of contexts) {
        if (context.token !== null && tokens.indexOf(context.token) < 0) tokens.push(context.token)
      }
      // One request carries one token: if a batch mixes tokens, the current one.
      token =
        tokens.length === 0 ? null : tokens.length === 1 ? (tokens[0] as string) : client.token
      appid = (contexts[0] as SessionOperationContext).appid
      // Record what went out, so a refusal re-logs in against the right token.
      if (token !== null) for (const context of contexts) context.token = token
    }

    const headers: Record<string, string> = {}
    if (token) headers[AUTH_HEADER] = bearer(token)
    if (appid) headers[APPID_HEADER] = appid
    return headers
  }
}
