export {
  type Database,
  DatabaseClosedError,
  DatabaseTimeoutError,
  type OpenDatabaseOptions,
  openDatabase,
  type PreparedStatement,
} from './database'
export { isDatabaseUnavailable } from './errors'
export type * from './generated/prisma/client'
export { Platform, Prisma, PrismaClient } from './generated/prisma/client'
export type { DatabaseLogger } from './logger'
export {
  applyMigrations,
  type CheckDriftOptions,
  type CreateMigrationOptions,
  type CreateMigrationResult,
  checkDrift,
  createMigration,
  type DriftResult,
  defaultMigrationsDir,
  listMigrations,
  type MigrateOptions,
  MigrationError,
  type MigrationStatus,
  type MigrationTarget,
  migrationStatus,
  resetDatabase,
  resolveMigration,
  SchemaEnginePanicError,
  type ShadowLocation,
  unappliedMigrations,
} from './migrate'
export { type NotificationChannel, openNotificationChannel } from './notifications'
export { DatabaseInUseError } from './pglite'
export {
  type ConnectionParams,
  connectionParamsFromUrl,
  type DatabaseKind,
  type DatabaseLocation,
  DatabaseUrlError,
  defaultDatabaseUrl,
  findWorkspaceRoot,
  parseDatabaseUrl,
  redactDatabaseUrl,
} from './url'
