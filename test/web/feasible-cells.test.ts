// The feasible region the chip page draws: it must never leave out a place where the chip can be
// (the drawing would then understate what physics allows), and it must be empty exactly when the
// discs contradict each other.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { distanceKm } from '../../src/geo/sphere.js';
import { cellsToMultiPolygon, discFor, feasibleCells } from '../../web/src/geo/feasible-cells.js';

const C = 299.792458;
const inCell = (
  p: { lat: number; lon: number },
  c: { south: number; north: number; west: number; east: number },
) => p.lat >= c.south && p.lat <= c.north && p.lon >= c.west && p.lon <= c.east;

describe('feasible cells', () => {
  it('always contain the true position when the RTTs are physically possible', () => {
    const place = fc.record({
      lat: fc.double({ min: -70, max: 70, noNaN: true }),
      lon: fc.double({ min: -179.9, max: 179.9, noNaN: true }),
    });
    fc.assert(
      fc.property(
        place,
        fc.array(fc.tuple(place, fc.double({ min: 1, max: 3, noNaN: true })), { minLength: 1, maxLength: 5 }),
        (chip, lms) => {
          const discs = lms.map(([l, slow], i) =>
            // Never faster than light: RTT ≥ 2·d/c, stretched by up to 3× like a real path.
            discFor({ id: `L${i}`, ...l }, ((2 * distanceKm(chip, l)) / C) * slow + 0.01, 'vacuum'),
          );
          const r = feasibleCells(discs, 12, 20_000);
          expect(r.empty).toBe(false);
          // Discs as wide as the Earth leave nothing to draw: the page says the chip may be anywhere.
          expect(r.everywhere || r.cells.some((c) => inCell(chip, c))).toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('is empty when a landmark claims a round trip faster than light', () => {
    const kul = { id: 'KUL', lat: 3.139, lon: 101.687 };
    const pek = { id: 'PEK', lat: 39.904, lon: 116.407 };
    const r = feasibleCells([discFor(kul, 0.2, 'vacuum'), discFor(pek, 0.3, 'vacuum')]);
    expect(r).toMatchObject({ empty: true, cells: [] });
  });

  it('shrinks to the tightest disc, and draws rings clockwise for d3', () => {
    const sin = { id: 'SIN', lat: 1.29, lon: 103.85 };
    const r = feasibleCells([discFor(sin, 0.02, 'vacuum')]);
    for (const c of r.cells)
      expect(distanceKm(sin, { lat: (c.south + c.north) / 2, lon: (c.west + c.east) / 2 })).toBeLessThan(4);
    const ring = cellsToMultiPolygon(r.cells.slice(0, 1)).coordinates[0][0];
    // West edge first, going north: clockwise on a map with north up.
    expect(ring[1][1]).toBeGreaterThan(ring[0][1]);
    expect(ring[0]).toEqual(ring[ring.length - 1]);
  });
});
