// Receipts, the verdicts made from them, and the queue of chips whose verdict is due. Receipts are
// append-only: inserted once by hash (the same receipt twice is accepted once), never updated, and
// stored without their unused round slots (compact-receipt.ts); every read here restores them.

import { type Kysely, sql, type Transaction } from 'kysely';
import { compactReceipt, expandReceipt } from '../protocol/wire.js';
import { insertMany } from './bulk-insert.js';
import type { Dialect, Store } from './database.js';
import type { Database, ReceiptTable, VerdictRow, VerdictTable } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Rows per INSERT: well under SQLite's 32,766 bound variables and PostgreSQL's 65,535. */
const INSERT_CHUNK = 500;

export class EvidenceStore {
  constructor(private readonly store: Store) {}

  get db(): Kysely<Database> {
    return this.store.db;
  }

  /**
   * Stores new receipts and queues their chips for a verdict, in one transaction: when it returns,
   * the receipts are durable (SQLite fsyncs the WAL on commit; PostgreSQL commits synchronously).
   * Returns the hashes that were new; the others were already stored.
   */
  async append(rows: readonly ReceiptTable[], now: number): Promise<Set<string>> {
    if (rows.length === 0) return new Set();
    return this.db.transaction().execute(async (tx) => {
      const inserted = await insertMany<'receipts', { hash: string }>(
        tx,
        this.store.dialect,
        'receipts',
        rows.map((r) => ({ ...r, raw: compactReceipt(r.raw) })),
        INSERT_CHUNK,
        // Unique by (chip, time, hash): the same bytes, since they name one chip and time (0007).
        { conflict: ['chip_id', 'measured_at', 'hash'], onConflict: 'nothing', returning: ['hash'] },
      );
      const fresh = new Set(inserted.map((r) => r.hash));
      // Sorted: concurrent transactions then lock queue rows in one order and cannot deadlock.
      const chips = [...new Set(rows.filter((r) => fresh.has(r.hash)).map((r) => r.chip_id))].sort();
      await queue(tx, this.store.dialect, chips, now);
      return fresh;
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

  /** Chips whose verdict is due (queued at or before `queuedBy`), with when they were last queued. */
  async pending(
    limit: number,
    queuedBy = Number.MAX_SAFE_INTEGER,
  ): Promise<{ chipId: string; since: number }[]> {
    const rows = await this.db
      .selectFrom('pending_verdicts')
      .selectAll()
      .where('since', '<=', queuedBy)
      .orderBy('since')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ chipId: r.chip_id, since: Number(r.since) }));
  }

  async queueChips(chips: readonly string[], now: number): Promise<void> {
    await queue(this.db, this.store.dialect, chips, now);
  }

  async latestReceiptAt(chipId: string): Promise<number | undefined> {
    const r = await this.db
      .selectFrom('receipts')
      .select((eb) => eb.fn.max('measured_at').as('t'))
      .where('chip_id', '=', chipId)
      .executeTakeFirst();
    return r?.t === null || r?.t === undefined ? undefined : Number(r.t);
  }

  /** Receipts of one chip measured in [from, to], oldest first. */
  async receiptsOf(chipId: string, from: number, to: number): Promise<ReceiptTable[]> {
    const rows = await this.db
      .selectFrom('receipts')
      .selectAll()
      .where('chip_id', '=', chipId)
      .where('measured_at', '>=', from)
      .where('measured_at', '<=', to)
      .orderBy('measured_at')
      .orderBy('hash')
      .execute();
    return rows.map(expanded);
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

  /** The receipts a verdict rests on, oldest first: its chip's in its window, by the hashes it cites. */
  async receiptsOfVerdict(
    verdict: Pick<VerdictRow, 'chip_id' | 'window_from' | 'window_to' | 'evidence'>,
  ): Promise<ReceiptTable[]> {
    const cited = new Set(JSON.parse(verdict.evidence) as string[]);
    const rows = await this.receiptsOf(
      verdict.chip_id,
      Number(verdict.window_from),
      Number(verdict.window_to),
    );
    return rows.filter((r) => cited.has(r.hash));
  }

  async recentReceipts(chipId: string, limit: number): Promise<ReceiptTable[]> {
    const rows = await this.db
      .selectFrom('receipts')
      .selectAll()
      .where('chip_id', '=', chipId)
      .orderBy('measured_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map(expanded);
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
   * (the time the verdict just computed was queued for). In chip order, as ingestion queues them,
   * so the two cannot deadlock on PostgreSQL; a run of chips with one `since` (chips queued by one
   * ingestion batch share it) is one statement.
   */
  async dequeue(tx: Db, done: readonly { chipId: string; since: number }[]): Promise<void> {
    const sorted = [...done].sort((a, b) => (a.chipId < b.chipId ? -1 : a.chipId > b.chipId ? 1 : 0));
    for (let i = 0; i < sorted.length; ) {
      const since = sorted[i].since;
      let j = i + 1;
      while (j < sorted.length && j - i < INSERT_CHUNK && sorted[j].since === since) j++;
      await tx
        .deleteFrom('pending_verdicts')
        .where(
          'chip_id',
          'in',
          sorted.slice(i, j).map((d) => d.chipId),
        )
        .where('since', '<=', since)
        .execute();
      i = j;
    }
  }

  async latestVerdict(chipId: string): Promise<VerdictRow | undefined> {
    return this.db
      .selectFrom('verdicts')
      .selectAll()
      .where('chip_id', '=', chipId)
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
  }

  /** The latest verdict of every chip (one row per chip). */
  async latestVerdicts(): Promise<VerdictRow[]> {
    const latest = this.db
      .selectFrom('verdicts')
      .select((eb) => eb.fn.max('id').as('id'))
      .groupBy('chip_id');
    return this.db.selectFrom('verdicts').selectAll().where('id', 'in', latest).execute();
  }

  async verdictsOf(chipId: string, limit = 500): Promise<VerdictRow[]> {
    const rows = await this.db
      .selectFrom('verdicts')
      .selectAll()
      .where('chip_id', '=', chipId)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.reverse();
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

/** A stored receipt row with its exact signed bytes (stored compacted: compact-receipt.ts). */
function expanded(row: ReceiptTable): ReceiptTable {
  return { ...row, raw: expandReceipt(row.raw) };
}

/**
 * Queues chips for a verdict. A chip already queued gets the newer time, so a verdict computed from
 * what was there before cannot take it off the queue (dequeue compares times).
 */
async function queue(db: Db, dialect: Dialect, chips: readonly string[], now: number): Promise<void> {
  await insertMany(
    db,
    dialect,
    'pending_verdicts',
    chips.map((chip_id) => ({ chip_id, since: now })),
    INSERT_CHUNK,
    { conflict: ['chip_id'], onConflict: ['since'] },
  );
}
