import { join } from 'node:path'
import { type RunningProcess, runNodeToExit, startNodeProcess, workspaceRoot } from './processes'

export const serverEntry = join(workspaceRoot, 'apps/server/dist/main.js')

const defaults = { HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info' }

/** The built API server on a free loopback port; `env` adds to or overrides the defaults. */
export function startApiServer(
  env: Record<string, string>,
  timeoutMs?: number,
): Promise<RunningProcess> {
  return startNodeProcess({
    entry: serverEntry,
    env: { ...defaults, ...env },
    readyPath: '/healthz',
    timeoutMs,
  })
}

/** The built API server expected to stop by itself (bad configuration, say). */
export function runApiServerToExit(env: Record<string, string>) {
  return runNodeToExit({ entry: serverEntry, env: { ...defaults, ...env } })
}
