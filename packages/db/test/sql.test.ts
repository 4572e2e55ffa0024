import { describe, expect, it } from 'vitest'
import { splitSqlStatements } from '../src/migrate/sql'

describe('splitSqlStatements', () => {
  it('splits at top-level semicolons only', () => {
    const script = `-- CreateTable; not a statement end
CREATE TABLE "a" ("v" TEXT DEFAULT 'x;y');
/* block; comment /* nested; */ still comment; */
INSERT INTO "a" VALUES ('it''s; fine'), (E'back\\'slash;');
CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql;
DO $$ BEGIN PERFORM 1; END $$;
SELECT "weird;name" FROM "a"
`
    expect(splitSqlStatements(script)).toEqual([
      `-- CreateTable; not a statement end\nCREATE TABLE "a" ("v" TEXT DEFAULT 'x;y')`,
      `/* block; comment /* nested; */ still comment; */\nINSERT INTO "a" VALUES ('it''s; fine'), (E'back\\'slash;')`,
      'CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql',
      'DO $$ BEGIN PERFORM 1; END $$',
      'SELECT "weird;name" FROM "a"',
    ])
  })

  it('drops empty and comment-only pieces', () => {
    expect(splitSqlStatements(';;\n-- only a comment\n;  ')).toEqual([])
  })
})
