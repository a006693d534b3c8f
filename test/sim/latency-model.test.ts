import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { destination, distanceKm } from '../../src/geo/sphere.js';
import { DATACENTRE_CITIES } from '../../src/sim/datacentre-cities.js';
import {
  jitterQuantileMs,
  LATENCY_MODEL,
  linkKind,
  minRttOverKMs,
  normalQuantile,
  rttMs,
  rttQuantileMs,
  samplePath,
  typicalRttMs,
  vacuumFloorMs,
} from '../../src/sim/latency-model.js';
import { seededRandom } from '../../src/sim/random.js';

const city = (name: string) => DATACENTRE_CITIES.find((c) => c.name === name)!;
const site = fc.record({
  lat: fc.double({ min: -85, max: 85, noNaN: true }),
  lon: fc.double({ min: -180, max: 180, noNaN: true }),
});
const link = fc.constantFrom('auto' as const, 'internet' as const, 'direct' as const);

describe('latency model', () => {
  it('never delivers faster than light in vacuum (sampled, least of k, quantiles)', () => {
    fc.assert(
      fc.property(site, site, link, fc.integer({ min: 0, max: 2 ** 31 }), (a, b, l, seed) => {
        const rng = seededRandom(seed);
        const floor = vacuumFloorMs(a, b);
        expect(rttMs(a, b, rng, { link: l })).toBeGreaterThan(floor);
        expect(minRttOverKMs(a, b, 5, rng, { link: l })).toBeGreaterThan(floor);
        for (const q of [0.01, 0.5, 0.99]) expect(rttQuantileMs(a, b, q, { link: l })).toBeGreaterThan(floor);
      }),
      { numRuns: 1000 },
    );
  });

  it('never draws a path shorter than straight fibre', () => {
    const a = city('Singapore');
    const b = city('London');
    const fibre = (2 * distanceKm(a, b)) / 204;
    const rng = seededRandom(1);
    for (let i = 0; i < 10_000; i++) expect(rttMs(a, b, rng)).toBeGreaterThanOrEqual(fibre);
  });

  it('is deterministic for a seed', () => {
    const a = city('Kuala Lumpur');
    const b = city('Tokyo');
    const draw = (seed: number) => {
      const rng = seededRandom(seed);
      return [rttMs(a, b, rng), minRttOverKMs(a, b, 5, rng), rttMs(a, b, rng)];
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
  });

  it('samples internet paths with the fitted median inflation over straight fibre', () => {
    // At 1,000 km the median of RTT / straight-fibre time is the fitted 3.14 plus the overhead's share.
    const a = { lat: 0, lon: 0 };
    const b = destination(a, 90, 1000);
    const fibre = (2 * 1000) / 204;
    const rng = seededRandom(7);
    const paths = Array.from({ length: 20_001 }, () => samplePath(a, b, rng, { link: 'internet' }).inflation);
    paths.sort((x, y) => x - y);
    expect(paths[10_000]).toBeCloseTo(LATENCY_MODEL.internet.medianInflationAt1000Km, 1);
    const typical = typicalRttMs(a, b, { link: 'internet' });
    const expected =
      fibre * LATENCY_MODEL.internet.medianInflationAt1000Km +
      2 * LATENCY_MODEL.internet.overheadMs +
      4 * LATENCY_MODEL.lastMileMs +
      jitterQuantileMs(LATENCY_MODEL.internet.jitterMeanRttMs, 0.5);
    expect(typical).toBeCloseTo(expected, 9);
  });

  it("keeps a typical mesh pair's RTT near twice the straight-fibre time across continents", () => {
    const a = city('Frankfurt');
    const b = city('Ashburn');
    const ratio = typicalRttMs(a, b) / ((2 * distanceKm(a, b)) / 204);
    expect(ratio).toBeGreaterThan(1.7);
    expect(ratio).toBeLessThan(2.4);
  });

  it('takes a direct link within the metro and the Internet beyond', () => {
    const kl = city('Kuala Lumpur');
    expect(linkKind(kl, city('Cyberjaya'))).toBe('direct');
    expect(linkKind(kl, city('Singapore'))).toBe('internet');
    expect(linkKind(kl, kl, 'internet')).toBe('internet');
  });

  it('gives a landmark in the same facility a few hundredths of a millisecond, and one across the Internet about one', () => {
    const sg = city('Singapore');
    const sameFacility = typicalRttMs(sg, sg);
    expect(sameFacility).toBeGreaterThanOrEqual(4 * LATENCY_MODEL.lastMileMs);
    expect(sameFacility).toBeLessThan(0.05);
    const overInternet = typicalRttMs(sg, sg, { link: 'internet' });
    expect(overInternet).toBeGreaterThan(0.9);
    expect(overInternet).toBeLessThan(2);
  });

  it('shrinks jitter with more pings but never below the path', () => {
    const a = city('Kuala Lumpur');
    const b = city('Jakarta');
    // The same seeds draw the same paths; only the number of pings differs.
    const mean = (k: number) => {
      let s = 0;
      for (let i = 0; i < 2000; i++) s += minRttOverKMs(a, b, k, seededRandom(i));
      return s / 2000;
    };
    expect(mean(5)).toBeLessThan(mean(1));
    const path = samplePath(a, b, seededRandom(9));
    expect(minRttOverKMs(a, b, 50, seededRandom(9))).toBeGreaterThanOrEqual(2 * path.oneWayBaseMs);
    expect(() => minRttOverKMs(a, b, 0, seededRandom(1))).toThrow(RangeError);
  });

  it('orders its quantiles', () => {
    const a = city('Dubai');
    const b = city('Mumbai');
    const qs = [0.1, 0.25, 0.5, 0.75, 0.9, 0.99].map((q) => rttQuantileMs(a, b, q));
    for (let i = 1; i < qs.length; i++) expect(qs[i]).toBeGreaterThan(qs[i - 1]);
    expect(qs[2]).toBe(typicalRttMs(a, b));
  });

  it('inverts the normal distribution and the two-leg jitter', () => {
    expect(normalQuantile(0.5)).toBeCloseTo(0, 6);
    expect(normalQuantile(0.9)).toBeCloseTo(1.281552, 5);
    expect(normalQuantile(0.025)).toBeCloseTo(-1.959964, 5);
    // Gamma(2, θ): median 1.67835 θ.
    expect(jitterQuantileMs(2, 0.5)).toBeCloseTo(1.67835, 4);
    expect(jitterQuantileMs(0, 0.9)).toBe(0);
  });
});
