import { connect } from 'node:net'
import { startApiServer } from '@wxapp/testing'
import { describe, expect, it } from 'vitest'

describe('graceful shutdown', () => {
  it.each([
    ['SIGTERM', 'close'],
    ['SIGINT', 'close'],
    // A balancer's or a client's kept-alive socket: the answer must close it,
    // or the server would wait out the keep-alive and miss its deadline.
    ['SIGTERM', 'keep-alive'],
  ] as const)(
    'on %s lets the request in flight (Connection: %s) finish, then exits 0',
    async (signal, connection) => {
      const server = await startApiServer({ DATABASE_URL: 'pglite:memory:' })
      try {
        const { hostname, port } = new URL(server.url)
        // A request whose body is still arriving when the signal lands. (A
        // POST to a query earns a 405; what matters is that the request in
        // flight gets its whole answer instead of a reset connection.)
        const body = JSON.stringify({ 0: { echo: 'in flight' } })
        const socket = connect(Number(port), hostname)
        await new Promise<void>((r) => socket.once('connect', () => r()))
        let response = ''
        socket.setEncoding('utf8').on('data', (d: string) => {
          response += d
        })
        const closed = new Promise<void>((r) => socket.once('close', () => r()))
        socket.write(
          [
            'POST /trpc/system.ping?batch=1 HTTP/1.1',
            `Host: ${hostname}:${port}`,
            'Content-Type: application/json',
            `Content-Length: ${Buffer.byteLength(body)}`,
            `Connection: ${connection}`,
            '',
            body.slice(0, 5),
          ].join('\r\n'),
        )
        await new Promise((r) => setTimeout(r, 200))

        const exit = server.stop(signal)
        await expect.poll(() => server.output().includes('shutting down')).toBe(true)
        socket.write(body.slice(5))
        // The server closes the socket; the test never does.
        await closed

        expect(response).toMatch(/^HTTP\/1\.1 405 /)
        expect(response).toMatch(/\r\nconnection: close\r\n/i)
        expect(response).toContain('METHOD_NOT_SUPPORTED')
        expect(await exit).toBe(0)
        expect(server.output()).toContain('"msg":"stopped"')
      } finally {
        await server.stop('SIGKILL')
      }
    },
  )
})
