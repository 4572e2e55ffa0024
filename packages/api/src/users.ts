import type { User } from '@wxapp/db'

/** A user as the API returns it: no openid, unionid or full phone number. */
export interface PublicUser {
  id: string
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

export function publicUser(user: User): PublicUser {
  return {
    id: user.id,
    nickname: user.nickname,
    avatarUrl: user.avatarUrl,
    phoneNumber: user.phoneNumber ? maskPhone(user.phoneNumber) : null,
    createdAt: user.createdAt.toISOString(),
  }
}
