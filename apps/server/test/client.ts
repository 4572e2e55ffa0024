import { createTRPCClient, httpBatchLink } from '@trpc/client'
import type { AppRouter } from '@wxapp/api'

/** The typed client, as any TypeScript caller of the API would build it. */
export function createClient(url: string, headers: Record<string, string> = {}) {
  return createTRPCClient<AppRouter>({
    links: [httpBatchLink({ url: `${url}/trpc`, headers })],
  })
}
