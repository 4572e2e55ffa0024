import { z } from 'zod'
import { publicProcedure, router } from '../trpc'

export const systemRouter = router({
  /** Liveness through tRPC: proves the typed client, batching and JSON path work end to end. */
  ping: publicProcedure
    .input(z.object({ echo: z.string().max(256).optional() }).optional())
    .query(({ input }) => ({
      pong: true as const,
      echo: input?.echo ?? null,
      serverTime: new Date().toISOString(),
    })),
})
