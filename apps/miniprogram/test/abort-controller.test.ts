import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  AbortController,
  AbortControllerShim,
  AbortSignalShim,
  createAbortError,
  hasNativeAbortController,
} from '../src/lib/abort-controller'

describe('AbortControllerShim', () => {
  it('starts unaborted', () => {
    const controller = new AbortControllerShim()
    expect(controller.signal).toBeInstanceOf(AbortSignalShim)
    expect(controller.signal.aborted).toBe(false)
    expect(controller.signal.reason).toBeUndefined()
    expect(() => controller.signal.throwIfAborted()).not.toThrow()
  })

  it('aborts with an AbortError by default and notifies listeners once', () => {
    const controller = new AbortControllerShim()
    const listener = vi.fn()
    const onabort = vi.fn()
    controller.signal.addEventListener('abort', listener)
    controller.signal.onabort = onabort

    controller.abort()
    controller.abort('second call is ignored')

    expect(controller.signal.aborted).toBe(true)
    expect(controller.signal.reason).toBeInstanceOf(Error)
    expect((controller.signal.reason as Error).name).toBe('AbortError')
    expect(listener).toHaveBeenCalledTimes(1)
    expect(listener.mock.calls[0]?.[0]).toMatchObject({ type: 'abort', target: controller.signal })
    expect(onabort).toHaveBeenCalledTimes(1)
    expect(() => controller.signal.throwIfAborted()).toThrow(controller.signal.reason as Error)
  })

  it('keeps a given reason', () => {
    const controller = new AbortControllerShim()
    const reason = new Error('navigated away')
    controller.abort(reason)
    expect(controller.signal.reason).toBe(reason)
    expect(() => controller.signal.throwIfAborted()).toThrow(reason)
  })

  it('supports removeEventListener, once, handleEvent objects and ignores duplicates', () => {
    const controller = new AbortControllerShim()
    const removed = vi.fn()
    const once = vi.fn()
    const duplicate = vi.fn()
    const handler = { handleEvent: vi.fn() }
    controller.signal.addEventListener('abort', removed)
    controller.signal.removeEventListener('abort', removed)
    controller.signal.addEventListener('abort', once, { once: true })
    controller.signal.addEventListener('abort', duplicate)
    controller.signal.addEventListener('abort', duplicate)
    controller.signal.addEventListener('abort', handler)
    controller.signal.addEventListener('other', removed)

    controller.abort()

    expect(removed).not.toHaveBeenCalled()
    expect(once).toHaveBeenCalledTimes(1)
    expect(duplicate).toHaveBeenCalledTimes(1)
    expect(handler.handleEvent).toHaveBeenCalledTimes(1)
  })

  it('skips a listener that an earlier one removed during the dispatch (as the DOM does)', () => {
    const controller = new AbortControllerShim()
    const calls: string[] = []
    const second = () => calls.push('second')
    const first = () => {
      calls.push('first')
      controller.signal.removeEventListener('abort', second)
    }
    controller.signal.addEventListener('abort', first, { once: true })
    controller.signal.addEventListener('abort', second)
    controller.abort()
    expect(calls).toEqual(['first'])
  })

  it('does not call listeners added after the abort (as the DOM does not)', () => {
    const controller = new AbortControllerShim()
    controller.abort()
    const late = vi.fn()
    controller.signal.addEventListener('abort', late)
    expect(late).not.toHaveBeenCalled()
  })

  it('createAbortError makes an Error named AbortError', () => {
    const error = createAbortError('stop')
    expect(error).toBeInstanceOf(Error)
    expect(error.name).toBe('AbortError')
    expect(error.message).toBe('stop')
  })
})

describe('AbortController export', () => {
  afterEach(() => {
    vi.unstubAllGlobals()
    vi.resetModules()
  })

  it('is the native class where the runtime has one (Node)', () => {
    expect(hasNativeAbortController).toBe(true)
    expect(AbortController).toBe(globalThis.AbortController)
  })

  it('falls back to the shim where the runtime has none (WeChat)', async () => {
    vi.stubGlobal('AbortController', undefined)
    vi.resetModules()
    const mod = await import('../src/lib/abort-controller')
    expect(mod.hasNativeAbortController).toBe(false)
    expect(mod.AbortController).toBe(mod.AbortControllerShim)
    const controller = new mod.AbortController()
    controller.abort()
    expect(controller.signal.aborted).toBe(true)
  })
})
