/* Storage and clock doubles for the jar tests. */
import type { KeyValueStorage } from '../src/index'

export const T0 = Date.UTC(2026, 0, 1, 0, 0, 0)

/** A clock the test moves by hand. */
export function manualClock(start = T0) {
  let time = start
  return {
    now: () => time,
    advance(ms: number) {
      time += ms
    },
    set(ms: number) {
      time = ms
    },
  }
}

/** Synchronous in-memory storage (like Taro's *StorageSync), counting calls. */
export function memoryStorage(initial: Record<string, string> = {}) {
  const map = new Map<string, string>(Object.entries(initial))
  const calls = { get: 0, set: 0, remove: 0 }
  const storage: KeyValueStorage = {
    getItem(key) {
      calls.get++
      return map.get(key) ?? null
    },
    setItem(key, value) {
      calls.set++
      map.set(key, value)
    },
    removeItem(key) {
      calls.remove++
      map.delete(key)
    },
  }
  return { storage, map, calls }
}

/** Asynchronous storage (each call settles on a later tick). */
export function asyncStorage() {
  const map = new Map<string, string>()
  const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 1))
  const storage: KeyValueStorage = {
    async getItem(key) {
      await tick()
      return map.get(key) ?? null
    },
    async setItem(key, value) {
      await tick()
      map.set(key, value)
    },
    async removeItem(key) {
      await tick()
      map.delete(key)
    },
  }
  return { storage, map }
}

/** The name=value pairs of a Cookie header, as a sorted-insensitive list. */
export function pairs(header: string | null): string[] {
  return header === null ? [] : header.split('; ')
}
