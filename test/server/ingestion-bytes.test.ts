// In-process callers (the simulator, the demo's landmarks) may hand ingestion a receipt's bytes
// instead of its base64: the same checks, the same stored row, and the same bound on size.

import { afterEach, describe, expect, it } from 'vitest';
import { parseReceipt, receiptHash } from '../../src/protocol/wire.js';
import { buildFleet, checkInReceipts, registerFleet } from '../../src/sim/fleet.js';
import { seededRandom } from '../../src/sim/random.js';
import { openTestVerifier, type TestDb } from '../helpers/verifier-world.js';

const NOW = Date.parse('2026-06-01T00:00:00Z');

describe('ingesting receipt bytes', () => {
  let t: TestDb | undefined;
  afterEach(async () => {
    await t?.cleanup();
    t = undefined;
  });

  it('stores bytes exactly as it stores their base64, checks them alike, and refuses oversize arrays', async () => {
    t = await openTestVerifier('sqlite', { now: () => NOW });
    const v = t.verifier;
    const fleet = buildFleet({ chips: 2, landmarkCount: 2, perChip: 2, seed: 5 });
    await registerFleet(v.ledger, fleet, NOW - 3_600_000);
    const rng = seededRandom(2);
    const [a, b] = checkInReceipts(fleet.chips[0], NOW - 1000, rng);
    const bytesA = new Uint8Array(Buffer.from(a, 'base64'));
    const first = await v.ingestion.ingest([bytesA, b], { name: 'test' }, NOW);
    expect(first.accepted).toBe(2);
    // The same receipt as base64 afterwards is the duplicate it is.
    const again = await v.ingestion.ingest([a], { name: 'test' }, NOW);
    expect(again).toMatchObject({ accepted: 0, duplicates: 1 });
    // Keyed by the hash of the exact bytes, which is the receipt's own hash.
    expect(first.hashes[0]).toBe(Buffer.from(receiptHash(parseReceipt(bytesA))).toString('hex'));
    const row = (await v.evidence.recentReceipts(fleet.chips[0].id, 10)).find(
      (r) => r.hash === first.hashes[0],
    );
    expect(Buffer.from(row!.raw).toString('base64')).toBe(a);
    // A tampered byte fails its signature as it would over the API.
    const tampered = new Uint8Array(
      Buffer.from(checkInReceipts(fleet.chips[1], NOW - 1000, rng)[0], 'base64'),
    );
    tampered[tampered.length - 1] ^= 1;
    const bad = await v.ingestion.ingest([tampered, new Uint8Array(769)], { name: 'test' }, NOW);
    expect(bad.accepted).toBe(0);
    expect(bad.rejected.map((r) => r.code)).toEqual(['PACKET_BAD_SIGNATURE', 'INVALID_REQUEST']);
  });
});
