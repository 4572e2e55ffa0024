import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The process tests start the built simulator (a Node process each).
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
})
