import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SegmentGrid } from '../../src/geo/segment-grid.js';
import { angleToArc, toVec3 } from '../../src/geo/sphere.js';

type Ring = [number, number][];

/** A star-shaped polygon around a centre, in degrees (never self-intersecting). */
const ring = fc
  .record({
    lon: fc.double({ min: -170, max: 170, noNaN: true }),
    lat: fc.double({ min: -60, max: 60, noNaN: true }),
    radii: fc.array(fc.double({ min: 0.05, max: 3, noNaN: true }), { minLength: 3, maxLength: 12 }),
  })
  .map(({ lon, lat, radii }) => {
    const pts: Ring = radii.map((r, i) => {
      const a = (2 * Math.PI * i) / radii.length;
      return [lon + r * Math.cos(a), lat + r * Math.sin(a)];
    });
    pts.push(pts[0]);
    return pts;
  });

/** Planar distance in degrees from a point to the rings' edges (to skip points on a boundary). */
function edgeDistance(rings: Ring[], lon: number, lat: number): number {
  let best = Number.POSITIVE_INFINITY;
  for (const r of rings) {
    for (let i = 0; i + 1 < r.length; i++) {
      const [x1, y1] = r[i];
      const [x2, y2] = r[i + 1];
      const t = Math.max(
        0,
        Math.min(1, ((lon - x1) * (x2 - x1) + (lat - y1) * (y2 - y1)) / ((x2 - x1) ** 2 + (y2 - y1) ** 2)),
      );
      best = Math.min(best, Math.hypot(lon - x1 - t * (x2 - x1), lat - y1 - t * (y2 - y1)));
    }
  }
  return best;
}

/** Brute-force even-odd ray casting, the reference. */
function inside(rings: Ring[], lon: number, lat: number): boolean {
  let odd = false;
  for (const r of rings) {
    for (let i = 0; i + 1 < r.length; i++) {
      const [x1, y1] = r[i];
      const [x2, y2] = r[i + 1];
      if (y1 > lat !== y2 > lat && lon < x1 + ((lat - y1) * (x2 - x1)) / (y2 - y1)) odd = !odd;
    }
  }
  return odd;
}

const gridOf = (rings: Ring[], cellDeg: number) =>
  new SegmentGrid(
    rings.map((r) => ({ coords: Float64Array.from(r.flat()), owners: [0] })),
    cellDeg,
  );

describe('segment grid', () => {
  it('locates points exactly like brute-force ray casting', () => {
    fc.assert(
      fc.property(
        fc.array(ring, { minLength: 1, maxLength: 3 }),
        fc.array(
          fc.tuple(fc.double({ min: -1, max: 1, noNaN: true }), fc.double({ min: -1, max: 1, noNaN: true })),
          {
            minLength: 20,
            maxLength: 20,
          },
        ),
        // Coarse cells keep 1000 world-sized grids affordable; the code paths are the atlas's.
        fc.constantFrom(1, 2),
        (rings, offsets, cellDeg) => {
          const grid = gridOf(rings, cellDeg);
          const [cx, cy] = rings[0][0];
          return offsets.every(([dx, dy]) => {
            const lon = cx + dx * 4;
            const lat = cy + dy * 4;
            // On a boundary (within rounding) either answer is right.
            if (edgeDistance(rings, lon, lat) < 1e-7) return true;
            return (grid.locate(lat, lon).length === 1) === inside(rings, lon, lat);
          });
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('finds the nearest boundary exactly like a brute-force scan', () => {
    fc.assert(
      fc.property(
        ring,
        fc.tuple(fc.double({ min: -6, max: 6, noNaN: true }), fc.double({ min: -6, max: 6, noNaN: true })),
        (r, [dx, dy]) => {
          const grid = gridOf([r], 1);
          const lat = Math.max(-89, Math.min(89, r[0][1] + dy));
          const lon = r[0][0] + dx;
          const p = toVec3({ lat, lon });
          let best = Number.POSITIVE_INFINITY;
          // The grid splits segments to ≤ 0.1°; the reference does the same so both see one geometry.
          for (let i = 0; i + 1 < r.length; i++) {
            const [x1, y1] = r[i];
            const [x2, y2] = r[i + 1];
            const n = Math.max(1, Math.ceil(Math.max(Math.abs(x2 - x1), Math.abs(y2 - y1)) / 0.1));
            for (let k = 0; k < n; k++) {
              const a = toVec3({ lon: x1 + ((x2 - x1) * k) / n, lat: y1 + ((y2 - y1) * k) / n });
              const b = toVec3({ lon: x1 + ((x2 - x1) * (k + 1)) / n, lat: y1 + ((y2 - y1) * (k + 1)) / n });
              best = Math.min(best, angleToArc(p, a, b));
            }
          }
          const got = grid.nearest(p, lat, lon, { kind: 'only', region: 0 }, Math.PI);
          return Math.abs(got - best) < 1e-12;
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('prunes by each segment’s midpoint without changing any answer, whatever the cap', () => {
    fc.assert(
      fc.property(
        ring,
        fc.tuple(fc.double({ min: -3, max: 3, noNaN: true }), fc.double({ min: -3, max: 3, noNaN: true })),
        fc.double({ min: 1e-5, max: 0.2, noNaN: true }),
        (r, [dx, dy], cap) => {
          const grid = gridOf([r], 0.25);
          const lat = Math.max(-89, Math.min(89, r[0][1] + dy));
          const lon = r[0][0] + dx;
          const p = toVec3({ lat, lon });
          let best = Number.POSITIVE_INFINITY;
          for (let i = 0; i + 1 < r.length; i++) {
            const [x1, y1] = r[i];
            const [x2, y2] = r[i + 1];
            const n = Math.max(1, Math.ceil(Math.max(Math.abs(x2 - x1), Math.abs(y2 - y1)) / 0.1));
            for (let k = 0; k < n; k++) {
              const a = toVec3({ lon: x1 + ((x2 - x1) * k) / n, lat: y1 + ((y2 - y1) * k) / n });
              const b = toVec3({ lon: x1 + ((x2 - x1) * (k + 1)) / n, lat: y1 + ((y2 - y1) * (k + 1)) / n });
              best = Math.min(best, angleToArc(p, a, b));
            }
          }
          const got = grid.nearest(p, lat, lon, { kind: 'only', region: 0 }, cap);
          return best <= cap ? Math.abs(got - best) < 1e-12 : got === Number.POSITIVE_INFINITY;
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('returns Infinity when nothing lies within the cap, and respects owner filters', () => {
    const r: Ring = [
      [10, 10],
      [11, 10],
      [11, 11],
      [10, 10],
    ];
    const grid = new SegmentGrid([{ coords: Float64Array.from(r.flat()), owners: [3, 5] }], 0.25);
    const p = toVec3({ lat: 0, lon: 0 });
    expect(grid.nearest(p, 0, 0, { kind: 'only', region: 3 }, 0.01)).toBe(Number.POSITIVE_INFINITY);
    expect(grid.nearest(p, 0, 0, { kind: 'only', region: 3 }, Math.PI)).toBeLessThan(1);
    expect(grid.nearest(p, 0, 0, { kind: 'only', region: 4 }, Math.PI)).toBe(Number.POSITIVE_INFINITY);
    expect(grid.nearest(p, 0, 0, { kind: 'except', region: 3 }, Math.PI)).toBeLessThan(1);
    expect(grid.nearest(p, 0, 0, { kind: 'coast' }, Math.PI)).toBe(Number.POSITIVE_INFINITY);
    expect(grid.locate(10.2, 10.8).sort()).toEqual([3, 5]);
  });

  it('handles polygons that touch the antimeridian', () => {
    const r: Ring = [
      [178, -17],
      [180, -17],
      [180, -16],
      [178, -16],
      [178, -17],
    ];
    const grid = gridOf([r], 0.25);
    expect(grid.locate(-16.5, 179.5)).toEqual([0]);
    expect(grid.locate(-16.5, 179.9999)).toEqual([0]);
    expect(grid.locate(-16.5, -179.5)).toEqual([]);
  });
});
