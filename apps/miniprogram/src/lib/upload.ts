/*
 * The avatar upload: `POST /uploads/avatar` (multipart, field `file`), not tRPC. It
 * answers 201 `{ url }`, or `{ error: { message, data: { code, httpStatus, reason } } }`
 * like tRPC errors, so an UploadError carries the same `data` and errors.ts, and
 * withSession's refusal check (UNAUTHORIZED + a session reason), read both alike.
 */
import Taro from '@tarojs/taro'
import { withSession } from '@wxapp/session/client'
import { AVATAR_UPLOAD_URL } from './env'
import { session } from './session'

export interface UploadErrorData {
  code: string
  httpStatus: number
  reason: string
}

export class UploadError extends Error {
  readonly data: UploadErrorData
  constructor(data: UploadErrorData, message: string, cause?: unknown) {
    super(message)
    // Keeps instanceof working when classes are compiled to functions (ES5 targets).
    Object.setPrototypeOf(this, UploadError.prototype)
    this.name = 'UploadError'
    this.data = data
    if (cause !== undefined) (this as { cause?: unknown }).cause = cause
  }
}

function parseJson(text: unknown): unknown {
  if (typeof text !== 'string') return text
  try {
    return JSON.parse(text)
  } catch {
    return null
  }
}

function errorData(body: unknown, status: number): UploadErrorData {
  const data =
    body && typeof body === 'object'
      ? (body as { error?: { data?: Partial<UploadErrorData> } }).error?.data
      : undefined
  return {
    code: typeof data?.code === 'string' ? data.code : 'INTERNAL_SERVER_ERROR',
    httpStatus: typeof data?.httpStatus === 'number' ? data.httpStatus : status,
    reason: typeof data?.reason === 'string' ? data.reason : 'UPLOAD_FAILED',
  }
}

async function uploadOnce(filePath: string, headers: Record<string, string>): Promise<string> {
  let result: Taro.uploadFile.SuccessCallbackResult
  try {
    result = await Taro.uploadFile({
      url: AVATAR_UPLOAD_URL,
      filePath,
      name: 'file',
      header: headers,
      // H5 only (XHR): no cookies, so a plain CORS setup on the server suffices.
      withCredentials: false,
    })
  } catch (error) {
    // No answer at all (offline, timeout): Taro rejects with { errMsg }.
    throw Object.assign(new TypeError('Upload failed: no answer'), { cause: error })
  }
  const body = parseJson(result.data)
  const url = body && typeof body === 'object' ? (body as { url?: unknown }).url : undefined
  if (result.statusCode === 201 && typeof url === 'string') return url
  const data = errorData(body, result.statusCode)
  throw new UploadError(data, `Upload refused: ${data.reason}`)
}

/** Uploads a local image (a chooseAvatar / chooseImage temp path) and returns its URL. */
export function uploadAvatar(filePath: string): Promise<string> {
  return withSession(session, ({ headers }) => uploadOnce(filePath, headers))
}
