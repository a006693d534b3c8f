// Where a chip can be: the `where` policy. Feasible regions of coastal data centres reach into the
// sea; the policy decides what such points mean, and every verdict records which one it used.
//
// Distances to land come from a generalised map whose boundaries may be off by the margin m, so a
// map distance s (signed: negative inside) stands for a true distance anywhere in [s − e, s + e]
// where e = m + ρ (ρ: the radius of the cell being judged; 0 for a point). Every test below asks
// "is it possible that…" over that interval, so uncertainty can only widen what is possible and a
// verdict can only become more cautious.

export type WherePolicy = 'territorial' | 'land' | 'anywhere';

export const DEFAULT_WHERE: WherePolicy = 'territorial';

/** 12 nautical miles (UNCLOS art. 3), 1 nautical mile = 1852 m exactly. */
export const TERRITORIAL_SEA_KM = 12 * 1.852;

export const WHERE_POLICIES: Readonly<Record<WherePolicy, string>> = Object.freeze({
  territorial:
    "a country is its land plus the sea within 12 nautical miles whose nearest land is that country's " +
    '(UNCLOS art. 3 and the equidistance rule of art. 15); open sea farther from land is not a place for a data centre',
  land: 'a country is its land; no data centre stands in the sea',
  anywhere:
    'a country is its land plus its territorial sea; the open sea is a possible place and lies outside every country',
});

export function isWherePolicy(s: unknown): s is WherePolicy {
  return s === 'territorial' || s === 'land' || s === 'anywhere';
}

/** The lower and upper ends of a true distance to land given its map value s and uncertainty e. */
function lo(s: number, e: number): number {
  return Math.max(0, s - e);
}
function hi(s: number, e: number): number {
  return Math.max(0, s + e);
}

export interface PlacePossibility {
  /** Some point could belong to the claimed country. */
  readonly mayIn: boolean;
  /** Some point could be a possible place that does not belong to it. */
  readonly mayOut: boolean;
}

/**
 * For a country claim: given s_R (signed distance to the country's land) and s_O (to the nearest
 * land of any other country), both in km, what is possible within uncertainty e.
 */
export function countryPossibility(policy: WherePolicy, sR: number, sO: number, e: number): PlacePossibility {
  const T = TERRITORIAL_SEA_KM;
  if (policy === 'land') return { mayIn: sR <= e, mayOut: sO <= e };
  // A sea point belongs to the country whose land is nearest, if that land is within T; ties are
  // counted as possible for both sides.
  const mayIn = lo(sR, e) <= T && lo(sR, e) <= hi(sO, e);
  let mayOut = lo(sO, e) <= T && lo(sO, e) <= hi(sR, e);
  // Under `anywhere` the open sea (all land farther than T) is a possible place outside the country.
  if (policy === 'anywhere' && hi(sR, e) > T && hi(sO, e) > T) mayOut = true;
  return { mayIn, mayOut };
}

/**
 * Whether a point could be a possible place at all, given sL (signed distance to any land) and e.
 * Geofence claims use this; country claims fold it into countryPossibility.
 */
export function placePossible(policy: WherePolicy, sL: number, e: number): boolean {
  if (policy === 'anywhere') return true;
  if (policy === 'land') return sL <= e;
  return lo(sL, e) <= TERRITORIAL_SEA_KM;
}

/** How far the distance queries must look for countryPossibility/placePossible to be exact. */
export function distanceCapKm(e: number): number {
  return TERRITORIAL_SEA_KM + 2 * e + 1;
}
