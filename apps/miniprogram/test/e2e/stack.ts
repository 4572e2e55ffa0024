/*
 * The real back end for the end-to-end tests: the built WeChat simulator and the built
 * API server (PGlite in memory, uploads and data in a temp folder), each on a free
 * loopback port, through @wxapp/testing. Plus what a test needs to watch and arrange:
 * how many login codes WeChat exchanged (the simulator's jscode2session count), and a
 * typed API client logged in as a simulated WeChat user ("another device").
 *
 * Every resource is registered with a Cleanup as soon as it exists, so a test file's
 * afterAll stops whatever was started, also when a later start failed.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createTRPCClient, httpBatchLink, type TRPCClient } from '@trpc/client'
import type { AppRouter } from '@wxapp/api'
import {
  type RunningProcess,
  SIM_DEV_APPID,
  SIM_DEV_SECRET,
  startApiServer,
  startSimulator,
} from '@wxapp/testing'
import { createSimControl, type SimControl } from '@wxapp/wechat-sim/client'

/** Stops what was started, last first; every step runs even when one fails. */
export class Cleanup {
  private readonly steps: Array<{ name: string; run: () => Promise<unknown> }> = []

  add(name: string, run: () => Promise<unknown>): void {
    this.steps.push({ name, run })
  }

  async run(): Promise<void> {
    const failures: string[] = []
    for (const step of this.steps.splice(0).reverse()) {
      try {
        await step.run()
      } catch (error) {
        failures.push(`${step.name}: ${(error as Error).message}`)
      }
    }
    if (failures.length > 0) throw new Error(`cleanup failed:\n${failures.join('\n')}`)
  }
}

export interface Stack {
  sim: RunningProcess
  api: RunningProcess
  appid: string
  control: SimControl
  /** Login codes the API server exchanged with WeChat so far (jscode2session calls). */
  codesExchanged(): Promise<number>
  /** Logs in as simulated WeChat user `user` from another device; returns its token. */
  loginAs(user: string): Promise<string>
  /** A typed API client sending this token. */
  client(token: string): TRPCClient<AppRouter>
}

/** Starts the simulator and the API server (which allows `corsOrigins`, if given). */
export async function startStack(
  cleanup: Cleanup,
  opts: { corsOrigins?: string[] } = {},
): Promise<Stack> {
  const dir = await mkdtemp(path.join(tmpdir(), 'wxapp-e2e-'))
  cleanup.add('temp folder', () => rm(dir, { recursive: true, force: true }))

  const sim = await startSimulator()
  cleanup.add('simulator', async () => {
    const code = await sim.stop()
    if (code !== 0) throw new Error(`simulator exited ${code}:\n${sim.output().slice(-2000)}`)
  })

  const api = await startApiServer({
    DATABASE_URL: 'pglite:memory:',
    WECHAT_API_BASE: sim.url,
    WECHAT_APPID: SIM_DEV_APPID,
    WECHAT_SECRET: SIM_DEV_SECRET,
    UPLOAD_DIR: path.join(dir, 'uploads'),
    DATA_DIR: path.join(dir, 'data'),
    LOG_LEVEL: 'warn',
    // Tests slow WeChat down on purpose (simulator faults): far from the server's limit.
    WECHAT_TIMEOUT_MS: '15000',
    ...(opts.corsOrigins ? { CORS_ORIGINS: opts.corsOrigins.join(',') } : {}),
  })
  cleanup.add('API server', async () => {
    const code = await api.stop()
    if (code !== 0) throw new Error(`API server exited ${code}:\n${api.output().slice(-2000)}`)
  })

  const control = createSimControl({ baseUrl: sim.url })
  const client = (token: string) =>
    createTRPCClient<AppRouter>({
      links: [
        httpBatchLink({
          url: `${api.url}/trpc`,
          headers: { authorization: `Bearer ${token}`, 'x-wx-appid': SIM_DEV_APPID },
        }),
      ],
    })

  return {
    sim,
    api,
    appid: SIM_DEV_APPID,
    control,
    async codesExchanged() {
      const stats = await control.stats()
      return stats[SIM_DEV_APPID]?.jscode2session ?? 0
    },
    async loginAs(user) {
      const code = await control.login({ appid: SIM_DEV_APPID, user })
      const anonymous = createTRPCClient<AppRouter>({
        links: [httpBatchLink({ url: `${api.url}/trpc` })],
      })
      const result = await anonymous.auth.login.mutate({
        code,
        appid: SIM_DEV_APPID,
        client: { platform: 'node', model: 'e2e-test' },
      })
      return result.token
    },
    client,
  }
}
