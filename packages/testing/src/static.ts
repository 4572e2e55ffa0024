import { createReadStream } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, resolve, sep } from 'node:path'

export interface StaticServer {
  /** The base URL it listens on (http://127.0.0.1:<port>), also the page origin. */
  url: string
  /** Request paths served so far (`GET /index.html 200`), for debugging a failed test. */
  requests(): string[]
  /** Closes the server and any open connection (keep-alive ones included). */
  stop(): Promise<void>
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
}

/**
 * Serves the files of `root` on a free loopback port (GET and HEAD; `/` is
 * `index.html`; no directory listings; nothing outside `root`; `no-store`
 * caching). For a built web app under test: `headHtml` is inserted right after
 * `<head>` of every HTML file served (a `<script>` setting runtime
 * configuration, say; a function is asked on every request), `fallback` (a path under root) answers paths that match
 * no file, as a single-page app's history router needs.
 */
export async function startStaticServer(opts: {
  root: string
  headHtml?: string | (() => string)
  fallback?: string
}): Promise<StaticServer> {
  const root = resolve(opts.root)
  const log: string[] = []

  const fileFor = async (urlPath: string): Promise<string | null> => {
    let decoded: string
    try {
      decoded = decodeURIComponent(urlPath)
    } catch {
      return null
    }
    if (decoded.includes('\0')) return null
    const file = resolve(join(root, decoded.endsWith('/') ? `${decoded}index.html` : decoded))
    if (file !== root && !file.startsWith(root + sep)) return null
    const info = await stat(file).catch(() => null)
    return info?.isFile() ? file : null
  }

  const server = createServer(async (req, res) => {
    const method = req.method ?? 'GET'
    const urlPath = new URL(req.url ?? '/', 'http://127.0.0.1').pathname
    const done = (status: number) => log.push(`${method} ${urlPath} ${status}`)
    if (method !== 'GET' && method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end()
      return done(405)
    }
    let file = await fileFor(urlPath)
    if (!file && opts.fallback) file = await fileFor(`/${opts.fallback.replace(/^\/+/, '')}`)
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found')
      return done(404)
    }
    const type = TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream'
    const headers = { 'content-type': type, 'cache-control': 'no-store' }
    const headHtml = typeof opts.headHtml === 'function' ? opts.headHtml() : opts.headHtml
    if (type.startsWith('text/html') && headHtml) {
      const html = await readFile(file, 'utf8')
      const injected = html.replace(/<head(?:\s[^>]*)?>/i, (head) => head + headHtml)
      if (injected === html) {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
        res.end(`${urlPath} has no <head> to insert into`)
        return done(500)
      }
      const body = Buffer.from(injected)
      res.writeHead(200, { ...headers, 'content-length': body.length })
      res.end(method === 'HEAD' ? undefined : body)
      return done(200)
    }
    res.writeHead(200, headers)
    if (method === 'HEAD') res.end()
    else createReadStream(file).pipe(res)
    done(200)
  })

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolveListen())
  })
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => log.slice(),
    stop: () =>
      new Promise<void>((resolveClose) => {
        if (!server.listening) return resolveClose()
        server.close(() => resolveClose())
        server.closeAllConnections()
      }),
  }
}
