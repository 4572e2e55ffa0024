import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // build-output.test.ts reads dist/ and dist-h5/: run `pnpm build` first (turbo does).
    testTimeout: 15_000,
  },
})
