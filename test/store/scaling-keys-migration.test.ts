// Migration 0007: receipts stop being keyed by their hash alone. Every stored receipt, and the
// gpu-session evidence that refers to one, comes through; a duplicate is still refused; a
// gpu-session receipt is still found by its hash; the two indexes on random hashes are gone.

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
          where type = 'index' and tbl_name in ('receipts', 'log_leaves', 'session_evidence')`.execute(
          v.store.db,
        )
      : await sql<{ name: string }>`select indexname as name from pg_indexes
          where schemaname = current_schema() and tablename in ('receipts', 'log_leaves', 'session_evidence')`.execute(
          v.store.db,
        );
  return rows.rows.map((r) => r.name);
}

for (const backend of BACKENDS) {
  describe(`the scaling keys migration on ${backend}`, () => {
    let cleanup: (() => Promise<void>) | undefined;
    afterEach(async () => {
      await cleanup?.();
      cleanup = undefined;
    });

    it('keeps every receipt and its evidence, refuses duplicates, and drops the random-key indexes', async () => {
      const older = await olderDatabase(backend, '0007');
      cleanup = older.cleanup;
      await sql`insert into orgs (id, name, kind, disclosure, created_at) values ('op', 'Operator', 'landmark-operator', 'verdict', ${T})`.execute(
        older.db,
      );
      await sql`insert into landmarks (id, operator_id, lat, lon, public_key, status, created_at) values ('LM-1', 'op', 1, 103, 'AA==', 'active', ${T})`.execute(
        older.db,
      );
      for (const [id, mode] of [
        ['C-SW', 'software'],
        ['C-GPU', 'gpu-session'],
      ])
        await sql`insert into chips (id, model, identity_mode, public_key, device_id, key_id, status, created_at)
          values (${id}, 'H100', ${mode}, 'AA==', ${`dev-${id}`}, 'key', 'active', ${T})`.execute(older.db);
      const receipts = Array.from({ length: 601 }, (_, i) => ({
        hash: randomBytes(32).toString('hex'),
        chip_id: i % 2 === 0 ? 'C-SW' : 'C-GPU',
        landmark_id: 'LM-1',
        // Pairs of receipts share a time: only the hash tells them apart.
        measured_at: T + Math.floor(i / 4),
        min_rtt_ns: 1000 + i,
        trust_mode: i % 2 === 0 ? 'software' : 'gpu-session',
        raw: randomBytes(536), // receipt-length bytes: the store keeps them whole
        received_at: T + i,
      }));
      for (const r of receipts)
        await sql`insert into receipts (hash, chip_id, landmark_id, measured_at, min_rtt_ns, trust_mode, raw, received_at)
          values (${r.hash}, ${r.chip_id}, ${r.landmark_id}, ${r.measured_at}, ${r.min_rtt_ns}, ${r.trust_mode}, ${r.raw}, ${r.received_at})`.execute(
          older.db,
        );
      const gpu = receipts[7];
      await sql`insert into session_evidence (receipt_hash, gpu_serial, session_key_id, verified_at) values (${gpu.hash}, 'serial', 'k', ${T})`.execute(
        older.db,
      );
      await older.db.destroy();

      const v = await older.open();
      try {
        const rows = await v.store.db.selectFrom('receipts').selectAll().orderBy('received_at').execute();
        // 0008 then chains them; its own test checks the chains.
        expect(rows.map(({ id, prev_id, ...r }) => ({ ...r, raw: Buffer.from(r.raw) }))).toEqual(receipts);
        expect(await v.store.db.selectFrom('session_evidence').select('receipt_hash').execute()).toEqual([
          { receipt_hash: gpu.hash },
        ]);

        // Idempotent as before: the same receipt again is not stored; a new one is.
        const fresh = { ...receipts[0], hash: randomBytes(32).toString('hex'), received_at: T + 9999 };
        const added = await v.evidence.append([receipts[0], receipts[1], fresh], T + 9999);
        expect([...added]).toEqual([fresh.hash]);
        expect(await v.store.db.selectFrom('receipts').select('hash').execute()).toHaveLength(
          receipts.length + 1,
        );

        // A gpu-session receipt by its hash alone; a software one is not looked up that way.
        expect((await v.evidence.gpuSessionReceipt(gpu.hash))?.chip_id).toBe('C-GPU');
        expect(await v.evidence.gpuSessionReceipt(receipts[0].hash)).toBeUndefined();

        const names = await indexNames(v);
        // 0008 drops the (chip, time, hash) index 0007 made, for chains.
        expect(names).not.toContain('receipts_chip_time_hash');
        expect(names).toContain('receipts_gpu_session_hash');
        expect(names).not.toContain('receipts_chip_time');
        expect(names).not.toContain('log_leaves_hash');
        if (backend === 'sqlite') {
          expect(names).not.toContain('sqlite_autoindex_receipts_1');
          expect((await sql`pragma foreign_key_check`.execute(v.store.db)).rows).toEqual([]);
        } else expect(names).toContain('receipts_pkey'); // 0008 keys receipts by id
        // The chip a receipt names must still exist.
        await expect(
          v.evidence.append(
            [{ ...fresh, hash: randomBytes(32).toString('hex'), chip_id: 'no-such-chip' }],
            T,
          ),
        ).rejects.toThrow();
      } finally {
        await v.close();
      }
    });
  });
}
