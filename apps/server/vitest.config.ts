import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each suite starts real server processes and databases: give them time,
    // and keep the two cores from running every suite at once.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
})
