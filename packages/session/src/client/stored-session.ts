/*
 * The session token in the app's storage. Storage may be sync or async, and
 * any of it may throw: never fatal, a token that cannot be stored lives in
 * memory for this launch (the next launch logs in again).
 */
import type { StoredSession } from '../shared/index'
import type { KeyValueStorage } from './platform'

export type StorageOperation = 'read' | 'write' | 'remove'

export interface SessionStorage {
  storage: KeyValueStorage
  key: string
  /** Tokens stored for another app are ignored. */
  appid: string
  onError: (error: unknown, operation: StorageOperation) => void
}

/** The stored session of `appid`, or null for anything else (absent, malformed, another app's). */
export function parseStored(raw: string | null, appid: string): StoredSession | null {
  if (typeof raw !== 'string' || raw === '') return null
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch {
    return null
  }
  if (!value || typeof value !== 'object') return null
  const { token, expiresAt, appid: storedAppid } = value as Partial<Record<string, unknown>>
  if (typeof token !== 'string' || token === '') return null
  if (typeof expiresAt !== 'string' || typeof storedAppid !== 'string') return null
  if (storedAppid !== appid) return null
  return { token, expiresAt, appid: storedAppid }
}

export async function readStored(at: SessionStorage): Promise<StoredSession | null> {
  try {
    return parseStored(await at.storage.getItem(at.key), at.appid)
  } catch (error) {
    at.onError(error, 'read')
    return null
  }
}

export async function writeStored(at: SessionStorage, session: StoredSession): Promise<void> {
  try {
    await at.storage.setItem(at.key, JSON.stringify(session))
  } catch (error) {
    at.onError(error, 'write')
  }
}

export async function removeStored(at: SessionStorage): Promise<void> {
  try {
    await at.storage.removeItem(at.key)
  } catch (error) {
    at.onError(error, 'remove')
  }
}
