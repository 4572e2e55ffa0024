import { createServer } from 'node:net'
import { PrismaPg } from '@prisma/adapter-pg'
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import {
  DatabaseClosedError,
  DatabaseTimeoutError,
  isDatabaseUnavailable,
  openDatabase,
} from '../src'
import { PrismaClient } from '../src/generated/prisma/client'

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

async function errorOf(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run()
  } catch (error) {
    return error
  }
  throw new Error('expected a failure')
}

describe('isDatabaseUnavailable', () => {
  it('is true for what Prisma throws when the server is not there', async () => {
    const pool = new pg.Pool({ host: '127.0.0.1', port: await closedPort(), user: 'x', max: 1 })
    const prisma = new PrismaClient({ adapter: new PrismaPg(pool) })
    try {
      const error = await errorOf(() => prisma.user.findFirst())
      expect(isDatabaseUnavailable(error)).toBe(true)
    } finally {
      await prisma.$disconnect()
    }
  })

  it('is false for a refused statement, a bug and non-errors', async () => {
    const db = await openDatabase({ url: 'pglite:memory:' })
    try {
      const bad = await errorOf(() => db.prisma.$queryRawUnsafe('SELECT * FROM no_such_table'))
      expect(isDatabaseUnavailable(bad)).toBe(false)
      const typo = await errorOf(() => db.prisma.$queryRawUnsafe('SELEC 1'))
      expect(isDatabaseUnavailable(typo)).toBe(false)
    } finally {
      await db.close()
    }
    expect(isDatabaseUnavailable(new TypeError('x is undefined'))).toBe(false)
    expect(isDatabaseUnavailable(undefined)).toBe(false)
    expect(isDatabaseUnavailable('ECONNREFUSED')).toBe(false)
  })

  it('reads driver kinds, Prisma codes, SQLSTATEs and causes at any depth', () => {
    const wrap = (cause: unknown) => Object.assign(new Error('outer'), { cause })
    for (const inner of [
      { kind: 'DatabaseNotReachable' },
      { kind: 'ConnectionClosed' },
      { kind: 'postgres', code: '57P01' },
      { code: 'P1001' },
      { code: 'P2024' },
      { code: '08006' },
      { code: '57P03' },
      { code: 'ECONNRESET' },
      new Error('Connection terminated unexpectedly'),
      // Seen when PostgreSQL restarted under a running server (database-restart.test.ts).
      new Error('Client has encountered a connection error and is not queryable'),
      new DatabaseClosedError(),
      new DatabaseTimeoutError(1000),
    ]) {
      expect(isDatabaseUnavailable(wrap(wrap(inner))), JSON.stringify(inner)).toBe(true)
    }
    for (const inner of [
      { kind: 'UniqueConstraintViolation' },
      { kind: 'postgres', code: '23505' },
      { code: 'P2002' },
      { code: '42P01' },
    ]) {
      expect(isDatabaseUnavailable(wrap(inner)), JSON.stringify(inner)).toBe(false)
    }
    // How Prisma reports an error of the driver: in meta, with a generic code.
    const prismaWrapped = Object.assign(new Error('Database error. Code: `57P01`'), {
      code: 'P2039',
      meta: {
        driverAdapterError: {
          name: 'DriverAdapterError',
          cause: { kind: 'postgres', code: '57P01' },
        },
      },
    })
    expect(isDatabaseUnavailable(wrap(prismaWrapped))).toBe(true)
    expect(
      isDatabaseUnavailable(
        Object.assign(new Error('x'), {
          code: 'P2039',
          meta: { driverAdapterError: { cause: { kind: 'postgres', code: '42601' } } },
        }),
      ),
    ).toBe(false)
    // A cycle in the cause chain ends the walk.
    const a: { cause?: unknown } = {}
    a.cause = { cause: a }
    expect(isDatabaseUnavailable(a)).toBe(false)
  })
})
