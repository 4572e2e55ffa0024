/*
 * Runs the weapp production bundle (dist/) in a bare V8 context that stands in for the
 * WeChat app service: only ECMAScript built-ins plus `wx`, App/Page/Component and
 * timers. No fetch, AbortController, URL, TextDecoder, window or process, as on a phone.
 *
 * `wx.request` is served over node:http; requests for the API URL baked into the
 * bundle are sent to `apiOrigin` instead (same path and query), so tests pick the port.
 * Pages are driven through their lifecycle and Taro's setData stream is applied to a
 * plain data tree, from which tests read texts and tap nodes.
 */
import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import vm from 'node:vm'

type Json = Record<string, unknown>

export interface WxRequestCall {
  url: string
  method: string
  header: Record<string, string>
  dataType: string | undefined
}

/** A node of Taro's data tree: nn = node name, sid = id, cn = children, v = text, cl = class. */
interface TaroNode {
  nn?: string
  sid?: string
  cn?: TaroNode[]
  v?: string
  cl?: string
}

export interface PageHandle {
  data: Json
  /** Every text in the page, in document order. */
  texts(): string[]
  /** Taps the first element whose class list contains `className`. */
  tap(className: string): void
  unload(): void
}

export interface Sandbox {
  requests: WxRequestCall[]
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

export function createWeappSandbox(distDir: string, apiOrigin: string): Sandbox {
  const requests: WxRequestCall[] = []
  const missingWxApis = new Set<string>()

  const wxApis: Record<string, unknown> = {
    request(option: {
      url: string
      method?: string
      header?: Record<string, string>
      data?: unknown
      dataType?: string
      success?: (result: Json) => void
      fail?: (result: Json) => void
      complete?: (result: Json) => void
    }) {
      const method = option.method ?? 'GET'
      const header = option.header ?? {}
      requests.push({ url: option.url, method, header, dataType: option.dataType })
      const original = new URL(option.url)
      const target = new URL(original.pathname + original.search, apiOrigin)
      let aborted = false
      const req = http.request(target, { method, headers: header }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          let data: unknown = text
          if ((option.dataType ?? 'json') === 'json') {
            try {
              data = JSON.parse(text)
            } catch {
              data = text
            }
          }
          const result = {
            statusCode: res.statusCode,
            data,
            header: res.headers,
            errMsg: 'request:ok',
          }
          option.success?.(result)
          option.complete?.(result)
        })
      })
      req.on('error', (error) => {
        const result = { errMsg: aborted ? 'request:fail abort' : `request:fail ${error.message}` }
        option.fail?.(result)
        option.complete?.(result)
      })
      if (typeof option.data === 'string') req.write(option.data)
      req.end()
      return {
        abort() {
          aborted = true
          req.destroy()
        },
      }
    },
    getSystemInfoSync: () => ({
      platform: 'devtools',
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
      return target[key as string]
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
    requests,
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
        tap(className) {
          let found: TaroNode | undefined
          walk(root(), (node) => {
            if (!found && node.cl?.split(/\s+/).includes(className)) found = node
          })
          if (!found?.sid) throw new Error(`no element with class ${className}`)
          const target = { id: found.sid, dataset: { sid: found.sid } }
          call('eh', {
            type: 'tap',
            timeStamp: Date.now(),
            target,
            currentTarget: target,
            detail: {},
          })
        },
        unload() {
          call('onHide')
          call('onUnload')
        },
      }
    },
  }
}
