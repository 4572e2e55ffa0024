// The deployable artifact (`pnpm deploy:server <dir>`), run from a folder
// outside the repository as a user runs it: `node main.js migrate`, then
// `node main.js` against PostgreSQL and the simulator, and a login.
import { mkdir, readdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { createTestPostgres, type TestPostgres } from '@wxapp/db/testing'
import {
  deployServerArtifact,
  parseLogLines,
  type RunningProcess,
  runApiServerToExit,
  type ServerArtifact,
  SIM_DEV_APPID,
  startApiServer,
  startSimulator,
} from '@wxapp/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchApp } from './login-fixture'

let artifact: ServerArtifact
let sim: RunningProcess
const databases: TestPostgres[] = []
const servers: RunningProcess[] = []

async function freshDatabase(): Promise<string> {
  const db = await createTestPostgres()
  databases.push(db)
  return db.url
}

beforeAll(async () => {
  artifact = await deployServerArtifact()
  sim = await startSimulator()
}, 180_000)

afterAll(async () => {
  for (const server of servers) await server.stop()
  await sim?.stop()
  for (const db of databases) await db.drop()
  await artifact?.remove()
})

describe('the server artifact', () => {
  it('holds the bundle, its migrations and the packages with files of their own, and nothing else', async () => {
    expect((await readdir(artifact.dir)).sort()).toEqual(
      ['main.js', 'main.js.map', 'migrations', 'node_modules', 'package.json'].sort(),
    )
    const migrations = await readdir(join(artifact.dir, 'migrations'))
    const repo = await readdir(join(import.meta.dirname, '../../../prisma/migrations'))
    expect(migrations.sort()).toEqual(repo.sort())
    const modules = await readdir(join(artifact.dir, 'node_modules/@electric-sql'))
    expect(modules).toEqual(expect.arrayContaining(['pglite', 'pglite-socket']))
    expect(await readdir(join(artifact.dir, 'node_modules'))).toEqual(
      expect.arrayContaining(['@electric-sql', '@prisma']),
    )
    expect(await readdir(join(artifact.dir, 'node_modules/@prisma'))).toEqual([
      'schema-engine-wasm',
    ])
  })

  it('migrates with `node main.js migrate`, then serves a login from outside the repository', async () => {
    const url = await freshDatabase()
    const first = await runApiServerToExit(
      { DATABASE_URL: url },
      { entry: artifact.entry, args: ['migrate'] },
    )
    expect(first.code, first.output).toBe(0)
    const applied = parseLogLines(first.output).find((l) => l.msg === 'applied database migrations')
    expect(applied?.applied).toHaveLength(
      (await readdir(join(artifact.dir, 'migrations'))).length - 1,
    )

    const again = await runApiServerToExit(
      { DATABASE_URL: url },
      { entry: artifact.entry, args: ['migrate'] },
    )
    expect(again.code).toBe(0)
    expect(parseLogLines(again.output).some((l) => l.msg === 'database is up to date')).toBe(true)

    const server = await startApiServer(
      { DATABASE_URL: url, MIGRATE_ON_START: 'false', WECHAT_API_BASE: sim.url },
      undefined,
      { entry: artifact.entry },
    )
    servers.push(server)
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200)
    const app = launchApp({
      apiUrl: server.url,
      simUrl: sim.url,
      appid: SIM_DEV_APPID,
      user: 'artifact-user',
    })
    const me = await app.api.user.me.query()
    expect(me.id).toMatch(/\S/)
    expect(app.counters.authLogins).toBe(1)
    // The fast path comes with the bundle (it checks the tRPC version compiled in).
    expect(server.logs().some((l) => String(l.msg).startsWith('tRPC fast path off'))).toBe(false)
  })

  it('creates and migrates an embedded database (PGlite and its WASM files come with it)', async () => {
    const dir = join(artifact.dir, 'data-test')
    const server = await startApiServer({ DATABASE_URL: `pglite:${dir}` }, 120_000, {
      entry: artifact.entry,
    })
    servers.push(server)
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200)
    expect(server.logs().some((l) => l.msg === 'applied database migrations')).toBe(true)
    expect(await server.stop()).toBe(0)
  })

  it('refuses to serve a database that lacks migrations it knows, naming them', async () => {
    const url = await freshDatabase()
    const run = await runApiServerToExit(
      { DATABASE_URL: url, MIGRATE_ON_START: 'false' },
      { entry: artifact.entry },
    )
    expect(run.code).toBe(1)
    const fatal = parseLogLines(run.output).find((l) => l.level === 60)
    expect(fatal?.msg).toMatch(/lacks migrations.*node main\.js migrate/)
    expect(fatal?.missing).toEqual(
      (await readdir(join(artifact.dir, 'migrations'))).filter((n) => n !== 'migration_lock.toml'),
    )
  })

  it('refuses to serve or migrate when it knows no migrations', async () => {
    const empty = join(artifact.dir, 'no-migrations')
    await mkdir(empty)
    try {
      for (const args of [[], ['migrate']]) {
        const run = await runApiServerToExit(
          { DATABASE_URL: await freshDatabase(), MIGRATIONS_DIR: empty },
          { entry: artifact.entry, args },
        )
        expect(run.code, run.output).toBe(1)
        expect(parseLogLines(run.output).find((l) => l.level === 60)?.msg).toMatch(
          /knows no migrations/,
        )
      }
    } finally {
      await rm(empty, { recursive: true, force: true })
    }
  })

  it('answers an unknown command with its usage and exit code 2', async () => {
    const run = await runApiServerToExit({}, { entry: artifact.entry, args: ['migrat'] })
    expect(run.code).toBe(2)
    expect(run.output).toMatch(/unknown command "migrat"[\s\S]*node main\.js migrate/)
  })
})

describe('the Dockerfile and container.config.json', () => {
  const root = join(import.meta.dirname, '../../..')

  it('build the image with the commands this test runs, and run it as the README says', async () => {
    const dockerfile = await readFile(join(root, 'Dockerfile'), 'utf8')
    const { packageManager, scripts } = JSON.parse(
      await readFile(join(root, 'package.json'), 'utf8'),
    )
    const [buildStage = '', runStage = ''] = dockerfile.split(/^FROM /m).slice(1)
    expect(buildStage).toMatch(/^node:20-slim AS build/)
    expect(runStage).toMatch(/^node:20-slim\n/)
    const runs = [...buildStage.matchAll(/^RUN (.+)$/gm)].map((m) => m[1])
    // What the suite does: .ci/run installs pnpm and the lockfile, turbo's test
    // task builds the server, and deployServerArtifact runs deploy:server --no-build.
    expect(runs).toEqual([
      `npm install --global ${packageManager}`,
      'pnpm install --frozen-lockfile',
      'pnpm exec turbo run build --filter=@wxapp/server',
      'pnpm deploy:server /server --no-build',
    ])
    expect(scripts['deploy:server']).toBe('node scripts/deploy-server.mjs')
    expect(runStage).toMatch(/^USER node$/m)
    expect(runStage).toMatch(/HOST=0\.0\.0\.0/)
    expect(runStage).toMatch(/^HEALTHCHECK .*\n.*\/healthz/m)
    expect(runStage).toMatch(/^CMD \["node", "main\.js"\]$/m)
  })

  it('tell WeChat Cloud Hosting the port the image listens on', async () => {
    const dockerfile = await readFile(join(root, 'Dockerfile'), 'utf8')
    const config = JSON.parse(await readFile(join(root, 'container.config.json'), 'utf8'))
    const port = /PORT=(\d+)/.exec(dockerfile)?.[1]
    expect(config.containerPort).toBe(Number(port))
    expect(config.dockerfilePath).toBe('Dockerfile')
    expect(Object.values(config.envParams).every((v) => typeof v === 'string')).toBe(true)
  })
})
