import { configOrExit } from '@wxapp/env'
import { pino } from 'pino'
import { AlipayGateway } from './alipay'
import { loadConfig } from './config'
import { ContentSecurity } from './content'
import { DEFAULT_DUPLICATE_RATE, PushDelivery } from './push'
import { createSimServer } from './server'
import { SimState } from './state'

const SWEEP_INTERVAL_MS = 30_000
const SHUTDOWN_TIMEOUT_MS = 5_000

function main(): void {
  const config = configOrExit(() => loadConfig())

  // No redaction list: nothing secret is ever passed to the logger (paths
  // only, no query strings or bodies).
  const logger = pino({ level: config.logLevel, base: { service: 'wechat-sim' } })
  const state = new SimState({
    apps: config.apps,
    qqApps: config.qqApps,
    ttApps: config.ttApps,
    alipayAppids: [config.alipay.appid],
    seed: config.seed,
  })
  // Made at start, not lazily: a generated key pair must not change while clients use it.
  const alipay = new AlipayGateway(state, config.alipay)
  const shutdown = new AbortController()
  const push = new PushDelivery({
    logger,
    now: () => state.now(),
    signal: shutdown.signal,
    ...(config.push
      ? {
          defaults: {
            ...config.push,
            duplicateRate: DEFAULT_DUPLICATE_RATE,
            retryDelayMs: config.pushRetryDelayMs,
          },
        }
      : {}),
  })
  const content = new ContentSecurity({
    state,
    logger,
    push,
    signal: shutdown.signal,
    checkDelayMs: config.mediaCheckDelayMs,
  })
  const server = createSimServer({
    state,
    logger,
    signal: shutdown.signal,
    content,
    alipay,
  })
  const sweeper = setInterval(() => state.sweep(), SWEEP_INTERVAL_MS)
  sweeper.unref()

  let stopping = false
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return
    stopping = true
    logger.info({ signal }, 'shutting down')
    clearInterval(sweeper)
    // Requests held by an injected delay answer now instead of holding the exit.
    shutdown.abort()
    // Unref'd: it fires only if something still holds the process, such as
    // kept-alive client sockets or a media download stuck in a DNS lookup
    // (not abortable); the simulator then exits anyway.
    const timer = setTimeout(() => {
      server.closeAllConnections()
      logger.warn('shutdown timed out; exiting with work in flight')
      process.exit(process.exitCode ?? 0)
    }, SHUTDOWN_TIMEOUT_MS)
    timer.unref()
    server.close(() => {
      logger.info('stopped')
      process.exitCode = 0
    })
    server.closeIdleConnections()
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)

  server.once('error', (error) => {
    logger.fatal({ err: error, host: config.host, port: config.port }, 'cannot listen on HOST:PORT')
    process.exitCode = 1
  })
  server.listen(config.port, config.host, () => {
    const address = server.address()
    const port = typeof address === 'object' && address ? address.port : config.port
    logger.info(
      {
        url: `http://${config.host}:${port}`,
        apps: state.appids(),
        openids: config.seed ? 'stable across restarts (SIM_SEED)' : 'stable for this process',
        // Which keys are generated, never the keys themselves.
        alipayKeys: `app key ${config.alipay.appPublicKey ? 'from SIM_ALIPAY_APP_PUBLIC_KEY' : 'generated (GET /sim/alipay-keys)'}, answers signed with ${config.alipay.privateKey ? 'SIM_ALIPAY_PRIVATE_KEY' : 'a generated key'}`,
        push: config.push ? (config.push.aesKey ? 'safe mode' : 'plain mode') : 'not configured',
      },
      'wechat simulator listening',
    )
    if (!['127.0.0.1', 'localhost', '::1'].includes(config.host)) {
      logger.warn(
        { host: config.host },
        'listening beyond loopback: anyone who can reach it can mint login codes',
      )
    }
  })
}

main()
