import { initTRPC, TRPCError } from '@trpc/server'
import { isDatabaseUnavailable } from '@wxapp/db'
import type { SessionValidation } from '@wxapp/session/server'
import { ZodError, z } from 'zod'
import type { Context } from './context'
import { ReasonedError, reasonOf } from './errors'

// Plain JSON on the wire (no transformer): the mini-program client and any
// other caller see exactly what the HTTP API contract documents.
const t = initTRPC.context<Context>().create({
  // Never ship stack traces, whatever NODE_ENV says.
  isDev: false,
  errorFormatter({ shape, error }) {
    // A ReasonedError is deliberate, whatever its code: its message is ours.
    const internal = error.code === 'INTERNAL_SERVER_ERROR' && !(error instanceof ReasonedError)
    const zodError = error.cause instanceof ZodError ? error.cause : undefined
    const fieldErrors = zodError ? z.flattenError(zodError).fieldErrors : undefined
    let message = shape.message
    // An unexpected error's message may hold SQL or driver details: replace it.
    if (internal) message = 'Internal server error'
    // zod's own message is a JSON dump of every issue; say the first one plainly.
    else if (zodError) message = `Invalid input: ${describeIssue(zodError)}`
    return {
      ...shape,
      message,
      data: {
        code: shape.data.code,
        httpStatus: shape.data.httpStatus,
        path: shape.data.path,
        reason: internal ? 'INTERNAL_ERROR' : reasonOf(error),
        ...(fieldErrors
          ? { fieldErrors: fieldErrors as Record<string, string[] | undefined> }
          : {}),
      },
    }
  },
})

export const router = t.router

/**
 * A database that is down or restarting is the server's condition, not a
 * bug: the call answers 503 DATABASE_UNAVAILABLE (the client may retry)
 * instead of 500 INTERNAL_ERROR.
 */
export function databaseUnavailable(cause: unknown): ReasonedError | null {
  if (cause instanceof TRPCError) {
    if (cause instanceof ReasonedError) return null
    cause = cause.cause
  }
  if (!isDatabaseUnavailable(cause)) return null
  return new ReasonedError('DATABASE_UNAVAILABLE', { cause })
}

/** Passes a procedure's result on, its database outage said as such. */
function mapDatabaseErrors<TResult extends { ok: boolean; error?: TRPCError }>(
  result: TResult,
): TResult {
  const unavailable = result.ok ? null : databaseUnavailable(result.error)
  if (unavailable) throw unavailable
  return result
}

export const publicProcedure = t.procedure.use(async ({ next }) => mapDatabaseErrors(await next()))
export const createCallerFactory = t.createCallerFactory

function describeIssue(error: ZodError): string {
  const issue = error.issues[0]
  if (!issue) return 'unknown problem'
  const path = issue.path.map(String).join('.')
  return path ? `${path}: ${issue.message}` : issue.message
}

/**
 * Procedures that need a logged-in user. The session must belong to the app
 * the request names (x-wx-appid, else the server's default app).
 */
// One middleware, not publicProcedure's and another: each level of tRPC's
// middleware chain costs a few microseconds on every authenticated call.
export const protectedProcedure = t.procedure.use(async ({ ctx, next }) => {
  const appid = ctx.appid ?? ctx.services.apps.defaultAppid
  let result: SessionValidation
  try {
    result = await ctx.services.sessions.validate(ctx.token, { appid })
  } catch (error) {
    throw databaseUnavailable(error) ?? error
  }
  if (!result.ok) throw new ReasonedError(result.reason)
  const answer = mapDatabaseErrors(
    await next({ ctx: { session: result.session, user: result.user } }),
  )
  if (!answer.ok && (await deletedMeanwhile(ctx, answer.error, result.user.id))) {
    throw new ReasonedError('TOKEN_INVALID', { message: 'The account was deleted' })
  }
  return answer
})

/**
 * Whether a write failed because the account was deleted while the call was
 * in flight (a missing row, P2025, or a foreign key to it, P2003): the
 * caller then hears what any later call would, not a 500.
 */
async function deletedMeanwhile(ctx: Context, error: TRPCError, userId: string): Promise<boolean> {
  const code = (error.cause as { code?: unknown } | undefined)?.code
  if (code !== 'P2025' && code !== 'P2003') return false
  const user = await ctx.services.db.prisma.user.findUnique({
    where: { id: userId },
    select: { id: true },
  })
  return user === null
}
