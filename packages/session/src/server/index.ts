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
export { createSessionKeyVault, type SessionKeyVault } from './session-keys'
export {
  createSessionStore,
  type RevokeReason,
  type SessionCacheOptions,
  type SessionRecord,
  type SessionStore,
  type SessionValidation,
} from './store'
export {
  formatToken,
  hashSecret,
  newSecret,
  type ParsedToken,
  parseToken,
  secretMatches,
} from './token'
