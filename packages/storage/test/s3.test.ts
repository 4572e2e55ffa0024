import { createServer, type Server, type Socket } from 'node:net'
import { type S3Server, startS3Server } from '@wxapp/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createS3Store,
  type ObjectStore,
  StorageError,
  StorageUnavailableError,
  type StoredObject,
} from '../src/index'

const bytesOf = async (object: StoredObject | null) => {
  if (!object) throw new Error('no object')
  const chunks: Buffer[] = []
  for await (const chunk of object.body) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

// Short timeouts so that a dead store fails fast in the tests; production
// takes the defaults.
const FAST = { connectTimeoutMs: 500, requestTimeoutMs: 1000, maxAttempts: 2 }

describe('the S3 store, against s3rver', () => {
  let s3: S3Server
  let store: ObjectStore

  beforeAll(async () => {
    s3 = await startS3Server()
    store = createS3Store({
      endpoint: s3.endpoint,
      region: s3.region,
      bucket: s3.bucket,
      credentials: s3.credentials,
      forcePathStyle: true,
      ...FAST,
    })
  })
  afterAll(async () => {
    await s3?.remove()
  })

  it('puts, gets and deletes an object with its bytes and content type', async () => {
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 255, 254])
    await store.put('avatars/a.png', bytes, 'image/png')
    const got = await store.get('avatars/a.png')
    expect(got).toMatchObject({ contentType: 'image/png', size: bytes.length })
    expect(await bytesOf(got)).toEqual(bytes)

    await store.put('avatars/a.png', Buffer.from('second'), 'text/plain')
    const replaced = await store.get('avatars/a.png')
    expect(replaced?.contentType).toBe('text/plain')
    expect(await bytesOf(replaced)).toEqual(Buffer.from('second'))

    await store.delete('avatars/a.png')
    expect(await store.get('avatars/a.png')).toBeNull()
    // Deleting what is not there is no error.
    await store.delete('avatars/a.png')
  })

  it('answers null for a missing object', async () => {
    expect(await store.get('avatars/never-stored.png')).toBeNull()
  })

  it('refuses keys that are not plain relative paths', async () => {
    for (const key of ['', '/abs', 'a/../b', 'a//b', '..', 'a b', 'a/./b']) {
      await expect(store.put(key, Buffer.from('x'), 'text/plain'), key).rejects.toThrow(TypeError)
    }
  })

  it('tells a refusal (unknown key) from an outage, and never echoes the secret', async () => {
    // s3rver checks the access key id, not SigV4 signatures.
    const secret = 'not-the-secret-0123456789'
    const wrong = createS3Store({
      endpoint: s3.endpoint,
      region: s3.region,
      bucket: s3.bucket,
      credentials: { accessKeyId: 'UNKNOWN', secretAccessKey: secret },
      forcePathStyle: true,
      ...FAST,
    })
    const error = await wrong.put('avatars/b.png', Buffer.from('x'), 'image/png').catch((e) => e)
    expect(error).toBeInstanceOf(StorageError)
    expect(error).toMatchObject({ status: 403, code: 'InvalidAccessKeyId' })
    expect(String(error.message)).not.toContain(secret)
    expect(await store.get('avatars/b.png')).toBeNull()

    const noBucket = createS3Store({
      endpoint: s3.endpoint,
      region: s3.region,
      bucket: 'no-such-bucket',
      credentials: s3.credentials,
      forcePathStyle: true,
      ...FAST,
    })
    await expect(noBucket.get('avatars/b.png')).rejects.toMatchObject({
      name: 'StorageError',
      status: 404,
      code: 'NoSuchBucket',
    })
  })

  it('fails with StorageUnavailableError, quickly, while the store is down, and works again after', async () => {
    await store.put('avatars/kept.png', Buffer.from('kept'), 'image/png')
    await s3.stop()
    try {
      for (const attempt of [
        () => store.put('avatars/c.png', Buffer.from('c'), 'image/png'),
        () => store.get('avatars/kept.png'),
        () => store.delete('avatars/kept.png'),
      ]) {
        const started = Date.now()
        const error = await attempt().catch((e: unknown) => e)
        expect(error).toBeInstanceOf(StorageUnavailableError)
        expect(Date.now() - started).toBeLessThan(5000)
      }
    } finally {
      await s3.start()
    }
    // Nothing was half-written, and what was there is still there.
    expect(await store.get('avatars/c.png')).toBeNull()
    expect((await bytesOf(await store.get('avatars/kept.png'))).toString()).toBe('kept')
  })
})

describe('the S3 store, against a server that accepts and never answers', () => {
  let stall: Server
  const sockets = new Set<Socket>()
  let port = 0

  beforeAll(async () => {
    stall = createServer((socket) => {
      sockets.add(socket)
      socket.on('data', () => {})
      socket.on('close', () => sockets.delete(socket))
    })
    await new Promise<void>((resolve) => stall.listen(0, '127.0.0.1', resolve))
    const address = stall.address()
    if (!address || typeof address !== 'object') throw new Error('no port')
    port = address.port
  })
  afterAll(async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise((resolve) => stall?.close(resolve))
  })

  it('gives up within its timeouts with StorageUnavailableError', async () => {
    const store = createS3Store({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      bucket: 'b',
      credentials: { accessKeyId: 'k', secretAccessKey: 's' },
      forcePathStyle: true,
      ...FAST,
    })
    const started = Date.now()
    const error = await store.put('a.png', Buffer.from('x'), 'image/png').catch((e) => e)
    expect(error).toBeInstanceOf(StorageUnavailableError)
    // Two attempts of 1 s each, plus the SDK's backoff between them.
    expect(Date.now() - started).toBeLessThan(5000)
  })
})
