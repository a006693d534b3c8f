// Receipts as the verifier stores them. A receipt has a fixed slot for each of MAX_ROUNDS rounds
// and the parser requires the unused ones to be zero (packet.ts), so a 5-round receipt carries
// 120 zero bytes that say nothing. Storage leaves them out and puts them back on the way out:
// lossless for every byte string, and a no-op for anything that is not a receipt with zero
// unused slots (kept whole, and a whole receipt's length tells it apart).

import { GeoattestError } from '../errors.js';
import { LAYOUTS, MAX_ROUNDS, MESSAGE_TYPES, RECEIPT_ROUND_SLOT } from './message-types.js';

const LENGTH = MESSAGE_TYPES.receipt.length;
const COUNT = LAYOUTS.receipt.count.offset;
const ROUNDS = LAYOUTS.receipt.rounds.offset;

/** Where a receipt's unused round slots begin and how many bytes they span (0 when none). */
function unusedSlots(count: number): { at: number; size: number } {
  const used = Math.min(Math.max(count, 0), MAX_ROUNDS);
  return { at: ROUNDS + used * RECEIPT_ROUND_SLOT.size, size: (MAX_ROUNDS - used) * RECEIPT_ROUND_SLOT.size };
}

/** The bytes to store: a receipt without its unused (zero) round slots, or the input as it is. */
export function compactReceipt(bytes: Uint8Array): Uint8Array {
  if (bytes.length !== LENGTH) return bytes;
  const count = bytes[COUNT];
  if (count < 1 || count > MAX_ROUNDS) return bytes;
  const { at, size } = unusedSlots(count);
  if (size === 0) return bytes;
  for (let i = at; i < at + size; i++) if (bytes[i] !== 0) return bytes;
  const out = new Uint8Array(LENGTH - size);
  out.set(bytes.subarray(0, at), 0);
  out.set(bytes.subarray(at + size), at);
  return out;
}

/** The receipt compactReceipt was given. STORE_CORRUPT for bytes it cannot have made. */
export function expandReceipt(stored: Uint8Array): Uint8Array {
  if (stored.length === LENGTH) return stored;
  const { at, size } = unusedSlots(stored.length > COUNT ? stored[COUNT] : 0);
  if (stored.length + size !== LENGTH || stored.length <= COUNT || stored[COUNT] < 1)
    throw new GeoattestError(
      'STORE_CORRUPT',
      `a stored receipt of ${stored.length} bytes is not one geoattest stored`,
    );
  const out = new Uint8Array(LENGTH);
  out.set(stored.subarray(0, at), 0);
  out.set(stored.subarray(at), at + size);
  return out;
}
