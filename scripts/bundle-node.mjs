#!/usr/bin/env node
// `node ../../scripts/bundle-node.mjs [entry] [outfile]`, run in a Node app's
// folder: one ESM file (default src/main.ts -> dist/main.js) with our
// workspace packages (TypeScript source) compiled in.
//
// Two modes, chosen by the app's package.json:
// - default: third-party packages stay external and are loaded from the
//   app's node_modules at run time, so each one the bundle imports must be a
//   dependency in the app's package.json (the build fails when one is not);
// - `"bundle": { "external": [...] }`: a self-contained bundle (what a server
//   artifact ships): every package is compiled in except those listed, which
//   are the ones that read their own files at run time (WASM, data files) and
//   are copied beside the bundle by scripts/deploy-node.mjs.
//   `"bundle": { "copy": { "<from>": "<to inside dist>" } }` copies folders
//   the bundle reads (the server's migrations) next to it.
import { cpSync, readFileSync, rmSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { dirname, join } from 'node:path'
import { build } from 'esbuild'

const pkg = JSON.parse(readFileSync('package.json', 'utf8'))
const { dependencies = {}, name: app, bundle: options } = pkg
const selfContained = Array.isArray(options?.external)
const kept = new Set(options?.external ?? [])
const builtins = new Set(builtinModules)
const packageName = (spec) =>
  spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]

const [entry = 'src/main.ts', outfile = 'dist/main.js'] = process.argv.slice(2)

const started = performance.now()
await build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  // CommonJS packages compiled into an ES module still call require().
  banner: selfContained
    ? {
        js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);",
      }
    : undefined,
  plugins: [
    {
      name: 'external-third-party',
      setup(b) {
        b.onResolve({ filter: /^[^./]/ }, (args) => {
          if (args.path.startsWith('node:') || builtins.has(args.path)) {
            return { path: args.path, external: true }
          }
          const name = packageName(args.path)
          if (name.startsWith('@wxapp/')) return undefined
          // What a third-party package imports comes with it (self-contained mode).
          if (selfContained && args.importer.includes('/node_modules/')) {
            // pg's optional native driver, behind a try/require, is not installed.
            if (name === 'pg-native' || kept.has(name)) return { path: args.path, external: true }
            return undefined
          }
          if (!(name in dependencies)) {
            return {
              errors: [
                {
                  text: `${name} (imported by ${args.importer}) must be a dependency of ${app}`,
                },
              ],
            }
          }
          if (selfContained && !kept.has(name)) return undefined
          return { path: args.path, external: true }
        })
      },
    },
  ],
})
for (const [from, to] of Object.entries(options?.copy ?? {})) {
  const target = join(dirname(outfile), to)
  rmSync(target, { recursive: true, force: true })
  cpSync(from, target, { recursive: true })
}
console.log(`built ${app} ${outfile} in ${Math.round(performance.now() - started)} ms`)
