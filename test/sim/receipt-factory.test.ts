// The simulator's unsigned receipts are written into a template for speed: they must be the very
// bytes the protocol's encoder gives for the same fields, and parse as receipts.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decisiveRoundOf } from '../../src/protocol/receipt-rtt.js';
import { encodeReceipt, parseReceipt } from '../../src/protocol/wire.js';
import { unsignedReceipt } from '../../src/sim/receipt-factory.js';

describe('unsigned simulator receipts', () => {
  it('are the bytes encodeReceipt gives for the same fields', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 8, maxLength: 8 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        // Ties included: the decisive round is the earliest of the smallest.
        fc.array(fc.constantFrom(0.0004, 0.1, 0.1, 2.5, 80, 299.99), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 0, max: 2 ** 50 }),
        fc.uint8Array({ minLength: 256, maxLength: 256 }),
        (deviceId, keyId, landmarkId, rttsMs, wallMs, noise) => {
          let used = 0;
          const random = (n: number) => {
            used += n;
            return noise.slice(used - n, used);
          };
          const bytes = unsignedReceipt({ deviceId, keyId, landmarkId, rttsMs, wallMs, random });
          const rounds = rttsMs.map((ms, i) => ({
            nonce: noise.slice(32 * i, 32 * i + 32),
            rttNs: BigInt(Math.max(1, Math.round(ms * 1e6))),
          }));
          const zero = new Uint8Array(64);
          const expected = encodeReceipt({
            kind: 'receipt',
            trustMode: 'software',
            deviceId,
            keyId,
            landmarkId,
            wallClockMs: BigInt(wallMs),
            overheadNs: 20_000n,
            rounds,
            decisiveRound: decisiveRoundOf(rounds),
            deviceSignature: zero,
            signature: zero,
          });
          expect(Buffer.from(bytes).toString('hex')).toBe(Buffer.from(expected).toString('hex'));
        },
      ),
    );
  });

  it('parse as receipts with fresh nonces each time', () => {
    const spec = {
      deviceId: new Uint8Array(32).fill(1),
      keyId: new Uint8Array(8).fill(2),
      landmarkId: new Uint8Array(16).fill(3),
      rttsMs: [0.2, 0.1, 0.3],
      wallMs: 1_780_000_000_000,
    };
    const a = parseReceipt(unsignedReceipt(spec));
    const b = parseReceipt(unsignedReceipt(spec));
    expect(a.decisiveRound).toBe(1);
    expect(a.rounds.map((r) => r.rttNs)).toEqual([200_000n, 100_000n, 300_000n]);
    expect(Buffer.from(a.rounds[0].nonce).equals(Buffer.from(b.rounds[0].nonce))).toBe(false);
  });
});
