import { runApiServerToExit } from '@wxapp/testing'
import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../src/config'

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig({})
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 3000,
      logLevel: 'info',
      migrateOnStart: true,
    })
    expect(config.databaseUrl).toMatch(/^pglite:.*data[/\\]pglite$/)
  })

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '', HOST: '' })).toMatchObject({ port: 3000, host: '127.0.0.1' })
  })

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['PORT', '3000.5'],
    ['LOG_LEVEL', 'loud'],
    ['MIGRATE_ON_START', 'maybe'],
    ['DATABASE_URL', 'mysql://root@127.0.0.1/app'],
    ['DATABASE_URL', 'not a url'],
  ])('rejects %s=%s naming the variable', (name, value) => {
    const error = (() => {
      try {
        loadConfig({ [name]: value })
      } catch (e) {
        return e
      }
    })()
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).message).toContain(name)
  })

  it('reports every problem at once', () => {
    expect(() => loadConfig({ PORT: 'x', DATABASE_URL: 'sqlite:x' })).toThrow(
      /PORT[\s\S]*DATABASE_URL|DATABASE_URL[\s\S]*PORT/,
    )
  })
})

describe('the server process stops on bad configuration', () => {
  it('exits 1 on a bad PORT, naming it, before touching the database', async () => {
    const { code, output } = await runApiServerToExit({
      PORT: 'eighty',
      DATABASE_URL: 'pglite:memory:',
    })
    expect(code).toBe(1)
    expect(output).toContain('Invalid configuration')
    expect(output).toContain('PORT')
    expect(output).not.toMatch(/\n\s+at /) // no stack trace
  })

  it('exits 1 on a malformed DATABASE_URL without echoing its password', async () => {
    const { code, output } = await runApiServerToExit({
      DATABASE_URL: 'mysql://app:hunter2@db/app',
    })
    expect(code).toBe(1)
    expect(output).toContain('DATABASE_URL')
    expect(output).not.toContain('hunter2')
  })

  it('exits 1 when DATABASE_URL names a server that does not answer', async () => {
    const { code, output } = await runApiServerToExit({
      DATABASE_URL: 'postgresql://postgres:hunter2@127.0.0.1:9/nowhere',
    })
    expect(code).toBe(1)
    expect(output).toContain('cannot open the database named by DATABASE_URL')
    expect(output).not.toContain('hunter2')
  })

  it('exits 1 when the port is taken', async () => {
    const { createServer } = await import('node:net')
    const blocker = createServer()
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r))
    const address = blocker.address()
    const port = typeof address === 'object' && address ? address.port : 0
    try {
      const { code, output } = await runApiServerToExit({
        PORT: String(port),
        DATABASE_URL: 'pglite:memory:',
      })
      expect(code).toBe(1)
      expect(output).toContain('cannot listen on HOST:PORT')
    } finally {
      blocker.close()
    }
  })
})
