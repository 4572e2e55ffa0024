import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Real databases: a PGlite instance costs 0.6-3 s of WASM start-up, a
    // folder-backed one up to 7 s to create; one case waits out the engine's
    // 10 s advisory-lock timeout on purpose.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // Child processes, not worker threads: some tests spawn the CLI and the
    // WASM engines are per-process singletons.
    pool: 'forks',
    // Much of the time is spent waiting (on PostgreSQL, child processes, a
    // lock timeout), so more files run at once than there are CPUs.
    maxWorkers: 4,
  },
})
