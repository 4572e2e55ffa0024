import { beforeEach, describe, expect, it, vi } from 'vitest'
import { AbortControllerShim } from '../src/lib/abort-controller'
import { createTaroFetch, normalizeHeaders, taroFetch } from '../src/lib/taro-fetch'

const { request } = vi.hoisted(() => ({ request: vi.fn() }))
vi.mock('@tarojs/taro', () => ({ default: { request } }))

interface Deferred {
  resolve(result: { statusCode: number; data: unknown; header?: Record<string, unknown> }): void
  reject(reason: unknown): void
  abort: ReturnType<typeof vi.fn>
}

/** Makes the next Taro.request call return a task the test settles by hand. */
function deferredRequest(): Deferred {
  const deferred = { abort: vi.fn() } as unknown as Deferred
  request.mockImplementationOnce(() => {
    const promise = new Promise((resolve, reject) => {
      deferred.resolve = resolve
      deferred.reject = reject
    })
    return Object.assign(promise, { abort: deferred.abort })
  })
  return deferred
}

function respond(statusCode: number, data: unknown, header: Record<string, unknown> = {}) {
  request.mockImplementationOnce(() =>
    Object.assign(Promise.resolve({ statusCode, data, header, errMsg: 'request:ok' }), {
      abort: vi.fn(),
    }),
  )
}

function lastOption() {
  const call = request.mock.calls.at(-1)
  if (!call) throw new Error('Taro.request was not called')
  return call[0] as Record<string, unknown>
}

beforeEach(() => {
  request.mockReset()
})

describe('taroFetch: request', () => {
  it('maps url, method, headers and body onto Taro.request and keeps the body as text', async () => {
    respond(200, '[]')
    await taroFetch('http://127.0.0.1:3000/trpc/system.ping?batch=1', {
      method: 'post',
      headers: { 'content-type': 'application/json', 'x-multi': ['a', 'b'], skipped: undefined },
      body: '{"0":{}}',
    })
    expect(request).toHaveBeenCalledTimes(1)
    expect(lastOption()).toMatchObject({
      url: 'http://127.0.0.1:3000/trpc/system.ping?batch=1',
      method: 'POST',
      header: { 'content-type': 'application/json', 'x-multi': 'a, b' },
      data: '{"0":{}}',
      dataType: 'text',
      responseType: 'text',
    })
    expect(lastOption().header).not.toHaveProperty('skipped')
  })

  it('defaults to GET without a body and accepts URL objects', async () => {
    respond(200, '{}')
    await taroFetch(new URL('http://127.0.0.1:3000/trpc/a'))
    expect(lastOption()).toMatchObject({ url: 'http://127.0.0.1:3000/trpc/a', method: 'GET' })
    expect(lastOption()).not.toHaveProperty('data')
  })

  it('accepts headers as pairs or a Headers object', () => {
    expect(normalizeHeaders([['Authorization', 'Bearer t']])).toEqual({ Authorization: 'Bearer t' })
    expect(normalizeHeaders(new Headers({ 'X-A': '1' }))).toEqual({ 'x-a': '1' })
    expect(normalizeHeaders({ Accept: 'a', accept: 'b' })).toEqual({ Accept: 'a, b' })
    expect(normalizeHeaders(undefined)).toEqual({})
  })

  it('passes a timeout when configured', async () => {
    respond(200, '{}')
    await createTaroFetch({ timeout: 5000 })('http://x/')
    expect(lastOption().timeout).toBe(5000)
  })

  it('refuses non-string bodies and unknown methods without calling Taro.request', async () => {
    await expect(taroFetch('http://x/', { method: 'POST', body: { a: 1 } })).rejects.toThrow(
      TypeError,
    )
    await expect(taroFetch('http://x/', { method: 'BREW' })).rejects.toThrow(TypeError)
    expect(request).not.toHaveBeenCalled()
  })
})

describe('taroFetch: response', () => {
  it('exposes ok, status, headers and json()', async () => {
    respond(200, '[{"result":{"data":{"pong":true}}}]', {
      'Content-Type': 'application/json',
      'Set-Cookie': ['a=1', 'b=2'],
    })
    const res = await taroFetch('http://x/')
    expect(res.ok).toBe(true)
    expect(res.status).toBe(200)
    expect(res.url).toBe('http://x/')
    expect(res.headers.get('content-type')).toBe('application/json')
    expect(res.headers.get('CONTENT-TYPE')).toBe('application/json')
    expect(res.headers.get('set-cookie')).toBe('a=1, b=2')
    expect(res.headers.has('x-missing')).toBe(false)
    expect(res.headers.get('x-missing')).toBeNull()
    expect(await res.json()).toEqual([{ result: { data: { pong: true } } }])
  })

  it('resolves (not rejects) on HTTP errors, with ok false', async () => {
    respond(500, '{"error":{"message":"boom"}}')
    const res = await taroFetch('http://x/')
    expect(res.ok).toBe(false)
    expect(res.status).toBe(500)
    expect(await res.json()).toEqual({ error: { message: 'boom' } })
  })

  it.each([
    [199, false],
    [204, true],
    [299, true],
    [300, false],
    [404, false],
  ])('status %i -> ok %s', async (status, ok) => {
    respond(status, '')
    expect((await taroFetch('http://x/')).ok).toBe(ok)
  })

  it('rejects json() on a body that is not JSON; text() returns it; the body reads once', async () => {
    respond(502, '<html>Bad Gateway</html>')
    const res = await taroFetch('http://x/')
    await expect(res.json()).rejects.toThrow(SyntaxError)
    respond(502, '<html>Bad Gateway</html>')
    const again = await taroFetch('http://x/')
    expect(await again.text()).toBe('<html>Bad Gateway</html>')
    await expect(again.text()).rejects.toThrow(TypeError)
  })

  it('copes with a platform that parsed the JSON anyway', async () => {
    respond(200, { already: 'parsed' })
    expect(await (await taroFetch('http://x/')).json()).toEqual({ already: 'parsed' })
  })

  it('rejects with a TypeError on network failure, as fetch does', async () => {
    request.mockImplementationOnce(() =>
      Object.assign(Promise.reject({ errMsg: 'request:fail timeout' }), { abort: vi.fn() }),
    )
    const error = await taroFetch('http://x/').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TypeError)
    expect((error as Error).message).toContain('request:fail timeout')
    expect((error as Error & { cause?: unknown }).cause).toEqual({ errMsg: 'request:fail timeout' })
  })

  it('rejects when Taro.request throws synchronously', async () => {
    request.mockImplementationOnce(() => {
      throw new Error('no network API')
    })
    await expect(taroFetch('http://x/')).rejects.toThrow('no network API')
  })
})

describe.each([
  ['native AbortController', () => new globalThis.AbortController()],
  ['AbortController shim', () => new AbortControllerShim()],
])('taroFetch: abort (%s)', (_name, makeController) => {
  it('rejects at once, without a request, when the signal is already aborted', async () => {
    const controller = makeController()
    controller.abort()
    const error = await taroFetch('http://x/', { signal: controller.signal }).catch(
      (e: unknown) => e,
    )
    expect((error as Error).name).toBe('AbortError')
    expect(request).not.toHaveBeenCalled()
  })

  it('aborts the Taro request task during the request and rejects with the reason', async () => {
    const controller = makeController()
    const pending = deferredRequest()
    const promise = taroFetch('http://x/', { signal: controller.signal })
    const reason = new Error('user left the page')
    reason.name = 'AbortError'
    controller.abort(reason)
    await expect(promise).rejects.toBe(reason)
    expect(pending.abort).toHaveBeenCalledTimes(1)
    // WeChat then fails the aborted task: that must not surface anywhere.
    pending.reject({ errMsg: 'request:fail abort' })
    await new Promise((resolve) => setTimeout(resolve, 0))
  })

  it('ignores an abort after the response arrived and stops listening', async () => {
    const controller = makeController()
    const removeSpy = vi.spyOn(controller.signal, 'removeEventListener')
    const pending = deferredRequest()
    const promise = taroFetch('http://x/', { signal: controller.signal })
    pending.resolve({ statusCode: 200, data: '{"ok":1}' })
    const res = await promise
    expect(removeSpy).toHaveBeenCalledWith('abort', expect.any(Function))
    controller.abort()
    expect(pending.abort).not.toHaveBeenCalled()
    expect(await res.json()).toEqual({ ok: 1 })
  })
})
