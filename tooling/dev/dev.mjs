#!/usr/bin/env node
// `pnpm dev`: everything for development in one terminal. Each part runs in
// its own process group with its output prefixed; JSON log lines are printed
// readably. Ctrl-C (or SIGTERM) stops every part and waits for it to exit.
import { spawn, spawnSync } from 'node:child_process'
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { stripVTControlCharacters } from 'node:util'

const root = join(dirname(fileURLToPath(import.meta.url)), '../..')
const color = process.stdout.isTTY && !process.env.NO_COLOR
const paint = (code, text) => (color ? `\x1b[${code}m${text}\x1b[0m` : text)
const LEVELS = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' }

const serverPort = process.env.PORT ?? '3000'
const simPort = process.env.SIM_PORT ?? '4000'
const simUrl = `http://127.0.0.1:${simPort}`
const h5Port = process.env.H5_PORT ?? '10086'
const h5Url = `http://127.0.0.1:${h5Port}`
const apiUrl = process.env.TARO_APP_API_URL ?? `http://127.0.0.1:${serverPort}`
// Real credentials in the environment mean real WeChat; without them the
// server logs users in through the local simulator's development app.
const realWechat = Boolean(process.env.WECHAT_APPID && process.env.WECHAT_SECRET)
const devApp = createRequire(import.meta.url)('@wxapp/env/dev-app.json')
const SIM_DEV_APP = { WECHAT_APPID: devApp.appid, WECHAT_SECRET: devApp.secret }
// The simulator pushes content-check verdicts to the server in safe mode, as
// WeChat does, with a Token and an EncodingAESKey made up for this run.
const letters = (n) =>
  randomBytes(n * 2)
    .toString('base64')
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, n)
const DEV_PUSH = { token: letters(32), aesKey: letters(43) }

// QQ, Douyin and Alipay log in through the simulator's development apps too.
// Alipay signs both ways (RSA2): the app's key pair and "Alipay's" are made
// for this run, each side given its private key and the other's public one.
const platformApps = createRequire(import.meta.url)('@wxapp/env/dev-platform-apps.json')
const rsaPair = () => {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  return {
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  }
}
const alipayApp = rsaPair()
const alipayGateway = rsaPair()
const qqApps = `${platformApps.qq.appid}:${platformApps.qq.secret}`
const ttApps = `${platformApps.tt.appid}:${platformApps.tt.secret}`
const SIM_PLATFORMS = {
  SIM_QQ_APPS: qqApps,
  SIM_TT_APPS: ttApps,
  SIM_ALIPAY_APPID: platformApps.alipay.appid,
  SIM_ALIPAY_APP_PUBLIC_KEY: alipayApp.publicKey,
  SIM_ALIPAY_PRIVATE_KEY: alipayGateway.privateKey,
}
const SERVER_PLATFORMS = {
  QQ_APPS: qqApps,
  QQ_API_BASE: `${simUrl}/qq`,
  TT_APPS: ttApps,
  TT_API_BASE: `${simUrl}/tt`,
  ALIPAY_APPID: platformApps.alipay.appid,
  ALIPAY_PRIVATE_KEY: alipayApp.privateKey,
  ALIPAY_PUBLIC_KEY: alipayGateway.publicKey,
  ALIPAY_GATEWAY: `${simUrl}/alipay/gateway.do`,
}

const parts = [
  ...(realWechat
    ? []
    : [
        {
          name: 'sim',
          color: 35,
          args: ['--filter', '@wxapp/wechat-sim', 'dev'],
          // A fixed seed keeps openids (so users) stable across restarts.
          env: {
            PORT: simPort,
            SIM_SEED: process.env.SIM_SEED ?? 'wxapp-dev',
            ...SIM_DEV_APP,
            SIM_PUSH_URL: `${apiUrl}/wechat/push`,
            SIM_PUSH_TOKEN: DEV_PUSH.token,
            SIM_PUSH_AES_KEY: DEV_PUSH.aesKey,
            ...SIM_PLATFORMS,
          },
        },
      ]),
  {
    name: 'server',
    color: 36,
    args: ['--filter', '@wxapp/server', 'dev'],
    env: {
      PORT: serverPort,
      // The H5 preview calls the API from its own origin.
      CORS_ORIGINS: process.env.CORS_ORIGINS ?? h5Url,
      ...(realWechat
        ? {}
        : {
            ...SIM_DEV_APP,
            WECHAT_API_BASE: simUrl,
            WECHAT_PUSH_TOKEN: DEV_PUSH.token,
            WECHAT_PUSH_AES_KEY: DEV_PUSH.aesKey,
            ...SERVER_PLATFORMS,
          }),
    },
  },
  {
    name: 'weapp',
    color: 32,
    args: ['--filter', '@wxapp/miniprogram', 'dev'],
    env: { TARO_APP_API_URL: apiUrl },
  },
  // A browser has no wx.login: the preview logs in through the simulator, so
  // it runs only when the simulator does.
  ...(realWechat
    ? []
    : [
        {
          name: 'h5',
          color: 33,
          args: ['--filter', '@wxapp/miniprogram', 'dev:h5'],
          env: {
            TARO_APP_API_URL: apiUrl,
            H5_PORT: h5Port,
            TARO_APP_SIM_URL: simUrl,
            TARO_APP_APPID: SIM_DEV_APP.WECHAT_APPID,
          },
        },
      ]),
]

function log(name, code, line) {
  process.stdout.write(`${paint(code, name.padEnd(7))}│ ${line}\n`)
}

/** Turns a pino JSON line into `level message key=value…`; other lines pass through. */
function pretty(line) {
  if (!line.startsWith('{')) return line
  try {
    const { level, time, msg, pid, hostname, service, ...rest } = JSON.parse(line)
    const name = LEVELS[level] ?? String(level)
    const levelText = level >= 50 ? paint(31, name) : level >= 40 ? paint(33, name) : name
    const extra = Object.entries(rest)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ')
    return `${levelText} ${msg ?? ''} ${paint(90, extra)}`.trimEnd()
  } catch {
    return line
  }
}

/** The line to show, or null for progress-bar noise and blank lines. */
function withoutProgress(line) {
  const plain = stripVTControlCharacters(line).trim()
  if (plain === '') return null
  if (/^● Webpack .*\(\d+%\)/.test(plain)) return null
  // A line that moves the cursor redraws a progress display: show its text only.
  return line.includes('\x1b[1A') || line.includes('\x1b[2K') ? plain : line
}

function onLines(stream, fn) {
  let buffer = ''
  stream.setEncoding('utf8').on('data', (chunk) => {
    buffer += chunk
    const lines = buffer.split('\n')
    buffer = lines.pop() ?? ''
    for (const l of lines) fn(l.replace(/\r$/, ''))
  })
}

// The Prisma client must exist before the server compiles.
const generated = spawnSync('pnpm', ['--filter', '@wxapp/db', 'generate'], {
  cwd: root,
  stdio: 'inherit',
})
if (generated.status !== 0) process.exit(generated.status ?? 1)

let stopping = false
/** Each part's process group id (the pid of the pnpm process that leads it). */
const started = new Map()

for (const part of parts) {
  const child = spawn('pnpm', part.args, {
    cwd: root,
    env: { ...process.env, ...part.env, FORCE_COLOR: color ? '1' : '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  started.set(part.name, child.pid)
  const print = (raw) => {
    const line = withoutProgress(raw)
    if (line === null) return
    log(part.name, part.color, pretty(line))
    if (part.name === 'server' && line.includes('"server listening"')) {
      const { url } = JSON.parse(line)
      banner(url)
    }
    // A fatal log line means the process is gone, though `tsx watch` (which
    // restarts it on the next save) keeps running: say so plainly.
    if (line.startsWith('{"level":60')) {
      log(
        part.name,
        31,
        paint(
          31,
          `✖ ${part.name} crashed (above); the other parts keep running. Save a file to restart it, Ctrl-C to stop all.`,
        ),
      )
    }
  }
  onLines(child.stdout, print)
  onLines(child.stderr, print)
  child.on('exit', (code, signal) => {
    if (stopping) return
    log(
      part.name,
      31,
      paint(
        31,
        `✖ ${part.name} exited (${signal ?? `code ${code}`}); the other parts keep running. Ctrl-C to stop.`,
      ),
    )
  })
}

function banner(serverUrl) {
  const lines = [
    `API server   ${serverUrl}  (tRPC at ${serverUrl}/trpc, health at /healthz, /readyz)`,
    realWechat
      ? `WeChat       real API, app ${process.env.WECHAT_APPID}`
      : `WeChat       simulator at ${simUrl}, development app ${SIM_DEV_APP.WECHAT_APPID}`,
    ...(realWechat
      ? []
      : [
          `Platforms    QQ, Douyin and Alipay simulated too: apps ${platformApps.qq.appid}, ${platformApps.tt.appid}, ${platformApps.alipay.appid} (Alipay keys made for this run)`,
        ]),
    `weapp build  ${join(root, 'apps/miniprogram/dist')}  (import this folder into WeChat DevTools)`,
    realWechat
      ? 'H5 preview   off with real WeChat credentials (a browser cannot call wx.login)'
      : `H5 preview   ${h5Url}  (the app in a browser, logged in through the simulator)`,
  ]
  process.stdout.write(`\n${paint(1, lines.map((l) => `  ▸ ${l}`).join('\n'))}\n\n`)
}

/** True while any process of the part's group (pnpm, tsx, node…) is alive. */
function groupAlive(pid) {
  try {
    process.kill(-pid, 0)
    return true
  } catch {
    return false
  }
}

function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal)
  } catch {}
}

function stopAll(signal) {
  if (stopping) return
  stopping = true
  process.stdout.write(`\n${paint(1, `stopping (${signal})…`)}\n`)
  // Every part was started in a process group of its own: signal the whole
  // group, and wait until no process of any group is left.
  const groups = parts.map((p) => started.get(p.name)).filter(Boolean)
  for (const pid of groups) signalGroup(pid, 'SIGTERM')
  const force = setTimeout(() => {
    for (const pid of groups) signalGroup(pid, 'SIGKILL')
  }, 10_000)
  force.unref()
  const check = setInterval(() => {
    if (groups.every((pid) => !groupAlive(pid))) {
      clearInterval(check)
      process.stdout.write(`${paint(1, 'stopped')}\n`)
      process.exit(0)
    }
  }, 100)
}

process.on('SIGINT', () => stopAll('SIGINT'))
process.on('SIGTERM', () => stopAll('SIGTERM'))
