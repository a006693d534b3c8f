// Migration 0006: receipts stored as base64 text by an older verifier come out as the same bytes,
// with the rows that refer to them (gpu-session evidence) and every foreign key intact.

import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { olderDatabase } from '../helpers/older-database.js';
import { BACKENDS } from '../helpers/verifier-world.js';

const T = 1_780_000_000_000;

for (const backend of BACKENDS) {
  describe(`the receipt bytes migration on ${backend}`, () => {
    let cleanup: (() => Promise<void>) | undefined;
    afterEach(async () => {
      await cleanup?.();
      cleanup = undefined;
    });

    it('turns base64 text into the same bytes and keeps what refers to them', async () => {
      const older = await olderDatabase(backend, '0006');
      cleanup = older.cleanup;
      const receipts = Array.from({ length: 1201 }, (_, i) => ({
        bytes: randomBytes(300 + (i % 7)),
        hash: randomBytes(32).toString('hex'),
      }));
      await sql`insert into orgs (id, name, kind, disclosure, created_at) values ('op', 'Operator', 'landmark-operator', 'verdict', ${T})`.execute(
        older.db,
      );
      await sql`insert into landmarks (id, operator_id, lat, lon, public_key, status, created_at) values ('LM-1', 'op', 1, 103, 'AA==', 'active', ${T})`.execute(
        older.db,
      );
      await sql`insert into chips (id, model, identity_mode, public_key, device_id, key_id, status, created_at) values ('C-1', 'H100', 'gpu-session', 'AA==', 'dev', 'key', 'active', ${T})`.execute(
        older.db,
      );
      for (const [i, r] of receipts.entries())
        await sql`insert into receipts (hash, chip_id, landmark_id, measured_at, min_rtt_ns, trust_mode, raw, received_at)
          values (${r.hash}, 'C-1', 'LM-1', ${T + i}, 1000, 'gpu-session', ${r.bytes.toString('base64')}, ${T + i})`.execute(
          older.db,
        );
      await sql`insert into session_evidence (receipt_hash, gpu_serial, session_key_id, verified_at) values (${receipts[5].hash}, 'serial', 'k', ${T})`.execute(
        older.db,
      );
      await older.db.destroy();

      const v = await older.open();
      try {
        const rows = await v.store.db
          .selectFrom('receipts')
          .select(['hash', 'raw', 'measured_at'])
          .orderBy('measured_at')
          .execute();
        expect(rows).toHaveLength(receipts.length);
        rows.forEach((row, i) => {
          expect(row.hash).toBe(receipts[i].hash);
          expect(Buffer.from(row.raw).equals(receipts[i].bytes)).toBe(true);
        });
        expect(await v.store.db.selectFrom('session_evidence').select('receipt_hash').execute()).toEqual([
          { receipt_hash: receipts[5].hash },
        ]);
        // The foreign keys still hold and are enforced again.
        await expect(
          sql`insert into receipts (hash, chip_id, landmark_id, measured_at, min_rtt_ns, trust_mode, raw, received_at)
            values ('h', 'no-such-chip', 'LM-1', ${T}, 1, 'gpu-session', ${Buffer.alloc(1)}, ${T})`.execute(
            v.store.db,
          ),
        ).rejects.toThrow();
        if (backend === 'sqlite')
          expect((await sql`pragma foreign_key_check`.execute(v.store.db)).rows).toEqual([]);
      } finally {
        await v.close();
      }
    });
  });
}
