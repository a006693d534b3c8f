// Stored receipts leave out their unused round slots: the exact bytes must come back, for every
// receipt and for any other byte string the store might hold.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newEd25519KeyPair } from '../../src/attest/software-identity.js';
import { compactReceipt, expandReceipt } from '../../src/protocol/compact-receipt.js';
import { LAYOUTS, MAX_ROUNDS, MESSAGE_TYPES, RECEIPT_ROUND_SLOT } from '../../src/protocol/message-types.js';
import { parseReceipt } from '../../src/protocol/wire.js';
import { makeReceipt } from '../../src/sim/receipt-factory.js';

const LENGTH = MESSAGE_TYPES.receipt.length;
const landmark = newEd25519KeyPair();
const device = newEd25519KeyPair();

describe('compact receipts', () => {
  it('drops exactly the unused slots of a signed receipt and restores the same bytes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.01, max: 300, noNaN: true }), { minLength: 1, maxLength: MAX_ROUNDS }),
        (rtts) => {
          const bytes = makeReceipt({
            landmarkId: 'LM-1',
            landmark,
            device,
            rttsMs: rtts,
            wallMs: 1_780_000_000_000,
          });
          const stored = compactReceipt(bytes);
          expect(stored.length).toBe(LENGTH - (MAX_ROUNDS - rtts.length) * RECEIPT_ROUND_SLOT.size);
          const back = expandReceipt(stored);
          expect(Buffer.from(back).equals(Buffer.from(bytes))).toBe(true);
          expect(parseReceipt(back).rounds).toHaveLength(rtts.length);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('keeps any other bytes whole, and they come back the same', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: LENGTH, maxLength: LENGTH }), (bytes) => {
        const stored = compactReceipt(bytes);
        expect(Buffer.from(expandReceipt(stored)).equals(Buffer.from(bytes))).toBe(true);
      }),
    );
    // A receipt-length string whose unused slots are not zero is not shortened.
    const odd = new Uint8Array(LENGTH);
    odd[LAYOUTS.receipt.count.offset] = 1;
    odd[LAYOUTS.receipt.rounds.offset + 3 * RECEIPT_ROUND_SLOT.size] = 7; // in an unused slot
    expect(compactReceipt(odd)).toBe(odd);
  });

  it('refuses stored bytes it cannot have made, with a code', () => {
    for (const bad of [
      new Uint8Array(0),
      new Uint8Array(10),
      new Uint8Array(LENGTH - 1),
      new Uint8Array(LENGTH + 1),
    ])
      expect(() => expandReceipt(bad)).toThrow(expect.objectContaining({ code: 'STORE_CORRUPT' }));
  });
});
