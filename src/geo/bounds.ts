// The one table of propagation bounds. A bound turns a round-trip time into the farthest the chip
// can be from the landmark: r = RTT / 2 × speed. A bound is only as sound as the slowest signal an
// adversary could be forced to use is fast; the table says, for each, whom it holds against.

export type BoundName = 'vacuum' | 'fiber';

export interface PropagationBound {
  readonly name: BoundName;
  /** One-way signal speed in km per millisecond. */
  readonly kmPerMs: number;
  /** Whom the bound holds against: the assumption a verdict made under it rests on. */
  readonly holdsAgainst: string;
}

export const PROPAGATION_BOUNDS: Readonly<Record<BoundName, PropagationBound>> = Object.freeze({
  vacuum: Object.freeze({
    name: 'vacuum',
    // c = 299 792.458 km/s exactly (SI definition of the metre, 1983).
    kmPerMs: 299.792458,
    holdsAgainst:
      'everyone: nothing carries information faster than light in vacuum; relays, proxies and slow signing only add time',
  }),
  fiber: Object.freeze({
    name: 'fiber',
    // Light in silica fibre, group index ~1.47: c / 1.47 ≈ 204 km/ms.
    kmPerMs: 204,
    holdsAgainst:
      'adversaries limited to fibre; an adversary with free-space links (microwave, laser, hollow-core fibre) can beat it',
  }),
});

export const DEFAULT_BOUND: BoundName = 'vacuum';

export function isBoundName(s: unknown): s is BoundName {
  return s === 'vacuum' || s === 'fiber';
}

/** Largest distance in km the chip can be from a landmark that measured `rttMs`, under `bound`. */
export function rttToMaxDistanceKm(rttMs: number, bound: BoundName): number {
  return (rttMs / 2) * PROPAGATION_BOUNDS[bound].kmPerMs;
}
