// A smoke test of `geoattest simulate` with tiny numbers: the whole path (fleet, ledger, signed and
// unsigned receipts, ingestion, verdicts, log, sweep) and the table's figures as JSON.

import { Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const sink = (f: (s: string) => void) =>
    new Writable({
      write(c, _e, cb) {
        f(String(c));
        cb();
      },
    });
  const code = await main(argv, {
    stdin: Readable.from([]),
    stdout: sink((s) => {
      out += s;
    }),
    stderr: sink((s) => {
      err += s;
    }),
  });
  return { code, out, err };
}

describe('geoattest simulate', () => {
  for (const sign of [true, false]) {
    it(`drives ${sign ? 'signed' : 'unsigned (--no-sign)'} receipts through ingestion, verdicts and the log`, async () => {
      const { code, out, err } = await run([
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
    }, 60_000);
  }

  it('refuses bad numbers with exit code 2', async () => {
    expect((await run(['simulate', '--chips', 'many'])).code).toBe(2);
    expect((await run(['simulate', '--chips', '0', '--workers', '0'])).code).toBe(1);
  });
});
