import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Atlas } from '../../src/geo/atlas.js';
import type { BoundName } from '../../src/geo/bounds.js';
import { PROPAGATION_BOUNDS } from '../../src/geo/bounds.js';
import { type Claim, circleTest } from '../../src/geo/claim.js';
import { DEFAULT_SEARCH, makeCap, searchFeasible } from '../../src/geo/feasible.js';
import { destination, distanceKm, EARTH_RADIUS_KM, type LatLon } from '../../src/geo/sphere.js';
import {
  decideVerdict,
  type Landmark,
  type Measurement,
  type VerdictQuestion,
} from '../../src/geo/verdict.js';
import type { WherePolicy } from '../../src/geo/where.js';
import { loadAtlas } from '../../src/io/atlas-file.js';

let atlas: Atlas;
beforeAll(() => {
  atlas = loadAtlas('10m');
});

function ask(
  claim: Claim,
  landmarks: Landmark[],
  measurements: Measurement[],
  over: Partial<VerdictQuestion> = {},
) {
  return decideVerdict(
    { claim, landmarks, measurements, bound: 'vacuum', where: 'territorial', marginKm: 2, ...over },
    { atlas },
  );
}

/** The smallest RTT light in vacuum allows between two points, in ms. */
const lightRtt = (a: LatLon, b: LatLon, bound: BoundName = 'vacuum') =>
  (2 * distanceKm(a, b)) / PROPAGATION_BOUNDS[bound].kmPerMs;

const SG_CENTRE = { id: 'sg', lat: 1.35, lon: 103.82 };

describe('verdict examples', () => {
  it('is unverified without measurements, with no proof radius', () => {
    const v = ask({ country: 'SG' } as never, [SG_CENTRE], []);
    expect(v.verdict).toBe('unverified');
    expect(v.proofRadiusKm).toBeNull();
    expect(v.landmarksUsed).toBe(0);
  });

  it('proves a chip inside Singapore from a landmark 7.5 km away (0.05 ms)', () => {
    const v = ask({ kind: 'country', code: 'SG' }, [SG_CENTRE], [{ landmark: 'sg', rttMs: 0.05 }]);
    expect(v.verdict).toBe('inside');
    expect(v.bound).toBe('vacuum');
    expect(v.where).toBe('territorial');
    expect(v.proofRadiusKm).toBeCloseTo(7.4948, 3);
    expect(v.landmarksUsed).toBe(1);
    expect(v.trustModes).toEqual(['software']);
  });

  it('records the trust modes of the measurements its caps rest on (the smallest RTT per landmark)', () => {
    const v = ask(
      { kind: 'country', code: 'SG' },
      [SG_CENTRE, { id: 'kl', lat: 3.14, lon: 101.69 }],
      [
        { landmark: 'sg', rttMs: 0.5, trustMode: 'software' },
        { landmark: 'sg', rttMs: 0.05, trustMode: 'gpu-session' },
        { landmark: 'kl', rttMs: 9, trustMode: 'gpu-evidence' },
      ],
    );
    expect(v.trustModes).toEqual(['gpu-evidence', 'gpu-session']);
  });

  it('uses the smallest of several RTTs from one landmark', () => {
    const v = ask(
      { kind: 'country', code: 'SG' },
      [SG_CENTRE],
      [
        { landmark: 'sg', rttMs: 3 },
        { landmark: 'sg', rttMs: 0.05 },
        { landmark: 'sg', rttMs: 1 },
      ],
    );
    expect(v.verdict).toBe('inside');
    expect(v.proofRadiusKm).toBeCloseTo(7.4948, 3);
  });

  it('cannot prove Singapore when the cap (45 km) reaches Malaysia and Indonesia', () => {
    const v = ask({ kind: 'country', code: 'SG' }, [SG_CENTRE], [{ landmark: 'sg', rttMs: 0.3 }]);
    expect(v.verdict).toBe('unverified');
  });

  it('a tighter bound proves what the vacuum bound cannot, and says which bound it used', () => {
    const lm = { id: 'sh', lat: 31.23, lon: 121.47 };
    const claim: Claim = { kind: 'country', code: 'CN' };
    expect(ask(claim, [lm], [{ landmark: 'sh', rttMs: 4 }]).verdict).toBe('unverified');
    const fiber = ask(claim, [lm], [{ landmark: 'sh', rttMs: 1.5 }], { bound: 'fiber' });
    expect(fiber.bound).toBe('fiber');
    expect(fiber.proofRadiusKm).toBeCloseTo(153, 0);
    expect(fiber.verdict).toBe('inside');
  });

  it('proves a chip in Berlin outside China', () => {
    const v = ask(
      { kind: 'country', code: 'CN' },
      [{ id: 'ber', lat: 52.52, lon: 13.4 }],
      [{ landmark: 'ber', rttMs: 5 }],
    );
    expect(v.verdict).toBe('outside');
  });

  it('keeps Hong Kong and Taiwan apart from China', () => {
    const hk = { id: 'hk', lat: 22.32, lon: 114.17 };
    expect(ask({ kind: 'country', code: 'CN' }, [hk], [{ landmark: 'hk', rttMs: 0.02 }]).verdict).toBe(
      'outside',
    );
    expect(ask({ kind: 'country', code: 'HK' }, [hk], [{ landmark: 'hk', rttMs: 0.02 }]).verdict).toBe(
      'inside',
    );
    const tpe = { id: 'tpe', lat: 25.03, lon: 121.56 };
    expect(ask({ kind: 'country', code: 'TW' }, [tpe], [{ landmark: 'tpe', rttMs: 0.2 }]).verdict).toBe(
      'inside',
    );
    expect(ask({ kind: 'country', code: 'CN' }, [tpe], [{ landmark: 'tpe', rttMs: 0.2 }]).verdict).toBe(
      'outside',
    );
  });

  it('is unverified when every cap covers the whole Earth', () => {
    const v = ask({ kind: 'country', code: 'SG' }, [SG_CENTRE], [{ landmark: 'sg', rttMs: 400 }]);
    expect(v.verdict).toBe('unverified');
    expect(v.reasons.join(' ')).toMatch(/whole Earth/);
  });
});

describe('when the evidence contradicts physics', () => {
  it('names either landmark of two disjoint caps', () => {
    const v = ask(
      { kind: 'country', code: 'SG' },
      [SG_CENTRE, { id: 'sh', lat: 31.23, lon: 121.47 }],
      [
        { landmark: 'sg', rttMs: 0.3 },
        { landmark: 'sh', rttMs: 1 },
      ],
    );
    expect(v.verdict).toBe('inconsistent');
    expect(v.suspects).toEqual([['sg'], ['sh']]);
  });

  it('detects three caps that meet pairwise but share no point', () => {
    // Landmarks on a triangle of side 100 km; radius 55 km > 50 (pairs meet) but < 57.7
    // (the circumradius, where all three would meet).
    const a = { lat: 10, lon: 10 };
    const b = destination(a, 90, 100);
    const c = destination(a, 30, 100);
    const rtt = (2 * 55) / PROPAGATION_BOUNDS.vacuum.kmPerMs / 1.01;
    const v = ask(
      { kind: 'circle', lat: 10, lon: 10, radiusKm: 500 },
      [
        { id: 'a', ...a },
        { id: 'b', ...b },
        { id: 'c', ...c },
      ],
      ['a', 'b', 'c'].map((landmark) => ({ landmark, rttMs: rtt })),
      { where: 'anywhere' },
    );
    expect(v.verdict).toBe('inconsistent');
    expect(v.suspects).toEqual([['a'], ['b'], ['c']]);
  });

  it('names the one landmark that reports an RTT faster than light', () => {
    const truth = { lat: 50.11, lon: 8.68 }; // Frankfurt
    const honest = [0, 72, 144, 216, 288].map((bearing, i) => ({
      id: `h${i}`,
      ...destination(truth, bearing, 300),
    }));
    const liar = { id: 'liar', ...destination(truth, 45, 800) };
    // Honest caps are tight enough that most of them contradict the liar, so removing any one
    // honest landmark cannot restore consistency; removing the liar does.
    const measurements = honest.map((l) => ({ landmark: l.id, rttMs: lightRtt(truth, l) * 1.1 }));
    measurements.push({ landmark: 'liar', rttMs: lightRtt(truth, liar) * 0.3 });
    const v = ask({ kind: 'country', code: 'DE' }, [...honest, liar], measurements);
    expect(v.verdict).toBe('inconsistent');
    expect(v.suspects).toEqual([['liar']]);
  });
});

describe('the where policy', () => {
  // A landmark on the coast at Bondi, Sydney; a 0.2 ms RTT allows 30 km, well into the Tasman Sea.
  const bondi = { id: 'bondi', lat: -33.891, lon: 151.277 };
  const q = (where: WherePolicy) =>
    ask({ kind: 'country', code: 'AU' }, [bondi], [{ landmark: 'bondi', rttMs: 0.2 }], { where });

  it('territorial: the sea beyond 12 nmi is no place for a data centre, so the chip is in Australia', () => {
    expect(q('territorial').verdict).toBe('inside');
  });

  it('land: only land counts', () => {
    expect(q('land').verdict).toBe('inside');
  });

  it('anywhere: the open sea counts as outside every country', () => {
    const v = q('anywhere');
    expect(v.verdict).toBe('unverified');
    expect(v.where).toBe('anywhere');
  });

  it('a feasible region wholly in the open sea holds no place in any country', () => {
    const mid = { id: 'atl', lat: 0, lon: -30 };
    for (const where of ['territorial', 'land', 'anywhere'] as const) {
      const v = ask({ kind: 'country', code: 'BR' }, [mid], [{ landmark: 'atl', rttMs: 0.5 }], { where });
      expect(v.verdict).toBe('outside');
    }
  });
});

describe('geofences and circles', () => {
  const square = {
    type: 'Polygon' as const,
    coordinates: [
      [
        [103.6, 1.2],
        [104.1, 1.2],
        [104.1, 1.5],
        [103.6, 1.5],
        [103.6, 1.2],
      ],
    ],
  };

  it('proves a chip inside a geofence and outside another', () => {
    const v = ask({ kind: 'geofence', geometry: square }, [SG_CENTRE], [{ landmark: 'sg', rttMs: 0.05 }]);
    expect(v.verdict).toBe('inside');
    const far = { ...square, coordinates: [square.coordinates[0].map(([x, y]) => [x + 2, y])] };
    expect(
      ask({ kind: 'geofence', geometry: far }, [SG_CENTRE], [{ landmark: 'sg', rttMs: 0.05 }]).verdict,
    ).toBe('outside');
  });

  it('a geofence hole excludes what it surrounds', () => {
    const holed = {
      type: 'Polygon' as const,
      coordinates: [
        square.coordinates[0],
        [
          [103.7, 1.3],
          [103.7, 1.4],
          [103.9, 1.4],
          [103.9, 1.3],
          [103.7, 1.3],
        ],
      ],
    };
    expect(
      ask({ kind: 'geofence', geometry: holed }, [SG_CENTRE], [{ landmark: 'sg', rttMs: 0.01 }]).verdict,
    ).toBe('outside');
  });

  it('circles need no map under the anywhere policy', () => {
    const v = decideVerdict(
      {
        claim: { kind: 'circle', lat: 1.35, lon: 103.82, radiusKm: 20 },
        landmarks: [SG_CENTRE],
        measurements: [{ landmark: 'sg', rttMs: 0.05 }],
        bound: 'vacuum',
        where: 'anywhere',
        marginKm: 0,
      },
      {},
    );
    expect(v.verdict).toBe('inside');
  });
});

describe('the search', () => {
  /** A place test over a circle claim that counts how often the search asks it. */
  function countingCircle(lat: number, lon: number, radiusKm: number) {
    const test = circleTest({ kind: 'circle', lat, lon, radiusKm }, undefined, {
      where: 'anywhere',
      marginKm: 0,
    });
    let asked = 0;
    return {
      test: {
        classify: (...a: Parameters<typeof test.classify>) => {
          asked++;
          return test.classify(...a);
        },
      },
      asked: () => asked,
    };
  }

  it('settles a region deep inside the claim with one test of the smallest cap and one of a point', () => {
    const c = countingCircle(1.35, 103.82, 500);
    const r = searchFeasible([makeCap(1.35, 103.82, 20 / EARTH_RADIUS_KM)], c.test, DEFAULT_SEARCH);
    expect(r).toMatchObject({ feasible: 'found', inside: 'found', outside: 'none', exhausted: false });
    expect(c.asked()).toBe(2);
  });

  it('still searches cell by cell when the smallest cap crosses the border', () => {
    const c = countingCircle(1.35, 103.82, 10);
    const r = searchFeasible([makeCap(1.35, 103.82, 20 / EARTH_RADIUS_KM)], c.test, DEFAULT_SEARCH);
    expect(r).toMatchObject({ feasible: 'found', inside: 'found', outside: 'found' });
    expect(c.asked()).toBeGreaterThan(2);
  });

  it('proves outside from the disc alone when the smallest cap is far from the claim', () => {
    const c = countingCircle(1.35, 103.82, 10);
    const r = searchFeasible(
      [makeCap(10, 103.82, 20 / EARTH_RADIUS_KM), makeCap(10.1, 103.82, 30 / EARTH_RADIUS_KM)],
      c.test,
      DEFAULT_SEARCH,
    );
    expect(r).toMatchObject({ feasible: 'found', inside: 'none', outside: 'found' });
  });
});

// ---------------------------------------------------------------------------------------------
// Properties (1000 runs each).

const point = fc.record({
  lat: fc.double({ min: -70, max: 70, noNaN: true }),
  lon: fc.double({ min: -180, max: 179.999, noNaN: true }),
});
const bound = fc.constantFrom<BoundName>('vacuum', 'fiber');
const where = fc.constantFrom<WherePolicy>('territorial', 'land', 'anywhere');

/** Landmarks around a true point with RTTs physics allows: ≥ the light time, plus any delay. */
function honestWorld(
  truth: LatLon,
  spec: { bearing: number; km: number; slow: number; extraMs: number }[],
  b: BoundName,
) {
  const landmarks = spec.map((s, i) => ({ id: `L${i}`, ...destination(truth, s.bearing, s.km) }));
  const measurements = landmarks.map((l, i) => ({
    landmark: l.id,
    rttMs: lightRtt(truth, l, b) * spec[i].slow + spec[i].extraMs,
  }));
  return { landmarks, measurements };
}

const landmarkSpec = fc.record({
  bearing: fc.double({ min: 0, max: 360, noNaN: true }),
  km: fc.double({ min: 0, max: 3000, noNaN: true }),
  slow: fc.double({ min: 1, max: 3, noNaN: true }),
  extraMs: fc.double({ min: 0, max: 2, noNaN: true }),
});

describe('properties of circle claims (exact regions)', () => {
  it('a physically possible chip is never proven outside a region holding it, nor inside one that does not', () => {
    const seen = { inside: 0, outside: 0, unverified: 0, inconsistent: 0 };
    fc.assert(
      fc.property(
        point,
        fc.array(landmarkSpec, { minLength: 1, maxLength: 8 }),
        fc.record({
          bearing: fc.double({ min: 0, max: 360, noNaN: true }),
          km: fc.double({ min: 0, max: 500, noNaN: true }),
        }),
        fc.double({ min: 1, max: 600, noNaN: true }),
        bound,
        (truth, spec, offset, radiusKm, b) => {
          const { landmarks, measurements } = honestWorld(truth, spec, b);
          const centre = destination(truth, offset.bearing, offset.km);
          const v = decideVerdict(
            {
              claim: { kind: 'circle', ...centre, radiusKm },
              landmarks,
              measurements,
              bound: b,
              where: 'anywhere',
              marginKm: 0,
            },
            {},
          );
          const d = distanceKm(truth, centre);
          seen[v.verdict]++;
          if (v.verdict === 'inconsistent') return false;
          if (d < radiusKm - 1e-6 && v.verdict === 'outside') return false;
          if (d > radiusKm + 1e-6 && v.verdict === 'inside') return false;
          return true;
        },
      ),
      { numRuns: 1000 },
    );
    // The property only bites if proofs happen: both kinds must occur often.
    expect(seen.inside).toBeGreaterThan(50);
    expect(seen.outside).toBeGreaterThan(50);
  });

  it('adding a landmark never flips inside to outside or back, whatever the RTTs', () => {
    const lm = fc.record({
      lat: fc.double({ min: -5, max: 5, noNaN: true }),
      lon: fc.double({ min: -5, max: 5, noNaN: true }),
    });
    const rtt = fc.double({ min: 0, max: 10, noNaN: true });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(lm, rtt), { minLength: 1, maxLength: 6 }),
        fc.tuple(lm, rtt),
        fc.double({ min: 10, max: 800, noNaN: true }),
        (base, extra, radiusKm) => {
          const mk = (list: [LatLon, number][]) => ({
            landmarks: list.map(([p], i) => ({ id: `L${i}`, ...p })),
            measurements: list.map(([, r], i) => ({ landmark: `L${i}`, rttMs: r })),
          });
          const claim: Claim = { kind: 'circle', lat: 0, lon: 0, radiusKm };
          const q = (list: [LatLon, number][]) =>
            decideVerdict({ claim, ...mk(list), bound: 'vacuum', where: 'anywhere', marginKm: 0 }, {})
              .verdict;
          const before = q(base);
          const after = q([...base, extra]);
          if (before === 'inside' && after === 'outside') return false;
          if (before === 'outside' && after === 'inside') return false;
          return true;
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('says inconsistent only when no point lies in every cap', () => {
    const lm = fc.record({
      lat: fc.double({ min: -3, max: 3, noNaN: true }),
      lon: fc.double({ min: -3, max: 3, noNaN: true }),
    });
    const rtt = fc.double({ min: 0.1, max: 4, noNaN: true });
    let seen = 0;
    fc.assert(
      fc.property(fc.array(fc.tuple(lm, rtt), { minLength: 2, maxLength: 5 }), (list) => {
        const landmarks = list.map(([p], i) => ({ id: `L${i}`, ...p }));
        const measurements = list.map(([, r], i) => ({ landmark: `L${i}`, rttMs: r }));
        const v = decideVerdict(
          {
            claim: { kind: 'circle', lat: 0, lon: 0, radiusKm: 100 },
            landmarks,
            measurements,
            bound: 'vacuum',
            where: 'anywhere',
            marginKm: 0,
          },
          {},
        );
        if (v.verdict !== 'inconsistent') return true;
        seen++;
        // Brute force: no sample point of the smallest cap may lie in all caps.
        const caps = list.map(([p, r]) => ({ p, km: (r / 2) * PROPAGATION_BOUNDS.vacuum.kmPerMs }));
        const smallest = caps.reduce((a, b) => (b.km < a.km ? b : a));
        for (let ring = 0; ring <= 20; ring++) {
          for (let k = 0; k < 36; k++) {
            const q = destination(smallest.p, k * 10, (smallest.km * ring) / 20);
            if (caps.every((c) => distanceKm(c.p, q) <= c.km)) return false;
          }
        }
        return true;
      }),
      { numRuns: 1000 },
    );
    expect(seen).toBeGreaterThan(20);
  });
});

describe('properties of country claims (the 10m map)', () => {
  // Data-centre metros where borders or coasts are near, so proofs are close calls.
  const metros: LatLon[] = [
    { lat: 1.35, lon: 103.82 }, // Singapore
    { lat: 22.32, lon: 114.17 }, // Hong Kong
    { lat: 22.2, lon: 113.55 }, // Macao
    { lat: 25.2, lon: 55.27 }, // Dubai
    { lat: 50.11, lon: 8.68 }, // Frankfurt
    { lat: 49.61, lon: 6.13 }, // Luxembourg
    { lat: 3.14, lon: 101.69 }, // Kuala Lumpur
    { lat: 31.23, lon: 121.47 }, // Shanghai
  ];
  const near = fc.record({
    metro: fc.constantFrom(...metros),
    bearing: fc.double({ min: 0, max: 360, noNaN: true }),
    km: fc.double({ min: 0, max: 60, noNaN: true }),
  });

  it('a chip on land is never proven outside its country, nor inside another', () => {
    const seen = {
      home: { inside: 0, outside: 0, unverified: 0, inconsistent: 0 },
      other: { inside: 0, outside: 0, unverified: 0, inconsistent: 0 },
    };
    fc.assert(
      fc.property(
        near,
        fc.array(
          fc.record({
            bearing: fc.double({ min: 0, max: 360, noNaN: true }),
            km: fc.double({ min: 0, max: 400, noNaN: true }),
            slow: fc.double({ min: 1, max: 2.5, noNaN: true }),
            extraMs: fc.double({ min: 0, max: 0.5, noNaN: true }),
          }),
          { minLength: 1, maxLength: 5 },
        ),
        bound,
        where,
        fc.double({ min: 0, max: 5, noNaN: true }),
        (n, spec, b, w, marginKm) => {
          const truth = destination(n.metro, n.bearing, n.km);
          const at = atlas.regionsAt(truth.lat, truth.lon);
          fc.pre(at.length === 1 && atlas.regions[at[0]].code !== null);
          const home = atlas.regions[at[0]].code!;
          const { landmarks, measurements } = honestWorld(truth, spec, b);
          const q = (code: string) =>
            ask({ kind: 'country', code }, landmarks, measurements, { bound: b, where: w, marginKm }).verdict;
          const mine = q(home);
          seen.home[mine]++;
          if (mine === 'outside' || mine === 'inconsistent') return false;
          // The neighbour across the nearest border or strait: the close call.
          const neighbour: Record<string, string> = {
            SG: 'MY',
            MY: 'SG',
            ID: 'SG',
            HK: 'CN',
            CN: 'HK',
            MO: 'CN',
            AE: 'OM',
            OM: 'AE',
            DE: 'FR',
            FR: 'DE',
            LU: 'BE',
            BE: 'LU',
          };
          const theirs = q(neighbour[home] ?? 'SG');
          seen.other[theirs]++;
          return theirs !== 'inside';
        },
      ),
      { numRuns: 1000 },
    );
    expect(seen.home.inside).toBeGreaterThan(50);
    expect(seen.other.outside).toBeGreaterThan(50);
  });
});

describe('when records are random (fuzzing the whole decision)', () => {
  it('always decides one of the four verdicts, recording bound, policy and margin', () => {
    const codes = atlas.regions.flatMap((r) => (r.code === null ? [] : [r.code]));
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            lat: fc.double({ min: -90, max: 90, noNaN: true }),
            lon: fc.double({ min: -180, max: 180, noNaN: true }),
            rttMs: fc.double({ min: 0, max: 300, noNaN: true }),
          }),
          { minLength: 0, maxLength: 12 },
        ),
        fc.constantFrom(...codes),
        bound,
        where,
        fc.double({ min: 0, max: 50, noNaN: true }),
        (lms, code, b, w, marginKm) => {
          const landmarks = lms.map((l, i) => ({ id: `L${i}`, lat: l.lat, lon: l.lon }));
          const measurements = lms.map((l, i) => ({ landmark: `L${i}`, rttMs: l.rttMs }));
          const v = ask({ kind: 'country', code }, landmarks, measurements, { bound: b, where: w, marginKm });
          return (
            ['inside', 'outside', 'unverified', 'inconsistent'].includes(v.verdict) &&
            v.bound === b &&
            v.where === w &&
            v.marginKm === marginKm &&
            v.reasons.length > 0
          );
        },
      ),
      { numRuns: 1000 },
    );
  });
});
