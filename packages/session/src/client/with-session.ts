/*
 * The sessionLink rules for calls that are not tRPC (a file upload, a
 * download): a session first, and a refused token answered by one shared
 * re-login and a single retry. The request itself stays the caller's.
 *
 *   const url = await withSession(session, ({ headers }) => upload(file, headers))
 */
import { APPID_HEADER, AUTH_HEADER, bearer } from '../shared/index'
import { isSessionFailure } from './errors'
import type { SessionClient } from './session-client'

/** What the call gets: the token, and the headers that carry it. */
export interface SessionAuth {
  token: string
  /** `authorization: Bearer …` and (unless turned off) `x-wx-appid`. */
  headers: Record<string, string>
}

export interface WithSessionOptions {
  /**
   * Whether what the call threw means "the server refused this token".
   * Default: `isSessionFailure`, i.e. an error whose `data` says
   * `{ code: 'UNAUTHORIZED', reason: <a session reason> }`, the shape of both
   * tRPC errors and the server's other JSON errors.
   */
  isRefused?: (error: unknown) => boolean
  /** Send `x-wx-appid` (default true). */
  appidHeader?: boolean
}

type SessionCalls = Pick<SessionClient<unknown>, 'appid' | 'ensureSession' | 'relogin'>

/**
 * Runs `call` with a session. A refusal triggers `relogin(<the refused
 * token>)`, shared with every other caller in flight, and one retry with the
 * fresh token; a second refusal, any other error and a failed login (a
 * SessionLoginError) reach the caller unchanged.
 */
export async function withSession<T>(
  client: SessionCalls,
  call: (auth: SessionAuth) => Promise<T>,
  options: WithSessionOptions = {},
): Promise<T> {
  const isRefused = options.isRefused ?? isSessionFailure
  const appid = options.appidHeader === false ? null : client.appid
  const authFor = (token: string): SessionAuth => {
    const headers: Record<string, string> = { [AUTH_HEADER]: bearer(token) }
    if (appid) headers[APPID_HEADER] = appid
    return { token, headers }
  }

  const token = await client.ensureSession()
  try {
    return await call(authFor(token))
  } catch (error) {
    if (!isRefused(error)) throw error
  }
  const fresh = await client.relogin(token)
  return call(authFor(fresh))
}
