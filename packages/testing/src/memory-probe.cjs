// Preloaded into a process under test (NODE_OPTIONS=--require, see memory.ts):
// appends one JSON line per WXAPP_MEMORY_PROBE_MS to WXAPP_MEMORY_PROBE_FILE
// with the process's memory right after a full GC, so the live heap can be
// compared over a soak without adding anything to the server itself.
// CommonJS and dependency-free: it runs before the entry point is loaded.
const { appendFileSync } = require('node:fs')
const v8 = require('node:v8')
const vm = require('node:vm')

// Set by the test for the process it samples (never through turbo).
const { WXAPP_MEMORY_PROBE_FILE: file, WXAPP_MEMORY_PROBE_MS: every = '2000' } = process.env

if (file) {
  // gc() without --expose-gc on the command line (NODE_OPTIONS may not carry V8 flags).
  v8.setFlagsFromString('--expose-gc')
  const gc = vm.runInNewContext('gc')
  const sample = () => {
    gc()
    const m = process.memoryUsage()
    const line = {
      t: Date.now(),
      rss: m.rss,
      heapUsed: m.heapUsed,
      heapTotal: m.heapTotal,
      external: m.external,
      arrayBuffers: m.arrayBuffers,
    }
    try {
      appendFileSync(file, `${JSON.stringify(line)}\n`)
    } catch {
      // The test removed its folder: nothing left to report to.
    }
  }
  // Unref'd: the probe must not keep a stopping process alive.
  setInterval(sample, Number(every)).unref()
}
