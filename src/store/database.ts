// Opens the verifier's database: an embedded SQLite file by default (WAL, full fsync on commit, so
// an acknowledged write survives a crash), PostgreSQL when a postgres:// URL is given. Migrations
// run on open. Everything above this file speaks Kysely and never knows which one it has.

import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, type SqliteDatabase, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { GeoattestError } from '../errors.js';
import { migrations } from './migrations.js';
import type { Database } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

export interface StoreConfig {
  /** A SQLite file path, ':memory:', or a postgres:// URL. */
  readonly location: string;
  /** PostgreSQL only: a schema to use (created if missing); tests use one each. */
  readonly schema?: string;
  /** PostgreSQL only: pool size (default 10). */
  readonly poolSize?: number;
}

export interface Store {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  /** Where it lives, without credentials: for logs. */
  readonly description: string;
  close(): Promise<void>;
}

export const DEFAULT_SQLITE_FILE = 'data/geoattest.sqlite';

export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//.test(location);
}

export async function openStore(config: StoreConfig): Promise<Store> {
  const store = isPostgresUrl(config.location) ? await openPostgres(config) : openSqlite(config.location);
  try {
    const { error, results } = await new Migrator({
      db: store.db,
      provider: migrations(store.dialect),
      // Named, so the migrator looks for its own tables in this schema and not in any schema of
      // the database that happens to hold a table of the same name.
      ...(config.schema !== undefined ? { migrationTableSchema: config.schema } : {}),
    }).migrateToLatest();
    const failed = results?.find((r) => r.status === 'Error');
    if (error !== undefined || failed !== undefined) {
      throw new GeoattestError('STORE_MIGRATION_FAILED', `migration ${failed?.migrationName ?? ''} failed`, {
        cause: error,
      });
    }
  } catch (e) {
    await store.close();
    throw e;
  }
  return store;
}

function openSqlite(file: string): Store {
  let handle: SQLite.Database;
  try {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    handle = new SQLite(file);
    // 16 KiB pages for a new file (a file keeps the size it was made with), chosen by measurement
    // (`geoattest simulate --no-sign`, 2 h, same host, one run each): 300,000 chips 3,283 against
    // 3,049 verdicts/s with 4 KiB, 100,000 chips 3,670 against 3,222, files 3 % smaller. Fewer,
    // larger WAL frames per commit. (While receipts had an index on their random hash, 16 KiB lost
    // at 1 M chips: every page that index dirtied went whole into the WAL; migration 0007.) Set
    // before WAL mode, which fixes it for the file.
    handle.pragma('page_size = 16384');
    handle.pragma('journal_mode = WAL');
    // FULL: every commit is fsynced, so a receipt acknowledged to a landmark is on disk.
    handle.pragma('synchronous = FULL');
    handle.pragma('foreign_keys = ON');
    handle.pragma('busy_timeout = 5000');
    // 64 MB of page cache (the default is 2 MB): a batch touches a few pages of every table and index.
    handle.pragma('cache_size = -65536');
    // Pages beyond that cache read straight from the file's mapping rather than copied out of the
    // kernel by a read() each: a shuffled hour at 1 M chips touches chips, their state and their
    // last receipts all over the file. 2 GB less 64 KiB is the most this build maps (its
    // SQLITE_MAX_MMAP_SIZE); pages past it are read as before. Writes still go through the WAL.
    // The mapped pages count in the process's resident memory.
    handle.pragma('mmap_size = 2147418112');
    // Copy the WAL back into the file once it holds 16,384 pages (256 MiB) rather than the default
    // 1,000 (16 MiB), which a single verdict batch's commit outgrows: a checkpoint after every
    // commit wrote each page again as often as it was committed (the last page of every appended
    // table, the chip-state pages every batch rewrites); now once for many commits. Recovery after
    // a crash reads at most that much more WAL.
    handle.pragma('wal_autocheckpoint = 16384');
  } catch (e) {
    throw new GeoattestError(
      'STORE_UNAVAILABLE',
      `cannot open SQLite database ${file}: ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  }
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(handle) }) });
  return {
    db,
    dialect: 'sqlite',
    description: `sqlite:${file}`,
    close: () => db.destroy(),
  };
}

/**
 * Kysely prepares every query anew; on SQLite, preparing costs about as much as running a small
 * insert. The same SQL text gets the same prepared statement back (least recently used dropped past
 * `size`). Safe because Kysely runs one query at a time on its one connection and nothing here
 * streams a statement while another runs; SQLite re-prepares a statement itself after a schema
 * change.
 */
function withStatementCache(handle: SQLite.Database, size = 500): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => handle.close(),
    prepare(text: string) {
      let stmt = cache.get(text);
      if (stmt !== undefined) {
        cache.delete(text);
      } else {
        stmt = handle.prepare(text);
        if (cache.size >= size) cache.delete(cache.keys().next().value as string);
      }
      cache.set(text, stmt);
      return stmt;
    },
  };
}

async function openPostgres(config: StoreConfig): Promise<Store> {
  const schema = config.schema;
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new GeoattestError('USAGE', `invalid PostgreSQL schema name ${JSON.stringify(schema)}`);
  }
  const pool = new pg.Pool({
    connectionString: config.location,
    max: config.poolSize ?? 10,
    // 64-bit integers (times in ms, RTTs in ns) fit a double exactly far beyond any value we store.
    types: {
      getTypeParser: ((oid: number, format?: string) =>
        oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as never,
    },
    ...(schema !== undefined ? { options: `-c search_path=${schema}` } : {}),
  });
  const description = `postgres:${new URL(config.location).host}${new URL(config.location).pathname}${schema ? ` schema ${schema}` : ''}`;
  try {
    const client = await pool.connect();
    try {
      if (schema !== undefined) await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    } finally {
      client.release();
    }
  } catch (e) {
    await pool.end();
    throw new GeoattestError(
      'STORE_UNAVAILABLE',
      `cannot connect to PostgreSQL (${description}): ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  }
  // An idle client's error (server restart) must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, dialect: 'postgres', description, close: () => db.destroy() };
}

/** Drops a test schema and everything in it (PostgreSQL). */
export async function dropSchema(url: string, schema: string): Promise<void> {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await pool.end();
  }
}

export { sql };
