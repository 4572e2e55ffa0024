#!/usr/bin/env node
// `node ../../scripts/bundle-node.mjs [entry] [outfile]`, run in a Node app's
// folder: one ESM file (default src/main.ts -> dist/main.js) with our
// workspace packages (TypeScript source) compiled in. Third-party packages
// stay external and are loaded from the app's node_modules at run time, so
// each one the bundle imports must be a dependency in the app's package.json:
// the build fails when one is not.
import { readFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { build } from 'esbuild'

const { dependencies = {} } = JSON.parse(readFileSync('package.json', 'utf8'))
const builtins = new Set(builtinModules)
const packageName = (spec) =>
  spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]

const [entry = 'src/main.ts', outfile = 'dist/main.js'] = process.argv.slice(2)
const app = JSON.parse(readFileSync('package.json', 'utf8')).name

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
          if (!(name in dependencies)) {
            return {
              errors: [
                {
                  text: `${name} (imported by ${args.importer}) must be a dependency of ${app}`,
                },
              ],
            }
          }
          return { path: args.path, external: true }
        })
      },
    },
  ],
})
console.log(`built ${app} ${outfile} in ${Math.round(performance.now() - started)} ms`)
