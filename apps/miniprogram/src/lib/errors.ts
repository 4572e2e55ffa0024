/*
 * Turns whatever a call threw into what the user reads: a stable machine reason (from
 * the server's `error.data.reason`, the session client's SessionLoginError, or the
 * kind of failure) and its Chinese text from src/i18n. Server messages are English
 * and never shown.
 */
import { isReason, type Reason, reasonOfCode, sessionLoginErrorOf } from '@wxapp/session/client'
import { t } from '../i18n'

export interface UiError {
  /** Machine reason, e.g. WECHAT_BUSY, NETWORK_ERROR, PHONE_CODE_INVALID. */
  reason: Reason
  /** What to show. */
  message: string
}

interface ErrorData {
  code?: unknown
  reason?: unknown
  fieldErrors?: unknown
}

function dataOf(error: unknown): ErrorData | null {
  if (!error || typeof error !== 'object') return null
  const data = (error as { data?: unknown }).data
  return data && typeof data === 'object' ? (data as ErrorData) : null
}

/** True when the request never got an answer (fetch's TypeError, a WeChat `request:fail`). */
function isNetworkFailure(error: unknown): boolean {
  let current = error
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    if (current instanceof TypeError) return true
    const errMsg = (current as { errMsg?: unknown }).errMsg
    if (typeof errMsg === 'string' && /:fail/.test(errMsg)) return true
    current = (current as { cause?: unknown }).cause
  }
  return false
}

export function reasonOf(error: unknown): Reason {
  const login = sessionLoginErrorOf(error)
  if (login) return login.reason
  const data = dataOf(error)
  if (data) {
    if (isReason(data.reason)) return data.reason
    // A reason this app does not know yet (a newer server): its code still says much.
    return reasonOfCode(data.code) ?? 'UNKNOWN'
  }
  if (isNetworkFailure(error)) return 'NETWORK_ERROR'
  // A tRPC error without data: the answer was not the API's (a proxy's error page).
  if (error instanceof Error && error.name === 'TRPCClientError') return 'SERVICE_UNAVAILABLE'
  return 'UNKNOWN'
}

export function describeError(error: unknown): UiError {
  const reason = reasonOf(error)
  return { reason, message: t.errors[reason] }
}

/** `error.data.fieldErrors` of a validation error (INVALID_INPUT), field -> messages. */
export function fieldErrorsOf(error: unknown): Record<string, string[]> {
  const fieldErrors = dataOf(error)?.fieldErrors
  const out: Record<string, string[]> = {}
  if (!fieldErrors || typeof fieldErrors !== 'object') return out
  for (const key of Object.keys(fieldErrors)) {
    const messages = (fieldErrors as Record<string, unknown>)[key]
    if (Array.isArray(messages)) {
      out[key] = messages.filter((m): m is string => typeof m === 'string')
    }
  }
  return out
}

/**
 * The server's rules for a nickname (1-64 characters after trimming) in Chinese. The
 * server names the rule only in English, so the text is matched loosely and anything
 * unrecognised gets the general message.
 */
export function nicknameMessage(serverMessages: readonly string[]): string {
  const text = serverMessages.join(' ').toLowerCase()
  if (/empty|at least|too_small|required/.test(text)) return t.fieldErrors.nicknameEmpty
  if (/at most|too long|too_big|64/.test(text)) return t.fieldErrors.nicknameTooLong
  return t.fieldErrors.nicknameInvalid
}
