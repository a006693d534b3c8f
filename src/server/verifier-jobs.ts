// The CPU-heavy, pure work of the verifier, as jobs a worker thread (or the calling thread) runs:
// checking receipt signatures, and deciding a licence's verdict with its estimate. Plain data in
// and out, so the jobs cross thread boundaries by structured clone.

import type { KeyObject } from 'node:crypto';
import { publicKeyFromRaw } from '../attest/software-identity.js';
import { isGeoattestError } from '../errors.js';
import type { Atlas } from '../geo/atlas.js';
import { estimatePosition } from '../geo/estimate.js';
import { type Landmark, type Measurement, minimalRtts, type Verdict } from '../geo/verdict.js';
import { destinationClaims, regionLabel } from '../ledger/licence.js';
import { decideForDestinations } from '../ledger/licence-verdict.js';
import type { Policy } from '../ledger/policy.js';
import { parseReceipt, verifyReceipt, verifyReceiptDevice } from '../protocol/wire.js';

export interface SignatureJob {
  readonly receipt: Uint8Array;
  readonly landmarkKey: Uint8Array;
  /** Null for a gpu-session receipt: its session key arrives with its evidence. */
  readonly deviceKey: Uint8Array | null;
}

export interface VerdictJob {
  readonly destinations: readonly Record<string, unknown>[];
  readonly landmarks: readonly Landmark[];
  readonly measurements: readonly Measurement[];
  readonly policy: Policy;
}

export interface DecidedVerdict {
  readonly verdict: Verdict;
  readonly region: string;
  readonly estimate: { lat: number; lon: number; radiusKm: number } | null;
}

export interface JobKinds {
  signatures: { job: SignatureJob; result: string | null };
  verdicts: { job: VerdictJob; result: DecidedVerdict };
}
export type JobKind = keyof JobKinds;

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

/** Null when both of a receipt's signatures hold, else the error code. */
export function checkSignatures(job: SignatureJob): string | null {
  try {
    const r = parseReceipt(job.receipt);
    verifyReceipt(key(job.landmarkKey), r);
    if (job.deviceKey !== null) verifyReceiptDevice(r, key(job.deviceKey));
    return null;
  } catch (e) {
    return isGeoattestError(e) ? e.code : 'INTERNAL';
  }
}

/** The licence's verdict over its destinations, and the estimate (which never feeds back). */
export function decideJob(job: VerdictJob, atlas: Atlas): DecidedVerdict {
  const verdict = decideForDestinations(
    destinationClaims(job.destinations),
    job.landmarks,
    job.measurements,
    job.policy,
    atlas,
  );
  const est = estimatePosition(minimalRtts(job.landmarks, job.measurements));
  return {
    verdict,
    region: regionLabel(job.destinations),
    estimate: est === null ? null : { lat: est.lat, lon: est.lon, radiusKm: est.radiusKm },
  };
}

/** Runs a batch of jobs of one kind. */
export function runJobs<K extends JobKind>(
  kind: K,
  jobs: readonly JobKinds[K]['job'][],
  atlas: () => Atlas,
): JobKinds[K]['result'][] {
  if (kind === 'signatures') return (jobs as SignatureJob[]).map(checkSignatures) as JobKinds[K]['result'][];
  const a = atlas();
  return (jobs as VerdictJob[]).map((j) => decideJob(j, a)) as JobKinds[K]['result'][];
}
