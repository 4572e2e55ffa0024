import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLocalStore, type ObjectStore, type StoredObject } from '../src/index'

const bytesOf = async (object: StoredObject | null) => {
  if (!object) throw new Error('no object')
  const chunks: Buffer[] = []
  for await (const chunk of object.body) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

describe('the local store', () => {
  let dir: string
  let store: ObjectStore

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wxapp-local-store-'))
    store = createLocalStore({ dir })
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('puts, gets and deletes a file with its bytes and content type', async () => {
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 255])
    await store.put('avatars/a.png', bytes, 'image/png')
    // Write then rename: no temporary file is left behind.
    expect(await readdir(join(dir, 'avatars'))).toEqual(['a.png'])
    const got = await store.get('avatars/a.png')
    expect(got).toMatchObject({ contentType: 'image/png', size: bytes.length })
    expect(await bytesOf(got)).toEqual(bytes)
    await store.delete('avatars/a.png')
    expect(await store.get('avatars/a.png')).toBeNull()
    await store.delete('avatars/a.png')
  })

  it('serves files written before it existed, typed by their extension', async () => {
    await mkdir(join(dir, 'avatars'), { recursive: true })
    await writeFile(join(dir, 'avatars', 'old.jpg'), 'jpeg bytes')
    const got = await store.get('avatars/old.jpg')
    expect(got?.contentType).toBe('image/jpeg')
    expect((await bytesOf(got)).toString()).toBe('jpeg bytes')
  })

  it('answers null for a missing file or a folder', async () => {
    expect(await store.get('avatars/missing.png')).toBeNull()
    expect(await store.get('avatars')).toBeNull()
  })

  it('refuses a content type its file names cannot carry, and keys outside its folder', async () => {
    await expect(store.put('avatars/b.png', Buffer.from('x'), 'text/html')).rejects.toThrow(
      TypeError,
    )
    for (const key of ['../escape.png', '/etc/passwd', 'a/../../b.png', 'a\\b.png']) {
      await expect(store.get(key), key).rejects.toThrow(TypeError)
    }
  })
})
