// The position estimate on synthetic worlds made here (no real data: CI clones lack ../shared).
// RTTs follow the shape measured on real meshes: 2 × distance / (200 km/ms) × inflation + overhead,
// inflation around 2.5 (real paths take about twice as long as straight fibre), from a seeded
// generator so that every run sees the same worlds.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GeoattestError } from '../../src/errors.js';
import { bestline, buildCalibration, type CalibrationPair } from '../../src/geo/calibration.js';
import { estimatePosition, type RttObservation } from '../../src/geo/estimate.js';
import { cbg, shortestPing } from '../../src/geo/estimate-baselines.js';
import { distanceKm, type LatLon } from '../../src/geo/sphere.js';
import { seededRandom } from '../../src/sim/random.js';

const C = 299.792458;

interface World {
  readonly landmarks: { id: string; lat: number; lon: number }[];
  /** Fixed delay of each landmark's access link, in ms. */
  readonly overheads: Map<string, number>;
  readonly rand: () => number;
}

/** Landmarks on a 6 × 6 grid over central Europe, ~300 km apart. */
function gridWorld(seed: number): World {
  const rand = seededRandom(seed);
  const landmarks = [];
  const overheads = new Map<string, number>();
  for (let i = 0; i < 6; i++) {
    for (let j = 0; j < 6; j++) {
      const id = `L${i}${j}`;
      landmarks.push({ id, lat: 40 + 3 * i, lon: -5 + 4 * j });
      overheads.set(id, 0.5 * rand());
    }
  }
  return { landmarks, overheads, rand };
}

/** A path's RTT: 2 d / 200 km/ms × inflation (1.5–3.5) + both ends' overheads. */
function pathRtt(w: World, dKm: number, overheadMs: number): number {
  return ((2 * dKm) / 200) * (1.5 + 2 * w.rand()) + overheadMs;
}

function observe(w: World, truth: LatLon): RttObservation[] {
  const chipOverhead = 0.5 * w.rand();
  return w.landmarks.map((l) => ({
    landmark: l,
    rttMs: pathRtt(w, distanceKm(l, truth), chipOverhead + w.overheads.get(l.id)!),
  }));
}

function calibrationPairs(w: World): CalibrationPair[] {
  const pairs: CalibrationPair[] = [];
  for (const a of w.landmarks) {
    for (const b of w.landmarks) {
      if (a.id < b.id) {
        pairs.push({
          from: a.id,
          to: b.id,
          rttMs: pathRtt(w, distanceKm(a, b), w.overheads.get(a.id)! + w.overheads.get(b.id)!),
        });
      }
    }
  }
  return pairs;
}

const positionsOf = (w: World) => new Map(w.landmarks.map((l) => [l.id, { lat: l.lat, lon: l.lon }]));

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * The vacuum bound of every observation holds at p, to within a centimetre: the estimate accepts
 * points within 1e-9 rad (6.4 mm) of a cap so that rounding cannot reject a boundary point.
 */
function withinVacuumBounds(p: LatLon, obs: readonly RttObservation[]): boolean {
  return obs.every((o) => distanceKm(p, o.landmark) <= (o.rttMs / 2) * C + 1e-5);
}

describe('estimatePosition on synthetic worlds', () => {
  const w = gridWorld(7);
  const trials = Array.from({ length: 200 }, () => {
    const truth = { lat: 41 + 13 * w.rand(), lon: -4 + 18 * w.rand() };
    return { truth, obs: observe(w, truth) };
  });
  const calibration = buildCalibration(calibrationPairs(w), positionsOf(w));

  it('errs less than CBG (2/3 c) and Shortest Ping on average', () => {
    const ours = trials.map((t) => distanceKm(estimatePosition(t.obs)!, t.truth));
    const base = trials.map((t) => distanceKm(cbg(t.obs)!, t.truth));
    const sp = trials.map((t) => distanceKm(shortestPing(t.obs)!, t.truth));
    expect(mean(ours)).toBeLessThan(mean(base));
    expect(mean(ours)).toBeLessThan(mean(sp));
  });

  it('errs less than CBG with its bestlines when calibrated', () => {
    const ours = trials.map((t) => distanceKm(estimatePosition(t.obs, calibration)!, t.truth));
    const base = trials.map((t) => distanceKm(cbg(t.obs, undefined, calibration)!, t.truth));
    expect(mean(ours)).toBeLessThan(mean(base));
  });

  it('covers the truth with its radius in most cases', () => {
    for (const cal of [undefined, calibration]) {
      const covered = trials.filter((t) => {
        const e = estimatePosition(t.obs, cal)!;
        return distanceKm(e, t.truth) <= e.radiusKm;
      }).length;
      expect(covered / trials.length).toBeGreaterThan(0.8);
    }
  });

  it('never places the chip beyond a vacuum bound', () => {
    for (const t of trials) expect(withinVacuumBounds(estimatePosition(t.obs)!, t.obs)).toBe(true);
  });

  it('is deterministic', () => {
    const t = trials[0];
    expect(estimatePosition(t.obs)).toEqual(estimatePosition(t.obs));
  });
});

describe('estimatePosition edge cases', () => {
  const here = { id: 'A', lat: 1.35, lon: 103.82 };

  it('returns null for no observation', () => {
    expect(estimatePosition([])).toBeNull();
    expect(shortestPing([])).toBeNull();
    expect(cbg([])).toBeNull();
  });

  it('puts a chip with a zero RTT on its landmark', () => {
    const e = estimatePosition([{ landmark: here, rttMs: 0 }])!;
    expect(distanceKm(e, here)).toBeLessThan(1e-6);
    expect(e.radiusKm).toBeLessThan(1e-3);
  });

  it('finds the circle where a cap touches the cap of the antipodal landmark', () => {
    // A chip 1 m from landmark A, both RTTs at the speed of light: the caps meet only on a circle
    // of 1 m around A (found by fast-check; the lattice and both projections are degenerate here).
    const truth = { lat: -0.000008993203617081671, lon: 0 };
    const obs = [
      { id: 'A', lat: 0, lon: 0 },
      { id: 'B', lat: 0, lon: 180 },
    ].map((l) => ({ landmark: l, rttMs: (2 * distanceKm(l, truth)) / C }));
    expect(withinVacuumBounds(estimatePosition(obs)!, obs)).toBe(true);
  });

  it('keeps the smallest of repeated RTTs from one landmark', () => {
    const once = estimatePosition([{ landmark: here, rttMs: 1 }])!;
    const twice = estimatePosition([
      { landmark: here, rttMs: 5 },
      { landmark: here, rttMs: 1 },
    ])!;
    expect(twice).toEqual(once);
  });

  it('goes on without a landmark whose cap contradicts the others', () => {
    // Three landmarks around Frankfurt agree; one "in Madrid" at 1 ms (150 km) cannot be right.
    const truth = { lat: 50.11, lon: 8.68 };
    const good = [
      { id: 'AMS', lat: 52.37, lon: 4.9 },
      { id: 'MUC', lat: 48.14, lon: 11.58 },
      { id: 'PAR', lat: 48.86, lon: 2.35 },
    ].map((l) => ({ landmark: l, rttMs: (distanceKm(l, truth) / 200) * 2.5 }));
    const liar = { landmark: { id: 'MAD', lat: 40.42, lon: -3.7 }, rttMs: 1 };
    const e = estimatePosition([...good, liar])!;
    expect(withinVacuumBounds(e, good)).toBe(true);
    expect(distanceKm(e, truth)).toBeLessThan(400);
  });

  describe('when an observation is malformed', () => {
    const bad: [string, unknown, string][] = [
      ['a NaN RTT', [{ landmark: here, rttMs: Number.NaN }], 'INVALID_RTT'],
      ['a negative RTT', [{ landmark: here, rttMs: -1 }], 'INVALID_RTT'],
      ['an infinite RTT', [{ landmark: here, rttMs: Number.POSITIVE_INFINITY }], 'INVALID_RTT'],
      ['a latitude out of range', [{ landmark: { ...here, lat: 91 }, rttMs: 1 }], 'INVALID_LATITUDE'],
      ['a longitude out of range', [{ landmark: { ...here, lon: -181 }, rttMs: 1 }], 'INVALID_LONGITUDE'],
      ['no landmark', [{ rttMs: 1 }], 'INVALID_LANDMARK'],
    ];
    for (const [what, obs, code] of bad) {
      it(`throws ${code} for ${what}`, () => {
        expect(() => estimatePosition(obs as RttObservation[])).toThrow(
          expect.objectContaining({ name: 'GeoattestError', code }),
        );
      });
    }
  });
});

describe('buildCalibration', () => {
  const w = gridWorld(3);
  const positions = positionsOf(w);

  it('fits an overhead for a landmark with a slow access link', () => {
    const slow = new Map(w.overheads);
    slow.set('L22', 8);
    const pairs = calibrationPairs({ ...w, overheads: slow });
    const cal = buildCalibration(pairs, positions);
    expect(cal.landmarks.get('L22')!.overheadMs).toBeGreaterThan(2);
    expect(cal.landmarks.get('L00')!.overheadMs).toBeLessThan(2);
    expect(cal.pairs).toBe(pairs.length);
  });

  it('sets conflicting pairs (faster than light between the positions) aside', () => {
    const cal = buildCalibration([{ from: 'L00', to: 'L55', rttMs: 0.1 }], positions);
    expect(cal.conflicts).toBe(1);
    expect(cal.pairs).toBe(0);
  });

  it('keeps the smallest RTT of a pair given in both directions', () => {
    const cal = buildCalibration(
      [
        { from: 'L00', to: 'L01', rttMs: 9 },
        { from: 'L01', to: 'L00', rttMs: 7 },
      ],
      positions,
    );
    expect(cal.pairs).toBe(1);
  });

  describe('when the data is bad', () => {
    const cases: [string, unknown, ReadonlyMap<string, { lat: number; lon: number }>][] = [
      ['a NaN RTT', [{ from: 'L00', to: 'L01', rttMs: Number.NaN }], positions],
      ['a negative RTT', [{ from: 'L00', to: 'L01', rttMs: -0.5 }], positions],
      ['an infinite RTT', [{ from: 'L00', to: 'L01', rttMs: Number.POSITIVE_INFINITY }], positions],
      ['an RTT that is a string', [{ from: 'L00', to: 'L01', rttMs: '3' }], positions],
      ['an unknown landmark id', [{ from: 'L00', to: 'nowhere', rttMs: 3 }], positions],
      ['a self-pair', [{ from: 'L00', to: 'L00', rttMs: 0.1 }], positions],
      ['an id that is not a string', [{ from: 7, to: 'L00', rttMs: 3 }], positions],
      ['a pair that is not an object', [null], positions],
      ['pairs that are not an array', { from: 'L00', to: 'L01', rttMs: 3 }, positions],
      ['a position out of range', [], new Map([['L00', { lat: 95, lon: 0 }]])],
      ['a NaN position', [], new Map([['L00', { lat: 0, lon: Number.NaN }]])],
    ];
    for (const [what, pairs, pos] of cases) {
      it(`throws INVALID_CALIBRATION for ${what}`, () => {
        let caught: unknown;
        try {
          buildCalibration(pairs as CalibrationPair[], pos);
        } catch (e) {
          caught = e;
        }
        expect(caught).toBeInstanceOf(GeoattestError);
        expect((caught as GeoattestError).code).toBe('INVALID_CALIBRATION');
      });
    }
  });
});

describe('bestline (Gueye et al. 2006)', () => {
  it('lies below every point and is no faster than 2/3 c', () => {
    const rand = seededRandom(11);
    const pts = Array.from({ length: 50 }, () => {
      const d = 5000 * rand();
      return { d, r: 1 + (d / 100) * (1 + 2 * rand()) };
    });
    const line = bestline(pts)!;
    for (const p of pts) expect(p.r).toBeGreaterThanOrEqual(line.msPerKm * p.d + line.interceptMs - 1e-9);
    expect(line.msPerKm).toBeGreaterThanOrEqual(2 / ((2 / 3) * C) - 1e-15);
    expect(line.interceptMs).toBeGreaterThanOrEqual(0);
  });

  it('needs three points', () => {
    expect(bestline([{ d: 1, r: 1 }])).toBeNull();
  });
});

describe('baselines', () => {
  it('shortest ping answers the lowest-RTT landmark', () => {
    const e = shortestPing([
      { landmark: { id: 'a', lat: 10, lon: 10 }, rttMs: 5 },
      { landmark: { id: 'b', lat: 20, lon: 20 }, rttMs: 2 },
    ])!;
    expect([e.lat, e.lon]).toEqual([20, 20]);
    expect(e.radiusKm).toBeCloseTo(C, 6);
  });

  it('CBG falls back to shortest ping when its discs share no point', () => {
    const e = cbg([
      { landmark: { id: 'a', lat: 0, lon: 0 }, rttMs: 1 },
      { landmark: { id: 'b', lat: 0, lon: 90 }, rttMs: 2 },
    ])!;
    expect([e.lat, e.lon]).toEqual([0, 0]);
  });

  it('CBG lands inside the intersection of its discs', () => {
    const obs = [
      { landmark: { id: 'a', lat: 0, lon: 0 }, rttMs: 20 },
      { landmark: { id: 'b', lat: 0, lon: 10 }, rttMs: 20 },
    ];
    const e = cbg(obs)!;
    // Symmetric discs: the centroid lies on the bisector, between the two centres.
    expect(e.lat).toBeCloseTo(0, 6);
    expect(e.lon).toBeCloseTo(5, 3);
    for (const o of obs) expect(distanceKm(e, o.landmark)).toBeLessThanOrEqual((o.rttMs / 2) * (2 / 3) * C);
  });
});

describe('property: the estimate respects every vacuum bound', () => {
  const point = fc.record({
    lat: fc.double({ min: -89.9, max: 89.9, noNaN: true }),
    lon: fc.double({ min: -180, max: 180, noNaN: true }),
  });
  // Landmarks anywhere on Earth or clustered near the chip (where the caps are tight).
  const offset = fc.record({
    near: fc.boolean(),
    dLat: fc.double({ min: -3, max: 3, noNaN: true }),
    dLon: fc.double({ min: -3, max: 3, noNaN: true }),
    far: point,
    inflation: fc.oneof(fc.constant(1), fc.double({ min: 1, max: 5, noNaN: true })),
    overheadMs: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 20, noNaN: true })),
  });

  it('holds for physically possible RTTs (1000 runs)', () => {
    fc.assert(
      fc.property(point, fc.array(offset, { minLength: 1, maxLength: 16 }), (truth, specs) => {
        const obs: RttObservation[] = specs.map((s, i) => {
          const l = s.near
            ? {
                id: `L${i}`,
                lat: Math.max(-90, Math.min(90, truth.lat + s.dLat)),
                lon: ((truth.lon + s.dLon + 540) % 360) - 180,
              }
            : { id: `L${i}`, ...s.far };
          // No faster than light: the true point lies in every cap.
          const rttMs = ((2 * distanceKm(l, truth)) / C) * s.inflation + s.overheadMs;
          return { landmark: l, rttMs };
        });
        const e = estimatePosition(obs);
        return e !== null && withinVacuumBounds(e, obs) && Number.isFinite(e.radiusKm) && e.radiusKm >= 0;
      }),
      { numRuns: 1000, seed: 20240601 },
    );
  });
});
