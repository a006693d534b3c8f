// Migration 0005 (the log's queue): a database whose verdicts were stored before the queue
// existed must still get every one of them into the log, once, and none that is there already.

import { afterEach, describe, expect, it } from 'vitest';
import { Verifier } from '../../src/server/verifier.js';
import { buildFleet, registerFleet } from '../../src/sim/fleet.js';
import { sql } from '../../src/store/database.js';
import { BACKENDS, openTestVerifier, type TestDb } from '../helpers/verifier-world.js';

const NOW = Date.parse('2026-06-01T00:00:00Z');

for (const backend of BACKENDS) {
  describe(`the log queue migration on ${backend}`, () => {
    let t: TestDb | undefined;
    afterEach(async () => {
      await t?.cleanup();
      t = undefined;
    });

    it('queues exactly the verdicts that are not in the log yet', async () => {
      t = await openTestVerifier(backend, { now: () => NOW });
      let v = t.verifier;
      const fleet = buildFleet({ chips: 4, landmarkCount: 2, perChip: 2, seed: 3 });
      await registerFleet(v.ledger, fleet, NOW - 3_600_000);
      const row = (i: number) => {
        const chip = fleet.chips[i % fleet.chips.length];
        return {
          chip_id: chip.id,
          licence_id: chip.licenceId,
          prev_id: null,
          receipt_head: null,
          computed_at: NOW,
          verdict: 'inside' as const,
          bound: 'vacuum',
          where_policy: 'territorial',
          trust_modes: 'software',
          region: chip.city.country,
          window_from: NOW - 1000,
          window_to: NOW + i,
          proof_radius_km: 10,
          evidence_hash: i.toString(16).padStart(64, '0'),
          evidence: '[]',
          detail: '{}',
        };
      };
      // Two verdicts stored and logged the current way.
      const logged = await v.store.db
        .transaction()
        .execute((tx) => v.evidence.insertVerdicts(tx, [row(0), row(1)]));
      expect(await v.log.sequence(NOW)).toBe(2);
      // Two more stored the way a verifier before the queue stored them: no queue row.
      const older = await v.store.db
        .insertInto('verdicts')
        .values([row(2), row(3)])
        .returning('id')
        .execute();
      // Back to the schema before 0005, then open again: the migration runs.
      await v.store.db.schema.dropTable('log_queue').execute();
      // Migrations run in order: 0005 again means every later one again too (each is idempotent).
      await sql`delete from kysely_migration where name >= '0005'`.execute(v.store.db);
      await v.close();
      v = await Verifier.open(
        { location: t.location, ...(t.schema !== undefined ? { schema: t.schema } : {}) },
        { now: () => NOW },
      );
      const queued = (await v.store.db.selectFrom('log_queue').select('verdict_id').execute()).map((r) =>
        Number(r.verdict_id),
      );
      expect(queued.sort((a, b) => a - b)).toEqual(older.map((r) => Number(r.id)).sort((a, b) => a - b));
      expect(queued.some((id) => [...logged.values()].includes(id))).toBe(false);
      expect(await v.log.sequence(NOW)).toBe(2);
      const leaves = await v.store.db.selectFrom('log_leaves').select('verdict_id').execute();
      expect(new Set(leaves.map((l) => Number(l.verdict_id))).size).toBe(4);
      expect(leaves).toHaveLength(4);
      expect(await v.store.db.selectFrom('log_queue').select('verdict_id').execute()).toEqual([]);
      await v.close();
    });

    it('runs again after a crash between its two statements', async () => {
      t = await openTestVerifier(backend, { now: () => NOW });
      let v = t.verifier;
      const fleet = buildFleet({ chips: 2, landmarkCount: 2, perChip: 2, seed: 4 });
      await registerFleet(v.ledger, fleet, NOW - 3_600_000);
      const chip = fleet.chips[0];
      const stored = await v.store.db
        .insertInto('verdicts')
        .values({
          chip_id: chip.id,
          licence_id: chip.licenceId,
          computed_at: NOW,
          verdict: 'inside',
          bound: 'vacuum',
          where_policy: 'territorial',
          trust_modes: 'software',
          region: chip.city.country,
          window_from: NOW - 1000,
          window_to: NOW,
          proof_radius_km: 10,
          evidence_hash: '0'.repeat(64),
          evidence: '[]',
          detail: '{}',
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      // The queue exists and holds the verdict, but the migration was never recorded as done.
      await v.store.db
        .insertInto('log_queue')
        .values({ verdict_id: Number(stored.id) })
        .execute();
      // Migrations run in order: 0005 again means every later one again too (each is idempotent).
      await sql`delete from kysely_migration where name >= '0005'`.execute(v.store.db);
      await v.close();
      v = await Verifier.open(
        { location: t.location, ...(t.schema !== undefined ? { schema: t.schema } : {}) },
        { now: () => NOW },
      );
      expect(await v.store.db.selectFrom('log_queue').select('verdict_id').execute()).toEqual([
        { verdict_id: Number(stored.id) },
      ]);
      expect(await v.log.sequence(NOW)).toBe(1);
      await v.close();
    });
  });
}
