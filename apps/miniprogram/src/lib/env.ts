/*
 * Build-time settings, replaced by Taro (webpack DefinePlugin) when the app is built.
 * Set them in the environment of `taro build`; config/index.ts documents each one.
 * The H5-only ones (TARO_APP_SIM_URL, TARO_APP_APPID) are read in src/dev/.
 */

/** Base URL of the API server, without a trailing slash. TARO_APP_API_URL at build time. */
export const API_URL: string = (process.env.TARO_APP_API_URL || 'http://127.0.0.1:3000').replace(
  /\/+$/,
  '',
)

/** Where the tRPC router is mounted on the server (contract: `/trpc`). */
export const TRPC_URL = `${API_URL}/trpc`

/** The avatar upload endpoint (multipart, not tRPC). */
export const AVATAR_UPLOAD_URL = `${API_URL}/uploads/avatar`
