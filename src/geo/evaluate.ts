// One record in, one answer out: the verdict (which decides) and the estimate (which only informs;
// it is computed from the same observations but never feeds back into the verdict).

import { GeoattestError } from '../errors.js';
import type { Atlas } from './atlas.js';
import type { BoundName } from './bounds.js';
import type { Calibration } from './calibration.js';
import { estimatePosition } from './estimate.js';
import type { SearchOptions } from './feasible.js';
import { decideVerdict, minimalRtts } from './verdict.js';
import { type ParsedRecord, verdictRecord } from './verdict-record.js';
import type { WherePolicy } from './where.js';

export interface EvaluateOptions {
  readonly bound: BoundName;
  readonly where: WherePolicy;
  /** Border margin in km; undefined takes the map's default. */
  readonly marginKm?: number;
  readonly calibration?: Calibration;
}

export interface EvaluateContext {
  /** The map, loaded on first use: only country claims and land/territorial policies need it. */
  readonly atlas: () => Atlas;
  readonly search?: SearchOptions;
}

export function needsAtlas(rec: ParsedRecord, opts: EvaluateOptions): boolean {
  return rec.claim.kind === 'country' || opts.where !== 'anywhere';
}

export function evaluateRecord(rec: ParsedRecord, opts: EvaluateOptions, ctx: EvaluateContext) {
  const atlas = needsAtlas(rec, opts) ? ctx.atlas() : undefined;
  if (rec.claim.kind === 'country' && atlas?.regionIndex(rec.claim.code) === undefined) {
    throw new GeoattestError(
      'COUNTRY_NOT_MAPPED',
      `${rec.claim.code} is an ISO 3166-1 code, but the ${atlas?.info.resolution} map has no separate land for it`,
    );
  }
  const marginKm = opts.marginKm ?? atlas?.info.defaultMarginKm ?? 0;
  const verdict = decideVerdict(
    {
      claim: rec.claim,
      landmarks: rec.landmarks,
      measurements: rec.measurements,
      bound: opts.bound,
      where: opts.where,
      marginKm,
    },
    { atlas, search: ctx.search },
  );
  const estimate = estimatePosition(minimalRtts(rec.landmarks, rec.measurements), opts.calibration);
  return verdictRecord(rec.id, verdict, estimate);
}
