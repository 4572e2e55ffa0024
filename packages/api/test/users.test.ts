import type { User } from '@wxapp/db'
import { describe, expect, it } from 'vitest'
import { publicUser } from '../src/users'

const row = (): User => ({
  id: 'u1',
  platform: 'weapp',
  appid: 'wx_app',
  openid: 'o1',
  unionid: null,
  nickname: '小明',
  avatarUrl: null,
  phoneNumber: '13812341234',
  phoneCountryCode: '86',
  createdAt: new Date('2026-01-02T03:04:05.678Z'),
  updatedAt: new Date('2026-01-02T03:04:05.678Z'),
  lastLoginAt: null,
})

describe('publicUser', () => {
  it('shows the platform, no openid and a masked phone number', () => {
    expect(publicUser(row())).toEqual({
      id: 'u1',
      platform: 'weapp',
      nickname: '小明',
      avatarUrl: null,
      phoneNumber: '138****1234',
      createdAt: '2026-01-02T03:04:05.678Z',
    })
  })

  it('builds the answer for a cached (frozen) user once, frozen, and anew for any other', () => {
    const cached = Object.freeze(row())
    const first = publicUser(cached)
    expect(publicUser(cached)).toBe(first)
    expect(Object.isFrozen(first)).toBe(true)
    const plain = row()
    expect(publicUser(plain)).not.toBe(publicUser(plain))
    expect(publicUser(plain)).toEqual(first)
  })
})
