/*
 * The app's session and API client, wired together: every tRPC call goes through
 * sessionLink (login first, one shared re-login on a refused token), and the session
 * logs in through the same client's `auth.login` (a public path for the link).
 * Pages read the login state from ./account.ts, not from here.
 */
import Taro from '@tarojs/taro'
import { createSessionClient, type SessionClient, taroStorage } from '@wxapp/session/client'
import { clientInfo, currentAppid, loginSource } from './platform'
import { type ApiClient, createApiClient, type RouterOutputs } from './trpc'

/** The user as the API returns it (`user.me`, `auth.login`). */
export type User = RouterOutputs['user']['me']

export const session: SessionClient<User> = createSessionClient<User>({
  source: loginSource(),
  // Spelled out as Taro.* calls: Taro's H5 build links each API where the code names
  // it, so the Taro object handed over whole would lack the storage functions there.
  storage: taroStorage({
    getStorageSync: (key) => Taro.getStorageSync(key),
    setStorageSync: (key, data) => Taro.setStorageSync(key, data),
    removeStorageSync: (key) => Taro.removeStorageSync(key),
  }),
  appid: currentAppid(),
  clientInfo,
  // A token that cannot be stored still works for this launch; say why the next will log in.
  onStorageError: (error, operation) => console.warn(`session storage ${operation} failed`, error),
  // `api` is defined below; login only runs once the app calls something.
  login: (args) => api.auth.login.mutate(args),
})

export const api: ApiClient = createApiClient({ session })
