// A licence's verdict: the verdict core asked about each of the licence's destinations, combined.
// Pure; the verifier's engine and the auditor's re-derivation both call it, so they cannot differ.

import type { Atlas } from '../geo/atlas.js';
import type { Claim } from '../geo/claim.js';
import { decideVerdict, type Landmark, type Measurement, type Verdict } from '../geo/verdict.js';
import type { Policy } from './policy.js';

/**
 * One verdict over several destinations (a licence may name more than one place): `inside` when
 * the chip is proven inside one of them, `outside` when proven outside all, `inconsistent` when the
 * evidence contradicts itself, otherwise `unverified`. Sound because each part is: a chip proven
 * inside any destination is inside the licensed area, and one outside each is outside their union.
 * (A feasible region that straddles two destinations stays `unverified`: conservative.)
 */
export function decideForDestinations(
  claims: readonly Claim[],
  landmarks: readonly Landmark[],
  measurements: readonly Measurement[],
  policy: Policy,
  atlas: Atlas,
): Verdict {
  const verdicts = claims.map((claim) => {
    if (claim.kind === 'country' && atlas.regionIndex(claim.code) === undefined) return undefined;
    return decideVerdict(
      {
        claim,
        landmarks,
        measurements,
        bound: policy.bound,
        where: policy.where,
        marginKm: policy.marginKm ?? atlas.info.defaultMarginKm,
      },
      { atlas },
    );
  });
  const decided = verdicts.filter((v): v is Verdict => v !== undefined);
  const first = (k: Verdict['verdict']) => decided.find((v) => v.verdict === k);
  const pick = first('inconsistent') ?? first('inside');
  if (pick !== undefined) return pick;
  if (decided.length === claims.length && decided.length > 0 && decided.every((v) => v.verdict === 'outside'))
    return decided[0];
  const base = decided[0];
  const unmapped = claims.length - decided.length;
  return {
    ...(base ?? {
      bound: policy.bound,
      where: policy.where,
      marginKm: policy.marginKm ?? atlas.info.defaultMarginKm,
      landmarksUsed: 0,
      trustModes: [],
      proofRadiusKm: null,
      suspects: [],
    }),
    verdict: 'unverified',
    reasons: [
      ...(claims.length > 1 ? ['not proven inside any one destination, nor outside all of them'] : []),
      ...(unmapped > 0 ? [`${unmapped} destination(s) have no separate land on the map`] : []),
      ...decided.flatMap((v) => v.reasons),
    ],
  };
}
