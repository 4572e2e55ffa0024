/*
 * The typed API client. Types come from @wxapp/api (`import type`: no server code is
 * bundled); requests go through Taro.request (taro-fetch), batched by httpBatchLink.
 *
 * Only httpBatchLink / httpLink work here: the streaming and subscription links need
 * TextDecoder, ReadableStream or WebSocket globals that the mini-program lacks.
 */
import { createTRPCClient, httpBatchLink, type TRPCClientError } from '@trpc/client'
import type { AppRouter, RouterInputs, RouterOutputs } from '@wxapp/api'
import { TRPC_URL } from './env'
import { type HeadersInput, normalizeHeaders, type TaroFetch, taroFetch } from './taro-fetch'

export type { AppRouter, RouterInputs, RouterOutputs }
export type ApiClient = ReturnType<typeof createApiClient>
export type ApiError = TRPCClientError<AppRouter>

export interface ApiClientOptions {
  /** tRPC endpoint; defaults to `${TARO_APP_API_URL}/trpc`. */
  url?: string
  /** fetch implementation; defaults to taro-fetch (Taro.request). */
  fetch?: TaroFetch
  /** Extra headers for every request (e.g. `Authorization`), computed per batch. */
  headers?: () => HeadersInput | Promise<HeadersInput>
}

export function createApiClient(options: ApiClientOptions = {}) {
  return createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url: options.url ?? TRPC_URL,
        fetch: options.fetch ?? taroFetch,
        // Keep batched GET URLs short enough for every platform; longer batches split.
        maxURLLength: 2000,
        headers: async () => (options.headers ? normalizeHeaders(await options.headers()) : {}),
      }),
    ],
  })
}

/** The app's shared client. */
export const api: ApiClient = createApiClient()
