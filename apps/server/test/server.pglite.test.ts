import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startApiServer } from '@wxapp/testing'
import { afterAll, describe, expect, it } from 'vitest'
import { describeHttpContract } from './api-contract'

describeHttpContract('the embedded database (pglite:memory:)', async () => ({
  url: 'pglite:memory:',
  cleanup: async () => {},
}))

describe('embedded database kept in a folder', () => {
  const dirs: string[] = []
  afterAll(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
  })

  it('is created and migrated on first start, and reopened as is on the next', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wxapp-pglite-'))
    dirs.push(dir)
    const env = { DATABASE_URL: `pglite:${join(dir, 'db')}` }

    const first = await startApiServer(env)
    const applied = first.logs().find((l) => l.msg === 'applied database migrations')
    expect(applied?.migrations).toEqual(expect.arrayContaining([expect.stringMatching(/_init$/)]))
    const firstStart = first.logs().find((l) => l.msg === 'server listening')
    expect((await fetch(`${first.url}/readyz`)).status).toBe(200)
    expect(await first.stop()).toBe(0)

    const second = await startApiServer(env)
    expect(second.logs().some((l) => l.msg === 'applied database migrations')).toBe(false)
    expect((await fetch(`${second.url}/readyz`)).status).toBe(200)
    const secondStart = second.logs().find((l) => l.msg === 'server listening')
    expect(await second.stop()).toBe(0)
    console.info(
      `embedded database: first start ${firstStart?.startupMs} ms, restart ${secondStart?.startupMs} ms`,
    )
  })
})
