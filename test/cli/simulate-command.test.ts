// A smoke test of `geoattest simulate` with tiny numbers: the whole path (fleet, ledger, signed and
// unsigned receipts, ingestion, verdicts, log, sweep) and the table's figures as JSON.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli-io.js';

describe('geoattest simulate', () => {
  for (const sign of [true, false]) {
    it(`drives ${sign ? 'signed' : 'unsigned (--no-sign)'} receipts through ingestion, verdicts and the log`, async () => {
      const { code, out, err } = await runCli([
        'simulate',
        '--chips',
        '12',
        '--landmarks',
        '6',
        '--hours',
        '2',
        '--workers',
        '0',
        '--json',
        ...(sign ? [] : ['--no-sign']),
      ]);
      expect(code, err).toBe(0);
      const r = JSON.parse(out);
      // The backend follows DATABASE_URL, as the command documents (CI sets it: PostgreSQL).
      const backend = process.env.DATABASE_URL?.startsWith('postgres') ? 'postgres' : 'sqlite';
      expect(r).toMatchObject({ backend, receipts: 72, accepted: 72, rejected: 0, verdicts: 24 });
      expect(r.spec.sign).toBe(sign);
      expect(r.logAppends).toBe(24);
      expect(r.hourMs).toHaveLength(2);
      expect(r.dbBytes).toBeGreaterThan(0);
      expect(r.peakRssMb).toBeGreaterThan(0);
      // Measured, not assumed: any machine this runs on verifies at least a few hundred a second.
      expect(r.baselinePerS).toBeGreaterThan(200);
    }, 60_000);
  }

  it('checks chips in at one shuffled position each hour, or in id order with --order id', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'geoattest-order-'));
    try {
      const firstReceiptAt = async (order: string) => {
        const db = join(dir, `${order}.sqlite`);
        const args = ['--chips', '12', '--landmarks', '6', '--hours', '2', '--workers', '0'];
        const { code, out, err } = await runCli([
          'simulate',
          ...args,
          '--no-sign',
          '--order',
          order,
          '--db',
          db,
          '--json',
        ]);
        expect(code, err).toBe(0);
        expect(JSON.parse(out)).toMatchObject({ verdicts: 24, spec: { order } });
        const h = new SQLite(db, { readonly: true });
        const rows = h
          .prepare('select chip_id, min(measured_at) as t from receipts group by chip_id order by chip_id')
          .all() as { chip_id: string; t: number }[];
        h.close();
        return rows.map((r) => Number(r.t));
      };
      const byId = await firstReceiptAt('id');
      expect(byId).toEqual([...byId].sort((a, b) => a - b));
      const shuffled = await firstReceiptAt('shuffled');
      // The same twelve moments of the hour, handed out in another order.
      expect([...shuffled].sort((a, b) => a - b)).toEqual(byId);
      expect(shuffled).not.toEqual(byId);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('refuses bad numbers with exit code 2', async () => {
    expect((await runCli(['simulate', '--chips', 'many'])).code).toBe(2);
    expect((await runCli(['simulate', '--order', 'alphabetical'])).code).toBe(2);
    expect((await runCli(['simulate', '--chips', '0', '--workers', '0'])).code).toBe(1);
  });
});
