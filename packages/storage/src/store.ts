import type { Readable } from 'node:stream'

/** One stored object as a reader gets it. */
export interface StoredObject {
  /** The bytes; read it to the end or destroy it, or the store's connection stays held. */
  body: Readable
  contentType: string
  /** Its length in bytes (for Content-Length). */
  size: number
}

/**
 * Where uploaded files live: a folder on this machine, or a bucket that every
 * server instance shares. Kept this small so that a driver is easy to check:
 * whole objects only (avatars are a few MB at most), written at once so a
 * reader never sees half of one.
 */
export interface ObjectStore {
  /** `local` or `s3`, for logs and /readyz-style reports. */
  readonly kind: 'local' | 's3'
  /** Stores `bytes` under `key`, replacing what was there. */
  put(key: string, bytes: Uint8Array, contentType: string): Promise<void>
  /** The object under `key`, or null when there is none. */
  get(key: string): Promise<StoredObject | null>
  /** Removes the object under `key`; nothing happens when there is none. */
  delete(key: string): Promise<void>
}

export type StorageOperation = 'put' | 'get' | 'delete'

/**
 * The store could not be reached, did not answer in time, or answered that it
 * is overloaded or failing (5xx, 429): trying again later can help. Nothing
 * was written when a put fails with it. The message names the operation and
 * the key only, never the endpoint's credentials.
 */
export class StorageUnavailableError extends Error {
  override readonly name = 'StorageUnavailableError'
  readonly operation: StorageOperation
  readonly key: string

  constructor(operation: StorageOperation, key: string, options?: { cause?: unknown }) {
    super(`The object store is unavailable (${operation} ${key})`, options)
    this.operation = operation
    this.key = key
  }
}

/**
 * The store answered and refused (access denied, no such bucket, a bad
 * request): its configuration must change, so retrying will not help.
 */
export class StorageError extends Error {
  override readonly name = 'StorageError'
  readonly operation: StorageOperation
  readonly key: string
  /** The store's error code (such as `AccessDenied`), when it gave one. */
  readonly code: string | undefined
  readonly status: number | undefined

  constructor(
    operation: StorageOperation,
    key: string,
    details: { code?: string | undefined; status?: number | undefined; cause?: unknown },
  ) {
    const what = [details.status, details.code].filter((v) => v !== undefined).join(' ')
    super(`The object store refused ${operation} ${key}${what ? ` (${what})` : ''}`, {
      cause: details.cause,
    })
    this.operation = operation
    this.key = key
    this.code = details.code
    this.status = details.status
  }
}

// Slash-separated segments of plain characters: no `..`, no leading slash,
// nothing a file system or an S3 gateway would read differently.
const SEGMENT = /^(?!\.{1,2}$)[A-Za-z0-9._-]{1,200}$/

/** Throws for a key that is not a plain relative path (so no driver can be led outside its root). */
export function checkKey(key: string): void {
  if (key.length > 900 || !key.split('/').every((s) => SEGMENT.test(s))) {
    throw new TypeError(`Not a valid object key: ${JSON.stringify(key.slice(0, 100))}`)
  }
}
