/*
 * The avatar upload (not tRPC): Taro.uploadFile with the session's headers, the
 * answer's `{ url }` or its `{ error: { data } }`, and withSession's single re-login
 * when the server refuses the token.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest'

const { uploadFile, session } = vi.hoisted(() => {
  let current = 'token-1'
  return {
    uploadFile: vi.fn(),
    session: {
      appid: 'wx0123456789abcdef',
      ensureSession: vi.fn(async () => current),
      relogin: vi.fn(async () => {
        current = 'token-2'
        return current
      }),
      reset() {
        current = 'token-1'
      },
    },
  }
})
vi.mock('@tarojs/taro', () => ({ default: { uploadFile } }))
vi.mock('../src/lib/session', () => ({ session }))

const { uploadAvatar, UploadError } = await import('../src/lib/upload')

function answer(statusCode: number, body: unknown) {
  uploadFile.mockResolvedValueOnce({
    statusCode,
    data: typeof body === 'string' ? body : JSON.stringify(body),
    errMsg: 'uploadFile:ok',
  })
}

function refusal(status: number, code: string, reason: string) {
  return { error: { message: reason, data: { code, httpStatus: status, reason } } }
}

beforeEach(() => {
  uploadFile.mockReset()
  session.ensureSession.mockClear()
  session.relogin.mockClear()
  session.reset()
})

describe('uploadAvatar', () => {
  it('sends the file as multipart field `file` with the session headers and returns the URL', async () => {
    answer(201, { url: 'http://127.0.0.1:3000/uploads/avatars/abc.png' })
    expect(await uploadAvatar('wxfile://tmp/a.png')).toBe(
      'http://127.0.0.1:3000/uploads/avatars/abc.png',
    )
    expect(uploadFile).toHaveBeenCalledWith({
      url: 'http://127.0.0.1:3000/uploads/avatar',
      filePath: 'wxfile://tmp/a.png',
      name: 'file',
      header: { authorization: 'Bearer token-1', 'x-wx-appid': 'wx0123456789abcdef' },
      withCredentials: false,
    })
  })

  it('a refused token: one re-login, then the upload again with the new token', async () => {
    answer(401, refusal(401, 'UNAUTHORIZED', 'SESSION_EXPIRED'))
    answer(201, { url: 'http://x/uploads/avatars/b.png' })
    expect(await uploadAvatar('tmp/b.png')).toBe('http://x/uploads/avatars/b.png')
    expect(session.relogin).toHaveBeenCalledWith('token-1')
    expect(uploadFile.mock.calls[1]?.[0].header.authorization).toBe('Bearer token-2')
  })

  it('other refusals carry the server reason (too large, wrong type), with no re-login', async () => {
    for (const [status, code, reason] of [
      [413, 'PAYLOAD_TOO_LARGE', 'UPLOAD_TOO_LARGE'],
      [415, 'UNSUPPORTED_MEDIA_TYPE', 'UPLOAD_UNSUPPORTED_TYPE'],
    ] as const) {
      answer(status, refusal(status, code, reason))
      const error = await uploadAvatar('tmp/c.png').catch((e: unknown) => e)
      expect(error).toBeInstanceOf(UploadError)
      expect(error).toMatchObject({ data: { code, httpStatus: status, reason } })
    }
    expect(session.relogin).not.toHaveBeenCalled()
  })

  it('an answer that is not the API (a proxy page) is UPLOAD_FAILED; no answer is a network error', async () => {
    answer(502, '<html>Bad Gateway</html>')
    expect(await uploadAvatar('tmp/d.png').catch((e: unknown) => e)).toMatchObject({
      data: { httpStatus: 502, reason: 'UPLOAD_FAILED' },
    })
    uploadFile.mockRejectedValueOnce({ errMsg: 'uploadFile:fail timeout' })
    const offline = await uploadAvatar('tmp/d.png').catch((e: unknown) => e)
    expect(offline).toBeInstanceOf(TypeError)
  })
})
