import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // `pnpm dev` compiles the weapp and H5 builds before it is fully up.
    testTimeout: 240_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
})
