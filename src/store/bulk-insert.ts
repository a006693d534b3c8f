// Multi-row INSERTs for the hot tables (receipts, verdicts, the queues, chip state, log leaves).
// Kysely builds and compiles a query tree of every value of every row, which cost more CPU and
// garbage than SQLite's own work for these statements (profiled in `geoattest simulate`). Here the
// SQL text is made once per shape (table, columns, row count, clause) and the values go straight
// to the driver as parameters. Table and column names come from the schema types, never from input.

import { CompiledQuery, type Insertable, type Kysely, type Transaction } from 'kysely';
import type { Dialect } from './database.js';
import type { Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface InsertClauses {
  /** Columns of the unique key a conflicting row would violate. */
  readonly conflict?: readonly string[];
  /** On such a conflict: skip the row ('nothing') or set these columns from the new row. */
  readonly onConflict?: 'nothing' | readonly string[];
  readonly returning?: readonly string[];
}

const texts = new Map<string, string>();

const quote = (name: string) => `"${name}"`;

/** The statement text for `rows` rows of `columns`, with `?` (SQLite) or `$n` (PostgreSQL) places. */
function statement(
  dialect: Dialect,
  table: string,
  columns: readonly string[],
  rows: number,
  c: InsertClauses,
): string {
  const key = `${dialect}|${table}|${columns.join(',')}|${rows}|${JSON.stringify(c)}`;
  let text = texts.get(key);
  if (text !== undefined) return text;
  let n = 0;
  const tuple = () => `(${columns.map(() => (dialect === 'sqlite' ? '?' : `$${++n}`)).join(', ')})`;
  const values = Array.from({ length: rows }, tuple).join(', ');
  text = `insert into ${quote(table)} (${columns.map(quote).join(', ')}) values ${values}`;
  if (c.conflict !== undefined) {
    text += ` on conflict (${c.conflict.map(quote).join(', ')}) do `;
    text +=
      c.onConflict === undefined || c.onConflict === 'nothing'
        ? 'nothing'
        : `update set ${c.onConflict.map((col) => `${quote(col)} = excluded.${quote(col)}`).join(', ')}`;
  }
  if (c.returning !== undefined) text += ` returning ${c.returning.map(quote).join(', ')}`;
  // A bounded cache: shapes are few (row counts up to a chunk size per table).
  if (texts.size > 2000) texts.clear();
  texts.set(key, text);
  return text;
}

/**
 * Inserts `rows` (each with the same columns as the first) in statements of at most `chunk`
 * rows, and returns what RETURNING gave, in order. Keep `chunk` × columns under SQLite's 32,766
 * and PostgreSQL's 65,535 parameters.
 */
export async function insertMany<T extends keyof Database, R = Record<string, unknown>>(
  db: Db,
  dialect: Dialect,
  table: T,
  rows: readonly Insertable<Database[T]>[],
  chunk: number,
  clauses: InsertClauses = {},
): Promise<R[]> {
  if (rows.length === 0) return [];
  const columns = Object.keys(rows[0]);
  const out: R[] = [];
  for (let i = 0; i < rows.length; i += chunk) {
    const part = rows.slice(i, i + chunk);
    const params: unknown[] = new Array(part.length * columns.length);
    let k = 0;
    for (const row of part) for (const col of columns) params[k++] = (row as Record<string, unknown>)[col];
    const r = await db.executeQuery<R>(
      CompiledQuery.raw(statement(dialect, table, columns, part.length, clauses), params),
    );
    for (const x of r.rows) out.push(x);
  }
  return out;
}
