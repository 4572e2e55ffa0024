// Prisma CLI configuration, for those who run the ordinary Prisma CLI (which
// downloads its engine, so it needs internet). Offline, the same schema and
// migrations are driven by @wxapp/db: `pnpm db:generate`, `pnpm db:migrate`,
// `pnpm db:new <name>`, `pnpm db:status`, `pnpm db:check`.
//
// A plain object rather than defineConfig(): `prisma` is a dependency of
// packages/db, not of the workspace root, so an import could not be resolved
// from here.

const url = process.env.DATABASE_URL

export default {
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  // Only a PostgreSQL URL means something to the Prisma CLI; the embedded
  // `pglite:` URLs are understood by @wxapp/db alone. Left out, commands that
  // need a database say that datasource.url is missing, and generate works.
  ...(url?.startsWith('postgres') ? { datasource: { url } } : {}),
}
