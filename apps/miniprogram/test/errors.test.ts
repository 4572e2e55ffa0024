/*
 * What the user reads when something fails: the machine reason behind an error (the
 * session client's SessionLoginError, a tRPC error's `data.reason`, the upload's error
 * body, a network failure) and its Chinese text.
 */
import { TRPCClientError } from '@trpc/client'
import { SessionLoginError } from '@wxapp/session/client'
import { ALL_REASONS } from '@wxapp/session/shared'
import { describe, expect, it } from 'vitest'
import { zhCN } from '../src/i18n/zh-CN'
import { describeError, fieldErrorsOf, nicknameMessage, reasonOf } from '../src/lib/errors'

function trpcError(data: Record<string, unknown>): TRPCClientError<never> {
  return TRPCClientError.from({ error: { message: 'x', code: -32000, data } })
}

describe('describeError', () => {
  it('a failed login says why, from the SessionLoginError even when tRPC wraps it', () => {
    const busy = new SessionLoginError('WECHAT_BUSY', 'busy')
    expect(describeError(busy)).toEqual({
      reason: 'WECHAT_BUSY',
      message: '微信服务繁忙，请稍后重试',
    })
    expect(describeError(TRPCClientError.from(busy)).reason).toBe('WECHAT_BUSY')
    for (const reason of ['LOGIN_RATE_LIMITED', 'NETWORK_ERROR', 'WECHAT_LOGIN_FAILED'] as const) {
      expect(describeError(new SessionLoginError(reason, reason)).message).toBe(zhCN.errors[reason])
    }
  })

  it('a server answer: its reason, else the reason of its code', () => {
    expect(describeError(trpcError({ code: 'BAD_REQUEST', reason: 'PHONE_CODE_INVALID' }))).toEqual(
      {
        reason: 'PHONE_CODE_INVALID',
        message: '手机号授权已失效，请再点一次“绑定手机号”',
      },
    )
    expect(reasonOf(trpcError({ code: 'TOO_MANY_REQUESTS' }))).toBe('TOO_MANY_REQUESTS')
    // A reason this build does not know (a newer server): the code's reason.
    expect(reasonOf(trpcError({ code: 'SERVICE_UNAVAILABLE', reason: 'NEW_REASON' }))).toBe(
      'SERVICE_UNAVAILABLE',
    )
    // The upload's error body has the same `data`.
    const upload = Object.assign(new Error('refused'), {
      data: { code: 'PAYLOAD_TOO_LARGE', httpStatus: 413, reason: 'UPLOAD_TOO_LARGE' },
    })
    expect(describeError(upload).message).toBe(zhCN.errors.UPLOAD_TOO_LARGE)
  })

  it('no answer at all is a network error; an answer that is not the API is "unavailable"', () => {
    const offline = TRPCClientError.from(new TypeError('Network request failed'))
    expect(reasonOf(offline)).toBe('NETWORK_ERROR')
    expect(reasonOf({ errMsg: 'uploadFile:fail timeout' })).toBe('NETWORK_ERROR')
    expect(reasonOf(TRPCClientError.from(new SyntaxError('Unexpected token <')))).toBe(
      'SERVICE_UNAVAILABLE',
    )
  })

  it('anything else gets the general text, never an English message', () => {
    expect(describeError(new Error('Something in English'))).toEqual({
      reason: 'UNKNOWN',
      message: zhCN.errors.UNKNOWN,
    })
    expect(describeError(trpcError({ code: 'X', reason: 'SOME_NEW_REASON' })).message).toBe(
      zhCN.errors.UNKNOWN,
    )
  })
})

describe('the texts', () => {
  it('say something for every reason, none of them the general text but UNKNOWN', () => {
    for (const [reason, text] of Object.entries(zhCN.errors)) {
      expect(text, reason).toMatch(/[\u4e00-\u9fff]/)
      if (reason !== 'UNKNOWN') expect(text, reason).not.toBe(zhCN.errors.UNKNOWN)
    }
    expect(Object.keys(zhCN.errors).sort()).toEqual([...ALL_REASONS].sort())
  })
})

describe('field errors', () => {
  it('reads data.fieldErrors of a validation error', () => {
    const error = trpcError({
      code: 'BAD_REQUEST',
      reason: 'INVALID_INPUT',
      fieldErrors: { nickname: ['Nickname must be at most 64 characters'], other: 'not a list' },
    })
    expect(fieldErrorsOf(error)).toEqual({ nickname: ['Nickname must be at most 64 characters'] })
    expect(fieldErrorsOf(new Error('x'))).toEqual({})
  })

  it('says the nickname rule in Chinese', () => {
    expect(nicknameMessage(['Nickname must not be empty'])).toBe(zhCN.fieldErrors.nicknameEmpty)
    expect(nicknameMessage(['Nickname must be at most 64 characters'])).toBe(
      zhCN.fieldErrors.nicknameTooLong,
    )
    expect(nicknameMessage(['Expected string'])).toBe(zhCN.fieldErrors.nicknameInvalid)
  })
})
