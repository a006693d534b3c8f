// The simulator's receipt source: the batches of a plan come in order, each receipt a valid packet
// of its chip and one of its landmarks, measured in its hour; signed plans sign for real; and the
// worker thread gives the same measurements as making them on this thread (only the nonces, drawn
// from node:crypto, differ). The worker runs compiled JavaScript, so that part drives dist/.

import { createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newEd25519KeyPair, publicKeyFromRaw } from '../../src/attest/software-identity.js';
import { landmarkIdBytes } from '../../src/landmark/landmark-core.js';
import { parseReceipt, type Receipt, verifyReceipt, verifyReceiptDevice } from '../../src/protocol/wire.js';
import { type CheckInPlan, checkInBatches } from '../../src/sim/check-in-source.js';
import { ScaleFleet } from '../../src/sim/scale-fleet.js';

const dist = (p: string) => new URL(`../../dist/src/${p}`, import.meta.url).href;
const HOUR = 3_600_000;
const START = Date.UTC(2026, 0, 1);

function plan(signing: boolean): CheckInPlan {
  const landmarks = ['SIM-0001', 'SIM-0002', 'SIM-0003'].map((id, i) => ({
    id,
    idBytes: landmarkIdBytes(id),
    site: { lat: 1.3 + i, lon: 103.8 + i },
    privateKey: newEd25519KeyPair().privateKey,
  }));
  const fleet = new ScaleFleet(5, 2, signing);
  for (let c = 0; c < 5; c++)
    fleet.add({ lat: 1.3 + c / 10, lon: 103.8 }, [c % 3, (c + 1) % 3], newEd25519KeyPair());
  return {
    fleet: fleet.columns(),
    landmarks,
    order: Uint32Array.from([3, 0, 4, 1, 2]),
    hours: 2,
    perBatch: 2,
    startMs: START,
    seed: 7,
  };
}

const split = (bytes: Uint8Array) =>
  Array.from({ length: bytes.length / 536 }, (_, i) => parseReceipt(bytes.subarray(i * 536, (i + 1) * 536)));

/** What a receipt measured, without its nonces. */
const measured = (r: Receipt) => ({
  device: Buffer.from(r.deviceId).toString('hex'),
  landmark: Buffer.from(r.landmarkId).toString('hex'),
  at: r.wallClockMs,
  rtts: r.rounds.map((x) => x.rttNs),
});

describe('checkInBatches', () => {
  it('makes every chip’s receipts once an hour, in the plan’s order, with its own landmarks', () => {
    const p = plan(false);
    const fleet = ScaleFleet.fromColumns(p.fleet);
    const batches = [...checkInBatches(p)];
    expect(batches.map((b) => [b.hour, b.from, b.end])).toEqual([
      [0, 0, 2],
      [0, 2, 4],
      [0, 4, 5],
      [1, 0, 2],
      [1, 2, 4],
      [1, 4, 5],
    ]);
    for (const b of batches) {
      const receipts = split(b.bytes);
      expect(receipts).toHaveLength((b.end - b.from) * 2);
      receipts.forEach((r, k) => {
        const position = b.from + Math.floor(k / 2);
        const chip = p.order[position];
        expect(Buffer.from(r.deviceId)).toEqual(Buffer.from(fleet.deviceId(chip)));
        const landmark = p.landmarks[fleet.landmarks(chip)[k % 2]];
        expect(Buffer.from(r.landmarkId)).toEqual(Buffer.from(landmark.idBytes));
        // Spread over its hour by its position in it.
        expect(Number(r.wallClockMs)).toBe(Math.floor(START + b.hour * HOUR + (position / 5) * HOUR));
        expect(r.rounds).toHaveLength(5);
      });
    }
  });

  it('signs for real in a signing plan: the landmark’s and the device’s signatures verify', () => {
    const p = plan(true);
    const fleet = ScaleFleet.fromColumns(p.fleet);
    const first = checkInBatches(p).next();
    expect(first.done).toBe(false);
    split(first.value!.bytes).forEach((r, k) => {
      const chip = p.order[Math.floor(k / 2)];
      const landmark = p.landmarks[fleet.landmarks(chip)[k % 2]];
      expect(() => verifyReceipt(createPublicKey(landmark.privateKey), r)).not.toThrow();
      expect(() => verifyReceiptDevice(r, publicKeyFromRaw(fleet.raw(chip)))).not.toThrow();
    });
  });
});

describe('CheckInSource', () => {
  it('gives on its worker thread the batches this thread makes, then refuses one past the end', async () => {
    const { CheckInSource } = (await import(
      dist('sim/check-in-source.js')
    )) as typeof import('../../src/sim/check-in-source.js');
    const p = plan(false);
    const here = [...checkInBatches(p)];
    const source = new CheckInSource(p);
    try {
      for (const b of here) {
        const got = await source.next();
        expect([got.hour, got.from, got.end]).toEqual([b.hour, b.from, b.end]);
        expect(got.receipts.map((r) => measured(parseReceipt(r)))).toEqual(split(b.bytes).map(measured));
      }
      await expect(source.next()).rejects.toThrow(RangeError);
    } finally {
      await source.close();
    }
  });
});
