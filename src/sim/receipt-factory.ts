// Signed receipts without sockets: what a landmark would sign after timing a device's rounds. The
// device really signs its decisive round and the landmark really signs the receipt, so everything
// downstream (ingestion, verdicts, the log, audits) checks them exactly as it checks live ones.
// Used by the scale simulator, the ingest benchmark and tests.

import { type KeyObject, randomBytes } from 'node:crypto';
import { deviceIdOf, landmarkIdBytes } from '../landmark/landmark-core.js';
import { decisiveRoundOf } from '../protocol/receipt-rtt.js';
import {
  encodeReceipt,
  keyIdOfRaw,
  LAYOUTS,
  RECEIPT_ROUND_SLOT,
  signReceipt,
  signResponse,
} from '../protocol/wire.js';

export interface SignerKeys {
  readonly privateKey: KeyObject;
  /** The raw 32-byte Ed25519 public key. */
  readonly raw: Uint8Array;
}

export interface ReceiptSpec {
  readonly landmarkId: string;
  readonly landmark: Pick<SignerKeys, 'privateKey'>;
  readonly device: SignerKeys;
  /** Each round's RTT in ms, in round order (1 to 8 rounds). */
  readonly rttsMs: readonly number[];
  /** The landmark's wall clock when it signs. */
  readonly wallMs: number;
  /** Default 'software'; in 'gpu-session' `device` is the session key and `deviceId` the GPU's. */
  readonly trustMode?: 'software' | 'gpu-session';
  /** The wire device id (default: SHA-256 of `device.raw`, as in software mode). */
  readonly deviceId?: Uint8Array;
  /** Random bytes for the nonces (default node:crypto). */
  readonly random?: (n: number) => Uint8Array;
}

const POOL_BYTES = 64 * 1024;
let pool = new Uint8Array(0);
let used = 0;

/**
 * Random bytes from node:crypto, drawn 64 KiB at a time: a call per nonce costs more than the
 * bytes (the simulator draws five nonces a receipt, millions of receipts).
 */
export function pooledRandom(n: number): Uint8Array {
  if (n > POOL_BYTES) return new Uint8Array(randomBytes(n));
  if (used + n > pool.length) {
    pool = new Uint8Array(randomBytes(POOL_BYTES));
    used = 0;
  }
  used += n;
  return pool.slice(used - n, used);
}

/** The encoded, signed receipt. */
export function makeReceipt(s: ReceiptSpec): Uint8Array {
  const random = s.random ?? pooledRandom;
  const landmarkId = landmarkIdBytes(s.landmarkId);
  const deviceId = s.deviceId ?? deviceIdOf(s.device.raw);
  const rounds = s.rttsMs.map((ms) => ({
    nonce: random(32),
    rttNs: BigInt(Math.max(1, Math.round(ms * 1e6))),
  }));
  const decisiveRound = decisiveRoundOf(rounds);
  const deviceSignature = signResponse(s.device.privateKey, {
    landmarkId,
    nonce: rounds[decisiveRound].nonce,
    deviceId,
    round: decisiveRound,
  });
  return encodeReceipt(
    signReceipt(s.landmark.privateKey, {
      trustMode: s.trustMode ?? 'software',
      deviceId,
      keyId: keyIdOfRaw(s.device.raw),
      landmarkId,
      wallClockMs: BigInt(Math.floor(s.wallMs)),
      overheadNs: 20_000n,
      rounds,
      decisiveRound,
      deviceSignature,
    }),
  );
}

/** The receipt as the verifier's API takes it. */
export function makeReceiptBase64(s: ReceiptSpec): string {
  return Buffer.from(makeReceipt(s)).toString('base64');
}

export interface UnsignedReceiptSpec {
  readonly deviceId: Uint8Array;
  readonly keyId: Uint8Array;
  readonly landmarkId: Uint8Array;
  readonly rttsMs: readonly number[];
  readonly wallMs: number;
  /** Random bytes for the nonces (default pooledRandom). */
  readonly random?: (n: number) => Uint8Array;
}

const R = LAYOUTS.receipt;
/** A software-mode receipt with zero signatures, no rounds and the simulator's 20 µs overhead. */
const UNSIGNED_TEMPLATE: Uint8Array = (() => {
  const zero = new Uint8Array(64);
  const t = encodeReceipt({
    kind: 'receipt',
    trustMode: 'software',
    deviceId: new Uint8Array(32),
    keyId: new Uint8Array(8),
    landmarkId: new Uint8Array(16),
    wallClockMs: 0n,
    overheadNs: 20_000n,
    rounds: [{ nonce: new Uint8Array(32), rttNs: 1n }],
    decisiveRound: 0,
    deviceSignature: zero,
    signature: zero,
  });
  t.fill(0, R.rounds.offset, R.rounds.offset + R.rounds.size);
  return t;
})();

/** Writes an unsigned 64-bit integer below 2^53 big-endian, without a bigint. */
function putU64(view: DataView, offset: number, v: number): void {
  view.setUint32(offset, Math.floor(v / 2 ** 32), false);
  view.setUint32(offset + 4, v >>> 0, false);
}

/**
 * A receipt as a landmark would sign it, but with zero signatures, for ingest-only simulations
 * (`geoattest simulate --no-sign`): the bytes encodeReceipt gives for the same fields, written
 * into a copy of a template, since the simulator makes tens of millions of them.
 */
export function unsignedReceipt(s: UnsignedReceiptSpec): Uint8Array {
  const random = s.random ?? pooledRandom;
  const out = UNSIGNED_TEMPLATE.slice();
  const view = new DataView(out.buffer);
  out.set(s.deviceId, R.deviceId.offset);
  out.set(s.keyId, R.keyId.offset);
  out.set(s.landmarkId, R.landmarkId.offset);
  putU64(view, R.wallClockMs.offset, Math.floor(s.wallMs));
  let decisive = 0;
  let best = Number.POSITIVE_INFINITY;
  s.rttsMs.forEach((ms, i) => {
    const ns = Math.max(1, Math.round(ms * 1e6));
    // The smallest RTT, the earliest on ties (decisiveRoundOf).
    if (ns < best) {
      best = ns;
      decisive = i;
    }
    const at = R.rounds.offset + i * RECEIPT_ROUND_SLOT.size;
    out.set(random(32), at + RECEIPT_ROUND_SLOT.nonce);
    putU64(view, at + RECEIPT_ROUND_SLOT.rttNs, ns);
  });
  out[R.count.offset] = s.rttsMs.length;
  out[R.decisiveRound.offset] = decisive;
  return out;
}
