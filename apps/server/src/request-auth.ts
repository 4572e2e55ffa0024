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
