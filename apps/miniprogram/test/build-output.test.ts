/*
 * Checks of the production builds (`pnpm build`: dist/ for weapp, dist-h5/ for H5,
 * dist-qq/, dist-tt/ and dist-alipay/ for QQ, Douyin and Alipay).
 * Run after the build; turbo's `test` depends on `build`.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { parse, tokenizer } from 'acorn'
import { beforeAll, describe, expect, it } from 'vitest'
import { devZhCN } from '../src/i18n/dev.zh-CN'
import { zhCN } from '../src/i18n/zh-CN'

const appDir = path.resolve(__dirname, '..')
const weappDir = path.join(appDir, 'dist')
const h5Dir = path.join(appDir, 'dist-h5')
const SIZE_BUDGET = 400 * 1024

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
}

const rel = (file: string) => path.relative(appDir, file)

function requireBuild(dir: string, script: string) {
  if (!existsSync(dir) || readdirSync(dir).length === 0) {
    throw new Error(
      `${rel(dir)}/ is missing or empty: run \`pnpm --filter @wxapp/miniprogram ${script}\` (or \`pnpm build\`) before the tests.`,
    )
  }
}

/**
 * Code that must never reach the client: the server's database and HTTP stacks, Node
 * built-ins, validation and router code of the API, WeChat secrets handling. The API
 * package is imported for its types only, so none of this should be bundled.
 */
const SERVER_MARKERS: ReadonlyArray<[string, RegExp]> = [
  ['Prisma', /prisma/i],
  ['PGlite', /pglite/i],
  ['node-postgres (pg)', /\bpg-(?:pool|protocol|connection-string)\b|require\(["']pg["']\)/],
  ['Fastify', /fastify/i],
  ['Node built-in (node: scheme)', /["'`]node:[a-z_/]+["'`]/],
  [
    'Node built-in (require)',
    /require\(["'](?:fs|path|crypto|http|https|net|tls|os|child_process|worker_threads)["']\)/,
  ],
  ['zod', /\bZodError\b|\bZodType\b|_zod\b/],
  ['tRPC server router (initTRPC)', /\binitTRPC\b|createCallerFactory|publicProcedure/],
  ['API router source', /systemRouter|appRouter/],
  ['@wxapp/db or @wxapp/api source', /@wxapp\/(?:db|api)\b/],
  ['WeChat server API', /jscode2session|session_key|WECHAT_SECRET|DATABASE_URL/],
]

/**
 * The H5 preview bundles the WeChat simulator's client, which validates answers with
 * zod/mini (`$ZodType`, `ZodMiniObject`, `_zod`). Classic zod, which the API's
 * validators use, names its classes `ZodError`, `ZodType`, `ZodObject`…: look for those.
 */
const H5_SERVER_MARKERS: ReadonlyArray<[string, RegExp]> = SERVER_MARKERS.map(([name, pattern]) => {
  if (name === 'zod') return ['zod (classic)', /["'`]Zod(?:Error|Type|Object|String)["'`]/]
  // The simulator client's call counters are named after WeChat's APIs (jscode2session).
  if (name === 'WeChat server API') return [name, /session_key|WECHAT_SECRET|DATABASE_URL/]
  return [name, pattern]
})

/**
 * The H5-only simulator tooling (src/dev/, @wxapp/wechat-sim): its control paths,
 * its client, its development appid and the panel's texts.
 */
const appTexts = JSON.stringify(zhCN)
/** The panel's own texts: at least 4 Chinese characters, and not also one of the app's. */
const DEV_TEXTS: string[] = Object.values(devZhCN)
  .map((value) => (typeof value === 'function' ? value('') : value))
  .filter((text) => (text.match(/[\u4e00-\u9fff]/g) ?? []).length >= 4 && !appTexts.includes(text))
const SIMULATOR_MARKERS: ReadonlyArray<[string, RegExp]> = [
  [
    'simulator control path',
    /\/sim\/(?:login|check-session|expire-session|phone-code|faults|reset)/,
  ],
  ['@wxapp/wechat-sim', /wechat-sim|SimControlError|createSimControl|simLoginSource/],
  ['simulator development appid', /wx_sim_dev_app/],
  ['simulator settings', /TARO_APP_SIM_URL|TARO_APP_APPID|wxapp\.dev\.sim/],
  // src/lib/env.ts: the H5 page's runtime configuration (reader and validator).
  ['H5 runtime configuration', /__WXAPP_CONFIG__/],
  ['zod/mini', /ZodMini|\$Zod|_zod\b/],
]

/** Text as the minifier may have written it: as is, or with \uXXXX escapes. */
function containsText(code: string, text: string): boolean {
  if (code.includes(text)) return true
  const escaped = text.replace(
    /[^\x20-\x7e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  )
  return code.toLowerCase().includes(escaped.toLowerCase())
}

function firstMatch(code: string, pattern: RegExp): string | null {
  const match = pattern.exec(code)
  if (!match) return null
  const start = Math.max(0, match.index - 60)
  return code.slice(start, match.index + match[0].length + 60)
}

describe('weapp production build (dist/)', () => {
  let files: string[] = []
  let jsFiles: string[] = []

  beforeAll(() => {
    requireBuild(weappDir, 'build:weapp')
    files = listFiles(weappDir)
    jsFiles = files.filter((file) => file.endsWith('.js'))
    const devArtifacts = files.filter(
      (file) => file.endsWith('.map') || rel(file).startsWith(`dist${path.sep}prebundle`),
    )
    if (devArtifacts.length > 0) {
      throw new Error(
        `dist/ holds a development (--watch) build (${rel(devArtifacts[0] ?? '')}, ...): ` +
          'run `pnpm --filter @wxapp/miniprogram build:weapp` before the tests.',
      )
    }
  })

  it('lists its pages in app.json, each with .js, .wxml and .json', () => {
    const appJson = JSON.parse(readFileSync(path.join(weappDir, 'app.json'), 'utf8')) as {
      pages?: unknown
    }
    expect(Array.isArray(appJson.pages)).toBe(true)
    const pages = appJson.pages as string[]
    expect(pages).toEqual(['pages/index/index', 'pages/profile/index', 'pages/sessions/index'])
    for (const page of pages) {
      for (const ext of ['.js', '.wxml', '.json']) {
        expect(existsSync(path.join(weappDir, page + ext)), `${page}${ext}`).toBe(true)
      }
    }
    for (const entry of ['app.js', 'app.wxss', 'base.wxml']) {
      expect(existsSync(path.join(weappDir, entry)), entry).toBe(true)
    }
  })

  it("turns on WeChat's privacy check in app.json (__usePrivacyCheck__)", () => {
    const appJson = JSON.parse(readFileSync(path.join(weappDir, 'app.json'), 'utf8')) as Record<
      string,
      unknown
    >
    expect(appJson.__usePrivacyCheck__).toBe(true)
  })

  it("binds the agree button's agreeprivacyauthorization event in the templates", () => {
    const base = readFileSync(path.join(weappDir, 'base.wxml'), 'utf8')
    expect(base).toMatch(/bindagreeprivacyauthorization="eh"/i)
  })

  it('has a tab bar for the three pages, with its icons copied', () => {
    const appJson = JSON.parse(readFileSync(path.join(weappDir, 'app.json'), 'utf8')) as {
      tabBar?: { list?: Array<{ pagePath: string; iconPath?: string; selectedIconPath?: string }> }
    }
    const list = appJson.tabBar?.list ?? []
    expect(list.map((item) => item.pagePath)).toEqual([
      'pages/index/index',
      'pages/profile/index',
      'pages/sessions/index',
    ])
    for (const item of list) {
      for (const icon of [item.iconPath, item.selectedIconPath]) {
        expect(icon && existsSync(path.join(weappDir, icon)), String(icon)).toBe(true)
      }
    }
  })

  it('carries a project.config.json that WeChat DevTools can open dist/ with', () => {
    const config = JSON.parse(readFileSync(path.join(weappDir, 'project.config.json'), 'utf8'))
    expect(config.miniprogramRoot).toBe('./')
    expect(config.compileType).toBe('miniprogram')
    expect(config.appid).toMatch(/^(touristappid|wx[0-9a-f]{16})$/i)
    expect(config.setting.urlCheck).toBe(false)
  })

  it(`stays under ${SIZE_BUDGET / 1024} KB without source maps`, () => {
    const total = files
      .filter((file) => !file.endsWith('.map'))
      .reduce((sum, file) => sum + statSync(file).size, 0)
    console.log(
      `weapp dist/ size without .map files: ${(total / 1024).toFixed(1)} KB (${total} bytes, budget ${SIZE_BUDGET / 1024} KB)`,
    )
    expect(total).toBeLessThan(SIZE_BUDGET)
  })

  it('contains no server-only code', () => {
    expect(jsFiles.length).toBeGreaterThan(0)
    const found: string[] = []
    for (const file of jsFiles) {
      const code = readFileSync(file, 'utf8')
      for (const [name, pattern] of SERVER_MARKERS) {
        const hit = firstMatch(code, pattern)
        if (hit) found.push(`${rel(file)}: ${name}: …${hit}…`)
      }
    }
    expect(found, found.join('\n')).toEqual([])
  })

  it('contains none of the H5 simulator tooling (paths, client, settings, panel texts)', () => {
    const found: string[] = []
    const textFiles = files.filter((file) => /\.(js|json|wxml|wxss|wxs)$/.test(file))
    for (const file of textFiles) {
      const code = readFileSync(file, 'utf8')
      for (const [name, pattern] of SIMULATOR_MARKERS) {
        const hit = firstMatch(code, pattern)
        if (hit) found.push(`${rel(file)}: ${name}: …${hit}…`)
      }
      for (const text of DEV_TEXTS) {
        if (containsText(code, text))
          found.push(`${rel(file)}: dev panel text ${JSON.stringify(text)}`)
      }
    }
    expect(found, found.join('\n')).toEqual([])
  })

  it('leaves no `process.env` reference (the mini-program has no process)', () => {
    const found = jsFiles.filter((file) => /\bprocess\.env\b/.test(readFileSync(file, 'utf8')))
    expect(found.map(rel)).toEqual([])
  })

  it('is ES2017 at most: no ?., ??, class fields, object spread or async iteration', () => {
    const failures: string[] = []
    for (const file of jsFiles) {
      const code = readFileSync(file, 'utf8')
      try {
        parse(code, { ecmaVersion: 2017, sourceType: 'script' })
      } catch (error) {
        const pos = (error as { pos?: number }).pos ?? 0
        failures.push(
          `${rel(file)}: ${(error as Error).message}: …${code.slice(Math.max(0, pos - 60), pos + 40)}…`,
        )
      }
    }
    expect(failures, failures.join('\n')).toEqual([])
  })

  it('bundles the AbortController shim (the runtime has none)', () => {
    const code = jsFiles.map((file) => readFileSync(file, 'utf8')).join('\n')
    expect(code.includes('AbortError')).toBe(true)
    // ProvidePlugin rewrote every `new AbortController` in @trpc/client.
    expect(/new AbortController\b/.test(code)).toBe(false)
  })
})

describe('H5 production build (dist-h5/)', () => {
  let jsFiles: string[] = []

  beforeAll(() => {
    requireBuild(h5Dir, 'build:h5')
    jsFiles = listFiles(h5Dir).filter((file) => file.endsWith('.js'))
  })

  it('has an index.html that loads its scripts', () => {
    const html = readFileSync(path.join(h5Dir, 'index.html'), 'utf8')
    const scripts = [...html.matchAll(/<script[^>]+src="([^"]+)"/g)].map((m) => m[1] ?? '')
    expect(scripts.length).toBeGreaterThan(0)
    for (const src of scripts) {
      expect(existsSync(path.join(h5Dir, src.replace(/^\//, ''))), src).toBe(true)
    }
  })

  it('uses the hash router', () => {
    const withHashRouter = jsFiles.filter((file) =>
      /"?router"?:\{"?mode"?:"hash"/.test(readFileSync(file, 'utf8')),
    )
    expect(withHashRouter.length).toBeGreaterThan(0)
  })

  it('contains no server-only code', () => {
    const found: string[] = []
    for (const file of jsFiles) {
      const code = readFileSync(file, 'utf8')
      for (const [name, pattern] of H5_SERVER_MARKERS) {
        const hit = firstMatch(code, pattern)
        if (hit) found.push(`${rel(file)}: ${name}: …${hit}…`)
      }
    }
    expect(found, found.join('\n')).toEqual([])
  })

  it('carries the simulator tooling that the weapp build leaves out (so that check means something)', () => {
    const code = jsFiles.map((file) => readFileSync(file, 'utf8')).join('\n')
    const present = SIMULATOR_MARKERS.filter(([, pattern]) => pattern.test(code)).map(
      ([name]) => name,
    )
    expect(present).toEqual(
      expect.arrayContaining(['simulator control path', 'zod/mini', 'H5 runtime configuration']),
    )
    expect(DEV_TEXTS.length).toBeGreaterThan(10)
    expect(DEV_TEXTS.filter((text) => !containsText(code, text))).toEqual([])
  })
})

/**
 * The other mini-program platforms, built by Taro's platform plugins: each writes its
 * own template and style files and its developer tool's project file.
 */
const OTHER_PLATFORMS = [
  {
    name: 'qq',
    dir: 'dist-qq',
    templ: '.qml',
    style: '.qss',
    directive: 'qq:',
    toolConfig: 'project.config.json',
  },
  {
    name: 'tt',
    dir: 'dist-tt',
    templ: '.ttml',
    style: '.ttss',
    directive: 'tt:',
    toolConfig: 'project.config.json',
  },
  {
    name: 'alipay',
    dir: 'dist-alipay',
    templ: '.axml',
    style: '.acss',
    directive: 'a:',
    toolConfig: 'mini.project.json',
  },
] as const

/**
 * Code that uses WeChat's global `wx`: an identifier `wx` that is not a property name
 * (`x.wx`). Taro's runtime goes through the platform's own global (qq, tt, my); text
 * that merely mentions wx.login (error messages) is a string token and does not count.
 */
function wxGlobalUses(code: string): string[] {
  const uses: string[] = []
  let previous = ''
  for (const token of tokenizer(code, { ecmaVersion: 2017 })) {
    if (
      token.type.label === 'name' &&
      (token as { value?: unknown }).value === 'wx' &&
      previous !== '.'
    ) {
      uses.push(code.slice(Math.max(0, token.start - 60), token.end + 60))
    }
    previous = token.type.label
  }
  return uses
}

describe('the global-wx check', () => {
  it('finds the weapp build using wx, and not a string that names wx.login', () => {
    requireBuild(weappDir, 'build:weapp')
    const weappCode = listFiles(weappDir)
      .filter((file) => file.endsWith('.js'))
      .map((file) => readFileSync(file, 'utf8'))
      .join('\n')
    expect(wxGlobalUses(weappCode).length).toBeGreaterThan(0)
    expect(wxGlobalUses('throw new Error("wx.login failed"); a.wx = 1')).toEqual([])
    expect(wxGlobalUses('wx.login({})')).toHaveLength(1)
  })
})

/** A tab bar entry: WeChat's fields (QQ, Douyin) or Alipay's (icon, activeIcon). */
interface TabItem {
  pagePath: string
  iconPath?: string
  selectedIconPath?: string
  icon?: string
  activeIcon?: string
}

describe.each(
  OTHER_PLATFORMS.map(
    (target) => [`${target.name} production build (${target.dir}/)`, target] as const,
  ),
)('%s', (_title, target) => {
  const dir = path.join(appDir, target.dir)
  let files: string[] = []
  let jsFiles: string[] = []
  let appJson: {
    pages?: string[]
    __usePrivacyCheck__?: unknown
    tabBar?: {
      list?: TabItem[]
      // Alipay names the tab bar's fields its own way.
      items?: TabItem[]
    }
  } = {}

  beforeAll(() => {
    requireBuild(dir, `build:${target.name}`)
    files = listFiles(dir)
    jsFiles = files.filter((file) => file.endsWith('.js'))
    const maps = files.filter((file) => file.endsWith('.map'))
    if (maps.length > 0) {
      throw new Error(
        `${target.dir}/ holds a development build (${rel(maps[0] ?? '')}, ...): ` +
          `run \`pnpm --filter @wxapp/miniprogram build:${target.name}\` before the tests.`,
      )
    }
    appJson = JSON.parse(readFileSync(path.join(dir, 'app.json'), 'utf8'))
  })

  it(`lists its pages in app.json, each with .js, ${target.templ}, ${target.style} and .json`, () => {
    expect(appJson.pages).toEqual([
      'pages/index/index',
      'pages/profile/index',
      'pages/sessions/index',
    ])
    for (const page of appJson.pages ?? []) {
      for (const ext of ['.js', target.templ, target.style, '.json']) {
        expect(existsSync(path.join(dir, page + ext)), `${page}${ext}`).toBe(true)
      }
    }
    for (const entry of ['app.js', `app${target.style}`, `base${target.templ}`]) {
      expect(existsSync(path.join(dir, entry)), entry).toBe(true)
    }
    // No WeChat file types: the plugin wrote the platform's own.
    expect(files.filter((file) => /\.(wxml|wxss)$/.test(file)).map(rel)).toEqual([])
  })

  it(`writes its templates with ${target.directive} directives, not wx:`, () => {
    const templates = files.filter((file) => file.endsWith(target.templ))
    expect(templates.length).toBeGreaterThan(0)
    const base = readFileSync(path.join(dir, `base${target.templ}`), 'utf8')
    expect(base).toContain(`${target.directive}for=`)
    const withWx = templates.filter((file) => /\swx:[a-z]/.test(readFileSync(file, 'utf8')))
    expect(withWx.map(rel)).toEqual([])
  })

  it("leaves WeChat's __usePrivacyCheck__ out of app.json", () => {
    expect(appJson).not.toHaveProperty('__usePrivacyCheck__')
  })

  it('has a tab bar for the three pages, with its icons copied', () => {
    const items = (appJson.tabBar?.list ?? appJson.tabBar?.items ?? []).map((item) => ({
      pagePath: item.pagePath,
      icons: [item.iconPath ?? item.icon, item.selectedIconPath ?? item.activeIcon],
    }))
    expect(items.map((item) => item.pagePath)).toEqual([
      'pages/index/index',
      'pages/profile/index',
      'pages/sessions/index',
    ])
    for (const item of items) {
      for (const icon of item.icons) {
        expect(icon && existsSync(path.join(dir, icon)), String(icon)).toBe(true)
      }
    }
  })

  it(`carries ${target.toolConfig} for its developer tool, rooted at the folder`, () => {
    const config = JSON.parse(readFileSync(path.join(dir, target.toolConfig), 'utf8'))
    expect(config.miniprogramRoot).toBe('./')
    if (target.name === 'alipay') expect(config.compileOptions?.component2).toBe(true)
    else expect(config.setting?.urlCheck).toBe(false)
  })

  it(`stays under ${SIZE_BUDGET / 1024} KB without source maps`, () => {
    const total = files.reduce((sum, file) => sum + statSync(file).size, 0)
    console.log(
      `${target.name} ${target.dir}/ size without .map files: ${(total / 1024).toFixed(1)} KB (${total} bytes, budget ${SIZE_BUDGET / 1024} KB)`,
    )
    expect(total).toBeLessThan(SIZE_BUDGET)
  })

  it("uses no global wx (the platform's runtime has none)", () => {
    expect(jsFiles.length).toBeGreaterThan(0)
    const found = jsFiles.flatMap((file) =>
      wxGlobalUses(readFileSync(file, 'utf8')).map((hit) => `${rel(file)}: …${hit}…`),
    )
    expect(found, found.join('\n')).toEqual([])
  })

  it('contains no server-only code and none of the H5 simulator tooling', () => {
    const found: string[] = []
    for (const file of files.filter((file) =>
      /\.(js|json|[a-z]*ml|[a-z]*ss|sjs|wxs)$/.test(file),
    )) {
      const code = readFileSync(file, 'utf8')
      const markers = file.endsWith('.js')
        ? [...SERVER_MARKERS, ...SIMULATOR_MARKERS]
        : SIMULATOR_MARKERS
      for (const [name, pattern] of markers) {
        const hit = firstMatch(code, pattern)
        if (hit) found.push(`${rel(file)}: ${name}: …${hit}…`)
      }
      for (const text of DEV_TEXTS) {
        if (containsText(code, text))
          found.push(`${rel(file)}: dev panel text ${JSON.stringify(text)}`)
      }
    }
    expect(found, found.join('\n')).toEqual([])
  })

  it('leaves no `process.env` reference and is ES2017 at most', () => {
    const failures: string[] = []
    for (const file of jsFiles) {
      const code = readFileSync(file, 'utf8')
      if (/\bprocess\.env\b/.test(code)) failures.push(`${rel(file)}: process.env`)
      try {
        parse(code, { ecmaVersion: 2017, sourceType: 'script' })
      } catch (error) {
        failures.push(`${rel(file)}: ${(error as Error).message}`)
      }
    }
    expect(failures, failures.join('\n')).toEqual([])
  })
})
