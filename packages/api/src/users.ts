import type { Platform, User } from '@wxapp/db'

/** A user as the API returns it: no openid, unionid or full phone number. */
export interface PublicUser {
  id: string
  /** The mini-program platform the user logged in from. */
  platform: Platform
  nickname: string | null
  avatarUrl: string | null
  /** The bound phone number with its middle digits hidden (138****1234), or null. */
  phoneNumber: string | null
  createdAt: string
}

export function maskPhone(phone: string): string {
  if (phone.length < 7) return '*'.repeat(phone.length)
  return `${phone.slice(0, 3)}${'*'.repeat(phone.length - 7)}${phone.slice(-4)}`
}

/**
 * Users the session cache holds are frozen and answered many times: their
 * public form is built once (Date#toISOString alone is a visible cost there).
 */
const publicOfFrozen = new WeakMap<User, PublicUser>()

export function publicUser(user: User): PublicUser {
  if (!Object.isFrozen(user)) return toPublic(user)
  let known = publicOfFrozen.get(user)
  if (!known) {
    known = Object.freeze(toPublic(user))
    publicOfFrozen.set(user, known)
  }
  return known
}

function toPublic(user: User): PublicUser {
  return {
    id: user.id,
    platform: user.platform,
    nickname: user.nickname,
    avatarUrl: user.avatarUrl,
    phoneNumber: user.phoneNumber ? maskPhone(user.phoneNumber) : null,
    createdAt: user.createdAt.toISOString(),
  }
}
