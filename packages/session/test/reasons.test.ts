import { readFileSync } from 'node:fs'
import { TRPCError } from '@trpc/server'
import { getHTTPStatusCodeFromError } from '@trpc/server/http'
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc'
import { describe, expect, it } from 'vitest'
import {
  ALL_REASONS,
  CLIENT_LOGIN_ERRORS,
  CONTENT_ERRORS,
  DATA_ERRORS,
  isLoginReason,
  isReason,
  isSessionReason,
  LOGIN_ERRORS,
  PHONE_ERRORS,
  PUSH_ERRORS,
  REASON_OF_CODE,
  REASONS,
  REQUEST_ERRORS,
  reasonOfCode,
  SESSION_ERRORS,
  SESSION_REASONS,
  UPLOAD_ERRORS,
} from '../src/shared/index'

const FEATURES = [
  SESSION_ERRORS,
  LOGIN_ERRORS,
  CLIENT_LOGIN_ERRORS,
  PHONE_ERRORS,
  DATA_ERRORS,
  UPLOAD_ERRORS,
  CONTENT_ERRORS,
  PUSH_ERRORS,
  REQUEST_ERRORS,
]

describe('the reasons table', () => {
  it('names each reason in one feature only', () => {
    const names = FEATURES.flatMap((table) => Object.keys(table))
    expect(new Set(names).size).toBe(names.length)
    expect([...ALL_REASONS].sort()).toEqual([...names].sort())
  })

  it('gives each server reason the HTTP status tRPC gives its code', () => {
    for (const reason of ALL_REASONS) {
      const { code, status } = REASONS[reason]
      if (code === null) {
        expect(status, reason).toBeNull()
        continue
      }
      expect(status, reason).toBe(getHTTPStatusCodeFromError(new TRPCError({ code })))
    }
  })

  it('has a reason for every tRPC code, so no answer goes without one', () => {
    expect(Object.keys(REASON_OF_CODE).sort()).toEqual(Object.keys(TRPC_ERROR_CODES_BY_KEY).sort())
    for (const [code, reason] of Object.entries(REASON_OF_CODE)) {
      expect(REASONS[reason].code, code).not.toBeNull()
    }
    expect(reasonOfCode('BAD_REQUEST')).toBe('INVALID_INPUT')
    expect(reasonOfCode('NOT_A_CODE')).toBeUndefined()
    expect(reasonOfCode('__proto__')).toBeUndefined()
  })

  it('tells reasons apart, and never takes an inherited name for one', () => {
    expect(isReason('WECHAT_BUSY')).toBe(true)
    expect(isReason('constructor')).toBe(false)
    expect(isReason(42)).toBe(false)
    expect(SESSION_REASONS).toEqual([
      'AUTH_REQUIRED',
      'TOKEN_INVALID',
      'SESSION_EXPIRED',
      'SESSION_REVOKED',
    ])
    expect(SESSION_REASONS.every(isSessionReason)).toBe(true)
    expect(isSessionReason('WECHAT_BUSY')).toBe(false)
    expect(isLoginReason('LOGIN_RATE_LIMITED')).toBe(true)
    expect(isLoginReason('NETWORK_ERROR')).toBe(false)
  })

  it('answers every session reason 401, so the client knows to log in again', () => {
    for (const spec of Object.values(SESSION_ERRORS)) expect(spec).toMatchObject({ status: 401 })
  })
})

describe("the README's table of reasons", () => {
  it('lists every reason the server sends', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8')
    const table = readme.slice(
      readme.indexOf('| reason '),
      readme.indexOf('### From the simulator'),
    )
    for (const reason of ALL_REASONS) {
      if (REASONS[reason].code !== null) expect(table, reason).toContain(`\`${reason}\``)
    }
  })
})
