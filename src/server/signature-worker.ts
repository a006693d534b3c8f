// A worker thread that checks the two Ed25519 signatures of receipts (the landmark's over the
// receipt, the device's over its decisive round), so ingestion can use every core: node:crypto's
// verify is synchronous and is most of ingestion's CPU. Messages in: { id, items: [{ receipt,
// landmarkKey, deviceKey }] } with raw bytes; out: { id, results: (null | error code)[] }.

import type { KeyObject } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { publicKeyFromRaw } from '../attest/software-identity.js';
import { isGeoattestError } from '../errors.js';
import { parseReceipt, verifyReceipt, verifyReceiptDevice } from '../protocol/wire.js';

export interface SignatureJob {
  readonly receipt: Uint8Array;
  readonly landmarkKey: Uint8Array;
  readonly deviceKey: Uint8Array;
}

const keys = new Map<string, KeyObject>();
function key(raw: Uint8Array): KeyObject {
  const k = Buffer.from(raw).toString('base64');
  let o = keys.get(k);
  if (o === undefined) {
    if (keys.size > 100_000) keys.clear();
    o = publicKeyFromRaw(raw);
    keys.set(k, o);
  }
  return o;
}

/** Null when both signatures hold, else the error code. Pure apart from the key cache. */
export function checkSignatures(job: SignatureJob): string | null {
  try {
    const r = parseReceipt(job.receipt);
    verifyReceipt(key(job.landmarkKey), r);
    verifyReceiptDevice(r, key(job.deviceKey));
    return null;
  } catch (e) {
    return isGeoattestError(e) ? e.code : 'INTERNAL';
  }
}

parentPort?.on('message', (m: { id: number; items: SignatureJob[] }) => {
  parentPort!.postMessage({ id: m.id, results: m.items.map(checkSignatures) });
});
