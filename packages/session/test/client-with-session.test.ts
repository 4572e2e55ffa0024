/*
 * withSession: the session rules for requests that are not tRPC (the avatar
 * upload). The "server" here is a function that accepts only the tokens it
 * issued and refuses others as the upload endpoint does: an error whose
 * `data` is `{ code: 'UNAUTHORIZED', reason }`.
 */
import { describe, expect, it } from 'vitest'
import {
  createSessionClient,
  type LoginArgs,
  type LoginResult,
  memoryStorage,
  type SessionAuth,
  SessionLoginError,
  withSession,
} from '../src/client/index'
import { FakeLoginSource, sleep } from './client-fixtures'

const APPID = 'wx-upload'
const DAY = 24 * 3600_000

/** An error shaped like the server's JSON error body (`{ error: { message, data } }`). */
class HttpError extends Error {
  constructor(
    readonly data: { code: string; httpStatus: number; reason: string },
    message = data.reason,
  ) {
    super(message)
  }
}

function setup() {
  const source = new FakeLoginSource()
  const valid = new Set<string>()
  const logins: LoginArgs[] = []
  let counter = 0
  let loginFailure: SessionLoginError | null = null
  const session = createSessionClient({
    source,
    storage: memoryStorage(),
    appid: APPID,
    login: async (args): Promise<LoginResult> => {
      logins.push(args)
      await sleep(5)
      if (loginFailure) throw loginFailure
      const token = `tok-${++counter}`
      valid.add(token)
      return {
        token,
        expiresAt: new Date(Date.now() + DAY).toISOString(),
        user: { id: 'u1', nickname: null, avatarUrl: null },
      }
    },
  })
  const seen: SessionAuth[] = []
  /** The upload: 201 with a URL for a valid token, else a 401 with a session reason. */
  const upload = async (auth: SessionAuth): Promise<string> => {
    seen.push(auth)
    await sleep(1)
    if (!valid.has(auth.token)) {
      throw new HttpError({ code: 'UNAUTHORIZED', httpStatus: 401, reason: 'SESSION_EXPIRED' })
    }
    return `https://cdn.example/${auth.token}.png`
  }
  return {
    session,
    source,
    valid,
    logins,
    seen,
    upload,
    failLogins: (error: SessionLoginError | null) => {
      loginFailure = error
    },
  }
}

describe('withSession', () => {
  it('logs in first and passes the token with its headers', async () => {
    const { session, upload, seen, logins } = setup()
    const url = await withSession(session, upload)
    expect(url).toBe('https://cdn.example/tok-1.png')
    expect(logins).toHaveLength(1)
    expect(seen).toEqual([
      { token: 'tok-1', headers: { authorization: 'Bearer tok-1', 'x-wx-appid': APPID } },
    ])
  })

  it('leaves out x-wx-appid when told to', async () => {
    const { session, upload, seen } = setup()
    await withSession(session, upload, { appidHeader: false })
    expect(seen[0]?.headers).toEqual({ authorization: 'Bearer tok-1' })
  })

  it('a refused token: one re-login, one retry with the new token', async () => {
    const { session, upload, seen, valid, source } = setup()
    await session.ensureSession()
    valid.clear() // the server ended every session

    const url = await withSession(session, upload)

    expect(url).toBe('https://cdn.example/tok-2.png')
    expect(seen.map((auth) => auth.token)).toEqual(['tok-1', 'tok-2'])
    expect(source.loginCalls).toBe(2)
  })

  it('many calls meeting the same refused token share one re-login', async () => {
    const { session, upload, valid, logins } = setup()
    await session.ensureSession()
    valid.clear()

    const urls = await Promise.all(Array.from({ length: 20 }, () => withSession(session, upload)))

    expect(new Set(urls)).toEqual(new Set(['https://cdn.example/tok-2.png']))
    expect(logins).toHaveLength(2)
  })

  it('a second refusal reaches the caller: no login loop', async () => {
    const { session, seen, logins } = setup()
    const alwaysRefused = async (auth: SessionAuth): Promise<never> => {
      seen.push(auth)
      throw new HttpError({ code: 'UNAUTHORIZED', httpStatus: 401, reason: 'SESSION_REVOKED' })
    }
    const error = await withSession(session, alwaysRefused).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(HttpError)
    expect(seen).toHaveLength(2)
    expect(logins).toHaveLength(2)
  })

  it('other errors pass through without a re-login (a 401 with another reason too)', async () => {
    const { session, logins } = setup()
    for (const data of [
      { code: 'PAYLOAD_TOO_LARGE', httpStatus: 413, reason: 'UPLOAD_TOO_LARGE' },
      { code: 'UNAUTHORIZED', httpStatus: 401, reason: 'PHONE_REQUIRED' },
    ]) {
      let calls = 0
      const error = await withSession(session, async () => {
        calls++
        throw new HttpError(data)
      }).catch((e: unknown) => e)
      expect(error).toMatchObject({ data })
      expect(calls).toBe(1)
    }
    const network = new TypeError('Network request failed')
    await expect(
      withSession(session, async () => {
        throw network
      }),
    ).rejects.toBe(network)
    expect(logins).toHaveLength(1)
  })

  it('a custom isRefused decides what counts as a refusal', async () => {
    const { session, logins } = setup()
    let calls = 0
    const result = await withSession(
      session,
      async ({ token }) => {
        calls++
        if (calls === 1) throw Object.assign(new Error('nope'), { status: 401 })
        return token
      },
      { isRefused: (error) => (error as { status?: unknown }).status === 401 },
    )
    expect(result).toBe('tok-2')
    expect(logins).toHaveLength(2)
  })

  it('a failed login rejects with the SessionLoginError, and the call is not made', async () => {
    const { session, upload, seen, failLogins } = setup()
    failLogins(new SessionLoginError('WECHAT_BUSY', 'busy', { code: 'SERVICE_UNAVAILABLE' }))
    const error = await withSession(session, upload).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SessionLoginError)
    expect(error).toMatchObject({ reason: 'WECHAT_BUSY', retryable: true })
    expect(seen).toHaveLength(0)
  })

  it('a failed re-login rejects with the SessionLoginError after the refusal', async () => {
    const { session, upload, seen, valid, failLogins } = setup()
    await session.ensureSession()
    valid.clear()
    failLogins(new SessionLoginError('LOGIN_RATE_LIMITED', 'slow down'))
    const error = await withSession(session, upload).catch((e: unknown) => e)
    expect(error).toMatchObject({ name: 'SessionLoginError', reason: 'LOGIN_RATE_LIMITED' })
    expect(seen).toHaveLength(1)
    // The refused token is dropped: the next call logs in afresh.
    expect(session.token).toBeNull()
  })
})
