/*
 * Build-time settings, replaced by Taro (webpack DefinePlugin) when the app is built.
 * Set them in the environment of `taro build`; config/index.ts documents each one.
 */

/** Base URL of the API server, without a trailing slash. TARO_APP_API_URL at build time. */
export const API_URL: string = (process.env.TARO_APP_API_URL || 'http://127.0.0.1:3000').replace(
  /\/+$/,
  '',
)

/** Where the tRPC router is mounted on the server (contract: `/trpc`). */
export const TRPC_URL = `${API_URL}/trpc`
