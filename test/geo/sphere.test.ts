import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  angleBetween,
  angleToArc,
  destination,
  distanceKm,
  EARTH_RADIUS_KM,
  SPHERE_DISTANCE_SLACK,
  toLatLon,
  toVec3,
} from '../../src/geo/sphere.js';

/** Vincenty's inverse formula on WGS 84 (Vincenty 1975), as an independent ellipsoidal reference. */
function vincentyKm(lat1: number, lon1: number, lat2: number, lon2: number): number | null {
  const a = 6378.137;
  const f = 1 / 298.257223563;
  const b = a * (1 - f);
  const r = Math.PI / 180;
  const L = (lon2 - lon1) * r;
  const U1 = Math.atan((1 - f) * Math.tan(lat1 * r));
  const U2 = Math.atan((1 - f) * Math.tan(lat2 * r));
  const [sU1, cU1, sU2, cU2] = [Math.sin(U1), Math.cos(U1), Math.sin(U2), Math.cos(U2)];
  let lambda = L;
  for (let i = 0; i < 200; i++) {
    const sl = Math.sin(lambda);
    const cl = Math.cos(lambda);
    const sinSigma = Math.hypot(cU2 * sl, cU1 * sU2 - sU1 * cU2 * cl);
    if (sinSigma === 0) return 0;
    const cosSigma = sU1 * sU2 + cU1 * cU2 * cl;
    const sigma = Math.atan2(sinSigma, cosSigma);
    const sinAlpha = (cU1 * cU2 * sl) / sinSigma;
    const cos2Alpha = 1 - sinAlpha * sinAlpha;
    const cos2SigmaM = cos2Alpha === 0 ? 0 : cosSigma - (2 * sU1 * sU2) / cos2Alpha;
    const C = (f / 16) * cos2Alpha * (4 + f * (4 - 3 * cos2Alpha));
    const prev = lambda;
    lambda =
      L +
      (1 - C) *
        f *
        sinAlpha *
        (sigma + C * sinSigma * (cos2SigmaM + C * cosSigma * (-1 + 2 * cos2SigmaM ** 2)));
    if (Math.abs(lambda - prev) < 1e-12) {
      const u2 = (cos2Alpha * (a * a - b * b)) / (b * b);
      const A = 1 + (u2 / 16384) * (4096 + u2 * (-768 + u2 * (320 - 175 * u2)));
      const B = (u2 / 1024) * (256 + u2 * (-128 + u2 * (74 - 47 * u2)));
      const dSigma =
        B *
        sinSigma *
        (cos2SigmaM +
          (B / 4) *
            (cosSigma * (-1 + 2 * cos2SigmaM ** 2) -
              (B / 6) * cos2SigmaM * (-3 + 4 * sinSigma ** 2) * (-3 + 4 * cos2SigmaM ** 2)));
      return b * A * (sigma - dSigma);
    }
  }
  return null; // nearly antipodal: no convergence
}

describe('great-circle distance', () => {
  it('is a quarter circumference from the equator to a pole', () => {
    expect(distanceKm({ lat: 0, lon: 37 }, { lat: 90, lon: 0 })).toBeCloseTo(
      (Math.PI / 2) * EARTH_RADIUS_KM,
      6,
    );
  });

  it('is half the circumference between antipodes', () => {
    expect(distanceKm({ lat: 10, lon: 20 }, { lat: -10, lon: -160 })).toBeCloseTo(
      Math.PI * EARTH_RADIUS_KM,
      6,
    );
  });

  it('is 111.195 km per degree of arc on the mean sphere', () => {
    expect(distanceKm({ lat: 0, lon: 0 }, { lat: 0, lon: 1 })).toBeCloseTo(111.195, 3);
    expect(distanceKm({ lat: 45, lon: 7 }, { lat: 46, lon: 7 })).toBeCloseTo(111.195, 3);
  });

  it('is accurate for nearby points (1 m apart)', () => {
    const kmPerDegree = (Math.PI / 180) * EARTH_RADIUS_KM;
    const d = distanceKm({ lat: 1.3, lon: 103.8 }, { lat: 1.3 + 1e-3 / kmPerDegree, lon: 103.8 });
    expect(d).toBeCloseTo(0.001, 12);
  });

  it('overstates a short north-south distance at the equator by 0.56 %, within the slack', () => {
    const s = distanceKm({ lat: 0, lon: 0 }, { lat: 0.01, lon: 0 });
    const e = vincentyKm(0, 0, 0.01, 0)!;
    expect(s / e).toBeGreaterThan(1.0055);
    expect(s / e).toBeLessThan(1 + SPHERE_DISTANCE_SLACK);
  });

  it('London–Paris agrees with the WGS 84 geodesic within the stated slack', () => {
    const sphere = distanceKm({ lat: 51.5074, lon: -0.1278 }, { lat: 48.8566, lon: 2.3522 });
    const ellipsoid = vincentyKm(51.5074, -0.1278, 48.8566, 2.3522)!;
    expect(sphere).toBeGreaterThan(340);
    expect(sphere).toBeLessThan(346);
    expect(Math.abs(sphere - ellipsoid) / ellipsoid).toBeLessThan(SPHERE_DISTANCE_SLACK);
  });

  it('never differs from the ellipsoidal geodesic by more than SPHERE_DISTANCE_SLACK', () => {
    const lat = fc.double({ min: -89.9, max: 89.9, noNaN: true });
    const lon = fc.double({ min: -180, max: 180, noNaN: true });
    fc.assert(
      fc.property(lat, lon, lat, lon, (a, b, c, d) => {
        const e = vincentyKm(a, b, c, d);
        fc.pre(e !== null && e > 1);
        const s = distanceKm({ lat: a, lon: b }, { lat: c, lon: d });
        // Caps are widened by the slack, so only the sphere's excess over the geodesic matters.
        return s - e! <= SPHERE_DISTANCE_SLACK * e!;
      }),
      { numRuns: 1000 },
    );
  });
});

describe('destination', () => {
  it('round-trips with distance for any bearing', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -80, max: 80, noNaN: true }),
        fc.double({ min: -180, max: 179.99, noNaN: true }),
        fc.double({ min: 0, max: 360, noNaN: true }),
        fc.double({ min: 0, max: 15000, noNaN: true }),
        (lat, lon, bearing, km) => {
          const to = destination({ lat, lon }, bearing, km);
          return Math.abs(distanceKm({ lat, lon }, to) - km) < 1e-6;
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('angle to an arc', () => {
  it('is the distance to the nearer end beyond the arc, the perpendicular within it', () => {
    const a = toVec3({ lat: 0, lon: 0 });
    const b = toVec3({ lat: 0, lon: 10 });
    const above = toVec3({ lat: 1, lon: 5 });
    expect(angleToArc(above, a, b) * EARTH_RADIUS_KM).toBeCloseTo(111.195, 2);
    const beyond = toVec3({ lat: 0, lon: 12 });
    expect(angleToArc(beyond, a, b)).toBeCloseTo(angleBetween(beyond, b), 12);
  });

  it('is never more than the distance to either end point and never negative', () => {
    const p = fc.record({
      lat: fc.double({ min: -89, max: 89, noNaN: true }),
      lon: fc.double({ min: -180, max: 180, noNaN: true }),
    });
    fc.assert(
      fc.property(p, p, p, (x, y, z) => {
        const [vx, vy, vz] = [toVec3(x), toVec3(y), toVec3(z)];
        const d = angleToArc(vx, vy, vz);
        return d >= 0 && d <= angleBetween(vx, vy) + 1e-12 && d <= angleBetween(vx, vz) + 1e-12;
      }),
      { numRuns: 1000 },
    );
  });

  it('converts between latitude/longitude and unit vectors', () => {
    const back = toLatLon(toVec3({ lat: -33.8, lon: 151.2 }));
    expect(back.lat).toBeCloseTo(-33.8, 10);
    expect(back.lon).toBeCloseTo(151.2, 10);
  });
});
