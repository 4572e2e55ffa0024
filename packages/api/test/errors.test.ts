import { fetchRequestHandler } from '@trpc/server/adapters/fetch'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import type { Context } from '../src/context'
import { ReasonedError } from '../src/errors'
import { protectedProcedure, publicProcedure, router } from '../src/trpc'

// Procedures that fail in each way a real one can, answered through tRPC's
// own HTTP handler so the test sees what a client receives.
const testRouter = router({
  reasoned: publicProcedure.query(() => {
    throw new ReasonedError('SESSION_EXPIRED', { message: 'Your session has expired' })
  }),
  validated: publicProcedure
    .input(z.object({ nickname: z.string().min(1).max(64) }))
    .mutation(({ input }) => input),
  broken: publicProcedure.query(() => {
    throw new Error('relation "users" does not exist at SELECT * FROM users WHERE token = $1')
  }),
  // What Prisma throws when PostgreSQL goes away under a query.
  databaseDown: publicProcedure.query(() => {
    throw Object.assign(new Error('Database error. Code: `57P01`'), {
      code: 'P2039',
      meta: { driverAdapterError: { cause: { kind: 'postgres', code: '57P01' } } },
    })
  }),
  mine: protectedProcedure.query(({ ctx }) => ctx.user.id),
})

/** A session store whose database does not answer. */
const unreachableSessions = {
  validate: () =>
    Promise.reject(
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
    ),
}

async function call(path: string, init?: RequestInit) {
  const response = await fetchRequestHandler({
    endpoint: '/trpc',
    req: new Request(`http://localhost/trpc/${path}`, init),
    router: testRouter,
    createContext: () =>
      ({
        requestId: 'test',
        token: 'x',
        appid: null,
        services: { sessions: unreachableSessions, apps: { defaultAppid: 'wx_app' } },
      }) as unknown as Context,
  })
  const body = (await response.json()) as {
    error: { message: string; data: Record<string, unknown> }
  }
  return { status: response.status, error: body.error }
}

describe('error shape', () => {
  it('carries the reason of a ReasonedError', async () => {
    const { status, error } = await call('reasoned')
    expect(status).toBe(401)
    expect(error.message).toBe('Your session has expired')
    expect(error.data).toMatchObject({ code: 'UNAUTHORIZED', reason: 'SESSION_EXPIRED' })
  })

  it('turns invalid input into INVALID_INPUT with per-field messages', async () => {
    const { status, error } = await call('validated', {
      method: 'POST',
      body: JSON.stringify({ nickname: '' }),
      headers: { 'content-type': 'application/json' },
    })
    expect(status).toBe(400)
    expect(error.data).toMatchObject({ code: 'BAD_REQUEST', reason: 'INVALID_INPUT' })
    expect(error.data.fieldErrors).toEqual({ nickname: [expect.any(String)] })
    expect(error.message).toMatch(/^Invalid input: nickname: /)
  })

  it('hides the details of an unexpected error and never sends a stack', async () => {
    const { status, error } = await call('broken')
    expect(status).toBe(500)
    expect(error.message).toBe('Internal server error')
    expect(error.data).toMatchObject({ code: 'INTERNAL_SERVER_ERROR', reason: 'INTERNAL_ERROR' })
    const text = JSON.stringify(error)
    expect(text).not.toContain('SELECT')
    expect(text).not.toContain('stack')
  })

  it('answers a database outage 503 DATABASE_UNAVAILABLE, in a procedure and in the session check', async () => {
    for (const path of ['databaseDown', 'mine']) {
      const { status, error } = await call(path)
      expect(status, path).toBe(503)
      expect(error.data, path).toMatchObject({
        code: 'SERVICE_UNAVAILABLE',
        reason: 'DATABASE_UNAVAILABLE',
      })
      expect(JSON.stringify(error), path).not.toMatch(/57P01|ECONNREFUSED|5432/)
    }
  })

  it('maps a malformed request to INVALID_INPUT', async () => {
    const { status, error } = await call('validated', {
      method: 'POST',
      body: '{not json',
      headers: { 'content-type': 'application/json' },
    })
    expect(status).toBe(400)
    expect(error.data.reason).toBe('INVALID_INPUT')
  })
})
