/* startStaticServer of @wxapp/testing, which the browser tests serve dist-h5/ with. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import http from 'node:http'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { type StaticServer, startStaticServer } from '@wxapp/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

describe('startStaticServer', () => {
  let dir: string
  let server: StaticServer
  let head = '<script>window.X = 1</script>'

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'wxapp-static-'))
    await mkdir(path.join(dir, 'site', 'js'), { recursive: true })
    await writeFile(
      path.join(dir, 'site', 'index.html'),
      '<!doctype html><html><head lang="x"><title>t</title></head><body></body></html>',
    )
    await writeFile(path.join(dir, 'site', 'js', 'app.js'), 'console.log(1)')
    await writeFile(path.join(dir, 'secret.txt'), 'outside the root')
    server = await startStaticServer({ root: path.join(dir, 'site'), headHtml: () => head })
  })

  afterAll(async () => {
    await server?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('listens on loopback and serves / as index.html, with the head snippet asked per request', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const first = await fetch(`${server.url}/`)
    expect(first.status).toBe(200)
    expect(first.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(first.headers.get('cache-control')).toBe('no-store')
    expect(await first.text()).toContain('<head lang="x"><script>window.X = 1</script><title>')
    head = '<script>window.X = 2</script>'
    expect(await (await fetch(`${server.url}/index.html`)).text()).toContain('window.X = 2')
  })

  it('serves other files untouched, with their type', async () => {
    const res = await fetch(`${server.url}/js/app.js`)
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(await res.text()).toBe('console.log(1)')
  })

  it('serves nothing outside its root, no directories, only GET and HEAD', async () => {
    // Raw paths: fetch would normalise the dot segments away.
    const rawStatus = (rawPath: string) =>
      new Promise<number | undefined>((resolve, reject) => {
        http
          .get(`${server.url}/`, { path: rawPath }, (res) => {
            res.resume()
            resolve(res.statusCode)
          })
          .on('error', reject)
      })
    for (const p of ['/../secret.txt', '/..%2fsecret.txt', '/js/..%2f..%2fsecret.txt']) {
      expect(await rawStatus(p), p).toBe(404)
    }
    for (const p of ['/js', '/js/', '/missing.js', '/js/%00', '/%E0%A4%A']) {
      expect((await fetch(`${server.url}${p}`)).status, p).toBe(404)
    }
    expect((await fetch(`${server.url}/`, { method: 'POST' })).status).toBe(405)
    expect((await fetch(`${server.url}/`, { method: 'HEAD' })).status).toBe(200)
    expect(server.requests()).toContain('POST / 405')
  })

  it('stops, closing keep-alive connections', async () => {
    const other = await startStaticServer({ root: path.join(dir, 'site') })
    await fetch(`${other.url}/js/app.js`, { keepalive: true }).then((r) => r.text())
    await other.stop()
    await expect(fetch(`${other.url}/`)).rejects.toThrow()
  })
})
