import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface FakeRequest {
  method: string
  url: URL
  headers: IncomingMessage['headers']
  body: string
}

export type Handler = (req: FakeRequest, res: ServerResponse) => void | Promise<void>

/** A real HTTP server on 127.0.0.1 playing a platform; `handler` is swapped per test. */
export async function startFake() {
  const requests: FakeRequest[] = []
  let handler: Handler = (_req, res) => {
    res.writeHead(500).end()
  }
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const fake: FakeRequest = {
      method: req.method ?? 'GET',
      url: new URL(req.url ?? '/', 'http://127.0.0.1'),
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    }
    requests.push(fake)
    await handler(fake, res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    handle(next: Handler) {
      handler = next
      requests.length = 0
    },
    json(body: unknown, status = 200): Handler {
      return (_req, res) => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** Collects log lines as text, to prove no secret reaches a log. */
export function memoryLogger() {
  const lines: string[] = []
  const write = (fields: Record<string, unknown>, msg: string) => {
    lines.push(`${msg} ${JSON.stringify(fields)}`)
  }
  return { lines, logger: { debug: write, warn: write } }
}

/** Everything an error shows: message, own fields, cause chain. */
export function errorText(error: unknown): string {
  const parts: string[] = []
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    parts.push(e.message, JSON.stringify({ ...e }), String(e.stack))
  }
  return parts.join('\n')
}
