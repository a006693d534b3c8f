// The policy a licence's chips are judged by. Every value has a default; a licence may override
// any of them, and every verdict records the bound, `where` policy and margin it used.

import { type BoundName, DEFAULT_BOUND, isBoundName } from '../geo/bounds.js';
import { DEFAULT_WHERE, isWherePolicy, type WherePolicy } from '../geo/where.js';
import { invalid, isObject } from './validate.js';

export interface Policy {
  /** How often the agent checks in (its `--interval`). */
  readonly checkInIntervalMs: number;
  /** No receipt for this long after the last one is a missed check-in. */
  readonly missedCheckInAfterMs: number;
  /** `unverified` for longer than this raises an alert. */
  readonly unverifiedGraceMs: number;
  /**
   * Receipts within this span before a chip's latest receipt make one verdict. It is short on
   * purpose: a verdict speaks of where the chip was at one check-in (all landmarks answer within
   * seconds); a long window would set a moved chip's old caps against its new ones.
   */
  readonly evidenceWindowMs: number;
  readonly bound: BoundName;
  readonly where: WherePolicy;
  /** Border margin in km; null takes the map's default (5 km on the 10m map). */
  readonly marginKm: number | null;
}

const HOUR = 3_600_000;

export const DEFAULT_POLICY: Policy = Object.freeze({
  checkInIntervalMs: HOUR,
  missedCheckInAfterMs: 2 * HOUR,
  unverifiedGraceMs: 6 * HOUR,
  evidenceWindowMs: 15 * 60_000,
  bound: DEFAULT_BOUND,
  where: DEFAULT_WHERE,
  marginKm: null,
});

const DURATIONS = [
  'checkInIntervalMs',
  'missedCheckInAfterMs',
  'unverifiedGraceMs',
  'evidenceWindowMs',
] as const;

/** Checks a partial policy (as stored on a licence); unknown keys and bad values are refused. */
export function parsePolicyOverrides(v: unknown): Partial<Policy> {
  if (v === undefined || v === null) return {};
  if (!isObject(v)) invalid('policy must be an object');
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(v)) {
    if ((DURATIONS as readonly string[]).includes(key)) {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1000 || value > 365 * 24 * HOUR)
        invalid(`policy.${key} must be a whole number of ms between 1 s and 1 year`);
      out[key] = value;
    } else if (key === 'bound') {
      if (!isBoundName(value)) invalid('policy.bound must be vacuum or fiber');
      out[key] = value;
    } else if (key === 'where') {
      if (!isWherePolicy(value)) invalid('policy.where must be territorial, land or anywhere');
      out[key] = value;
    } else if (key === 'marginKm') {
      if (
        value !== null &&
        (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 500)
      )
        invalid('policy.marginKm must be null or a number of km in [0, 500]');
      out[key] = value;
    } else {
      invalid(`policy has no field ${JSON.stringify(key)}`);
    }
  }
  return out as Partial<Policy>;
}

export function effectivePolicy(overrides: Partial<Policy>): Policy {
  return { ...DEFAULT_POLICY, ...overrides };
}
