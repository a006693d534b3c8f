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
import { evidenceHash } from '../tlog/verdict-leaf.js';

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
  /** Hex hashes of the receipts the verdict rests on, in the order the evidence hash takes them. */
  readonly evidence: readonly string[];
}

/** A decided verdict, with the parts of its stored record that take work to make. */
export interface DecidedVerdict {
  readonly verdict: Verdict;
  readonly region: string;
  readonly estimate: { lat: number; lon: number; radiusKm: number } | null;
  /** Hex evidenceHash of the job's evidence (the log leaf commits to it). */
  readonly evidenceHash: string;
  /** The verdict's detail as stored: margin, landmarks used, reasons, suspects, estimate, version. */
  readonly detail: string;
}

/** The version every verdict and log leaf names. */
export const VERIFIER_VERSION = 'geoattest-verifier/1';

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
  const estimate = est === null ? null : { lat: est.lat, lon: est.lon, radiusKm: est.radiusKm };
  return {
    verdict,
    region: regionLabel(job.destinations),
    estimate,
    // Made here, on the worker, rather than by the thread that stores the batch.
    evidenceHash: Buffer.from(evidenceHash(job.evidence.map((h) => Buffer.from(h, 'hex')))).toString('hex'),
    detail: JSON.stringify({
      marginKm: verdict.marginKm,
      landmarksUsed: verdict.landmarksUsed,
      reasons: verdict.reasons,
      suspects: verdict.suspects,
      estimate,
      verifier: VERIFIER_VERSION,
    }),
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
