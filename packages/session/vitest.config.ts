import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Server tests open real databases (PGlite start-up costs seconds).
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
})
