// The auditor's re-derivation of a verdict from the evidence a log serves for a leaf (GET
// /v1/log/evidence/<index>, for roles allowed to see it): every receipt's landmark signature is
// checked with the landmark's published key, the evidence hash is recomputed from the receipts,
// and the verdict is decided again with the same verdict core. Anything that does not follow from
// the signed evidence is 'different'; evidence this token may not read is 'unavailable'.

import { publicKeyFromRaw } from '../attest/software-identity.js';
import type { Atlas } from '../geo/atlas.js';
import type { Measurement } from '../geo/verdict.js';
import { landmarkIdText } from '../landmark/landmark-core.js';
import { destinationClaims, regionLabel } from '../ledger/licence.js';
import { decideForDestinations } from '../ledger/licence-verdict.js';
import { DEFAULT_POLICY } from '../ledger/policy.js';
import { minRttNs, parseReceipt, receiptHash, verifyReceipt } from '../protocol/wire.js';
import type { Rederive } from '../tlog/audit.js';
import { hashesEqual } from '../tlog/merkle.js';
import { evidenceHash, type VerdictLeaf } from '../tlog/verdict-leaf.js';

interface EvidenceBody {
  readonly destinations: Record<string, unknown>[];
  readonly policy: {
    bound: 'vacuum' | 'fiber';
    where: 'territorial' | 'land' | 'anywhere';
    marginKm: number;
  };
  readonly receipts: string[];
  readonly landmarks: { id: string; lat: number; lon: number; publicKey: string }[];
}

export function httpRederive(logUrl: string, token: string, atlas: () => Atlas): Rederive {
  const base = logUrl.replace(/\/+$/, '');
  return async (leaf: VerdictLeaf, index: number) => {
    const res = await fetch(`${base}/v1/log/evidence/${index}`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(30_000),
    });
    if (res.status === 401 || res.status === 403 || res.status === 404) return 'unavailable';
    if (!res.ok) return 'unavailable';
    return rederiveFrom((await res.json()) as EvidenceBody, leaf, atlas());
  };
}

/** Pure: does `leaf` follow from `e`? */
export function rederiveFrom(e: EvidenceBody, leaf: VerdictLeaf, atlas: Atlas): 'same' | 'different' {
  try {
    const keys = new Map(
      e.landmarks.map((l) => [l.id, publicKeyFromRaw(Buffer.from(l.publicKey, 'base64'))]),
    );
    const measurements: Measurement[] = [];
    const hashes: Uint8Array[] = [];
    for (const b64 of e.receipts) {
      const r = parseReceipt(new Uint8Array(Buffer.from(b64, 'base64')));
      const id = landmarkIdText(r.landmarkId);
      const key = keys.get(id);
      if (key === undefined) return 'different';
      verifyReceipt(key, r);
      hashes.push(receiptHash(r));
      measurements.push({ landmark: id, rttMs: Number(minRttNs(r)) / 1e6, trustMode: r.trustMode });
    }
    if (!hashesEqual(evidenceHash(hashes), leaf.evidenceHash)) return 'different';
    const policy = { ...DEFAULT_POLICY, ...e.policy };
    const v = decideForDestinations(
      destinationClaims(e.destinations),
      e.landmarks,
      measurements,
      policy,
      atlas,
    );
    const same =
      v.verdict === leaf.verdict &&
      policy.bound === leaf.bound &&
      policy.where === leaf.where &&
      regionLabel(e.destinations) === leaf.region;
    return same ? 'same' : 'different';
  } catch {
    return 'different';
  }
}
