// Test helpers for packages that need a real PostgreSQL database
// (`@wxapp/db/testing`).
import { createTemporaryDatabase } from './temp-database'
import { connectionParamsFromUrl, redactDatabaseUrl } from './url'

export const DEFAULT_TEST_ADMIN_URL = 'postgresql://postgres@127.0.0.1:5432/postgres'

export interface TestPostgres {
  /** postgresql:// URL of the new, empty database. */
  url: string
  /** Its name (wxapp_test_…). */
  name: string
  /** Drops it (forcibly, if pools are still connected). Idempotent. */
  drop(): Promise<void>
}

export class TestPostgresUnavailableError extends Error {
  constructor(adminUrl: string, reason: string) {
    super(
      `PostgreSQL is needed for these tests but ${redactDatabaseUrl(adminUrl)} is not usable (${reason}). ` +
        (process.env.CI
          ? 'CI must provide a PostgreSQL server: set TEST_DATABASE_URL to a role allowed to create databases.'
          : 'Start PostgreSQL, or set TEST_DATABASE_URL to a postgresql:// URL of a role allowed to create databases.'),
    )
    this.name = 'TestPostgresUnavailableError'
  }
}

/**
 * Creates a fresh, uniquely named database on the server of TEST_DATABASE_URL
 * (default postgresql://postgres@127.0.0.1:5432/postgres, used as the admin
 * connection). Throws when the server cannot be used: tests never skip
 * silently. Call `drop()` in afterAll/afterEach.
 */
export async function createTestPostgres(
  adminUrl: string = process.env.TEST_DATABASE_URL || DEFAULT_TEST_ADMIN_URL,
): Promise<TestPostgres> {
  const admin = connectionParamsFromUrl(adminUrl)
  let db: Awaited<ReturnType<typeof createTemporaryDatabase>>
  try {
    db = await createTemporaryDatabase(admin, 'wxapp_test', { force: true })
  } catch (error) {
    const e = error as { code?: string; message?: string }
    throw new TestPostgresUnavailableError(adminUrl, e.code ?? e.message ?? String(error))
  }
  const url = new URL(adminUrl)
  url.pathname = `/${encodeURIComponent(db.name)}`
  url.searchParams.delete('dbname')
  return { url: url.toString(), name: db.name, drop: db.drop }
}
