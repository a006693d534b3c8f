// A database as an older verifier left it: migrated up to, not including, one migration. Tests of
// a migration fill it the old way, then open a Verifier, which runs the rest.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { Verifier } from '../../src/server/verifier.js';
import { dropSchema } from '../../src/store/database.js';
import { migrations } from '../../src/store/migrations.js';

export interface OlderDatabase {
  /** The database at the older schema (untyped: the current schema types do not describe it). */
  readonly db: Kysely<never>;
  /** Opens it as the current verifier does, running the remaining migrations. */
  readonly open: () => Promise<Verifier>;
  readonly cleanup: () => Promise<void>;
}

/** Every migration named before `before` (e.g. '0006'), applied on a new database. */
export async function olderDatabase(backend: 'sqlite' | 'postgres', before: string): Promise<OlderDatabase> {
  if (backend === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), `geoattest-${before}-`));
    const location = join(dir, 'v.sqlite');
    const handle = new SQLite(location);
    handle.pragma('foreign_keys = ON');
    const db = new Kysely<never>({ dialect: new SqliteDialect({ database: handle }) });
    await migrateBefore(db, 'sqlite', before);
    return {
      db,
      open: () => Verifier.open({ location }),
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const url = process.env.DATABASE_URL!;
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const pool = new pg.Pool({ connectionString: url, max: 2, options: `-c search_path=${schema}` });
  await pool.query(`CREATE SCHEMA ${schema}`);
  const db = new Kysely<never>({ dialect: new PostgresDialect({ pool }) });
  await migrateBefore(db, 'postgres', before, schema);
  return {
    db,
    open: () => Verifier.open({ location: url, schema, poolSize: 2 }),
    cleanup: () => dropSchema(url, schema),
  };
}

async function migrateBefore(
  db: Kysely<never>,
  dialect: 'sqlite' | 'postgres',
  before: string,
  schema?: string,
) {
  const all = await migrations(dialect).getMigrations();
  const { error } = await new Migrator({
    db,
    provider: {
      getMigrations: async () => Object.fromEntries(Object.entries(all).filter(([name]) => name < before)),
    },
    ...(schema !== undefined ? { migrationTableSchema: schema } : {}),
  }).migrateToLatest();
  if (error !== undefined) throw error;
}
