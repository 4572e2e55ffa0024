import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The cache tests open PGlite (a WASM PostgreSQL) and PostgreSQL databases.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
})
