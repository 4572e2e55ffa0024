/*
 * The weapp production bundle (dist/) rendered by WeChat's own test tooling:
 * miniprogram-simulate (j-component on exparser, in jsdom) with Taro's base.wxml,
 * utils.wxs and page templates compiled by the official `wcc` compiler of
 * miniprogram-compiler, so pages become real `wx-view` / `wx-text` elements.
 *
 * miniprogram-simulate knows components, not apps or pages. A small shim does the rest
 * (see /work/shared/docs/taro-notes.md, "Rendering weapp output in Node"):
 *   - jsdom globals before miniprogram-simulate loads (jsdom's Event, not Node's);
 *   - App() keeps the app's options, getApp/getCurrentPages answer from the shim;
 *   - Page(options) becomes Component({ data, methods, lifetimes }) whose attach runs
 *     onLoad/onShow (and ready onReady), as WeChat does for a page;
 *   - `wx` is miniprogram-simulate's stubs overlaid with the test's: login and
 *     checkSession from the WeChat simulator, request over HTTP to the test's API
 *     server, storage in a Map that outlives a launch, account and system info, and
 *     the privacy authorization (a FakePrivacy: onNeedPrivacyAuthorization,
 *     getPrivacySetting, openPrivacyContract, plus what the base library does when a
 *     privacy API is used before agreement), and showToast recorded.
 * A relaunch drops the bundle's modules (require cache, webpack's chunk list), keeps
 * the storage, and runs app.js and onLaunch again.
 *
 * wcc: the package's binary lacks the executable bit and miniprogram-compiler chmods it
 * 0777 in place (that is, in pnpm's store) at first use. The shim runs a private
 * executable copy instead, and needs no install script. Linux x64 and macOS only.
 */
import { spawnSync } from 'node:child_process'
import { chmodSync, copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createSimControl } from '@wxapp/wechat-sim/client'
import { type WxRequestOption, wxRequestOverHttp } from './wx-request'

type Json = Record<string, unknown>

/** The slice of a DOM element the tests read (no DOM types in this project). */
export interface DomElement {
  tagName: string
  textContent: string | null
  outerHTML: string
  querySelectorAll(selector: string): { length: number }
}

/** What miniprogram-simulate's render() gives (j-component's RootComponent), in part. */
interface RootComponent {
  dom: DomElement
  attach(parent: unknown): void
  detach(): void
  querySelector(selector: string): ComponentNode | undefined
}

interface Simulate {
  load(
    componentPath: string,
    tagName: string,
    options: { compiler: string; rootPath: string },
  ): string
  render(id: string): RootComponent
}

interface Compiler {
  wxmlToJs(rootPath: string): string
}

/** A rendered element as j-component gives it: its DOM and a way to fire its events. */
interface ComponentNode {
  dom: DomElement
  dispatchEvent(eventName: string, options?: { detail?: Json }): void
}

/** A page as the shim drives it (Taro's page methods on a j-component instance). */
interface PageInstance {
  route?: string
  __route__?: string
  onLoad?(query: Json): void
  onShow?(): void
  onReady?(): void
  onHide?(): void
  onUnload?(): void
}

type Callbacks = {
  success?: (result: Json) => void
  fail?: (result: Json) => void
  complete?: (result: Json) => void
}

const appRequire = createRequire(path.resolve(__dirname, '../../package.json'))

let simulate: Simulate | null = null
let wccDir: string | null = null
/** The global `wx` miniprogram-simulate set up (its stubs, overlaid per launch). */
let wxGlobal: Json

/** A private executable copy of miniprogram-compiler's wcc (see the header). */
function privateWcc(compilerDir: string): string {
  const platform =
    process.platform === 'linux' && process.arch === 'x64'
      ? 'linux'
      : process.platform === 'darwin'
        ? 'mac'
        : null
  if (!platform) {
    throw new Error(
      `miniprogram-compiler's wcc runs on Linux x64 and macOS, not ${process.platform}-${process.arch}`,
    )
  }
  wccDir = mkdtempSync(path.join(tmpdir(), 'wxapp-wcc-'))
  const wcc = path.join(wccDir, 'wcc')
  copyFileSync(path.join(compilerDir, 'bin', platform, 'wcc'), wcc)
  chmodSync(wcc, 0o755)
  return wcc
}

/**
 * What miniprogram-compiler's wxmlToJs does, with the private wcc: every .wxml and .wxs
 * of the folder, plus each template's custom components, into one `$gwx` function.
 */
function wxmlToJs(wcc: string, rootPath: string): string {
  const files = readdirSync(rootPath, { recursive: true })
    .map(String)
    .filter((file) => !file.split(path.sep).includes('node_modules'))
    .map((file) => file.split(path.sep).join('/'))
    .sort()
  const wxml = files.filter((file) => file.endsWith('.wxml'))
  const wxs = files.filter((file) => file.endsWith('.wxs'))
  // "<count> <file.wxml> <n> <tag…> …" for the templates whose .json uses components.
  const components: string[] = []
  let count = 0
  for (const file of wxml) {
    let json: { usingComponents?: Record<string, string> } = {}
    try {
      json = JSON.parse(readFileSync(path.join(rootPath, file.replace(/\.wxml$/, '.json')), 'utf8'))
    } catch {
      // a template without a .json (base.wxml)
    }
    const tags = Object.keys(json.usingComponents ?? {})
    if (tags.length > 0) {
      components.push(file, String(tags.length), ...tags)
      count++
    }
  }
  const args = [
    '-d',
    '-cc',
    [String(count), ...components].join(' '),
    ...wxml,
    ...wxs,
    '-gn',
    '$gwx',
  ]
  const result = spawnSync(wcc, args, { cwd: rootPath, maxBuffer: 64 * 1024 * 1024 })
  if (result.error) throw result.error
  if (result.status !== 0) {
    throw new Error(`wcc failed (${result.status}): ${result.stderr.toString()}`)
  }
  return `${result.stdout.toString()}; return $gwx;`
}

/** jsdom's window as the global scope, then miniprogram-simulate (once per process). */
function loadSimulate(): Simulate {
  if (simulate) return simulate
  const { JSDOM } = appRequire('jsdom') as {
    JSDOM: new (html: string, options: Json) => { window: Record<string, unknown> }
  }
  const { window } = new JSDOM('<!doctype html><html><head></head><body></body></html>', {
    url: 'http://localhost/',
    pretendToBeVisual: true,
  })
  const globals = [
    'document',
    'navigator',
    'Node',
    'Element',
    'HTMLElement',
    'DocumentFragment',
    'Text',
    'Event',
    'CustomEvent',
    'MouseEvent',
    'TouchEvent',
    'getComputedStyle',
    'requestAnimationFrame',
    'cancelAnimationFrame',
  ]
  Object.defineProperty(globalThis, 'window', { value: window, configurable: true, writable: true })
  for (const name of globals) {
    Object.defineProperty(globalThis, name, {
      value: window[name],
      configurable: true,
      writable: true,
    })
  }
  const simulateRequire = createRequire(appRequire.resolve('miniprogram-simulate'))
  // The very module object miniprogram-simulate calls: its wxmlToJs, with our wcc.
  const compiler = simulateRequire('miniprogram-compiler') as Compiler
  const wcc = privateWcc(path.dirname(simulateRequire.resolve('miniprogram-compiler/package.json')))
  compiler.wxmlToJs = (rootPath) => wxmlToJs(wcc, rootPath)
  simulate = simulateRequire('miniprogram-simulate') as Simulate
  wxGlobal = (globalThis as unknown as { wx: Json }).wx
  return simulate
}

/** Answers a callback-style wx API on a later tick, as WeChat does. */
function answer(option: Callbacks | undefined, ok: boolean, result: Json): void {
  setTimeout(() => {
    if (ok) option?.success?.(result)
    else option?.fail?.(result)
    option?.complete?.(result)
  }, 0)
}

/** What a listener's resolve was called with (WeChat's ResolveOption). */
export interface PrivacyResolveCall {
  event: string
  buttonId?: string
}

/**
 * WeChat's privacy authorization as the base library plays it, for one user on one
 * phone (the consent outlives a launch, pass the same one to relaunch). `use(api)` is
 * a privacy API or component used (chooseAvatar, type="nickname", getPhoneNumber):
 * before agreement it calls the app's last registered onNeedPrivacyAuthorization
 * listener and stays pending until resolve; agree counts only with the id of a button
 * that fired `agreeprivacyauthorization`, as WeChat checks.
 */
export class FakePrivacy {
  agreed = false
  /** Every resolve call, in order (exposureAuthorization included). */
  readonly resolves: PrivacyResolveCall[] = []
  /** How often the listener was called (the sheet asked for). */
  asked = 0
  contractOpened = 0
  listener: ((resolve: (option: PrivacyResolveCall) => void, info: Json) => void) | null = null
  /** Ids of the elements that fired agreeprivacyauthorization (set by RenderedPage.trigger). */
  readonly agreeTaps = new Set<string>()

  constructor(readonly contractName: string) {}

  /** A privacy API used: true when it may go on, false when it fails (not authorized). */
  use(api: string): Promise<boolean> {
    if (this.agreed) return Promise.resolve(true)
    const listener = this.listener
    if (!listener) throw new Error('the app registered no onNeedPrivacyAuthorization listener')
    this.asked++
    return new Promise((done) => {
      let answered = false
      listener(
        (option) => {
          this.resolves.push({ ...option })
          if (answered || option.event === 'exposureAuthorization') return
          answered = true
          if (
            option.event === 'agree' &&
            option.buttonId !== undefined &&
            this.agreeTaps.has(option.buttonId)
          ) {
            this.agreed = true
            done(true)
          } else done(false)
        },
        { referrer: api },
      )
    })
  }
}

export interface LaunchOptions {
  /** The production weapp build. */
  distDir: string
  /** The API base URL the bundle was built with (TARO_APP_API_URL): its requests… */
  builtApiUrl: string
  /** …go to this server instead (same path and query). Other URLs fail, as on WeChat. */
  apiUrl: string
  /** The WeChat simulator behind wx.login / wx.checkSession. */
  simUrl: string
  appid: string
  /** The simulated WeChat user on this "phone". */
  user: string
  /** wx storage; pass the previous launch's to relaunch. */
  storage?: Map<string, unknown>
  /** The user's privacy consent on this phone; pass the previous launch's to relaunch. */
  privacy?: FakePrivacy
}

export interface RenderedPage {
  root: RootComponent
  /** The element with this `id` (Taro's ids are the template's `id` attribute). */
  byId(id: string): DomElement | null
  /** Its text, '' when absent. */
  textOf(id: string): string
  /** Fires `eventName` (tap, input, agreeprivacyauthorization…) on the element `id`. */
  trigger(id: string, eventName: string, detail?: Json): void
  close(): void
}

export interface WeappLaunch {
  storage: Map<string, unknown>
  /** How often each overlaid wx API was called. */
  calls: Record<string, number>
  /** URLs the bundle requested, as it wrote them. */
  requests: string[]
  /** Requested URLs outside the built API origin, failed as WeChat fails them. */
  rejected: string[]
  /** Uncaught errors the app reported through App.onError. */
  errors: unknown[]
  privacy: FakePrivacy
  /** Titles of the toasts shown (wx.showToast). */
  toasts: string[]
  openPage(route: string): RenderedPage
}

/** Launches the mini-program (app.js + onLaunch) in miniprogram-simulate. */
export function launchWeapp(options: LaunchOptions): WeappLaunch {
  const sim = loadSimulate()
  const { distDir } = options
  const storage = options.storage ?? new Map<string, unknown>()
  const calls: Record<string, number> = {}
  const requests: string[] = []
  const rejected: string[] = []
  const errors: unknown[] = []
  const control = createSimControl({ baseUrl: options.simUrl })
  const who = { appid: options.appid, user: options.user }
  const builtOrigin = new URL(options.builtApiUrl).origin
  const privacy = options.privacy ?? new FakePrivacy('《用户隐私保护指引》')
  const toasts: string[] = []

  const apis: Json = {
    login(option: Callbacks) {
      control.login(who).then(
        (code) => answer(option, true, { code, errMsg: 'login:ok' }),
        (error: Error) => answer(option, false, { errMsg: `login:fail ${error.message}` }),
      )
    },
    checkSession(option: Callbacks) {
      control.checkSession(who).then(
        (valid) =>
          answer(option, valid, {
            errMsg: valid ? 'checkSession:ok' : 'checkSession:fail session expired',
          }),
        (error: Error) => answer(option, false, { errMsg: `checkSession:fail ${error.message}` }),
      )
    },
    request(option: WxRequestOption) {
      requests.push(option.url)
      const url = new URL(option.url)
      if (url.origin !== builtOrigin) {
        // WeChat only calls the request domains of the mini-program.
        rejected.push(option.url)
        answer(option, false, { errMsg: `request:fail url not in domain list: ${url.origin}` })
        return { abort() {} }
      }
      return wxRequestOverHttp(option, new URL(url.pathname + url.search, options.apiUrl))
    },
    getStorageSync: (key: string) => (storage.has(key) ? storage.get(key) : ''),
    setStorageSync(key: string, value: unknown) {
      storage.set(key, value)
    },
    removeStorageSync(key: string) {
      storage.delete(key)
    },
    onNeedPrivacyAuthorization(listener: FakePrivacy['listener']) {
      // Only the last registered listener takes effect.
      privacy.listener = listener
    },
    getPrivacySetting(option: Callbacks) {
      answer(option, true, {
        needAuthorization: !privacy.agreed,
        privacyContractName: privacy.contractName,
        errMsg: 'getPrivacySetting:ok',
      })
    },
    openPrivacyContract(option: Callbacks) {
      privacy.contractOpened++
      answer(option, true, { errMsg: 'openPrivacyContract:ok' })
    },
    showToast(option: Callbacks & { title?: string }) {
      toasts.push(option.title ?? '')
      answer(option, true, { errMsg: 'showToast:ok' })
    },
    getAccountInfoSync: () => ({
      miniProgram: { appId: options.appid, envVersion: 'develop', version: '' },
    }),
    getSystemInfoSync: () => ({
      brand: 'Apple',
      model: 'iPhone 15',
      system: 'iOS 17.4',
      platform: 'ios',
      version: '8.0.50',
      SDKVersion: '3.4.10',
      language: 'zh_CN',
      pixelRatio: 3,
      screenWidth: 393,
      screenHeight: 852,
      windowWidth: 393,
      windowHeight: 759,
      statusBarHeight: 47,
    }),
  }
  for (const [name, fn] of Object.entries(apis)) {
    wxGlobal[name] = (...args: unknown[]) => {
      calls[name] = (calls[name] ?? 0) + 1
      return (fn as (...a: unknown[]) => unknown)(...args)
    }
  }

  // A fresh start of the bundle: its modules and webpack's chunk list go.
  const bundleRequire = createRequire(path.join(distDir, 'app.js'))
  for (const key of Object.keys(bundleRequire.cache)) {
    if (key.startsWith(distDir + path.sep)) delete bundleRequire.cache[key]
  }
  delete wxGlobal.webpackJsonp

  let app: Json | undefined
  const pages: PageInstance[] = []
  let route = ''
  const g = globalThis as unknown as Json
  g.App = (config: Json) => {
    app = config
  }
  g.getApp = () => app
  g.getCurrentPages = () => pages.slice()
  // A page is a component whose attach is the page's load and show (Component is
  // miniprogram-simulate's, registering with j-component).
  g.Page = (config: Json) => {
    const methods: Json = {}
    for (const [key, value] of Object.entries(config)) {
      if (typeof value === 'function') methods[key] = value
    }
    const pageRoute = route
    ;(g.Component as (options: Json) => void)({
      data: config.data ?? {},
      methods,
      lifetimes: {
        attached(this: PageInstance) {
          this.route = pageRoute
          this.__route__ = pageRoute
          pages.push(this)
          this.onLoad?.({})
          this.onShow?.()
        },
        ready(this: PageInstance) {
          this.onReady?.()
        },
        detached(this: PageInstance) {
          this.onHide?.()
          this.onUnload?.()
          const index = pages.indexOf(this)
          if (index >= 0) pages.splice(index, 1)
        },
      },
    })
  }

  bundleRequire('./app.js')
  if (!app) throw new Error('dist/app.js did not call App()')
  const launched = app
  const onError = launched.onError as ((error: unknown) => void) | undefined
  launched.onError = (error: unknown) => {
    errors.push(error)
    onError?.call(launched, error)
  }
  ;(launched.onLaunch as ((options: Json) => void) | undefined)?.call(launched, {
    path: 'pages/index/index',
    query: {},
    scene: 1001,
  })
  ;(launched.onShow as ((options: Json) => void) | undefined)?.call(launched, {
    path: 'pages/index/index',
    query: {},
    scene: 1001,
  })

  return {
    storage,
    calls,
    requests,
    rejected,
    errors,
    privacy,
    toasts,
    openPage(pageRoute) {
      route = pageRoute
      const id = sim.load(path.join(distDir, pageRoute), 'page', {
        compiler: 'official',
        rootPath: distDir,
      })
      const root = sim.render(id)
      root.attach((g.document as { createElement(tag: string): unknown }).createElement('parent'))
      const byId = (elementId: string) => root.querySelector(`#${elementId}`)?.dom ?? null
      return {
        root,
        byId,
        textOf: (elementId) => (byId(elementId)?.textContent ?? '').trim(),
        trigger(elementId, eventName, detail = {}) {
          const node = root.querySelector(`#${elementId}`)
          if (!node) throw new Error(`no element #${elementId} to fire ${eventName} on`)
          if (eventName === 'agreeprivacyauthorization') privacy.agreeTaps.add(elementId)
          node.dispatchEvent(eventName, { detail })
        },
        close: () => root.detach(),
      }
    },
  }
}

/** Removes the private wcc copy (call once, after the last launch). */
export function disposeWeappSimulate(): void {
  if (wccDir) rmSync(wccDir, { recursive: true, force: true })
  wccDir = null
}
