import Fastify, { LogController } from 'fastify'
import { describe, expect, it } from 'vitest'
import { createLogger, RequestLogController } from '../src/logger'

/** A server with the app's logger writing into memory, and the log controller under test. */
async function serverWith(controller: 'fastify' | 'ours') {
  const lines: string[] = []
  const logger = createLogger('info', { write: (line: string) => void lines.push(line) })
  const app = Fastify({
    loggerInstance: logger,
    genReqId: (req) => String(req.headers['x-request-id']),
    logController:
      controller === 'ours'
        ? new RequestLogController(logger)
        : new LogController({ requestIdLogLabel: 'requestId' }),
  })
  app.get('/ok', async () => ({ status: 'ok' }))
  app.get('/secret', async (request) => {
    request.log.info(
      { token: 't0ken', user: { password: 'pa55', name: 'n' }, nested: { deep: { secret: 's' } } },
      'a line with secrets',
    )
    return { status: 'ok' }
  })
  app.get('/boom', async () => {
    throw Object.assign(new Error('boom'), { statusCode: 500, token: 'in-the-error' })
  })
  await app.ready()
  return { app, lines }
}

/** A line without what differs between two runs. */
const stable = (line: string): Record<string, unknown> => {
  const { time: _time, responseTime, ...rest } = JSON.parse(line) as Record<string, unknown>
  return { ...rest, responseTime: typeof responseTime }
}

describe('request log lines', () => {
  it("hold Fastify's fields in one line per request, and no secret", async () => {
    const runs = []
    for (const controller of ['fastify', 'ours'] as const) {
      const { app, lines } = await serverWith(controller)
      for (const [url, id] of [
        ['/ok', 'req-1'],
        ['/ok?token=in-the-query', 'req-2'],
        ['/secret', 'req-3'],
        ['/boom', 'req-4'],
        ['/nowhere', 'req-5'],
      ] as const) {
        await app.inject({ url, headers: { 'x-request-id': id, authorization: 'Bearer abc' } })
      }
      await app.close()
      runs.push(lines.map(stable))
    }
    const [fastify = [], ours = []] = runs
    const text = JSON.stringify(ours)
    for (const secret of ['t0ken', 'pa55', 'in-the-error', 'in-the-query', 'Bearer abc']) {
      expect(text).not.toContain(secret)
    }
    expect(ours.filter((l) => l.msg === 'incoming request')).toEqual([])
    const completed = ours.filter((l) => l.msg === 'request completed')
    expect(completed).toHaveLength(5)
    // Each completion line is Fastify's two merged: its arrival's req and its completion's res.
    for (const line of completed) {
      const id = line.requestId
      const arrival = fastify.find((l) => l.requestId === id && l.msg === 'incoming request')
      const done = fastify.find((l) => l.requestId === id && l.msg === 'request completed')
      expect(line).toEqual({ ...arrival, ...done })
    }
    // Every other line (the handler's own, the 500's cause) is Fastify's.
    const others = (lines: Record<string, unknown>[]) =>
      lines.filter((l) => l.msg !== 'incoming request' && l.msg !== 'request completed')
    expect(others(ours)).toEqual(others(fastify))
    expect(others(ours).find((l) => l.requestId === 'req-4')).toMatchObject({
      level: 50,
      err: { message: 'boom' },
    })
  })

  it('write each line in one piece, request id first', async () => {
    const { app, lines } = await serverWith('ours')
    await app.inject({ url: '/ok', headers: { 'x-request-id': 'req-9' } })
    await app.close()
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(
      /^\{"level":30,"time":\d+,"service":"wxapp-server","requestId":"req-9","req":\{"method":"GET","path":"\/ok","remoteAddress":"127\.0\.0\.1"\},"res":\{"statusCode":200\},"responseTime":[\d.]+,"msg":"request completed"\}\n$/,
    )
  })
})
