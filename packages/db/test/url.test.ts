import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  connectionParamsFromUrl,
  DatabaseUrlError,
  defaultDatabaseUrl,
  findWorkspaceRoot,
  parseDatabaseUrl,
  redactDatabaseUrl,
} from '../src/url'

describe('parseDatabaseUrl', () => {
  it('accepts PostgreSQL URLs as they are', () => {
    for (const url of [
      'postgresql://u:p@db.example:5433/app?sslmode=require',
      'postgres://localhost/app',
      'POSTGRESQL://localhost/app',
      'postgresql:///app?host=/run/postgresql',
    ]) {
      expect(parseDatabaseUrl(url)).toEqual({ kind: 'postgres', url })
    }
  })

  it('resolves pglite folders against the given directory', () => {
    expect(parseDatabaseUrl('pglite:/var/lib/app', '/x')).toEqual({
      kind: 'pglite',
      dir: '/var/lib/app',
    })
    expect(parseDatabaseUrl('pglite:./data/db', '/srv/app')).toEqual({
      kind: 'pglite',
      dir: '/srv/app/data/db',
    })
    expect(parseDatabaseUrl('pglite:data', '/srv/app')).toEqual({
      kind: 'pglite',
      dir: '/srv/app/data',
    })
    expect(parseDatabaseUrl('pglite:///abs/dir', '/x')).toEqual({ kind: 'pglite', dir: '/abs/dir' })
  })

  it('defaults relative folders to the directory the command was run in (INIT_CWD)', () => {
    const saved = process.env.INIT_CWD
    process.env.INIT_CWD = '/somewhere/else'
    try {
      expect(parseDatabaseUrl('pglite:db')).toEqual({ kind: 'pglite', dir: '/somewhere/else/db' })
    } finally {
      if (saved === undefined) delete process.env.INIT_CWD
      else process.env.INIT_CWD = saved
    }
  })

  it('knows the in-memory database', () => {
    expect(parseDatabaseUrl('pglite:memory:')).toEqual({ kind: 'pglite', dir: null })
    expect(parseDatabaseUrl('  pglite:memory:  ')).toEqual({ kind: 'pglite', dir: null })
  })

  it.each([
    ['', /is empty/],
    ['   ', /is empty/],
    ['mysql://root:hunter2@localhost/db', /unsupported scheme "mysql:"/],
    ['file:./dev.db', /unsupported scheme "file:"/],
    ['localhost:5432', /unsupported scheme|not a URL/],
    ['just words', /not a URL/],
    ['pglite:', /names no folder/],
    ['postgresql://', /has no host/],
  ])('rejects %j naming DATABASE_URL and what is accepted', (raw, reason) => {
    let error: unknown
    try {
      parseDatabaseUrl(raw)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(DatabaseUrlError)
    const message = (error as Error).message
    expect(message).toMatch(reason)
    expect(message).toMatch(/^DATABASE_URL /)
    expect(message).toContain('postgresql://')
    expect(message).toContain('pglite:<directory>')
    expect(message).toContain('pglite:memory:')
    expect(message).not.toContain('hunter2')
  })
})

describe('defaultDatabaseUrl', () => {
  const root = mkdtempSync(join(tmpdir(), 'wxapp-url-'))
  afterAll(() => rmSync(root, { recursive: true, force: true }))

  it('is data/pglite under the nearest folder holding pnpm-workspace.yaml', () => {
    writeFileSync(join(root, 'pnpm-workspace.yaml'), 'packages: []\n')
    const deep = join(root, 'apps', 'server')
    mkdirSync(deep, { recursive: true })
    expect(findWorkspaceRoot(deep)).toBe(root)
    expect(defaultDatabaseUrl(deep)).toBe(`pglite:${join(root, 'data', 'pglite')}`)
  })

  it('falls back to the directory itself outside a workspace', () => {
    const outside = mkdtempSync(join(tmpdir(), 'wxapp-nows-'))
    try {
      expect(defaultDatabaseUrl(outside)).toBe(`pglite:${join(outside, 'data', 'pglite')}`)
    } finally {
      rmSync(outside, { recursive: true, force: true })
    }
  })

  it('points into this repository when run from it', () => {
    const repo = resolve(import.meta.dirname, '../../..')
    expect(defaultDatabaseUrl(import.meta.dirname)).toBe(`pglite:${join(repo, 'data', 'pglite')}`)
  })
})

describe('redactDatabaseUrl', () => {
  it('hides passwords and leaves the rest readable', () => {
    expect(redactDatabaseUrl('postgresql://app:s3cr%40t@db:5432/app?sslmode=require')).toBe(
      'postgresql://app:***@db:5432/app?sslmode=require',
    )
    expect(redactDatabaseUrl('postgresql://db/app?password=x')).toBe(
      'postgresql://db/app?password=***',
    )
    expect(redactDatabaseUrl('postgresql://app@db/app')).toBe('postgresql://app@db/app')
    expect(redactDatabaseUrl('pglite:/data/db')).toBe('pglite:/data/db')
  })
})

describe('connectionParamsFromUrl', () => {
  it('splits a URL into separate parameters', () => {
    expect(
      connectionParamsFromUrl('postgresql://ap%40p:p%3Ass@db.example:6543/my%20db?schema=tenant'),
    ).toMatchObject({
      host: 'db.example',
      port: 6543,
      user: 'ap@p',
      password: 'p:ss',
      database: 'my db',
      schema: 'tenant',
      ssl: undefined,
    })
  })

  it('maps sslmode and Unix socket hosts', () => {
    expect(connectionParamsFromUrl('postgresql://h/db?sslmode=require').ssl).toEqual({
      rejectUnauthorized: false,
    })
    expect(connectionParamsFromUrl('postgresql://h/db?sslmode=verify-full').ssl).toEqual({
      rejectUnauthorized: true,
    })
    expect(connectionParamsFromUrl('postgresql:///db?host=/run/postgresql').host).toBe(
      '/run/postgresql',
    )
  })
})
