/*
 * The login state as every page shows it, one store for the whole app:
 *
 *   loading     logging in (wx.login -> auth.login) or fetching the profile
 *   ready       logged in, with the user
 *   error       the login (or the first profile fetch) failed: show why, offer 重试
 *   logged-out  the user logged out: no call may go out (sessionLink would log in
 *               again), pages offer 登录
 *
 * start() runs at launch (app.ts, onLaunch as WeChat advises) and on 重试 / 登录.
 */
import { useEffect, useState } from 'react'
import { describeError, type UiError } from './errors'
import { api, session, type User } from './session'

export type AccountState =
  | { status: 'loading'; user: null; error: null }
  | { status: 'ready'; user: User; error: null }
  | { status: 'error'; user: null; error: UiError }
  | { status: 'logged-out'; user: null; error: null }

let state: AccountState = { status: 'loading', user: null, error: null }
const listeners: Array<(state: AccountState) => void> = []
let starting: Promise<void> | null = null

function set(next: AccountState): void {
  state = next
  for (const listener of listeners.slice()) listener(state)
}

export function getAccount(): AccountState {
  return state
}

export function subscribeAccount(listener: (state: AccountState) => void): () => void {
  listeners.push(listener)
  return () => {
    const index = listeners.indexOf(listener)
    if (index >= 0) listeners.splice(index, 1)
  }
}

/** The current state, re-rendering on changes. */
export function useAccount(): AccountState {
  const [current, setCurrent] = useState(state)
  useEffect(() => {
    setCurrent(state)
    return subscribeAccount(setCurrent)
  }, [])
  return current
}

/**
 * Logs in if needed and loads the user. A fresh login brings the user along; a warm
 * launch (stored token, valid checkSession) asks `user.me`. Concurrent calls share one run.
 */
export function startAccount(): Promise<void> {
  if (starting) return starting
  set({ status: 'loading', user: null, error: null })
  const run = (async () => {
    try {
      await session.ensureSession()
      const user = session.getState().user ?? (await api.user.me.query())
      set({ status: 'ready', user, error: null })
    } catch (error) {
      set({ status: 'error', user: null, error: describeError(error) })
    } finally {
      starting = null
    }
  })()
  starting = run
  return run
}

/** Re-reads the user (pull-down refresh); a failure keeps what is shown and rejects. */
export async function refreshUser(): Promise<void> {
  if (state.status !== 'ready') return startAccount()
  const user = await api.user.me.query()
  if (state.status === 'ready') set({ status: 'ready', user, error: null })
}

/** After the profile changed on the server (updateProfile, bindPhone). */
export function setUser(user: User): void {
  if (state.status === 'ready') set({ status: 'ready', user, error: null })
}

/**
 * Logs this device out: `auth.logout` while the token is still there (best effort: a
 * network failure still ends the session here), then the local session.
 */
export async function logout(): Promise<void> {
  await session.logout(() => api.auth.logout.mutate())
  set({ status: 'logged-out', user: null, error: null })
}

/** Logs out every device of the user. The server must confirm it: its failure rejects. */
export async function logoutAll(): Promise<number> {
  const { revoked } = await api.auth.logoutAll.mutate()
  await session.logout()
  set({ status: 'logged-out', user: null, error: null })
  return revoked
}

/**
 * Deletes the account on the server (user.deleteAccount: the user, sessions, phone
 * number and avatar). The server then refuses this token, so no auth.logout: the app
 * only forgets its session here. A later login of the same WeChat user is a new user.
 * A failure rejects and leaves everything as it was.
 */
export async function deleteAccount(): Promise<void> {
  await api.user.deleteAccount.mutate()
  await session.logout()
  set({ status: 'logged-out', user: null, error: null })
}
