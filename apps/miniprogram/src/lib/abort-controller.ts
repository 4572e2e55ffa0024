/*
 * AbortController / AbortSignal for runtimes that lack them (the WeChat mini-program
 * runtime has neither). Exports the native classes where they exist, a small shim
 * otherwise.
 *
 * The shim covers what @trpc/client's HTTP links and our taro-fetch use: `signal.aborted`,
 * `signal.reason`, `signal.onabort`, `addEventListener('abort', fn, { once })`,
 * `removeEventListener`, `throwIfAborted()`, `controller.abort(reason)`.
 *
 * For weapp, config/index.ts makes webpack's ProvidePlugin substitute this module's
 * `AbortController` for the free variable in every module (including @trpc/client).
 * This file must therefore never use the bare global name itself.
 */

export interface AbortEventLike {
  readonly type: 'abort'
  readonly target: AbortSignalLike
}

type AbortListener =
  | ((event: AbortEventLike) => void)
  | { handleEvent(event: AbortEventLike): void }

/** The part of AbortSignal this app relies on (the native one satisfies it). */
export interface AbortSignalLike {
  readonly aborted: boolean
  readonly reason?: unknown
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void
  removeEventListener(type: 'abort', listener: () => void): void
}

/** The part of AbortController this app relies on (the native one satisfies it). */
export interface AbortControllerLike {
  readonly signal: AbortSignalLike
  abort(reason?: unknown): void
}

export interface AbortControllerConstructor {
  new (): AbortControllerLike
}

/** The reason a signal gets when `abort()` is called without one, as in browsers. */
export function createAbortError(message = 'This operation was aborted'): Error {
  const error = new Error(message)
  error.name = 'AbortError'
  return error
}

interface ListenerEntry {
  listener: AbortListener
  once: boolean
}

export class AbortSignalShim implements AbortSignalLike {
  aborted = false
  reason: unknown = undefined
  onabort: ((event: AbortEventLike) => void) | null = null
  private listeners: ListenerEntry[] = []

  addEventListener(
    type: string,
    listener: AbortListener | null | undefined,
    options?: boolean | { once?: boolean },
  ): void {
    if (type !== 'abort' || !listener) return
    if (this.listeners.some((entry) => entry.listener === listener)) return
    const once = typeof options === 'object' && options !== null && options.once === true
    this.listeners.push({ listener, once })
  }

  removeEventListener(type: string, listener: AbortListener | null | undefined): void {
    if (type !== 'abort' || !listener) return
    this.listeners = this.listeners.filter((entry) => entry.listener !== listener)
  }

  dispatchEvent(event: AbortEventLike): boolean {
    if (event.type !== 'abort') return true
    if (typeof this.onabort === 'function') this.onabort.call(this, event)
    // Iterate over a copy: listeners may remove themselves or others meanwhile. As in
    // the DOM, one removed during the dispatch is not called.
    for (const entry of this.listeners.slice()) {
      if (this.listeners.indexOf(entry) === -1) continue
      if (entry.once) this.removeEventListener('abort', entry.listener)
      const { listener } = entry
      if (typeof listener === 'function') listener.call(this, event)
      else listener.handleEvent(event)
    }
    return true
  }

  throwIfAborted(): void {
    if (this.aborted) throw this.reason
  }

  /** @internal Called by the controller. */
  _abort(reason: unknown): void {
    if (this.aborted) return
    this.aborted = true
    this.reason = reason === undefined ? createAbortError() : reason
    this.dispatchEvent({ type: 'abort', target: this })
  }
}

export class AbortControllerShim implements AbortControllerLike {
  readonly signal = new AbortSignalShim()

  abort(reason?: unknown): void {
    this.signal._abort(reason)
  }
}

interface MaybeAbortGlobals {
  AbortController?: AbortControllerConstructor
}

function nativeAbortController(): AbortControllerConstructor | undefined {
  if (typeof globalThis === 'undefined') return undefined
  const candidate = (globalThis as MaybeAbortGlobals).AbortController
  return typeof candidate === 'function' ? candidate : undefined
}

/** The native AbortController when the runtime has one, else the shim. */
export const AbortController: AbortControllerConstructor =
  nativeAbortController() ?? AbortControllerShim

/** True when this runtime brought its own AbortController. */
export const hasNativeAbortController = nativeAbortController() !== undefined
