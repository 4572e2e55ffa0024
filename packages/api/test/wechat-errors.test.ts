import { DATA_REASONS, LOGIN_REASONS, PHONE_REASONS, REQUEST_ERRORS } from '@wxapp/session/shared'
import {
  errorForErrcode,
  WECHAT_DATA_ERROR_KINDS,
  WECHAT_ERROR_KINDS,
  WechatDataError,
  WechatRefreshLimitedError,
  WechatWatermarkMismatchError,
} from '@wxapp/wechat'
import { describe, expect, it } from 'vitest'
import {
  WECHAT_ERROR_MAPS,
  wechatDataError,
  wechatLoginError,
  wechatPhoneError,
} from '../src/wechat-errors'

const details = (errcode: number | null) => ({ api: 'test', errcode, attempts: 1 })
const phone = (errcode: number) =>
  wechatPhoneError(errorForErrcode({ ...details(errcode), errcode }))

describe('WeChat errors to API reasons', () => {
  it('maps every error kind, for login and for phone numbers, to a published reason', () => {
    const published = new Set<string>([
      ...LOGIN_REASONS,
      ...PHONE_REASONS,
      ...DATA_REASONS,
      ...Object.keys(REQUEST_ERRORS),
    ])
    for (const table of [WECHAT_ERROR_MAPS.login, WECHAT_ERROR_MAPS.phone]) {
      expect(Object.keys(table).sort()).toEqual([...WECHAT_ERROR_KINDS].sort())
      for (const entry of Object.values(table)) expect(published).toContain(entry.reason)
    }
    expect(Object.keys(WECHAT_ERROR_MAPS.data).sort()).toEqual([...WECHAT_DATA_ERROR_KINDS].sort())
  })

  it.each([
    [40029, 'BAD_REQUEST', 'PHONE_CODE_INVALID'],
    [40163, 'BAD_REQUEST', 'PHONE_CODE_INVALID'],
    [40003, 'FORBIDDEN', 'PHONE_CODE_MISMATCH'],
    [1400001, 'SERVICE_UNAVAILABLE', 'PHONE_QUOTA_EXHAUSTED'],
    [45009, 'SERVICE_UNAVAILABLE', 'PHONE_QUOTA_EXHAUSTED'],
    [-1, 'SERVICE_UNAVAILABLE', 'WECHAT_BUSY'],
    [40001, 'SERVICE_UNAVAILABLE', 'WECHAT_UNAVAILABLE'],
    [42001, 'SERVICE_UNAVAILABLE', 'WECHAT_UNAVAILABLE'],
    [40125, 'INTERNAL_SERVER_ERROR', 'WECHAT_CREDENTIALS_INVALID'],
    [99999, 'SERVICE_UNAVAILABLE', 'WECHAT_UNAVAILABLE'],
  ])('bindPhone: errcode %i is %s %s', (errcode, code, reason) => {
    expect(phone(errcode)).toMatchObject({ code, reason })
  })

  it('bindPhone: a refresh WeChat forbids is 503, another app’s number is a 500', () => {
    expect(wechatPhoneError(new WechatRefreshLimitedError('daily', details(45009)))).toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      reason: 'WECHAT_UNAVAILABLE',
    })
    expect(wechatPhoneError(new WechatWatermarkMismatchError(details(null)))).toMatchObject({
      code: 'INTERNAL_SERVER_ERROR',
      reason: 'INTERNAL_ERROR',
    })
  })

  it('login keeps its reasons for the new kinds', () => {
    for (const errcode of [40003, 1400001, 45009]) {
      expect(wechatLoginError(errorForErrcode({ ...details(errcode), errcode }))).toMatchObject({
        code: 'SERVICE_UNAVAILABLE',
        reason: 'WECHAT_UNAVAILABLE',
      })
    }
  })

  it.each([
    ['DECRYPT_FAILED', 'BAD_REQUEST', 'DATA_DECRYPT_FAILED'],
    ['APPID_MISMATCH', 'FORBIDDEN', 'DATA_APPID_MISMATCH'],
    ['SIGNATURE_INVALID', 'BAD_REQUEST', 'DATA_SIGNATURE_INVALID'],
    ['INPUT_MALFORMED', 'BAD_REQUEST', 'INVALID_INPUT'],
  ] as const)('data: %s is %s %s', (kind, code, reason) => {
    expect(wechatDataError(new WechatDataError(kind))).toMatchObject({ code, reason })
  })

  it('rethrows what is not a WeChat error', () => {
    const bug = new Error('bug')
    expect(() => wechatPhoneError(bug)).toThrow(bug)
    expect(() => wechatDataError(bug)).toThrow(bug)
  })
})
