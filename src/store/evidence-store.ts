// Receipts, the verdicts made from them, and the queue of chips whose verdict is due. Receipts are
// append-only: inserted once (the same receipt twice is accepted once), never updated, chained per
// chip (chains.ts), and stored without their unused round slots (compact-receipt.ts); every read
// here restores them.

import { type Kysely, sql, type Transaction } from 'kysely';
import { compactReceipt, expandReceipt } from '../protocol/wire.js';
import { insertMany } from './bulk-insert.js';
import {
  DEFAULT_MAX_SKEW_MS,
  holdChips,
  receiptHeads,
  reserveReceiptIds,
  walkReceipts,
  walkVerdicts,
} from './chains.js';
import type { Dialect, Store } from './database.js';
import type { Database, ReceiptTable, VerdictRow, VerdictTable } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Rows per INSERT: well under SQLite's 32,766 bound variables and PostgreSQL's 65,535. */
const INSERT_CHUNK = 500;

/**
 * A chip whose verdict is due: since when (its latest queueing) and, queued by its receipts, its
 * receipt head then (chains.ts): no older than any other place keeps it, since the receipts that
 * queued it were the chip's newest.
 */
export interface QueuedChip {
  readonly chipId: string;
  readonly since: number;
  readonly head?: number;
}

/** A receipt to store: its id and place in its chip's chain are given when it is. */
export type NewReceipt = Omit<ReceiptTable, 'id' | 'prev_id'>;

export class EvidenceStore {
  /**
   * How far ahead of the verifier a landmark's clock may be (ingestion refuses receipts measured
   * later than arrival plus this): the slack walks along a chain allow (chains.ts).
   */
  readonly arrivalSlackMs: number;

  constructor(
    private readonly store: Store,
    opts: { arrivalSlackMs?: number } = {},
  ) {
    this.arrivalSlackMs = opts.arrivalSlackMs ?? DEFAULT_MAX_SKEW_MS;
  }

  get db(): Kysely<Database> {
    return this.store.db;
  }

  /**
   * Stores new receipts at the heads of their chips' chains and queues the chips for a verdict, in
   * one transaction: when it returns, the receipts are durable (SQLite fsyncs the WAL on commit;
   * PostgreSQL commits synchronously). Returns the hashes that were new; the others were already
   * stored (the same bytes name the same chip and time, so a copy is on the chip's chain no further
   * back than the slack before its measurement).
   */
  async append(rows: readonly NewReceipt[], now: number): Promise<Set<string>> {
    if (rows.length === 0) return new Set();
    const dialect = this.store.dialect;
    return this.db.transaction().execute(async (tx) => {
      const byHash = new Map<string, NewReceipt>();
      const earliest = new Map<string, number>();
      for (const r of rows) {
        if (byHash.has(r.hash)) continue;
        byHash.set(r.hash, r);
        earliest.set(r.chip_id, Math.min(earliest.get(r.chip_id) ?? r.measured_at, r.measured_at));
      }
      // Sorted: concurrent transactions then lock chips and queue rows in one order (no deadlock).
      const chips = [...earliest.keys()].sort();
      await holdChips(tx, dialect, chips);
      const heads = await receiptHeads(tx, chips);
      const stored = await walkReceipts(
        tx,
        heads,
        ['hash'],
        (chip, row) => Number(row.received_at) >= earliest.get(chip)! - this.arrivalSlackMs,
      );
      const known = new Set<string>();
      for (const list of stored.values()) for (const r of list) known.add(r.hash);
      const fresh = [...byHash.values()].filter((r) => !known.has(r.hash));
      const ids = await reserveReceiptIds(tx, dialect, fresh.length);
      const head = new Map(heads);
      const chained = fresh.map((r, i) => {
        const prev = head.get(r.chip_id) ?? null;
        head.set(r.chip_id, ids[i]);
        return { id: ids[i], prev_id: prev, ...r, raw: compactReceipt(r.raw) };
      });
      await insertMany(tx, dialect, 'receipts', chained, INSERT_CHUNK);
      const queued = [...new Set(fresh.map((r) => r.chip_id))].sort();
      await queue(tx, dialect, queued, now, head);
      return new Set(fresh.map((r) => r.hash));
    });
  }

  /** Chips whose verdict is due, with when they were last queued. */
  async queueLength(): Promise<number> {
    const r = await this.db
      .selectFrom('pending_verdicts')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /**
   * Chips whose verdict is due (queued at or before `queuedBy`), with when they were last queued,
   * in the order they were queued (then by chip). With `after`, only those queued after it in that
   * order: a caller with a batch still being decided takes the next one without taking its chips
   * again.
   */
  async pending(
    limit: number,
    queuedBy = Number.MAX_SAFE_INTEGER,
    after?: Pick<QueuedChip, 'chipId' | 'since'>,
  ): Promise<QueuedChip[]> {
    let q = this.db.selectFrom('pending_verdicts').selectAll().where('since', '<=', queuedBy);
    if (after !== undefined)
      q = q.where((eb) =>
        eb.or([
          eb('since', '>', after.since),
          eb.and([eb('since', '=', after.since), eb('chip_id', '>', after.chipId)]),
        ]),
      );
    const rows = await q.orderBy('since').orderBy('chip_id').limit(limit).execute();
    return rows.map((r) =>
      r.receipt_head === null
        ? { chipId: r.chip_id, since: Number(r.since) }
        : { chipId: r.chip_id, since: Number(r.since), head: Number(r.receipt_head) },
    );
  }

  async queueChips(chips: readonly string[], now: number): Promise<void> {
    await queue(this.db, this.store.dialect, chips, now);
  }

  /** A gpu-session receipt by its hash alone, as its evidence bundle names it. */
  async gpuSessionReceipt(hash: string): Promise<ReceiptTable | undefined> {
    const row = await this.db
      .selectFrom('receipts')
      .selectAll()
      .where('hash', '=', hash)
      // A literal, so PostgreSQL plans with the partial index on gpu-session hashes (0007).
      .where('trust_mode', '=', sql.lit('gpu-session'))
      .executeTakeFirst();
    return row === undefined ? undefined : expanded(row);
  }

  /**
   * The receipts a verdict rests on, oldest first: its chip's chain walked from the newest receipt
   * the verdict saw back through its window, those it cites.
   */
  async receiptsOfVerdict(
    verdict: Pick<VerdictRow, 'chip_id' | 'window_from' | 'window_to' | 'evidence' | 'receipt_head'>,
  ): Promise<ReceiptTable[]> {
    const cited = new Set(JSON.parse(verdict.evidence) as string[]);
    const from = Number(verdict.window_from);
    const to = Number(verdict.window_to);
    const heads =
      verdict.receipt_head === null
        ? await receiptHeads(this.db, [verdict.chip_id])
        : new Map([[verdict.chip_id, Number(verdict.receipt_head)]]);
    const walked = await walkReceipts(
      this.db,
      heads,
      RECEIPT_COLUMNS,
      (_, row) => Number(row.received_at) >= from - this.arrivalSlackMs,
    );
    return (walked.get(verdict.chip_id) ?? [])
      .filter((r) => cited.has(r.hash) && Number(r.measured_at) >= from && Number(r.measured_at) <= to)
      .sort(byTimeThenHash)
      .map(expanded);
  }

  /** The chip's latest `limit` receipts to arrive, newest measured first. */
  async recentReceipts(chipId: string, limit: number): Promise<ReceiptTable[]> {
    const walked = await walkReceipts(
      this.db,
      await receiptHeads(this.db, [chipId]),
      RECEIPT_COLUMNS,
      (_, _row, taken) => taken.length < limit,
    );
    return (walked.get(chipId) ?? []).sort((a, b) => -byTimeThenHash(a, b)).map(expanded);
  }

  /**
   * Stores verdicts (at most one per chip) and queues them for the transparency log; returns each
   * chip's new verdict id. Callers pass a transaction when the verdicts go with other writes.
   */
  async insertVerdicts(tx: Db, rows: readonly Omit<VerdictTable, 'id'>[]): Promise<Map<string, number>> {
    const ids = new Map<string, number>();
    // 14 columns a row: 200 rows stay far under either database's bound on variables.
    const inserted = await insertMany<'verdicts', { id: number; chip_id: string }>(
      tx,
      this.store.dialect,
      'verdicts',
      rows,
      200,
      { returning: ['id', 'chip_id'] },
    );
    for (const r of inserted) ids.set(r.chip_id, Number(r.id));
    if (ids.size !== rows.length) throw new Error('insertVerdicts: one verdict per chip and batch');
    const queued = [...ids.values()].map((verdict_id) => ({ verdict_id }));
    await insertMany(tx, this.store.dialect, 'log_queue', queued, INSERT_CHUNK);
    return ids;
  }

  /**
   * Takes chips off the verdict queue, each unless receipts queued it again after its `since`
   * (the time the verdict just computed was queued for). Chips queued by one ingestion batch share
   * their `since`, so one statement takes each such group. On PostgreSQL the caller holds the
   * chips (chains.ts holdChips) first, as ingestion does before it queues them: the two then never
   * wait on each other's queue rows in opposite orders.
   */
  async dequeue(tx: Db, done: readonly { chipId: string; since: number }[]): Promise<void> {
    const bySince = new Map<number, string[]>();
    for (const d of done) {
      const group = bySince.get(d.since);
      if (group === undefined) bySince.set(d.since, [d.chipId]);
      else group.push(d.chipId);
    }
    for (const [since, chips] of bySince)
      for (let i = 0; i < chips.length; i += INSERT_CHUNK)
        await tx
          .deleteFrom('pending_verdicts')
          .where('chip_id', 'in', chips.slice(i, i + INSERT_CHUNK))
          .where('since', '<=', since)
          .execute();
  }

  /** The chip's latest verdict: the head of its chain. */
  async latestVerdict(chipId: string): Promise<VerdictRow | undefined> {
    return this.db
      .selectFrom('chip_state')
      .innerJoin('verdicts', 'verdicts.id', 'chip_state.verdict_id')
      .selectAll('verdicts')
      .where('chip_state.chip_id', '=', chipId)
      .executeTakeFirst();
  }

  /** The latest verdict of every chip (one row per chip). */
  async latestVerdicts(): Promise<VerdictRow[]> {
    return this.db
      .selectFrom('chip_state')
      .innerJoin('verdicts', 'verdicts.id', 'chip_state.verdict_id')
      .selectAll('verdicts')
      .execute();
  }

  /** The chip's latest `limit` verdicts, oldest first. */
  async verdictsOf(chipId: string, limit = 500): Promise<VerdictRow[]> {
    return (await walkVerdicts(this.db, chipId, { limit })).reverse();
  }

  async verdictsBetween(from: number, to: number): Promise<VerdictRow[]> {
    return this.db
      .selectFrom('verdicts')
      .selectAll()
      .where('computed_at', '>=', from)
      .where('computed_at', '<', to)
      .orderBy('id')
      .execute();
  }

  async verdictById(id: number): Promise<VerdictRow | undefined> {
    return this.db.selectFrom('verdicts').selectAll().where('id', '=', id).executeTakeFirst();
  }
}

const RECEIPT_COLUMNS = [
  'id',
  'prev_id',
  'hash',
  'chip_id',
  'landmark_id',
  'measured_at',
  'min_rtt_ns',
  'trust_mode',
  'raw',
  'received_at',
] as const;

/** The order a verdict's evidence is read and hashed in: measurement time, then hash. */
export function byTimeThenHash(
  a: { measured_at: number; hash: string },
  b: { measured_at: number; hash: string },
): number {
  return Number(a.measured_at) - Number(b.measured_at) || (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0);
}

/** A stored receipt row with its exact signed bytes (stored compacted: compact-receipt.ts). */
function expanded(row: ReceiptTable): ReceiptTable {
  return { ...row, raw: expandReceipt(row.raw) };
}

/**
 * Queues chips for a verdict. A chip already queued gets the newer time (and, queued by its
 * receipts, their head), so a verdict computed from what was there before cannot take it off the
 * queue (dequeue compares times); queued by evidence alone, it keeps the head it had.
 */
async function queue(
  db: Db,
  dialect: Dialect,
  chips: readonly string[],
  now: number,
  heads?: ReadonlyMap<string, number>,
): Promise<void> {
  const rows = chips.map((chip_id) =>
    heads === undefined
      ? { chip_id, since: now }
      : { chip_id, since: now, receipt_head: heads.get(chip_id)! },
  );
  await insertMany(db, dialect, 'pending_verdicts', rows, INSERT_CHUNK, {
    conflict: ['chip_id'],
    onConflict: heads === undefined ? ['since'] : ['since', 'receipt_head'],
  });
}
