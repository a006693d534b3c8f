// Verdicts from stored receipts. A chip queued by ingestion gets one new verdict from the receipts
// of its latest check-in (the licence's evidence window before its newest receipt): the smallest
// RTT per landmark, against the licence's destinations, with the licence's bound and `where` policy.
// The verdict, the evidence it rests on, the chip's state and the alerts it calls for are stored in
// one transaction; the chip leaves the queue in that same transaction, so a crash at any point
// leaves it queued and the verdict is recomputed on restart.

import { sql } from 'kysely';
import type { Atlas } from '../geo/atlas.js';
import type { Landmark } from '../geo/verdict.js';
import {
  type AlertDraft,
  licenceEventAlert,
  missedCheckInAlerts,
  unverifiedAlerts,
  verdictAlerts,
} from '../ledger/alert-rules.js';
import { regionLabel } from '../ledger/licence.js';
import { effectivePolicy, type Policy } from '../ledger/policy.js';
import type { TrustMode } from '../protocol/message-types.js';
import type { Alert, AlertStore } from '../store/alert-store.js';
import { insertMany } from '../store/bulk-insert.js';
import { holdChips, receiptHeads, walkReceipts } from '../store/chains.js';
import type { Store } from '../store/database.js';
import { byTimeThenHash, type EvidenceStore, type QueuedChip } from '../store/evidence-store.js';
import type {
  ChipStateTable,
  LicenceTable,
  ReceiptTable,
  VerdictRow,
  VerdictTable,
} from '../store/schema.js';
import { decideJob, type VerdictJob } from './verifier-jobs.js';
import type { WorkerPool } from './worker-pool.js';

export { VERIFIER_VERSION } from './verifier-jobs.js';

/** What a verdict reads of a receipt: never the raw bytes, which the checks at ingestion covered. */
const EVIDENCE_COLUMNS = [
  'hash',
  'chip_id',
  'landmark_id',
  'measured_at',
  'min_rtt_ns',
  'trust_mode',
] as const;
type EvidenceReceipt = Pick<ReceiptTable, (typeof EVIDENCE_COLUMNS)[number]>;

export interface EngineOptions {
  readonly atlas: () => Atlas;
  /** Where verdicts are decided; without it, on this thread. */
  readonly workers?: WorkerPool;
}

/** The pure verdict question for one chip: destinations, landmarks, measurements, policy. */
function jobFor(
  destinations: readonly Record<string, unknown>[],
  places: ReadonlyMap<string, Landmark>,
  receipts: readonly EvidenceReceipt[],
  policy: Policy,
): VerdictJob {
  const landmarks: Landmark[] = [];
  for (const id of new Set(receipts.map((r) => r.landmark_id))) {
    const l = places.get(id);
    if (l !== undefined) landmarks.push(l);
  }
  return {
    destinations,
    landmarks,
    measurements: receipts.map((r) => ({
      landmark: r.landmark_id,
      rttMs: Number(r.min_rtt_ns) / 1e6,
      trustMode: r.trust_mode as TrustMode,
    })),
    policy,
    evidence: receipts.map((r) => r.hash),
  };
}

/** The latest measurement among these receipts. */
function newestMeasured(rows: readonly { measured_at: number }[]): number {
  let top = Number.NEGATIVE_INFINITY;
  for (const r of rows) top = Math.max(top, Number(r.measured_at));
  return top;
}

export class VerdictEngine {
  private landmarkCache = new Map<string, Landmark>();

  constructor(
    private readonly store: Store,
    private readonly evidence: EvidenceStore,
    private readonly alerts: AlertStore,
    private readonly opts: EngineOptions,
  ) {}

  invalidate(): void {
    this.landmarkCache.clear();
  }

  /** The map verdicts are decided on. */
  atlas(): Atlas {
    return this.opts.atlas();
  }

  /**
   * Computes verdicts for up to `limit` queued chips queued at least `settleMs` ago (so the
   * receipts of one check-in, which reach the verifier from several landmarks within seconds, make
   * one verdict rather than one each). Returns how many chips were done.
   */
  async runPending(now: number, opts: { limit?: number; settleMs?: number } = {}): Promise<number> {
    const queued = await this.evidence.pending(opts.limit ?? 500, now - (opts.settleMs ?? 0));
    if (queued.length > 0) await this.decideMany(queued, now);
    return queued.length;
  }

  /** Runs until the queue is empty (nothing settles: every queued chip is decided). */
  async drain(now: () => number): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.runPending(now());
      total += n;
      if (n === 0) return total;
    }
  }

  /** These landmarks' places, from the cache or (those missing) the database. */
  private async landmarksById(ids: readonly string[]): Promise<Map<string, Landmark>> {
    const missing = ids.filter((id) => !this.landmarkCache.has(id));
    for (let i = 0; i < missing.length; i += 500) {
      const rows = await this.store.db
        .selectFrom('landmarks')
        .select(['id', 'lat', 'lon'])
        .where('id', 'in', missing.slice(i, i + 500))
        .execute();
      for (const r of rows) this.landmarkCache.set(r.id, { id: r.id, lat: r.lat, lon: r.lon });
    }
    const out = new Map<string, Landmark>();
    for (const id of ids) {
      const l = this.landmarkCache.get(id);
      if (l !== undefined) out.set(id, l);
    }
    return out;
  }

  /** Decides one chip's verdict from its latest check-in and stores it. */
  async decide(chipId: string, queuedAt: number, now: number): Promise<VerdictRow | undefined> {
    return (await this.decideMany([{ chipId, since: queuedAt }], now)).get(chipId);
  }

  /**
   * Decides a batch of queued chips: reads what they need in a few queries, decides in memory,
   * and writes every verdict, chip state, alert and queue removal in one transaction (one fsync
   * for the batch on SQLite).
   */
  async decideMany(requested: readonly QueuedChip[], now: number): Promise<Map<string, VerdictRow>> {
    const db = this.store.db;
    // One verdict per chip and batch: a chip listed twice is decided once, for its latest queueing.
    const newest = new Map<string, QueuedChip>();
    for (const q of requested) {
      const had = newest.get(q.chipId);
      if (had === undefined || q.since > had.since) newest.set(q.chipId, q);
    }
    const queued = [...newest.values()];
    const ids = queued.map((q) => q.chipId);
    const chips = new Map(
      (await db.selectFrom('chips').select(['id', 'licence_id']).where('id', 'in', ids).execute()).map(
        (c) => [c.id, c],
      ),
    );
    const licenceIds = [
      ...new Set([...chips.values()].map((c) => c.licence_id).filter((l): l is string => l !== null)),
    ];
    const licences = new Map(
      licenceIds.length === 0
        ? []
        : (await db.selectFrom('licences').selectAll().where('id', 'in', licenceIds).execute()).map((l) => [
            l.id,
            l,
          ]),
    );
    const policies = new Map(
      [...licences.values()].map((l) => [l.id, effectivePolicy(JSON.parse(l.policy) as Partial<Policy>)]),
    );
    const windowOf = (chipId: string): number | undefined => {
      const lic = chips.get(chipId)?.licence_id;
      return lic ? policies.get(lic)?.evidenceWindowMs : undefined;
    };
    // Each licensed chip's chain from its head back past its latest check-in's window: once the
    // walk reaches receipts that arrived before the newest measurement taken so far less the window
    // and the slack, nothing further back falls in the window (chains.ts).
    // The heads the queue holds, and for chips queued without one (by evidence alone), looked up.
    const heads = new Map<string, number>();
    for (const q of newest.values()) if (q.head !== undefined) heads.set(q.chipId, q.head);
    const unknown = ids.filter((id) => !heads.has(id));
    if (unknown.length > 0) for (const [id, h] of await receiptHeads(db, unknown)) heads.set(id, h);
    const walked = await walkReceipts(
      db,
      new Map([...heads].filter(([chipId]) => windowOf(chipId) !== undefined)),
      EVIDENCE_COLUMNS,
      (chipId, row, taken) =>
        Number(row.received_at) >= newestMeasured(taken) - windowOf(chipId)! - this.evidence.arrivalSlackMs,
    );
    const latest = new Map([...walked].map(([chipId, rows]) => [chipId, newestMeasured(rows)]));
    // A gpu-session receipt counts only once its evidence has bound the session key to the GPU.
    const gpu = [...walked.values()].flatMap((rows) =>
      rows.filter((r) => r.trust_mode === 'gpu-session').map((r) => r.hash),
    );
    const bound = new Set<string>();
    for (let i = 0; i < gpu.length; i += 500) {
      const found = await db
        .selectFrom('session_evidence')
        .select('receipt_hash')
        .where('receipt_hash', 'in', gpu.slice(i, i + 500))
        .execute();
      for (const f of found) bound.add(f.receipt_hash);
    }
    const receiptsByChip = new Map<string, EvidenceReceipt[]>();
    for (const [chipId, rows] of walked) {
      const from = latest.get(chipId)! - windowOf(chipId)!;
      const seen = new Set<string>();
      const mine = rows
        .filter((r) => {
          if (Number(r.measured_at) < from || seen.has(r.hash)) return false;
          seen.add(r.hash);
          return r.trust_mode !== 'gpu-session' || bound.has(r.hash);
        })
        // One order for the evidence hash, as receiptsOfVerdict reads them back.
        .sort(byTimeThenHash);
      receiptsByChip.set(chipId, mine);
    }

    interface Decided {
      row: Omit<VerdictTable, 'id'>;
      policy: Policy;
      suspects: readonly (readonly string[])[];
      reasons: readonly string[];
      since: number;
    }
    const decided: Decided[] = [];
    const skipped: { chipId: string; since: number }[] = [];
    const work: {
      q: { chipId: string; since: number };
      licence: LicenceTable;
      policy: Policy;
      from: number;
      last: number;
      receipts: EvidenceReceipt[];
    }[] = [];
    for (const q of queued) {
      const chip = chips.get(q.chipId);
      const licence = chip?.licence_id == null ? undefined : licences.get(chip.licence_id);
      const last = latest.get(q.chipId);
      if (licence === undefined || last === undefined) {
        skipped.push(q);
        continue;
      }
      const policy = policies.get(licence.id)!;
      const from = last - policy.evidenceWindowMs;
      const receipts = receiptsByChip.get(q.chipId) ?? [];
      work.push({ q, licence, policy, from, last, receipts });
    }
    // Every landmark the batch cites, looked up at once: a query per chip, all waiting on the one
    // SQLite connection together, cost time quadratic in the batch (each release wakes them all).
    const places = await this.landmarksById([
      ...new Set(work.flatMap((w) => w.receipts.map((r) => r.landmark_id))),
    ]);
    const destinations = new Map(
      [...licences.values()].map((l) => [l.id, JSON.parse(l.destinations) as Record<string, unknown>[]]),
    );
    const jobs = work.map((w) => jobFor(destinations.get(w.licence.id)!, places, w.receipts, w.policy));
    const results = this.opts.workers
      ? await this.opts.workers.run('verdicts', jobs)
      : jobs.map((j: VerdictJob) => decideJob(j, this.atlas()));
    for (let i = 0; i < work.length; i++) {
      const { q, licence, policy, from, last, receipts } = work[i];
      const d = results[i];
      const v = d.verdict;
      decided.push({
        policy,
        suspects: v.suspects,
        reasons: v.reasons,
        since: q.since,
        row: {
          chip_id: q.chipId,
          // Set in the transaction below, from the chip's state as it holds it.
          prev_id: null,
          receipt_head: heads.get(q.chipId) ?? null,
          licence_id: licence.id,
          computed_at: now,
          verdict: v.verdict,
          bound: v.bound,
          where_policy: v.where,
          trust_modes: v.trustModes.join(','),
          region: d.region,
          window_from: from,
          window_to: last,
          proof_radius_km: v.proofRadiusKm,
          evidence_hash: d.evidenceHash,
          evidence: JSON.stringify(receipts.map((r) => r.hash)),
          detail: d.detail,
        },
      });
    }

    const out = new Map<string, VerdictRow>();
    decided.sort((a, b) => (a.row.chip_id < b.row.chip_id ? -1 : a.row.chip_id > b.row.chip_id ? 1 : 0));
    const raised = await db.transaction().execute(async (tx) => {
      // The chips held first (PostgreSQL; in id order, as ingestion holds them), then their state
      // read under the transaction: two verdicts of one chip cannot both follow the same previous
      // one in its chain, and this and ingestion never wait on each other in opposite orders.
      await holdChips(tx, this.store.dialect, [...ids].sort());
      const previous = new Map(
        (await tx.selectFrom('chip_state').selectAll().where('chip_id', 'in', ids).execute()).map((r) => [
          r.chip_id,
          r,
        ]),
      );
      for (const d of decided) d.row.prev_id = previous.get(d.row.chip_id)?.verdict_id ?? null;
      const verdictIds = await this.evidence.insertVerdicts(
        tx,
        decided.map((d) => d.row),
      );
      await this.evidence.dequeue(tx, [
        ...skipped,
        ...decided.map((d) => ({ chipId: d.row.chip_id, since: d.since })),
      ]);
      // A chip no verdict could be made for keeps its receipt head off the queue.
      // (Rare: one statement each.) Never back: a head only moves on to a larger id.
      for (const q of skipped) {
        const head = heads.get(q.chipId);
        if (head === undefined) continue;
        await tx
          .insertInto('receipt_heads')
          .values({ chip_id: q.chipId, receipt_head: head })
          .onConflict((oc) =>
            oc
              .column('chip_id')
              .doUpdateSet({ receipt_head: head })
              .where('receipt_heads.receipt_head', '<', head),
          )
          .execute();
      }
      const states: ChipStateTable[] = [];
      const drafts: { drafts: AlertDraft[]; verdictId: number }[] = [];
      for (const d of decided) {
        const row = d.row;
        const id = verdictIds.get(row.chip_id)!;
        out.set(row.chip_id, { ...row, id });
        const prev = previous.get(row.chip_id);
        const streakSince =
          prev !== undefined && prev.verdict === row.verdict ? Number(prev.streak_since) : now;
        states.push({
          chip_id: row.chip_id,
          verdict: row.verdict,
          verdict_id: id,
          streak_since: streakSince,
          last_receipt_at: row.window_to,
          computed_at: now,
          // Never back, should another verdict of the chip have moved it on meanwhile.
          receipt_head: Math.max(Number(prev?.receipt_head ?? 0), Number(row.receipt_head ?? 0)) || null,
        });
        const mine = verdictAlerts(
          {
            chipId: row.chip_id,
            licenceId: row.licence_id,
            region: row.region,
            verdict: row.verdict,
            streakSince,
            suspects: d.suspects,
            reasons: d.reasons,
            verdictId: id,
          },
          d.policy,
          now,
        );
        if (mine.length > 0) drafts.push({ drafts: mine, verdictId: id });
      }
      // 7 columns a row: 500 rows stay under either database's bound on variables.
      await insertMany(tx, this.store.dialect, 'chip_state', states, 500, {
        conflict: ['chip_id'],
        onConflict: [
          'verdict',
          'verdict_id',
          'streak_since',
          'last_receipt_at',
          'computed_at',
          'receipt_head',
        ],
      });
      const alerts: Alert[] = [];
      for (const d of drafts) alerts.push(...(await this.alerts.raise(tx, d.drafts, now, d.verdictId)));
      return alerts;
    });
    this.alerts.announce(raised);
    return out;
  }

  /**
   * Time-driven alerts: chips that stopped checking in, chips `unverified` past their grace, and
   * licences that expired with chips still under them. Safe to run often: each condition is raised
   * once per episode (alert-rules.ts). The chips are found through chip_state's indexes on the
   * last check-in and on unverified streaks (0008) with the shortest threshold of any licence, and
   * each licence's own threshold applied by the rules: the sweep reads the chips it may alert on,
   * not the fleet. Only chips never decided take a pass over the chips table.
   */
  async sweep(now: number): Promise<Alert[]> {
    const db = this.store.db;
    const drafts: AlertDraft[] = [];
    const licences = new Map(
      (await db.selectFrom('licences').selectAll().where('status', '=', 'active').execute()).map((l) => [
        l.id,
        {
          licence: l,
          policy: effectivePolicy(JSON.parse(l.policy) as Partial<Policy>),
          region: regionLabel(JSON.parse(l.destinations) as Record<string, unknown>[]),
        },
      ]),
    );
    if (licences.size === 0) return this.alerts.raiseNow(drafts, now);
    const policies = [...licences.values()].map((l) => l.policy);
    const missedBy = now - Math.min(...policies.map((p) => p.missedCheckInAfterMs));
    const graceBy = now - Math.min(...policies.map((p) => p.unverifiedGraceMs));
    const late = await db
      .selectFrom('chip_state')
      .innerJoin('chips', 'chips.id', 'chip_state.chip_id')
      .select(['chips.id', 'chips.licence_id', 'chip_state.last_receipt_at as at'])
      .where('chip_state.last_receipt_at', '<', missedBy)
      .where('chips.status', '=', 'active')
      .execute();
    const never = await db
      .selectFrom('chips')
      .select(['chips.id', 'chips.licence_id', 'chips.created_at as at'])
      .where('chips.status', '=', 'active')
      .where('chips.created_at', '<', missedBy)
      .where((eb) =>
        eb.not(eb.exists(eb.selectFrom('chip_state').select('chip_id').whereRef('chip_id', '=', 'chips.id'))),
      )
      .execute();
    for (const c of [...late, ...never]) {
      const l = c.licence_id === null ? undefined : licences.get(c.licence_id);
      if (l !== undefined)
        drafts.push(
          ...missedCheckInAlerts(
            { chipId: c.id, licenceId: l.licence.id, lastReceiptAt: Number(c.at) },
            l.policy,
            now,
          ),
        );
    }
    const unverified = await db
      .selectFrom('chip_state')
      .innerJoin('chips', 'chips.id', 'chip_state.chip_id')
      .select(['chips.id', 'chips.licence_id', 'chip_state.streak_since'])
      // A literal, so both databases plan with the partial index on unverified streaks (0008).
      .where('chip_state.verdict', '=', sql.lit('unverified'))
      .where('chip_state.streak_since', '<', graceBy)
      .where('chips.status', '=', 'active')
      .execute();
    for (const c of unverified) {
      const l = c.licence_id === null ? undefined : licences.get(c.licence_id);
      if (l !== undefined)
        drafts.push(
          ...unverifiedAlerts(
            {
              chipId: c.id,
              licenceId: l.licence.id,
              region: l.region,
              verdict: 'unverified',
              streakSince: Number(c.streak_since),
            },
            l.policy,
            now,
          ),
        );
    }
    for (const { licence: l } of licences.values()) {
      if (now < l.valid_to) continue;
      const n = await db
        .selectFrom('chips')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('licence_id', '=', l.id)
        .where('status', '!=', 'retired')
        .executeTakeFirstOrThrow();
      if (Number(n.n) > 0)
        drafts.push(
          licenceEventAlert(
            l.id,
            'expired',
            `licence ${l.id} expired with ${Number(n.n)} chip(s) still under it`,
            Number(l.valid_to),
          ),
        );
    }
    return this.alerts.raiseNow(drafts, now);
  }
}
