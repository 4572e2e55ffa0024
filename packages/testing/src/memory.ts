import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface MemorySample {
  /** Date.now() in the sampled process. */
  t: number
  /** Bytes, as process.memoryUsage() reports them right after a full GC. */
  rss: number
  heapUsed: number
  heapTotal: number
  external: number
  arrayBuffers: number
}

export interface MemoryProbe {
  /** Add to the environment of the process to sample (NODE_OPTIONS and the probe's settings). */
  env: Record<string, string>
  /** The samples written so far, oldest first. */
  samples(): MemorySample[]
  /** Removes the samples' folder. */
  cleanup(): void
}

const probePath = join(import.meta.dirname, 'memory-probe.cjs')

/**
 * A memory probe for a Node process under test: preloaded with --require, it
 * samples the process's memory after a full GC every `intervalMs` into a file
 * the test reads. Nothing is added to the program under test.
 */
export function memoryProbe(opts: { intervalMs?: number } = {}): MemoryProbe {
  const dir = mkdtempSync(join(tmpdir(), 'wxapp-memory-'))
  const file = join(dir, 'samples.jsonl')
  return {
    env: {
      NODE_OPTIONS: `--require ${JSON.stringify(probePath)}`,
      WXAPP_MEMORY_PROBE_FILE: file,
      WXAPP_MEMORY_PROBE_MS: String(opts.intervalMs ?? 2000),
    },
    samples() {
      let text = ''
      try {
        text = readFileSync(file, 'utf8')
      } catch {
        return []
      }
      const out: MemorySample[] = []
      for (const line of text.split('\n')) {
        if (!line) continue
        try {
          out.push(JSON.parse(line) as MemorySample)
        } catch {
          // a line still being written
        }
      }
      return out
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** A process's resident set size in bytes (Linux: /proc/<pid>/status VmRSS), or null. */
export function residentBytes(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match?.[1] ? Number(match[1]) * 1024 : null
  } catch {
    return null
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2
}

/**
 * The medians of the first and the last third of a series (medians, so one
 * sample taken mid-GC or mid-burst does not decide), and their difference.
 */
export function compareThirds(values: number[]): { first: number; last: number; growth: number } {
  const third = Math.max(1, Math.floor(values.length / 3))
  const first = median(values.slice(0, third))
  const last = median(values.slice(-third))
  return { first, last, growth: last - first }
}
