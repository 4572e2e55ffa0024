import { APPID_HEADER, AUTH_HEADER } from '@wxapp/session/shared'
import type { FastifyRequest } from 'fastify'

const BEARER = /^Bearer\s+(\S+)$/i
/**
 * Stands for an Authorization header that is not `Bearer <token>`: it cannot
 * parse as a token, so the client hears TOKEN_INVALID rather than AUTH_REQUIRED.
 */
const MALFORMED = 'malformed-authorization-header'

function header(request: FastifyRequest, name: string): string | null {
  const value = request.headers[name]
  return typeof value === 'string' && value.length > 0 ? value : null
}

/** The session token and app a request names (either may be absent). */
export function requestAuth(request: FastifyRequest): {
  token: string | null
  appid: string | null
} {
  const authorization = header(request, AUTH_HEADER)
  return {
    token: authorization ? (BEARER.exec(authorization)?.[1] ?? MALFORMED) : null,
    appid: header(request, APPID_HEADER),
  }
}

/**
 * The first of `names` (lower-case; by default the headers a request names
 * its session and app with, Authorization and x-wx-appid) that a request
 * sends more than once, or null. Node keeps only the first of several
 * Authorization headers (and joins repeated x-wx-appid values), so which one
 * a client or proxy meant cannot be known: such a request is refused,
 * whatever the order.
 */
export function repeatedHeader(
  rawHeaders: readonly string[],
  names: readonly string[] = [AUTH_HEADER, APPID_HEADER],
): string | null {
  const lengths = names.map((name) => name.length)
  const seen: string[] = []
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const raw = rawHeaders[i] as string
    // Most headers differ in length from all of these: no lower-cased copy of those.
    if (!lengths.includes(raw.length)) continue
    const name = raw.toLowerCase()
    if (!names.includes(name)) continue
    if (seen.includes(name)) return name
    seen.push(name)
  }
  return null
}
