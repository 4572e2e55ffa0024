/*
 * The typed API client. Types come from @wxapp/api (`import type`: no server code is
 * bundled); requests go through Taro.request (taro-fetch), batched by httpBatchLink.
 * With a session client, sessionLink logs in before calls and re-logs in once on a
 * refused token; sessionHeaders sends the token and the appid. The app's shared
 * instance lives in ./session.ts.
 *
 * Only httpBatchLink / httpLink work here: the streaming and subscription links need
 * TextDecoder, ReadableStream or WebSocket globals that the mini-program lacks.
 */

import Taro from '@tarojs/taro'
import { createTRPCClient, httpBatchLink, type TRPCClientError, type TRPCLink } from '@trpc/client'
import type { AppRouter, RouterInputs, RouterOutputs } from '@wxapp/api'
import { type SessionClient, sessionHeaders, sessionLink } from '@wxapp/session/client'
import { type CloudContainerApi, cloudContainerLink } from './cloud-link'
import { CLOUD_CONTAINER, TRPC_URL } from './env'
import { type HeadersInput, normalizeHeaders, type TaroFetch, taroFetch } from './taro-fetch'

export type { AppRouter, RouterInputs, RouterOutputs }
export type ApiClient = ReturnType<typeof createApiClient>
export type ApiError = TRPCClientError<AppRouter>

export interface ApiClientOptions {
  /** tRPC endpoint; defaults to `${TARO_APP_API_URL}/trpc`. */
  url?: string
  /** fetch implementation; defaults to taro-fetch (Taro.request). */
  fetch?: TaroFetch
  /** Extra headers for every request, computed per batch (HTTP only). */
  headers?: () => HeadersInput | Promise<HeadersInput>
  /** Puts every call under this session (login first, one re-login on a refusal). */
  session?: Pick<
    SessionClient<unknown>,
    'appid' | 'token' | 'ensureSession' | 'relogin' | 'peekToken'
  >
  /**
   * WeChat Cloud Hosting: send every call through callContainer to this environment and
   * service (default: the build's TARO_APP_CLOUD_ENV / TARO_APP_CLOUD_SERVICE, else HTTP).
   */
  cloud?: { env: string; service: string; api?: CloudContainerApi } | null
}

export function createApiClient(options: ApiClientOptions = {}) {
  const { session } = options
  const auth = session ? sessionHeaders(session) : null
  const cloud: ApiClientOptions['cloud'] =
    options.cloud === undefined ? CLOUD_CONTAINER : options.cloud
  const terminating: TRPCLink<AppRouter> = cloud
    ? cloudContainerLink<AppRouter>({
        // Taro's typings of Taro.cloud differ from each other; the link types what it uses.
        cloud: cloud.api ?? (Taro.cloud as unknown as CloudContainerApi),
        env: cloud.env,
        service: cloud.service,
        headers: (opts) => (auth ? auth(opts) : {}),
      })
    : httpBatchLink({
        url: options.url ?? TRPC_URL,
        fetch: options.fetch ?? taroFetch,
        // Keep batched GET URLs short enough for every platform; longer batches split.
        maxURLLength: 2000,
        headers: async (opts) => {
          const extra = options.headers ? normalizeHeaders(await options.headers()) : {}
          // The token the sessionLink chose for these operations, not just the current one.
          return auth ? { ...extra, ...auth(opts) } : extra
        },
      })
  const links: TRPCLink<AppRouter>[] = session
    ? [sessionLink<AppRouter>(session), terminating]
    : [terminating]
  return createTRPCClient<AppRouter>({ links })
}
