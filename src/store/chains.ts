// Each chip's receipts and verdicts as chains, newest first, instead of behind indexes keyed by
// chip (migration 0008). A chip-keyed index takes every check-in to the page of its chip: with
// chips checking in in no particular order, each chip of a batch dirties a page of its own in every
// such index, and the commit writes them all (16 KiB each), a cost that grows with the fleet, not
// with the batch. Rows appended by id land on the last pages instead; a chip's rows are found by
// walking from its head through `prev_id`, a few point lookups by primary key for the rows a
// verdict needs.
//
// A chip's receipt head (its newest receipt's id) is kept with the per-chip state each check-in
// writes anyway: in pending_verdicts while a verdict is due, then in chip_state with the verdict
// made from it, or in receipt_heads for a chip no verdict can be made for. Ids only grow, and a
// chip's receipts are chained one transaction at a time, so its head is the largest of the three.
// Its verdict head is chip_state.verdict_id.
//
// Walks stop by arrival time: a receipt is received no earlier than the landmark's clock said it
// was measured, less the skew ingestion allows (the evidence store's `arrivalSlackMs`), so once a
// chain reaches receipts received before `t` less that slack, nothing further back was measured
// at or after `t`. That rests on
// the verifier's clock not stepping back; if it does, a walk may stop early and a verdict rest on
// fewer receipts, which can only widen the region the chip may be in, never prove it inside.

import { type Kysely, sql, type Transaction } from 'kysely';
import type { Dialect } from './database.js';
import type { Database, ReceiptTable, VerdictRow } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** How far ahead of the verifier's clock a receipt's measurement may be, by default (ingestion). */
export const DEFAULT_MAX_SKEW_MS = 5 * 60_000;

/** Ids per IN list: three lists of 500 stay far under either database's bound on variables. */
const CHUNK = 500;

/** Each chip's receipt head, the largest id of the places it is kept; chips with none are absent. */
export async function receiptHeads(db: Db, chipIds: readonly string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (let i = 0; i < chipIds.length; i += CHUNK) {
    const part = chipIds.slice(i, i + CHUNK);
    const rows = await db
      .selectFrom((eb) =>
        eb
          .selectFrom('pending_verdicts')
          .select(['chip_id', 'receipt_head as head'])
          .where('chip_id', 'in', part)
          .unionAll(
            eb
              .selectFrom('chip_state')
              .select(['chip_id', 'receipt_head as head'])
              .where('chip_id', 'in', part),
          )
          .unionAll(
            eb
              .selectFrom('receipt_heads')
              .select(['chip_id', 'receipt_head as head'])
              .where('chip_id', 'in', part),
          )
          .as('h'),
      )
      .select(['h.chip_id', (eb) => eb.fn.max('h.head').as('head')])
      .groupBy('h.chip_id')
      .execute();
    for (const r of rows) if (r.head !== null) out.set(r.chip_id, Number(r.head));
  }
  return out;
}

type Walked<C extends keyof ReceiptTable> = Pick<
  ReceiptTable,
  C | 'id' | 'prev_id' | 'chip_id' | 'received_at'
>;

/**
 * Walks each chip's chain from its head, newest first: a round of point lookups per step, one row
 * per chip each round. `goOn(chip, row, taken)` says whether to go on past `row` (already taken) to
 * the one before it.
 */
export async function walkReceipts<C extends keyof ReceiptTable>(
  db: Db,
  heads: ReadonlyMap<string, number>,
  columns: readonly C[],
  goOn: (chipId: string, row: Walked<C>, taken: readonly Walked<C>[]) => boolean,
): Promise<Map<string, Walked<C>[]>> {
  const out = new Map<string, Walked<C>[]>();
  const select = [
    ...new Set([...columns, 'id', 'prev_id', 'chip_id', 'received_at']),
  ] as (keyof ReceiptTable)[];
  let frontier = [...heads.values()];
  while (frontier.length > 0) {
    const next: number[] = [];
    for (let i = 0; i < frontier.length; i += CHUNK) {
      const rows = (await db
        .selectFrom('receipts')
        .select(select)
        .where('id', 'in', frontier.slice(i, i + CHUNK))
        .execute()) as unknown as Walked<C>[];
      for (const row of rows) {
        const chip = row.chip_id;
        const taken = out.get(chip) ?? [];
        if (taken.length === 0) out.set(chip, taken);
        taken.push(row);
        if (row.prev_id !== null && goOn(chip, row, taken)) next.push(Number(row.prev_id));
      }
    }
    frontier = next;
  }
  return out;
}

/** `n` new receipt ids, in increasing order, inside the transaction that inserts them. */
export async function reserveReceiptIds(tx: Db, dialect: Dialect, n: number): Promise<number[]> {
  if (n === 0) return [];
  if (dialect === 'sqlite') {
    // One writer at a time: nothing else inserts until this transaction ends.
    const r = await sql<{ top: number | null }>`select max(id) as top from receipts`.execute(tx);
    const first = Number(r.rows[0]?.top ?? 0) + 1;
    return Array.from({ length: n }, (_, i) => first + i);
  }
  const r = await sql<{ id: string }>`select nextval(pg_get_serial_sequence('receipts', 'id')) as id
    from generate_series(1, ${n}::integer)`.execute(tx);
  return r.rows.map((x) => Number(x.id)).sort((a, b) => a - b);
}

/**
 * Holds these chips (sorted) until the transaction ends, so two ingestions of one chip's receipts
 * chain them one after the other. PostgreSQL only: SQLite has one writer. NO KEY UPDATE leaves the
 * key-share locks that foreign keys to chips take (verdicts, receipts) free to proceed.
 */
export async function holdChips(tx: Db, dialect: Dialect, sortedChipIds: readonly string[]): Promise<void> {
  if (dialect === 'sqlite') return;
  for (let i = 0; i < sortedChipIds.length; i += CHUNK)
    await sql`select id from chips where id in (${sql.join(sortedChipIds.slice(i, i + CHUNK))})
      order by id for no key update`.execute(tx);
}

/**
 * The chip's verdicts, newest first, walked from chip_state: at most `limit`, and only while they
 * were computed at or after `since`, or until one `inside` computed before `insideBefore` is taken.
 */
export async function walkVerdicts(
  db: Db,
  chipId: string,
  opts: { limit: number; since?: number; insideBefore?: number },
): Promise<VerdictRow[]> {
  const since = opts.since ?? Number.MIN_SAFE_INTEGER;
  const before = opts.insideBefore;
  // found: an `inside` before `insideBefore` is among the rows taken so far.
  const isSought =
    before === undefined
      ? sql`0`
      : sql`case when v.verdict = 'inside' and v.computed_at < ${before} then 1 else 0 end`;
  const goOn =
    before === undefined ? sql`c.computed_at >= ${since}` : sql`(c.computed_at >= ${since} or c.found = 0)`;
  const rows = await sql<VerdictRow>`with recursive chain (id, prev_id, computed_at, n, found) as (
      select v.id, v.prev_id, v.computed_at, cast(1 as bigint), ${isSought}
      from verdicts v join chip_state s on v.id = s.verdict_id where s.chip_id = ${chipId}
      union all
      select v.id, v.prev_id, v.computed_at, c.n + 1, case when c.found = 1 then 1 else ${isSought} end
      from verdicts v join chain c on v.id = c.prev_id
      where c.n < ${opts.limit} and ${goOn}
    )
    select v.* from verdicts v join chain c on v.id = c.id order by v.id desc`.execute(db);
  return rows.rows;
}
