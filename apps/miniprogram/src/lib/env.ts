/*
 * Build-time settings, replaced by Taro (webpack DefinePlugin) when the app is built.
 * Set them in the environment of `taro build`; config/index.ts documents each one.
 * The H5-only ones (TARO_APP_SIM_URL, TARO_APP_APPID) are read in src/dev/.
 *
 * H5 only, a page may override them at run time (one H5 build served to several
 * environments, tests on free ports): see `h5RuntimeConfig` below and the README.
 */

/** What an H5 page may set in `window.__WXAPP_CONFIG__`; every key is optional. */
export interface H5RuntimeConfig {
  /** Base URL of the API server (replaces TARO_APP_API_URL). */
  apiUrl?: string
  /** Base URL of the WeChat simulator (replaces TARO_APP_SIM_URL). */
  simUrl?: string
  /** The appid the preview logs in as (replaces TARO_APP_APPID). */
  appid?: string
}

/** An http(s) base URL without credentials, query or fragment; trailing slashes dropped. */
function baseUrl(value: unknown): string | null {
  if (typeof value !== 'string') return null
  let url: URL
  try {
    url = new URL(value.trim())
  } catch {
    return null
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null
  if (url.username || url.password || url.search || url.hash) return null
  return value.trim().replace(/\/+$/, '')
}

/**
 * Validates a page's runtime configuration: the valid keys are kept, each invalid or
 * unknown one is named in `problems` (the build-time value then stays).
 */
export function parseH5RuntimeConfig(raw: unknown): {
  config: H5RuntimeConfig
  problems: string[]
} {
  const config: H5RuntimeConfig = {}
  const problems: string[] = []
  if (raw === undefined || raw === null) return { config, problems }
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    return { config, problems: ['window.__WXAPP_CONFIG__ must be an object'] }
  }
  for (const [key, value] of Object.entries(raw)) {
    if (key === 'apiUrl' || key === 'simUrl') {
      const url = baseUrl(value)
      if (url) config[key] = url
      else problems.push(`window.__WXAPP_CONFIG__.${key} must be an http(s) base URL`)
    } else if (key === 'appid') {
      // The simulator's rule for appids (config/index.ts checks TARO_APP_APPID alike).
      if (typeof value === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(value)) config.appid = value
      else problems.push('window.__WXAPP_CONFIG__.appid must be 1-64 letters, digits, _ or -')
    } else {
      problems.push(`window.__WXAPP_CONFIG__.${key} is not a setting`)
    }
  }
  return { config, problems }
}

/**
 * H5 only: the page's `window.__WXAPP_CONFIG__`, validated. Read once, when the bundle
 * starts, so the page sets it in a `<script>` before the app's scripts. In weapp builds
 * the branch is dropped (test/build-output.test.ts checks) and this is `{}`.
 */
export const h5RuntimeConfig: H5RuntimeConfig = (() => {
  if (process.env.TARO_ENV === 'h5') {
    const { config, problems } = parseH5RuntimeConfig(
      (globalThis as { __WXAPP_CONFIG__?: unknown }).__WXAPP_CONFIG__,
    )
    for (const problem of problems) console.error(`${problem}: ignored`)
    return config
  }
  return {}
})()

/** Base URL of the API server, without a trailing slash. TARO_APP_API_URL at build time. */
export const API_URL: string =
  h5RuntimeConfig.apiUrl ??
  (process.env.TARO_APP_API_URL || 'http://127.0.0.1:3000').replace(/\/+$/, '')

/** Where the tRPC router is mounted on the server (contract: `/trpc`). */
export const TRPC_URL = `${API_URL}/trpc`

/** The avatar upload endpoint (multipart, not tRPC). */
export const AVATAR_UPLOAD_URL = `${API_URL}/uploads/avatar`

/**
 * WeChat Cloud Hosting (TARO_APP_CLOUD_ENV and TARO_APP_CLOUD_SERVICE at build time):
 * when both are set, calls go through wx.cloud.callContainer to that environment's
 * service instead of HTTP to API_URL (./cloud-link.ts); otherwise null.
 */
export const CLOUD_CONTAINER: { env: string; service: string } | null = (() => {
  const env = (process.env.TARO_APP_CLOUD_ENV ?? '').trim()
  const service = (process.env.TARO_APP_CLOUD_SERVICE ?? '').trim()
  return env && service ? { env, service } : null
})()
