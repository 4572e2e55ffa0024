import { createTRPCClient, httpBatchLink, type TRPCClient, type TRPCLink } from '@trpc/client'
import type { AnyTRPCRouter } from '@trpc/server'
import {
  createSessionClient,
  type KeyValueStorage,
  type LoginArgs,
  type LoginResult,
  type LoginSource,
  memoryStorage,
  type SessionClient,
  sessionHeaders,
  sessionLink,
} from '@wxapp/session/client'

export interface Counters {
  /** wx.login() calls (login codes asked of the "phone"). */
  sourceLogins: number
  /** HTTP requests to the API server. */
  apiRequests: number
  /** Of those, the requests that carried auth.login. */
  authLogins: number
}

export interface AppUnderTest<TRouter extends AnyTRPCRouter> {
  session: SessionClient<{ id: string }>
  api: TRPCClient<TRouter>
  counters: Counters
  storage: KeyValueStorage
}

/**
 * One launch of the mini-program as the app wires it: the session client
 * and the typed tRPC client with its session link, over `source` (the
 * simulator's login source, say), counting what goes over the network. Pass
 * the previous launch's storage to model a relaunch.
 */
export function launchApp<TRouter extends AnyTRPCRouter>(opts: {
  apiUrl: string
  appid: string
  /** Any platform's login source (WeChat's, Douyin's, Alipay's without checkSession...). */
  source: LoginSource
  /** `auth.login` through the typed client: `(api, args) => api.auth.login.mutate(args)`. */
  login: (api: TRPCClient<TRouter>, args: LoginArgs) => Promise<LoginResult<{ id: string }>>
  storage?: KeyValueStorage
  clientModel?: string
  /** Told every response body (to search them for secrets). */
  onResponse?: (text: string) => void
}): AppUnderTest<TRouter> {
  const counters: Counters = { sourceLogins: 0, apiRequests: 0, authLogins: 0 }
  const storage = opts.storage ?? memoryStorage()
  const { onResponse } = opts
  const countingFetch: typeof fetch = async (input, init) => {
    counters.apiRequests++
    if (String(input).includes('auth.login')) counters.authLogins++
    const response = await fetch(input, init)
    if (onResponse) onResponse(await response.clone().text())
    return response
  }
  const { source } = opts
  const checkSession = source.checkSession?.bind(source)
  const session = createSessionClient({
    source: {
      login: () => {
        counters.sourceLogins++
        return source.login()
      },
      // Only where the platform has one: without, the token's own validity decides.
      ...(checkSession ? { checkSession } : {}),
    },
    storage,
    appid: opts.appid,
    clientInfo: { platform: 'node', model: opts.clientModel ?? 'vitest' },
    login: (args) => opts.login(api, args),
  })
  // The links do not depend on the router; a generic one cannot be typed
  // through httpBatchLink's transformer option, hence the one cast.
  const links: TRPCLink<AnyTRPCRouter>[] = [
    sessionLink(session),
    httpBatchLink({
      url: `${opts.apiUrl}/trpc`,
      fetch: countingFetch,
      headers: sessionHeaders(session),
    }),
  ]
  const api = createTRPCClient<TRouter>({ links: links as TRPCLink<TRouter>[] })
  return { session, api, counters, storage }
}
