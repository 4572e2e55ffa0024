// The mini-program's production weapp build: how long it takes, and how large
// its output is (bytes without source maps: what is uploaded to WeChat).
import { spawn } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { workspaceRoot } from '@wxapp/testing'

export interface WeappResult {
  buildSeconds: number
  bytes: number
  files: number
  /** The largest files, for the record. */
  largest: { file: string; bytes: number }[]
}

const DIST = join(workspaceRoot, 'apps/miniprogram/dist')

function outputFiles(dir: string, prefix = ''): { file: string; bytes: number }[] {
  const files: { file: string; bytes: number }[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    const name = prefix ? `${prefix}/${entry.name}` : entry.name
    if (entry.isDirectory()) files.push(...outputFiles(path, name))
    else if (!entry.name.endsWith('.map')) files.push({ file: name, bytes: statSync(path).size })
  }
  return files
}

export async function benchWeapp(): Promise<WeappResult> {
  const started = performance.now()
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn('pnpm', ['--filter', '@wxapp/miniprogram', 'build:weapp'], {
      cwd: workspaceRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_ENV: 'production' },
    })
    let output = ''
    child.stdout.on('data', (chunk) => {
      output += chunk
    })
    child.stderr.on('data', (chunk) => {
      output += chunk
    })
    child.once('error', reject)
    child.once('close', (exit) => {
      if (exit !== 0) process.stderr.write(output)
      resolve(exit)
    })
  })
  const buildSeconds = (performance.now() - started) / 1000
  if (code !== 0) throw new Error(`build:weapp failed (${code})`)
  const files = outputFiles(DIST)
  return {
    buildSeconds,
    bytes: files.reduce((sum, f) => sum + f.bytes, 0),
    files: files.length,
    largest: files.sort((a, b) => b.bytes - a.bytes).slice(0, 3),
  }
}
