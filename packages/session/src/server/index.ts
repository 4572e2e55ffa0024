export {
  DEFAULT_SESSION_POLICY,
  initialTimes,
  renewalAt,
  type SessionPolicy,
  type SessionState,
  type SessionTimes,
  sessionState,
} from './policy'
export {
  createSecretBox,
  type DataKey,
  dataKey,
  type SecretBox,
  SecretBoxError,
} from './secret-box'
export {
  type CachedSession,
  lruSessionCache,
  noSessionCache,
  type SessionCache,
  type SessionCacheOptions,
} from './session-cache'
export { createSessionKeyVault, type SessionKeyVault } from './session-keys'
export type { SessionRecord, SessionRow, SessionRowWithUser } from './session-row'
export {
  createSession,
  forgetUserSessions,
  invalidateSession,
  invalidateUserSessions,
  listUserSessions,
  purgeSessions,
  type RevokeReason,
  type SessionChange,
  type SessionDeps,
  type SessionValidation,
  validateSessionToken,
} from './sessions'
export {
  createSessionStore,
  decodeSessionChange,
  encodeSessionChange,
  type SessionChangeChannel,
  type SessionStore,
} from './store'
export {
  formatToken,
  hashSecret,
  newSecret,
  type ParsedToken,
  parseToken,
  secretMatches,
} from './token'
