#!/usr/bin/env node
// `pnpm deploy:server <dir>`: the API server as a folder that runs with
// Node.js alone: `node <dir>/main.js` serves, `node <dir>/main.js migrate`
// migrates. It holds the self-contained bundle (every package compiled in,
// see scripts/bundle-node.mjs), the migrations it was built with, and the
// few packages that read their own files at run time (PGlite's WASM and data
// files, Prisma's schema engine), copied with what they depend on from the
// installed tree, so their versions are the lockfile's.
//
// Written by hand rather than with `pnpm deploy --prod`: that one installs the
// server's whole dependency tree (372 MB here, the Prisma CLI and TypeScript
// among it, as peers of @prisma/client) for what a 8 MB bundle already holds.
import { spawnSync } from 'node:child_process'
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'

const root = resolve(dirname(new URL(import.meta.url).pathname), '..')
const serverDir = join(root, 'apps/server')
const args = process.argv.slice(2)
const skipBuild = args.includes('--no-build')
const target = args.find((a) => !a.startsWith('--'))
if (!target) {
  console.error('usage: pnpm deploy:server <dir> [--no-build]')
  process.exit(2)
}
// pnpm runs root scripts in the root; a relative <dir> means the caller's directory.
const out = resolve(process.env.INIT_CWD || process.cwd(), target)
if (existsSync(out) && readdirSync(out).length > 0) {
  console.error(`${out} is not empty: give a new or empty folder`)
  process.exit(1)
}

if (!skipBuild) {
  // Turbo builds the server and what it needs, from its cache when unchanged.
  const built = spawnSync(
    'pnpm',
    ['exec', 'turbo', 'run', 'build', '--filter=@wxapp/server', '--output-logs=errors-only'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  )
  if (built.status !== 0) process.exit(built.status ?? 1)
}

const pkg = JSON.parse(readFileSync(join(serverDir, 'package.json'), 'utf8'))
const dist = join(serverDir, 'dist')
if (!existsSync(join(dist, 'main.js')) || !existsSync(join(dist, 'migrations'))) {
  console.error('apps/server/dist has no main.js or migrations: run `pnpm build` first')
  process.exit(1)
}
mkdirSync(out, { recursive: true })
cpSync(dist, out, { recursive: true })
writeFileSync(
  join(out, 'package.json'),
  `${JSON.stringify(
    {
      name: pkg.name,
      version: pkg.version,
      private: true,
      type: 'module',
      engines: { node: '>=20.19' },
    },
    null,
    2,
  )}\n`,
)

/** Where `name` resolves from `from`, as Node would find it (pnpm's layout has symlinks). */
function packageDir(name, from) {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name)
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate)
    if (dirname(dir) === dir) throw new Error(`cannot find ${name} from ${from}`)
  }
}

const copied = new Map()
function copyPackage(name, from) {
  if (copied.has(name)) return
  const dir = packageDir(name, from)
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
  copied.set(name, manifest.version)
  cpSync(dir, join(out, 'node_modules', name), { recursive: true, dereference: true })
  const needs = { ...manifest.dependencies, ...manifest.peerDependencies }
  for (const dep of Object.keys(needs)) {
    const optional = manifest.peerDependenciesMeta?.[dep]?.optional
    try {
      copyPackage(dep, dir)
    } catch (error) {
      if (!optional) throw error
    }
  }
}
for (const name of pkg.bundle.external) copyPackage(name, serverDir)

function size(path) {
  const s = statSync(path)
  if (!s.isDirectory()) return s.size
  return readdirSync(path).reduce((sum, entry) => sum + size(join(path, entry)), 0)
}
const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`
console.log(`deployed ${pkg.name} to ${relative(process.cwd(), out) || '.'}: ${mb(size(out))}`)
console.log(
  `  main.js ${mb(size(join(out, 'main.js')))} (+ ${mb(size(join(out, 'main.js.map')))} source map)`,
)
for (const [name, version] of copied) {
  console.log(`  node_modules/${name}@${version} ${mb(size(join(out, 'node_modules', name)))}`)
}
