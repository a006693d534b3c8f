// Ingestion reads a large batch's receipts on the worker threads (verifier-jobs.ts readReceipt):
// the same answers, item for item, as reading them on the calling thread, whatever is broken in
// the batch and wherever. Workers run compiled JavaScript, so the verifiers come from dist/.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildFleet, checkInReceipts, registerFleet } from '../../src/sim/fleet.js';
import { seededRandom } from '../../src/sim/random.js';

const NOW = Date.parse('2026-06-01T00:00:00Z');
const dist = new URL('../../dist/src/server/verifier.js', import.meta.url).href;

describe('ingestion on worker threads', () => {
  it('accepts and refuses a large mixed batch item for item as the calling thread does', async () => {
    const { Verifier } = (await import(dist)) as typeof import('../../src/server/verifier.js');
    const fleet = buildFleet({ chips: 40, landmarkCount: 3, perChip: 2, seed: 9 });
    const stranger = buildFleet({ chips: 1, landmarkCount: 3, perChip: 2, seed: 10 }).chips[0];
    const rng = seededRandom(4);
    const batch: unknown[] = [];
    const expected: (string | null)[] = [];
    fleet.chips.forEach((chip, i) => {
      for (const r of checkInReceipts(chip, NOW - 1000, rng)) {
        batch.push(i % 2 === 0 ? r : new Uint8Array(Buffer.from(r, 'base64')));
        expected.push(null);
      }
      // Something broken every few chips, of every kind ingestion refuses before storing.
      const good = new Uint8Array(Buffer.from(checkInReceipts(chip, NOW - 500, rng)[0], 'base64'));
      const broken: [unknown, string][] = [
        [42, 'INVALID_REQUEST'],
        ['not base64!', 'INVALID_REQUEST'],
        [good.slice(0, 120), 'PACKET_BAD_LENGTH'],
        [Object.assign(good.slice(), { 0: good[0] ^ 0xff }), 'PACKET_BAD_MAGIC'],
        [
          Object.assign(good.slice(), { [good.length - 1]: good[good.length - 1] ^ 1 }),
          'PACKET_BAD_SIGNATURE',
        ],
        [checkInReceipts(stranger, NOW - 1000, rng)[0], 'DEVICE_UNKNOWN'],
      ];
      if (i % 3 === 0) {
        const [item, code] = broken[(i / 3) % broken.length];
        batch.push(item);
        expected.push(code);
      }
    });
    expect(batch.length).toBeGreaterThan(64);

    const ingestWith = async (workers: number) => {
      const dir = mkdtempSync(join(tmpdir(), 'geoattest-ingest-workers-'));
      const v = await Verifier.open({ location: join(dir, 'v.sqlite') }, { now: () => NOW, workers });
      try {
        await registerFleet(v.ledger, fleet, NOW - 3_600_000);
        v.ledgerChanged();
        return await v.ingestion.ingest(batch, { name: 'test' }, NOW);
      } finally {
        await v.close();
        rmSync(dir, { recursive: true, force: true });
      }
    };
    const onWorkers = await ingestWith(2);
    const here = await ingestWith(0);
    expect(onWorkers).toEqual(here);
    expect(onWorkers.accepted).toBe(80);
    const codes: (string | null)[] = batch.map(() => null);
    for (const r of onWorkers.rejected) codes[r.index] = r.code;
    expect(codes).toEqual(expected);
  }, 60_000);
});
