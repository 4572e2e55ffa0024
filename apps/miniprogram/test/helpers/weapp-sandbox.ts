/*
 * Runs the weapp production bundle (dist/) in a bare V8 context that stands in for the
 * WeChat app service: only ECMAScript built-ins plus `wx`, App/Page/Component and
 * timers. No fetch, AbortController, URL, TextDecoder, window or process, as on a phone.
 *
 * `wx.request` is served over node:http; requests for the API URL baked into the
 * bundle are sent to `apiOrigin` instead (same path and query), so tests pick the port.
 * `wx.login` hands out numbered codes, `wx.checkSession` answers as told, storage is a
 * Map the test can seed and read, `wx.getAccountInfoSync` names the app.
 * Pages are driven through their lifecycle and Taro's setData stream is applied to a
 * plain data tree, from which tests read texts and tap nodes (by class or by id).
 */
import fs from 'node:fs'
import path from 'node:path'
import vm from 'node:vm'
import { type WxRequestOption, wxRequestOverHttp } from './wx-request'

type Json = Record<string, unknown>

export interface WxRequestCall {
  url: string
  method: string
  header: Record<string, string>
  dataType: string | undefined
}

/** A node of Taro's data tree: nn = node name, sid = Taro's id, uid = the element's `id`, cn = children, v = text, cl = class. */
interface TaroNode {
  nn?: string
  sid?: string
  uid?: string
  cn?: TaroNode[]
  v?: string
  cl?: string
}

export interface PageHandle {
  data: Json
  /** Every text in the page, in document order. */
  texts(): string[]
  /** Texts inside the element with this `id` (empty when there is none). */
  textsOf(id: string): string[]
  /** Whether an element with this `id` is rendered. */
  has(id: string): boolean
  /** Taps the first element whose class list contains `className`. */
  tap(className: string): void
  /** Taps the element with this `id`. */
  tapId(id: string): void
  unload(): void
}

export interface SandboxOptions {
  /** Where requests for the bundle's API URL go (same path and query). */
  apiOrigin: string
  /** Initial wx storage (key -> string value). */
  storage?: Record<string, string>
  /** What wx.checkSession says (default: valid). */
  checkSession?: boolean
  /** The appid wx.getAccountInfoSync reports. */
  appid?: string
}

export interface Sandbox {
  /** Sent as `x-test-sandbox` with every request, so a server can tell sandboxes apart. */
  id: string
  requests: WxRequestCall[]
  /** Bodies of the requests, in the same order (undefined for GETs). */
  bodies: Array<string | undefined>
  /** wx storage, as the bundle left it. */
  storage: Map<string, unknown>
  /** How often each wx API was called (login, checkSession…). */
  calls: Record<string, number>
  /** Names of wx APIs the bundle asked for that the stub does not provide. */
  missingWxApis: Set<string>
  context: vm.Context
  openPage(route: string): PageHandle
}

function setPath(target: Json, key: string, value: unknown) {
  const parts = key
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter(Boolean)
  let node: Record<string, unknown> = target
  parts.forEach((part, i) => {
    if (i === parts.length - 1) {
      node[part] = value
      return
    }
    const next = node[part]
    if (next === undefined || next === null || typeof next !== 'object') {
      node[part] = /^\d+$/.test(parts[i + 1] ?? '') ? [] : {}
    }
    node = node[part] as Record<string, unknown>
  })
}

function walk(node: TaroNode | undefined, visit: (node: TaroNode) => void) {
  if (!node || typeof node !== 'object') return
  visit(node)
  for (const child of node.cn ?? []) walk(child, visit)
}

type Callbacks = {
  success?: (result: Json) => void
  fail?: (result: Json) => void
  complete?: (result: Json) => void
}

/** Answers a callback-style wx API on a later tick, as WeChat does. */
function answer(option: Callbacks | undefined, ok: boolean, result: Json) {
  setTimeout(() => {
    if (ok) option?.success?.(result)
    else option?.fail?.(result)
    option?.complete?.(result)
  }, 0)
}

let sandboxCounter = 0

export function createWeappSandbox(distDir: string, options: SandboxOptions): Sandbox {
  const { apiOrigin } = options
  const id = `sandbox-${++sandboxCounter}`
  const requests: WxRequestCall[] = []
  const bodies: Array<string | undefined> = []
  const missingWxApis = new Set<string>()
  const storage = new Map<string, unknown>(Object.entries(options.storage ?? {}))
  const calls: Record<string, number> = {}
  let codes = 0

  const wxApis: Record<string, unknown> = {
    login(option: Callbacks) {
      answer(option, true, { code: `wx-code-${++codes}`, errMsg: 'login:ok' })
    },
    checkSession(option: Callbacks) {
      const valid = options.checkSession !== false
      answer(option, valid, { errMsg: valid ? 'checkSession:ok' : 'checkSession:fail expired' })
    },
    getStorageSync: (key: string) => (storage.has(key) ? storage.get(key) : ''),
    setStorageSync(key: string, value: unknown) {
      storage.set(key, value)
    },
    removeStorageSync(key: string) {
      storage.delete(key)
    },
    getAccountInfoSync: () => ({
      miniProgram: { appId: options.appid ?? 'wx0123456789abcdef', envVersion: 'develop' },
    }),
    switchTab(option: Callbacks) {
      answer(option, true, { errMsg: 'switchTab:ok' })
    },
    showToast(option: Callbacks) {
      answer(option, true, { errMsg: 'showToast:ok' })
    },
    request(option: WxRequestOption) {
      const method = option.method ?? 'GET'
      const header = option.header ?? {}
      requests.push({ url: option.url, method, header, dataType: option.dataType })
      bodies.push(typeof option.data === 'string' ? option.data : undefined)
      const original = new URL(option.url)
      const target = new URL(original.pathname + original.search, apiOrigin)
      return wxRequestOverHttp(option, target, { 'x-test-sandbox': id })
    },
    getSystemInfoSync: () => ({
      platform: 'devtools',
      model: 'iPhone 15',
      system: 'iOS 17.4',
      version: '8.0.50',
      windowWidth: 375,
      windowHeight: 667,
      pixelRatio: 2,
      language: 'zh_CN',
    }),
    stopPullDownRefresh() {},
  }
  const wx = new Proxy(wxApis, {
    get(target, key) {
      if (typeof key === 'string' && !(key in target) && key !== 'webpackJsonp') {
        missingWxApis.add(key)
      }
      const value = target[key as string]
      // Count calls of our stubs only (Taro also reads hasOwnProperty and the like).
      if (typeof key === 'string' && Object.hasOwn(target, key) && typeof value === 'function') {
        return (...args: unknown[]) => {
          calls[key] = (calls[key] ?? 0) + 1
          return (value as (...a: unknown[]) => unknown)(...args)
        }
      }
      return value
    },
  })

  let appConfig: Json | undefined
  let pageConfig: Json | undefined
  // The mini-program's global registration functions (Taro calls App() and Page()).
  const registerApp = (config: Json) => {
    appConfig = config
  }
  const registerPage = (config: Json) => {
    pageConfig = config
  }
  const registerComponent = () => {}
  const context = vm.createContext({
    wx,
    console,
    setTimeout,
    clearTimeout,
    setInterval,
    clearInterval,
    App: registerApp,
    Page: registerPage,
    Component: registerComponent,
    getApp: () => appConfig,
    getCurrentPages: () => [],
  })

  const modules = new Map<string, { exports: unknown }>()
  const load = (file: string): unknown => {
    const full = path.resolve(distDir, file.endsWith('.js') ? file : `${file}.js`)
    const cached = modules.get(full)
    if (cached) return cached.exports
    const module = { exports: {} }
    modules.set(full, module)
    const wrapped = vm.runInContext(
      `(function (require, module, exports) {${fs.readFileSync(full, 'utf8')}\n})`,
      context,
      { filename: full },
    ) as (req: (p: string) => unknown, mod: typeof module, exp: unknown) => void
    const dir = path.dirname(full)
    wrapped((p) => load(path.relative(distDir, path.resolve(dir, p))), module, module.exports)
    return module.exports
  }

  load('app.js')
  if (!appConfig) throw new Error('app.js did not call App()')
  ;(appConfig.onLaunch as ((options: Json) => void) | undefined)?.call(appConfig, {
    path: 'pages/index/index',
    query: {},
  })

  return {
    id,
    requests,
    bodies,
    storage,
    calls,
    missingWxApis,
    context,
    openPage(route) {
      pageConfig = undefined
      load(`${route}.js`)
      const config = pageConfig as Json | undefined
      if (!config) throw new Error(`${route}.js did not call Page()`)
      const page = Object.create(config) as Json & {
        setData(data: Json, callback?: () => void): void
      }
      page.data = {}
      page.route = route
      page.__route__ = route
      page.setData = function setData(data, callback) {
        for (const [key, value] of Object.entries(data)) setPath(this.data as Json, key, value)
        callback?.()
      }
      const call = (name: string, ...args: unknown[]) =>
        (page[name] as ((...a: unknown[]) => void) | undefined)?.apply(page, args)
      call('onLoad', {})
      call('onShow')
      call('onReady')

      const root = () => (page.data as { root?: TaroNode }).root
      const byId = (id: string) => {
        let found: TaroNode | undefined
        walk(root(), (node) => {
          if (!found && node.uid === id) found = node
        })
        return found
      }
      const tapNode = (node: TaroNode) => {
        const target = { id: node.uid ?? node.sid, dataset: { sid: node.sid } }
        call('eh', {
          type: 'tap',
          timeStamp: Date.now(),
          target,
          currentTarget: target,
          detail: {},
        })
      }
      return {
        get data() {
          return page.data as Json
        },
        texts() {
          const out: string[] = []
          walk(root(), (node) => {
            if (typeof node.v === 'string') out.push(node.v)
          })
          return out
        },
        textsOf(id) {
          const out: string[] = []
          walk(byId(id), (node) => {
            if (typeof node.v === 'string') out.push(node.v)
          })
          return out
        },
        has(id) {
          return byId(id) !== undefined
        },
        tap(className) {
          let found: TaroNode | undefined
          walk(root(), (node) => {
            if (!found && node.cl?.split(/\s+/).includes(className)) found = node
          })
          if (!found?.sid) throw new Error(`no element with class ${className}`)
          tapNode(found)
        },
        tapId(id) {
          const found = byId(id)
          if (!found?.sid) throw new Error(`no element with id ${id}`)
          tapNode(found)
        },
        unload() {
          call('onHide')
          call('onUnload')
        },
      }
    },
  }
}
