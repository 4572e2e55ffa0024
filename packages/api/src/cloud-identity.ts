/*
 * WeChat Cloud Hosting (微信云托管). A request the app sends with
 * wx.cloud.callContainer reaches the container through WeChat's gateway,
 * which adds who is calling: X-WX-OPENID, X-WX-APPID, X-WX-UNIONID (when
 * WeChat gives unionids to the app) and X-WX-SOURCE (what triggered the call;
 * WeChat's docs say to check that it is present before treating a call as
 * coming from a WeChat client). No code and no session_key come with them.
 *
 * These headers prove anything only because the gateway sets them: on any
 * other route to the server a client can send whatever it likes. So they are
 * read only when the server runs with WECHAT_CLOUD_HOSTING=true (the HTTP
 * layer passes `enabled`), and that flag must only be set where the gateway
 * is the one way in (Cloud Hosting with public access off).
 *
 * X-WX-APPID has the name of the header a client names its app with on every
 * request (`x-wx-appid`, APPID_HEADER; header names are case-insensitive).
 * That is one header, not two: behind the gateway its value is the gateway's
 * (the calling mini-program), so the app a request names and the app its
 * identity belongs to are the same by construction. Should a client's own
 * copy ever reach the server next to the gateway's, the server's onRequest
 * hook refuses the request (HEADER_REPEATED) before anything reads it, as it
 * does for the other identity headers while the flag is on, so a client can
 * never choose which of two values counts.
 */
import { z } from 'zod'

/** The gateway's identity headers, lower-cased as Node gives them. */
export const CLOUD_OPENID_HEADER = 'x-wx-openid'
export const CLOUD_APPID_HEADER = 'x-wx-appid'
export const CLOUD_UNIONID_HEADER = 'x-wx-unionid'
export const CLOUD_SOURCE_HEADER = 'x-wx-source'
export const CLOUD_IDENTITY_HEADERS = [
  CLOUD_OPENID_HEADER,
  CLOUD_APPID_HEADER,
  CLOUD_UNIONID_HEADER,
  CLOUD_SOURCE_HEADER,
] as const

// WeChat's openids and unionids are 28-29 characters of base64url; a little
// room is left, but nothing outside that alphabet (a comma would mean Node
// joined two copies of the header).
const WECHAT_ID = /^[A-Za-z0-9_-]{16,64}$/
// The simulator's appids are not wx + 16 hex digits: the rule the server's
// configuration uses for appids (@wxapp/env).
const APPID = /^[A-Za-z0-9_-]{1,64}$/
// WeChat documents X-WX-SOURCE as the caller's kind without a closed list of
// values, so any short plain token is accepted; its presence is what counts.
const SOURCE = /^[A-Za-z0-9_.:-]{1,64}$/

/** An absent or empty header is absent; an array (never for these headers) is refused by the string check. */
const optionalHeader = z.preprocess((value) => (value === '' ? undefined : value), z.unknown())

const CloudHeaders = z.object({
  [CLOUD_OPENID_HEADER]: z.string().regex(WECHAT_ID),
  [CLOUD_APPID_HEADER]: z.string().regex(APPID),
  [CLOUD_UNIONID_HEADER]: optionalHeader.pipe(z.string().regex(WECHAT_ID).optional()),
  [CLOUD_SOURCE_HEADER]: z.string().regex(SOURCE),
})

/** Who the Cloud Hosting gateway says is calling. */
export interface CloudIdentity {
  appid: string
  openid: string
  unionid?: string
  /** X-WX-SOURCE as the gateway sent it (kept for the log). */
  source: string
}

/** Request headers as Node (and Fastify) give them: lower-cased names. */
export type RequestHeaders = Readonly<Record<string, string | string[] | undefined>>

/**
 * The identity in a request's Cloud Hosting headers, or null: always null
 * unless `enabled` (WECHAT_CLOUD_HOSTING), and null unless the openid, the
 * appid and the source are all present and well-formed. A partial or
 * malformed set is no identity at all rather than part of one.
 */
export function cloudIdentityOf(headers: RequestHeaders, enabled: boolean): CloudIdentity | null {
  if (!enabled) return null
  const parsed = CloudHeaders.safeParse(headers)
  if (!parsed.success) return null
  const data = parsed.data
  const identity: CloudIdentity = {
    appid: data[CLOUD_APPID_HEADER],
    openid: data[CLOUD_OPENID_HEADER],
    source: data[CLOUD_SOURCE_HEADER],
  }
  const unionid = data[CLOUD_UNIONID_HEADER]
  if (unionid !== undefined) identity.unionid = unionid
  return identity
}
