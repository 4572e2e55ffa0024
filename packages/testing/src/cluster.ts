import type { ServerArtifact } from './artifact'
import { type Balancer, startHaproxy } from './haproxy'
import { freePort, type RunningProcess } from './processes'
import { runApiServerToExit, startApiServer } from './server'

export interface ClusterInstance {
  /** s1, s2, …: its name in the balancer and in each answer's x-served-by header. */
  readonly name: string
  readonly port: number
  readonly url: string
  /** The running process (replaced by start()). */
  process: RunningProcess | null
  /** Starts it (again) on its port. */
  start(): Promise<void>
  /** SIGTERM (a graceful stop) or SIGKILL (a crash); resolves when it has exited. */
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

export interface Cluster {
  balancer: Balancer
  instances: ClusterInstance[]
  /** Resolves once the balancer sees each named instance in the given state (UP, DOWN). */
  waitFor(states: Record<string, 'UP' | 'DOWN'>, timeoutMs?: number): Promise<void>
  stop(): Promise<void>
}

/**
 * `count` server processes from the deployed artifact on one database
 * (migrated once by `node main.js migrate`, as a deploy's release step does;
 * the servers start with MIGRATE_ON_START=false), behind HAProxy.
 */
export async function startCluster(opts: {
  artifact: ServerArtifact
  count: number
  env: Record<string, string>
}): Promise<Cluster> {
  const migrated = await runApiServerToExit(opts.env, {
    entry: opts.artifact.entry,
    args: ['migrate'],
  })
  if (migrated.code !== 0) throw new Error(`node main.js migrate failed:\n${migrated.output}`)
  const env = { MIGRATE_ON_START: 'false', ...opts.env }
  const instances: ClusterInstance[] = []
  for (let i = 1; i <= opts.count; i++) {
    const port = await freePort()
    const instance: ClusterInstance = {
      name: `s${i}`,
      port,
      url: `http://127.0.0.1:${port}`,
      process: null,
      async start() {
        instance.process = await startApiServer(env, 60_000, { entry: opts.artifact.entry, port })
      },
      async stop(signal = 'SIGTERM') {
        const running = instance.process
        instance.process = null
        return (await running?.stop(signal)) ?? null
      },
    }
    instances.push(instance)
  }
  const stopAll = async () => {
    for (const instance of instances) await instance.stop('SIGKILL').catch(() => {})
  }
  let balancer: Balancer
  try {
    // One at a time: the two cores would otherwise start them slower than one by one.
    for (const instance of instances) await instance.start()
    balancer = await startHaproxy(instances.map((i) => ({ name: i.name, port: i.port })))
  } catch (error) {
    await stopAll()
    throw error
  }
  const waitFor: Cluster['waitFor'] = async (want, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const states = await balancer.states()
      if (Object.entries(want).every(([name, state]) => states[name]?.startsWith(state))) return
      if (Date.now() > deadline) {
        throw new Error(`balancer states ${JSON.stringify(states)}, wanted ${JSON.stringify(want)}`)
      }
      await new Promise((r) => setTimeout(r, 20))
    }
  }
  await waitFor(Object.fromEntries(instances.map((i) => [i.name, 'UP'])))
  return {
    balancer,
    instances,
    waitFor,
    async stop() {
      await balancer.stop()
      await stopAll()
    },
  }
}
