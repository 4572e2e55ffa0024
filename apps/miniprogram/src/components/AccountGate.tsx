import type { ReactNode } from 'react'
import { t } from '../i18n'
import { type AccountState, startAccount } from '../lib/account'
import type { User } from '../lib/session'
import { ErrorCard, LoadingCard, LoggedOutCard } from './StateViews'

export interface AccountGateProps {
  /** Prefix of the state views' ids (`home` keeps the short `login-retry`). */
  page: 'home' | 'profile' | 'sessions'
  account: AccountState
  loadingText?: string
  /** The page itself, once logged in. */
  children: (user: User) => ReactNode
}

/**
 * Shows the login state until there is a user: a skeleton while logging in, the reason
 * and 重试 when the login failed, 登录 after a logout. No page calls the API before.
 */
export function AccountGate({ page, account, loadingText, children }: AccountGateProps) {
  const prefix = page === 'home' ? '' : `${page}-`
  const onStart = () => void startAccount()
  switch (account.status) {
    case 'ready':
      return <>{children(account.user)}</>
    case 'loading':
      return <LoadingCard id={`${page}-loading`} text={loadingText ?? t.common.loggingIn} />
    case 'error':
      return (
        <ErrorCard
          id={`${prefix}login-error`}
          title={t.common.loginFailedTitle}
          message={account.error.message}
          retryId={`${prefix}login-retry`}
          onRetry={onStart}
        />
      )
    case 'logged-out':
      return <LoggedOutCard id={`${page}-logged-out`} loginId={`${page}-login`} onLogin={onStart} />
  }
}
