// `pnpm db <command>`: the offline stand-in for the Prisma CLI's migrate
// commands. Root scripts: db:migrate, db:new <name>, db:status, db:check,
// db:resolve, db:reset.
import { relative, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import type { DatabaseLogger } from './logger'
import {
  applyMigrations,
  checkDrift,
  createMigration,
  MigrationError,
  migrationStatus,
  resetDatabase,
  resolveMigration,
} from './migrate'
import { defaultMigrationsDir, defaultSchemaPath } from './migrate/files'
import { DatabaseInUseError } from './pglite'
import {
  DatabaseUrlError,
  defaultDatabaseUrl,
  invocationDir,
  parseDatabaseUrl,
  redactDatabaseUrl,
} from './url'

const USAGE = `Usage: pnpm db:<command> [options]        (from the repo root: migrate, new, status, check)
       pnpm --filter @wxapp/db db <command> [options]

Commands:
  migrate          Apply pending migrations to DATABASE_URL (like prisma migrate deploy)
  new <name>       Write a migration for the schema's changes (like prisma migrate dev --create-only)
  status           List applied and pending migrations; exits 1 unless up to date
  check            Exit 1 and print the missing SQL if the schema changed without a migration
  resolve --rolled-back <name> | --applied <name>
                   Record how a failed migration was resolved (like prisma migrate resolve)
  reset --force    Drop everything in DATABASE_URL's database, then apply all migrations

Options:
  --schema <path>       Prisma schema (default: prisma/schema.prisma at the workspace root)
  --migrations <dir>    Migrations folder (default: prisma/migrations)
  --shadow <url>        Where new/check build shadow databases: pglite:memory: (default) or a
                        postgresql:// URL of a server allowed to create databases
  --verbose             Log what the schema engine does
  -h, --help            Show this help

Environment:
  DATABASE_URL   postgresql://…, pglite:<dir> or pglite:memory:
                 (default: pglite:<workspace root>/data/pglite)
`

/** A mistake the user can fix: printed as a message, never as a stack trace. */
class UsageError extends Error {}

function write(text: string): void {
  process.stdout.write(`${text}\n`)
}

function databaseUrl(): string {
  const raw = process.env.DATABASE_URL?.trim()
  const url = raw ? raw : defaultDatabaseUrl()
  parseDatabaseUrl(url) // validates: throws DatabaseUrlError naming DATABASE_URL
  return url
}

function show(path: string): string {
  const rel = relative(invocationDir(), path)
  return rel.startsWith('..') ? path : rel
}

function stderrLogger(verbose: boolean): DatabaseLogger {
  const line = (level: string, details: object, message: string): void => {
    const extra = Object.keys(details).length > 0 ? ` ${JSON.stringify(details)}` : ''
    process.stderr.write(`${level} ${message}${extra}\n`)
  }
  return {
    debug: (d, m) => verbose && line('debug', d, m),
    info: (d, m) => verbose && line('info', d, m),
    warn: (d, m) => line('warn', d, m),
  }
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      schema: { type: 'string' },
      migrations: { type: 'string' },
      shadow: { type: 'string' },
      force: { type: 'boolean', default: false },
      'rolled-back': { type: 'string' },
      applied: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
  const [command, ...rest] = positionals
  if (values.help || command === undefined || command === 'help') {
    write(USAGE)
    return command === undefined && !values.help ? 2 : 0
  }
  const logger = stderrLogger(values.verbose)
  // Paths typed on the command line are relative to where it was typed.
  const migrationsDir = values.migrations
    ? resolve(invocationDir(), values.migrations)
    : defaultMigrationsDir()
  const schema = values.schema ? resolve(invocationDir(), values.schema) : defaultSchemaPath()
  const shadow = values.shadow
  if (shadow !== undefined) parseDatabaseUrl(shadow)

  switch (command) {
    case 'migrate': {
      const url = databaseUrl()
      const applied = await applyMigrations(url, { migrationsDir, logger })
      if (applied.length === 0) write(`Database is up to date (${redactDatabaseUrl(url)}).`)
      else {
        write(`Applied ${applied.length} migration(s) to ${redactDatabaseUrl(url)}:`)
        for (const name of applied) write(`  ${name}`)
      }
      return 0
    }
    case 'new': {
      const name = rest.join(' ').trim()
      if (name === '') throw new UsageError('Name the migration: pnpm db:new <name>')
      const result = await createMigration({ name, schema, migrationsDir, shadow, logger })
      if (!result.created) {
        write(result.message)
        return 0
      }
      write(`Created ${show(result.path)}:\n`)
      write(result.sql.trimEnd())
      write('\nReview it, then apply with pnpm db:migrate.')
      return 0
    }
    case 'status': {
      const url = databaseUrl()
      const s = await migrationStatus(url, { migrationsDir, logger })
      write(`Database: ${redactDatabaseUrl(url)}`)
      write(`Applied (${s.applied.length}):${s.applied.map((n) => `\n  ${n}`).join('')}`)
      if (s.pending.length > 0) {
        write(`Pending (${s.pending.length}):${s.pending.map((n) => `\n  ${n}`).join('')}`)
      }
      if (s.failed.length > 0) {
        write(`Failed (${s.failed.length}):${s.failed.map((n) => `\n  ${n}`).join('')}`)
        write(
          '  Fix it, then run pnpm --filter @wxapp/db db resolve --rolled-back <name> (or --applied <name>).',
        )
      }
      if (s.unknown.length > 0) {
        write(
          `In the database but not in ${show(migrationsDir)} (${s.unknown.length}):` +
            s.unknown.map((n) => `\n  ${n}`).join(''),
        )
      }
      if (s.edited.length > 0) {
        write(
          `Changed after being applied (${s.edited.length}):${s.edited.map((n) => `\n  ${n}`).join('')}`,
        )
      }
      if (s.upToDate) write('Database schema is up to date.')
      else if (s.pending.length > 0 && s.failed.length === 0) write('Run pnpm db:migrate to apply.')
      return s.upToDate ? 0 : 1
    }
    case 'check': {
      const result = await checkDrift({ schema, migrationsDir, shadow, logger })
      if (!result.drift) {
        write('The migrations match the schema.')
        return 0
      }
      process.stderr.write(
        `${show(schema)} has changes that no migration contains. Create one with pnpm db:new <name>.\n` +
          'The missing SQL:\n\n',
      )
      write(result.sql.trimEnd())
      return 1
    }
    case 'resolve': {
      const rolledBack = values['rolled-back']
      const applied = values.applied
      if ((rolledBack === undefined) === (applied === undefined)) {
        throw new UsageError('Give exactly one of --rolled-back <name> or --applied <name>')
      }
      const url = databaseUrl()
      await resolveMigration(
        url,
        rolledBack !== undefined ? { rolledBack } : { applied: applied as string },
        { migrationsDir, logger },
      )
      write(
        rolledBack !== undefined
          ? `Marked ${rolledBack} as rolled back; pnpm db:migrate applies it again.`
          : `Marked ${applied} as applied.`,
      )
      return 0
    }
    case 'reset': {
      if (!values.force) {
        throw new UsageError('reset deletes all data in the database; run it with --force')
      }
      const url = databaseUrl()
      await resetDatabase(url, { logger })
      const applied = await applyMigrations(url, { migrationsDir, logger })
      write(`Reset ${redactDatabaseUrl(url)} and applied ${applied.length} migration(s).`)
      return 0
    }
    default:
      throw new UsageError(`Unknown command "${command}".\n\n${USAGE}`)
  }
}

/** Connection failures are the user's to fix (server down, wrong password), not bugs. */
function connectionProblem(error: unknown): string | undefined {
  const e = error as { code?: unknown; message?: unknown; address?: unknown; port?: unknown }
  const code = typeof e.code === 'string' ? e.code : ''
  const message = typeof e.message === 'string' ? e.message : ''
  if (['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'EAI_AGAIN'].includes(code)) {
    return `Cannot reach the database server (${code}${e.address ? ` ${e.address}:${e.port}` : ''}). Is it running, and is DATABASE_URL right?`
  }
  // PostgreSQL: bad password, unknown role, unknown database, no CREATEDB privilege.
  if (['28P01', '28000', '3D000', '42501'].includes(code)) return `The database refused: ${message}`
  if (/connection terminated|timeout exceeded when trying to connect/i.test(message)) {
    return `The database connection failed: ${message}`
  }
  return undefined
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    const known =
      error instanceof UsageError ||
      error instanceof DatabaseUrlError ||
      error instanceof MigrationError ||
      error instanceof DatabaseInUseError ||
      (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ||
      (error as { code?: string }).code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE'
    const problem = known ? (error as Error).message : connectionProblem(error)
    if (problem !== undefined) {
      process.stderr.write(`${problem}\n`)
      process.exitCode = error instanceof UsageError ? 2 : 1
      return
    }
    // Anything else is a bug: the stack helps whoever fixes it.
    process.stderr.write(`Unexpected error: ${(error as Error)?.stack ?? String(error)}\n`)
    process.exitCode = 1
  },
)
