import type { User } from '@wxapp/db'
import type { ClientInfo } from '../shared'

/** A session as the API shows it: never the token or its hash. */
export interface SessionRecord {
  id: string
  userId: string
  appid: string
  createdAt: Date
  lastUsedAt: Date
  expiresAt: Date
  absoluteExpiresAt: Date
  client: ClientInfo
  ip: string | null
}

/** The columns of a `sessions` row the store reads. */
export interface SessionRow {
  id: string
  tokenHash: Uint8Array
  revokedAt: Date | null
  userId: string
  appid: string
  createdAt: Date
  lastUsedAt: Date
  expiresAt: Date
  absoluteExpiresAt: Date
  clientPlatform: string | null
  clientModel: string | null
  clientSystem: string | null
  clientVersion: string | null
  ip: string | null
}

/** A session row with its user: what validating a token reads, in one round trip. */
export type SessionRowWithUser = SessionRow & { user: User }

export function toRecord(row: Omit<SessionRow, 'tokenHash' | 'revokedAt'>): SessionRecord {
  const client: ClientInfo = {}
  if (row.clientPlatform) client.platform = row.clientPlatform
  if (row.clientModel) client.model = row.clientModel
  if (row.clientSystem) client.system = row.clientSystem
  if (row.clientVersion) client.version = row.clientVersion
  return {
    id: row.id,
    userId: row.userId,
    appid: row.appid,
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
    expiresAt: row.expiresAt,
    absoluteExpiresAt: row.absoluteExpiresAt,
    client,
    ip: row.ip,
  }
}

/** The record of a row that many calls share: frozen, so none can change it for the others. */
export function frozenRecord(row: SessionRow): SessionRecord {
  const record = toRecord(row)
  Object.freeze(record.client)
  return Object.freeze(record)
}
