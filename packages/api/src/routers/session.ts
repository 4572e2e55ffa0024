import { z } from 'zod'
import { ReasonedError } from '../errors'
import { protectedProcedure, router } from '../trpc'

export const sessionRouter = router({
  /** The user's active sessions, newest first; `current` marks the caller's. */
  list: protectedProcedure.query(async ({ ctx }) => {
    const sessions = await ctx.services.sessions.listForUser(ctx.session.userId)
    return sessions.map((s) => ({
      id: s.id,
      current: s.id === ctx.session.id,
      appid: s.appid,
      createdAt: s.createdAt.toISOString(),
      lastUsedAt: s.lastUsedAt.toISOString(),
      expiresAt: s.expiresAt.toISOString(),
      client: s.client,
      ip: s.ip,
    }))
  }),

  /** Logs out one of the user's sessions (another device, say). */
  revoke: protectedProcedure.input(z.object({ id: z.uuid() })).mutation(async ({ ctx, input }) => {
    const owned = await ctx.services.db.prisma.session.findFirst({
      where: { id: input.id, userId: ctx.session.userId },
      select: { id: true },
    })
    if (!owned || !(await ctx.services.sessions.revoke(owned.id, 'revoked_by_user'))) {
      throw new ReasonedError('NOT_FOUND', { message: 'No active session with that id' })
    }
    return { revoked: true as const }
  }),
})
