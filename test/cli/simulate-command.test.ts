// A smoke test of `geoattest simulate` with tiny numbers: the whole path (fleet, ledger, signed and
// unsigned receipts, ingestion, verdicts, log, sweep) and the table's figures as JSON.

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
      expect(r.dbBytes).toBeGreaterThan(0);
      expect(r.peakRssMb).toBeGreaterThan(0);
      // Measured, not assumed: any machine this runs on verifies at least a few hundred a second.
      expect(r.baselinePerS).toBeGreaterThan(200);
    }, 60_000);
  }

  it('refuses bad numbers with exit code 2', async () => {
    expect((await runCli(['simulate', '--chips', 'many'])).code).toBe(2);
    expect((await runCli(['simulate', '--chips', '0', '--workers', '0'])).code).toBe(1);
  });
});
