import { join } from 'node:path'
import { DEV_APP } from '@wxapp/env'
import { type RunningProcess, runNodeToExit, startNodeProcess, workspaceRoot } from './processes'

export const simulatorEntry = join(workspaceRoot, 'packages/wechat-sim/dist/main.js')

/** The simulator's development app (the one of @wxapp/env, which the simulator knows too). */
export const SIM_DEV_APPID = DEV_APP.appid
export const SIM_DEV_SECRET = DEV_APP.secret

const defaults = { LOG_LEVEL: 'info' }

/**
 * The built WeChat simulator (`packages/wechat-sim/dist/main.js`) on a free
 * loopback port; `env` adds to the defaults (with no WECHAT_APPID/SECRET it
 * knows the development app above).
 */
export function startSimulator(
  env: Record<string, string> = {},
  timeoutMs?: number,
): Promise<RunningProcess> {
  return startNodeProcess({
    entry: simulatorEntry,
    env: { ...defaults, ...env },
    readyPath: '/healthz',
    timeoutMs,
  })
}

/** The built simulator expected to stop by itself (bad configuration, say). */
export function runSimulatorToExit(env: Record<string, string>) {
  return runNodeToExit({ entry: simulatorEntry, env: { ...defaults, ...env } })
}
