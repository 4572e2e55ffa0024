import { join } from 'node:path'
import { type RunningProcess, runNodeToExit, startNodeProcess, workspaceRoot } from './processes'

export const simulatorEntry = join(workspaceRoot, 'packages/wechat-sim/dist/main.js')

/**
 * The simulator's development app. Mirrors SIM_DEV_APPID/SIM_DEV_SECRET of
 * @wxapp/wechat-sim (a test there checks they agree): this package cannot
 * depend on the simulator, whose tests depend on this package.
 */
export const SIM_DEV_APPID = 'wx_sim_dev_app'
export const SIM_DEV_SECRET = 'sim_dev_secret_0123456789abcdef'

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
