import { defineConfig } from 'vitest/config'

/*
 * Two projects:
 *   unit  test/*.test.ts: fast, in-process (build-output, weapp-runtime and friends
 *         read dist/, dist-h5/, dist-qq/, dist-tt/ and dist-alipay/: run `pnpm build`
 *         first; turbo's test does).
 *   e2e   test/e2e/*.test.ts: the real API server and WeChat simulator (built
 *         processes on free loopback ports) with the H5 build in Chromium and the
 *         weapp build in miniprogram-simulate. Slow and heavy: one file at a time,
 *         after the unit tests, with timeouts for a loaded two-core machine.
 * `pnpm test` runs both; `pnpm test:unit` / `pnpm test:e2e` one of them.
 */
export default defineConfig({
  test: {
    environment: 'node',
    teardownTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/*.test.ts'],
          testTimeout: 15_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
})
