// Signed receipts without sockets: what a landmark would sign after timing a device's rounds. The
// device really signs its decisive round and the landmark really signs the receipt, so everything
// downstream (ingestion, verdicts, the log, audits) checks them exactly as it checks live ones.
// Used by the scale simulator, the ingest benchmark and tests.

import { type KeyObject, randomBytes } from 'node:crypto';
import { deviceIdOf, landmarkIdBytes } from '../landmark/landmark-core.js';
import { decisiveRoundOf } from '../protocol/receipt-rtt.js';
import { encodeReceipt, keyIdOfRaw, signReceipt, signResponse } from '../protocol/wire.js';

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
