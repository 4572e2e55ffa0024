import { join } from 'node:path'
import { DEV_APP } from '@wxapp/env'
import { type RunningProcess, runNodeToExit, startNodeProcess, workspaceRoot } from './processes'

export const serverEntry = join(workspaceRoot, 'apps/server/dist/main.js')

/** The data key the test servers encrypt session_keys with (tests may decrypt with it). */
export const TEST_DATA_KEY = Buffer.alloc(32, 0x5a).toString('base64')

/**
 * Defaults for a server under test: the simulator's development app, a
 * WeChat API address where nothing listens (tests that log in pass the
 * simulator's), a fixed data key instead of one written into the repo's data
 * folder, and no login rate limits (the tests of those set them).
 */
const defaults: Record<string, string> = {
  HOST: '127.0.0.1',
  PORT: '0',
  LOG_LEVEL: 'info',
  WECHAT_APPID: DEV_APP.appid,
  WECHAT_SECRET: DEV_APP.secret,
  WECHAT_API_BASE: 'http://127.0.0.1:9',
  DATA_ENCRYPTION_KEY: TEST_DATA_KEY,
  LOGIN_RATE_LIMIT: '0',
  LOGIN_RATE_LIMIT_PER_USER: '0',
}

/**
 * The built API server on a free loopback port (or `opts.port`, to restart it
 * where its clients look); `env` adds to or overrides the defaults.
 */
export function startApiServer(
  env: Record<string, string>,
  timeoutMs?: number,
  opts: { port?: number /** Another build: a deployed artifact's main.js. */; entry?: string } = {},
): Promise<RunningProcess> {
  const { entry = serverEntry, ...rest } = opts
  return startNodeProcess({
    entry,
    env: { ...defaults, ...env },
    readyPath: '/healthz',
    timeoutMs,
    ...rest,
  })
}

/** The built API server expected to stop by itself (bad configuration, say, or `migrate`). */
export function runApiServerToExit(
  env: Record<string, string>,
  opts: { entry?: string; args?: string[] } = {},
) {
  return runNodeToExit({
    entry: opts.entry ?? serverEntry,
    args: opts.args,
    env: { ...defaults, ...env },
  })
}
