// Migration 0008: receipts and verdicts become per-chip chains. Every receipt and verdict comes
// through and is reachable from its chip's head in the order it arrived; a verdict made before the
// migration still finds its evidence; a receipt sent again is still refused, a new one chained on;
// the chip-keyed indexes are gone.

import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import type { Verifier } from '../../src/server/verifier.js';
import { olderDatabase } from '../helpers/older-database.js';
import { BACKENDS } from '../helpers/verifier-world.js';

const T = 1_780_000_000_000;

async function indexNames(v: Verifier): Promise<string[]> {
  const rows =
    v.store.dialect === 'sqlite'
      ? await sql<{ name: string }>`select name from sqlite_master
          where type = 'index' and tbl_name in ('receipts', 'verdicts')`.execute(v.store.db)
      : await sql<{ name: string }>`select indexname as name from pg_indexes
          where schemaname = current_schema() and tablename in ('receipts', 'verdicts')`.execute(v.store.db);
  return rows.rows.map((r) => r.name);
}

for (const backend of BACKENDS) {
  describe(`the chains migration on ${backend}`, () => {
    let cleanup: (() => Promise<void>) | undefined;
    afterEach(async () => {
      await cleanup?.();
      cleanup = undefined;
    });

    it('chains every receipt and verdict in arrival order and drops the chip-keyed indexes', async () => {
      const older = await olderDatabase(backend, '0008');
      cleanup = older.cleanup;
      const db = older.db;
      await sql`insert into orgs (id, name, kind, disclosure, created_at) values ('op', 'Operator', 'landmark-operator', 'verdict', ${T})`.execute(
        db,
      );
      await sql`insert into landmarks (id, operator_id, lat, lon, public_key, status, created_at) values ('LM-1', 'op', 1, 103, 'AA==', 'active', ${T})`.execute(
        db,
      );
      for (const id of ['C-A', 'C-B'])
        await sql`insert into chips (id, model, identity_mode, public_key, device_id, key_id, status, created_at)
          values (${id}, 'H100', 'software', 'AA==', ${`dev-${id}`}, 'key', 'active', ${T})`.execute(db);
      // Arrival order differs from insertion order: the chain follows arrival (received_at).
      const receipts = Array.from({ length: 40 }, (_, i) => ({
        hash: randomBytes(32).toString('hex'),
        chip_id: i % 3 === 0 ? 'C-B' : 'C-A',
        landmark_id: 'LM-1',
        measured_at: T + 60_000 * ((i * 7) % 40),
        min_rtt_ns: 1000 + i,
        trust_mode: 'software',
        raw: randomBytes(536), // receipt-length bytes: the store keeps them whole
        received_at: T + 60_000 * ((i * 7) % 40) + 500,
      }));
      for (const r of receipts)
        await sql`insert into receipts (hash, chip_id, landmark_id, measured_at, min_rtt_ns, trust_mode, raw, received_at)
          values (${r.hash}, ${r.chip_id}, ${r.landmark_id}, ${r.measured_at}, ${r.min_rtt_ns}, ${r.trust_mode}, ${r.raw}, ${r.received_at})`.execute(
          db,
        );
      // Three verdicts of C-A, the middle one computed when its receipts up to minute 20 were in.
      const cited = receipts
        .filter(
          (r) => r.chip_id === 'C-A' && r.measured_at >= T + 60_000 * 15 && r.measured_at <= T + 60_000 * 20,
        )
        .map((r) => r.hash);
      const verdictIds: number[] = [];
      for (const [k, at] of [
        [0, T + 60_000 * 10],
        [1, T + 60_000 * 21],
        [2, T + 60_000 * 41],
      ]) {
        const r = await sql<{
          id: number;
        }>`insert into verdicts (chip_id, licence_id, computed_at, verdict, bound,
            where_policy, trust_modes, region, window_from, window_to, proof_radius_km, evidence_hash, evidence, detail)
          values ('C-A', 'L', ${at}, 'inside', 'vacuum', 'territorial', 'software', 'SG',
            ${T + 60_000 * 15}, ${T + 60_000 * 20}, 1, 'h', ${k === 1 ? JSON.stringify(cited) : '[]'}, '{}')
          returning id`.execute(db);
        verdictIds.push(Number(r.rows[0].id));
      }
      await sql`insert into chip_state (chip_id, verdict, verdict_id, streak_since, last_receipt_at, computed_at)
        values ('C-A', 'inside', ${verdictIds[2]}, ${T}, ${T}, ${T})`.execute(db);
      await db.destroy();

      const v = await older.open();
      try {
        for (const chip of ['C-A', 'C-B']) {
          const mine = receipts.filter((r) => r.chip_id === chip);
          const walked = await v.evidence.recentReceipts(chip, 1000);
          expect(walked.map((r) => r.hash).sort()).toEqual(mine.map((r) => r.hash).sort());
          // Newest first along the chain: each receipt's predecessor arrived no later.
          const byId = new Map(walked.map((r) => [r.id, r]));
          for (const r of walked)
            if (r.prev_id !== null)
              expect(byId.get(r.prev_id)!.received_at).toBeLessThanOrEqual(r.received_at);
          expect(walked.filter((r) => r.prev_id === null)).toHaveLength(1);
          expect(Buffer.from(walked[0].raw).length).toBeGreaterThan(0);
        }
        // Verdicts: the chain from chip_state, oldest first.
        expect((await v.evidence.verdictsOf('C-A')).map((x) => Number(x.id))).toEqual(verdictIds);
        expect(Number((await v.evidence.latestVerdict('C-A'))!.id)).toBe(verdictIds[2]);
        // The middle verdict finds the receipts it cited, walked from the newest it could have seen.
        const middle = (await v.evidence.verdictById(verdictIds[1]))!;
        expect((await v.evidence.receiptsOfVerdict(middle)).map((r) => r.hash).sort()).toEqual(
          [...cited].sort(),
        );

        // The same receipt again is refused; a new one goes on the head of its chip's chain.
        const again = { ...receipts[1], received_at: T + 3_600_000 };
        const fresh = {
          ...receipts[1],
          hash: randomBytes(32).toString('hex'),
          measured_at: T + 3_600_000,
          received_at: T + 3_600_000,
        };
        const added = await v.evidence.append([again, fresh], T + 3_600_000);
        expect([...added]).toEqual([fresh.hash]);
        const head = (await v.evidence.recentReceipts(receipts[1].chip_id, 1))[0];
        expect(head.hash).toBe(fresh.hash);
        const before = (await v.evidence.recentReceipts(receipts[1].chip_id, 2))[1];
        expect(head.prev_id).toBe(before.id);

        const names = await indexNames(v);
        expect(names).not.toContain('receipts_chip_time_hash');
        expect(names).not.toContain('verdicts_chip');
        expect(names).toContain('receipts_gpu_session_hash');
        if (backend === 'sqlite')
          expect((await sql`pragma foreign_key_check`.execute(v.store.db)).rows).toEqual([]);
      } finally {
        await v.close();
      }
    });
  });
}
