// The simulator's shortcut for a chip's nearest landmarks: sorting only the landmarks near its
// campus landmark must give exactly what sorting all of them gives.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { destination, distanceKm } from '../../src/geo/sphere.js';
import { nearbyLandmarks } from '../../src/sim/simulate.js';

const nearestOf = (
  sites: readonly { lat: number; lon: number }[],
  p: { lat: number; lon: number },
  k: number,
  among?: number[],
) =>
  (among ?? sites.map((_, j) => j))
    .map((j) => ({ j, d: distanceKm(sites[j], p) }))
    .sort((a, b) => a.d - b.d || a.j - b.j)
    .slice(0, k)
    .map((x) => x.j);

describe('nearbyLandmarks', () => {
  it('holds the k nearest landmarks of every point within the campus of a landmark', () => {
    const site = fc.record({
      lat: fc.double({ min: -10, max: 10, noNaN: true }),
      lon: fc.double({ min: 95, max: 115, noNaN: true }),
    });
    fc.assert(
      fc.property(
        fc.array(site, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 6 }),
        fc.nat(),
        fc.double({ min: 0, max: 360, noNaN: true }),
        fc.double({ min: 0, max: 2, noNaN: true }),
        (sites, k, pick, bearing, km) => {
          const near = nearbyLandmarks(
            sites.map((s) => ({ site: s })),
            k,
            4,
          );
          const h = pick % sites.length;
          const p = destination(sites[h], bearing, km);
          expect(nearestOf(sites, p, k, near[h])).toEqual(nearestOf(sites, p, k));
          // And it is a shortcut: never more candidates than landmarks.
          expect(near[h].length).toBeLessThanOrEqual(sites.length);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
