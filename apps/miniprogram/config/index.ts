import path from 'node:path'
import { defineConfig, type UserConfigExport } from '@tarojs/cli'
import devApp from '@wxapp/env/dev-app.json'
import devConfig from './dev'
import prodConfig from './prod'

/*
 * Build-time configuration (environment variables read when `taro build` starts):
 *
 *   TARO_APP_API_URL  Base URL of the API server, without the `/trpc` suffix.
 *                     Default: http://127.0.0.1:3000 (the server's default HOST:PORT).
 *                     Baked into the bundle as `process.env.TARO_APP_API_URL`.
 *                     A real device needs an HTTPS domain listed in the mini-program's
 *                     request domains; 127.0.0.1 only works in WeChat DevTools with
 *                     "urlCheck" off (see project.config.json).
 *   WECHAT_APPID      The mini-program's appid, written into dist/project.config.json so
 *                     that WeChat DevTools opens dist/ with it. Only a real appid
 *                     (wx + 16 hex digits) is used; anything else (unset, the WeChat
 *                     simulator's development app) falls back to `touristappid`.
 *                     TARO_APP_ID, Taro's own variable, wins when set.
 *   H5_PORT           Port of the H5 dev server (`pnpm dev:h5`), default 10086.
 *                     It always binds to 127.0.0.1.
 *
 * H5 preview only (the browser has no wx.login: the WeChat simulator stands in for it).
 * Not defined in weapp builds, where none of the simulator code is bundled:
 *
 *   TARO_APP_CLOUD_ENV, TARO_APP_CLOUD_SERVICE
 *                     WeChat Cloud Hosting's environment id and service name: with both,
 *                     the app calls the API through wx.cloud.callContainer (src/lib/cloud-link.ts)
 *                     instead of TARO_APP_API_URL. Default: unset (HTTP).
 *   TARO_APP_SIM_URL  Base URL of the WeChat simulator (`pnpm start:sim`), whose control
 *                     endpoints (/sim/login, /sim/check-session, /sim/phone-code…) give
 *                     the preview its login and phone codes. Default: http://127.0.0.1:4000.
 *   TARO_APP_APPID    The appid the preview logs in as. Default: the simulator's
 *                     development app (@wxapp/env's dev-app.json, what `pnpm dev` gives
 *                     the server).
 *                     In weapp the appid comes from wx.getAccountInfoSync().
 *
 * Taro also reads TARO_APP_* values from `.env`, `.env.<mode>` and `.env.local` in this
 * folder; a variable set in the environment wins over them.
 */

const DEFAULT_API_URL = 'http://127.0.0.1:3000'
const DEFAULT_SIM_URL = 'http://127.0.0.1:4000'
const DEFAULT_SIM_APPID = devApp.appid
const DEFAULT_H5_PORT = 10086
const REAL_APPID = /^wx[0-9a-f]{16}$/i

const platform = process.env.TARO_ENV ?? 'weapp'

// Where each platform's build goes: weapp in dist/ (what WeChat DevTools opens, and the
// tests' historical path), H5 in dist-h5/, the others in dist-<platform>/ (qq, tt, alipay).
const OUTPUT_ROOTS: Record<string, string> = { weapp: 'dist', h5: 'dist-h5' }
const outputRoot = OUTPUT_ROOTS[platform] ?? `dist-${platform}`

// Babel (preset-env) and autoprefixer pick the matching entry of package.json's
// "browserslist": "weapp" keeps the output at ES2017 for older WeChat clients.
process.env.BROWSERSLIST_ENV = platform === 'h5' ? 'h5' : 'weapp'

function httpUrl(name: 'TARO_APP_API_URL' | 'TARO_APP_SIM_URL', fallback: string): string {
  const raw = (process.env[name] ?? '').trim() || fallback
  let parsed: URL
  try {
    parsed = new URL(raw)
  } catch {
    throw new Error(`${name} is not a valid URL: ${JSON.stringify(raw)}`)
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new Error(`${name} must be an http(s) URL, got ${JSON.stringify(raw)}`)
  }
  return raw.replace(/\/+$/, '')
}

/** A WeChat-only setting: kept for weapp (and the H5 preview, as before), empty elsewhere. */
function wechatOnly(value: string | undefined): string {
  return platform === 'weapp' || platform === 'h5' ? (value ?? '').trim() : ''
}

function simAppid(): string {
  const raw = (process.env.TARO_APP_APPID ?? '').trim() || DEFAULT_SIM_APPID
  // The simulator's rule for appids.
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(raw)) {
    throw new Error(
      `TARO_APP_APPID must be 1-64 letters, digits, _ or -, got ${JSON.stringify(raw)}`,
    )
  }
  return raw
}

function appid(): string {
  if (process.env.TARO_APP_ID) return process.env.TARO_APP_ID
  const wechatAppid = (process.env.WECHAT_APPID ?? '').trim()
  if (REAL_APPID.test(wechatAppid)) return wechatAppid
  return 'touristappid'
}

function h5Port(): number {
  const raw = process.env.H5_PORT
  if (!raw) return DEFAULT_H5_PORT
  const port = Number(raw)
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`H5_PORT must be a port number, got ${JSON.stringify(raw)}`)
  }
  return port
}

// Taro's generateProjectConfig copies project.config.json into the output folder and
// takes the appid from TARO_APP_ID. The other platforms' tool configs (project.qq.json,
// project.tt.json, project.alipay.json -> mini.project.json) keep their own appid unless
// TARO_APP_ID is set: WECHAT_APPID is no QQ, Douyin or Alipay appid.
if (platform === 'weapp' || platform === 'h5') process.env.TARO_APP_ID = appid()

// Workspace packages (packages/*/src, TypeScript) are compiled by Taro's babel rule
// like our own source; their node_modules are not.
const workspacePackages = path.resolve(__dirname, '../../../packages')
const isWorkspaceSource = (filename: string): boolean => {
  const rel = path.relative(workspacePackages, filename)
  return (
    rel !== '' &&
    !rel.startsWith('..') &&
    !path.isAbsolute(rel) &&
    !rel.split(path.sep).includes('node_modules')
  )
}

// The mini-program runtime has no AbortController, which @trpc/client's links need.
// Webpack replaces the free variable with our module, which returns the native class
// when there is one and the shim otherwise. H5 runs in browsers that have it.
const abortControllerModule = path.resolve(__dirname, '../src/lib/abort-controller.ts')

// The redrawing progress bar only makes sense on a terminal; piped (`pnpm dev`,
// CI) it floods the output with fragments. Keep the one-line-per-build reports.
// biome-ignore lint/suspicious/noExplicitAny: webpack-chain's plugin args are untyped
function quietProgressWhenPiped(chain: any): void {
  if (process.stdout.isTTY) return
  chain.plugin('webpackbar').tap((args: [{ reporters?: unknown[] }]) => {
    const [options] = args
    return [{ ...options, reporters: (options.reporters ?? []).filter((r) => r !== 'fancy') }]
  })
}

export default defineConfig<'webpack5'>(async (merge) => {
  const baseConfig: UserConfigExport<'webpack5'> = {
    projectName: 'wxapp-miniprogram',
    designWidth: 750,
    deviceRatio: {
      640: 2.34 / 2,
      750: 1,
      375: 2,
      828: 1.81 / 2,
    },
    sourceRoot: 'src',
    outputRoot,
    // weapp and h5 come with the CLI; QQ, Douyin (tt) and Alipay are Taro's official
    // platform plugins (4.2.0, the latest published; they work with the 4.2.1 core).
    plugins: [
      '@tarojs/plugin-platform-qq',
      '@tarojs/plugin-platform-tt',
      '@tarojs/plugin-platform-alipay',
    ],
    env: {
      TARO_APP_API_URL: JSON.stringify(httpUrl('TARO_APP_API_URL', DEFAULT_API_URL)),
      // WeChat Cloud Hosting (weapp): both set, calls go through callContainer. QQ, Douyin
      // and Alipay have no wx.cloud: their builds always call TARO_APP_API_URL.
      TARO_APP_CLOUD_ENV: JSON.stringify(wechatOnly(process.env.TARO_APP_CLOUD_ENV)),
      TARO_APP_CLOUD_SERVICE: JSON.stringify(wechatOnly(process.env.TARO_APP_CLOUD_SERVICE)),
      // H5-only settings stay out of the weapp build entirely.
      ...(platform === 'h5'
        ? {
            TARO_APP_SIM_URL: JSON.stringify(httpUrl('TARO_APP_SIM_URL', DEFAULT_SIM_URL)),
            TARO_APP_APPID: JSON.stringify(simAppid()),
          }
        : {}),
    },
    defineConstants: {},
    copy: {
      patterns: [],
      options: {},
    },
    framework: 'react',
    compiler: {
      type: 'webpack5',
      // Watch builds pre-bundle node_modules with esbuild, outside webpack's ProvidePlugin:
      // keep tRPC in the webpack graph so it gets the AbortController shim there too.
      prebundle: {
        exclude: ['@trpc/client', '@trpc/server'],
      },
    },
    cache: {
      enable: false,
    },
    mini: {
      compile: {
        include: [isWorkspaceSource],
      },
      postcss: {
        pxtransform: {
          enable: true,
          config: {},
        },
        cssModules: {
          enable: false,
        },
      },
      webpackChain(chain, webpack) {
        quietProgressWhenPiped(chain)
        chain
          .plugin('abortControllerShim')
          .use(webpack.ProvidePlugin, [
            { AbortController: [abortControllerModule, 'AbortController'] },
          ])
      },
    },
    h5: {
      publicPath: '/',
      staticDirectory: 'static',
      router: {
        mode: 'hash',
      },
      devServer: {
        host: '127.0.0.1',
        port: h5Port(),
      },
      compile: {
        include: [isWorkspaceSource],
      },
      output: {
        filename: 'js/[name].[contenthash:8].js',
        chunkFilename: 'js/[name].[contenthash:8].js',
      },
      miniCssExtractPluginOption: {
        ignoreOrder: true,
        filename: 'css/[name].[contenthash:8].css',
        chunkFilename: 'css/[name].[contenthash:8].css',
      },
      webpackChain(chain) {
        quietProgressWhenPiped(chain)
        // The H5 build is a preview of the mini-program, not a tuned website: silence
        // webpack's 244 KiB hint. React DOM (shared by the pages, so in the entry), the
        // tab bar and the simulator panel bring the entry to about 450 KiB.
        chain.performance.maxEntrypointSize(512 * 1024).maxAssetSize(512 * 1024)
      },
      postcss: {
        autoprefixer: {
          enable: true,
          config: {},
        },
        cssModules: {
          enable: false,
        },
      },
    },
  }

  if (process.env.NODE_ENV === 'development') {
    return merge({}, baseConfig, devConfig)
  }
  return merge({}, baseConfig, prodConfig)
})
