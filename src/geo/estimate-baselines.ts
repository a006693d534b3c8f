// The two classic estimates the benchmark measures ours against, computed on the same input.
//
// - Shortest Ping: the chip is where its lowest-RTT landmark is (the usual floor of comparison in
//   geolocation studies, e.g. Katz-Bassett et al. 2006, "Towards IP geolocation using delay and
//   topology measurements", IMC).
// - CBG, Constraint-Based Geolocation (Gueye et al. 2006, IEEE/ACM ToN 14(6)): each landmark bounds
//   the distance by RTT/2 × speed (2/3 c, light in fibre, by default) or, calibrated, by its
//   bestline (r − b)/m; the estimate is the centroid of the intersection of those discs. CBG takes
//   the centroid of the intersection polygon; we trace the region's boundary along 64 rays from a
//   point inside it (exact exit points of every disc along each ray) and take that polygon's
//   centroid in an azimuthal-equidistant frame, recentred once. When the discs share no point,
//   it falls back to Shortest Ping.

import type { Calibration } from './calibration.js';
import {
  type CapSet,
  capExtents,
  makeCapSet,
  nearestPointInCaps,
  tangentFrame,
  type V3,
  vacuumAngle,
} from './cap-geometry.js';
import type { Estimate, RttObservation } from './estimate.js';
import { EARTH_RADIUS_KM } from './sphere.js';

/** CBG's default speed: 2/3 c, in km per ms of one-way time. */
export const CBG_KM_PER_MS = (2 / 3) * 299.792458;

const RAYS = 64;

interface Obs {
  readonly id: string;
  readonly lat: number;
  readonly lon: number;
  readonly rttMs: number;
}

function valid(obs: readonly RttObservation[]): Obs[] {
  const best = new Map<string, Obs>();
  for (const o of obs) {
    const l = o.landmark;
    if (!Number.isFinite(o.rttMs) || o.rttMs < 0 || !Number.isFinite(l.lat) || !Number.isFinite(l.lon))
      continue;
    const prev = best.get(l.id);
    if (prev === undefined || o.rttMs < prev.rttMs)
      best.set(l.id, { id: l.id, lat: l.lat, lon: l.lon, rttMs: o.rttMs });
  }
  return [...best.values()];
}

/**
 * The lowest-RTT landmark's position; with a calibration, the landmark with the lowest RTT once
 * its fitted overhead is taken off. Its radius is that landmark's vacuum bound.
 */
export function shortestPing(obs: readonly RttObservation[], calibration?: Calibration): Estimate | null {
  const list = valid(obs);
  if (list.length === 0) return null;
  const key = (o: Obs) => {
    const over = calibration?.landmarks.get(o.id)?.overheadMs ?? 0;
    return Math.max(o.rttMs - over, 0.1 * o.rttMs);
  };
  let best = list[0];
  for (const o of list) if (key(o) < key(best) || (key(o) === key(best) && o.rttMs < best.rttMs)) best = o;
  return Object.freeze({ lat: best.lat, lon: best.lon, radiusKm: vacuumAngle(best.rttMs) * EARTH_RADIUS_KM });
}

/**
 * CBG: centroid of the intersection of one disc per landmark. `kmPerMs` is the one-way speed for
 * landmarks without a calibrated bestline. The radius is how far the region reaches from the
 * centroid. Falls back to Shortest Ping when the discs share no point.
 */
export function cbg(
  obs: readonly RttObservation[],
  kmPerMs: number = CBG_KM_PER_MS,
  calibration?: Calibration,
): Estimate | null {
  const list = valid(obs);
  if (list.length === 0) return null;
  const radiiKm = list.map((o) => {
    const line = calibration?.landmarks.get(o.id)?.bestline;
    if (line !== undefined && line !== null) return Math.max(0, (o.rttMs - line.interceptMs) / line.msPerKm);
    return (o.rttMs / 2) * kmPerMs;
  });
  const caps = makeCapSet(
    list,
    radiiKm.map((r) => r / EARTH_RADIUS_KM),
  );
  let smallest = 0;
  for (let i = 1; i < caps.n; i++) if (caps.angle[i] < caps.angle[smallest]) smallest = i;
  let p = nearestPointInCaps(caps, [caps.x[smallest], caps.y[smallest], caps.z[smallest]]);
  if (p === null) return shortestPing(obs, calibration);
  let reach = 0;
  for (let round = 0; round < 2; round++) {
    const traced = centroid(caps, p);
    p = traced.centroid;
    reach = traced.reach;
  }
  const lat = (Math.asin(Math.max(-1, Math.min(1, p[2]))) * 180) / Math.PI;
  const lon = (Math.atan2(p[1], p[0]) * 180) / Math.PI;
  return Object.freeze({ lat, lon, radiusKm: reach * EARTH_RADIUS_KM });
}

/** Centroid of the region traced from p, and the region's reach from that centroid (radians). */
function centroid(caps: CapSet, p: V3): { centroid: V3; reach: number } {
  const s = capExtents(caps, p, RAYS);
  // Polygon in the azimuthal-equidistant plane at p: bearing θ_k (from north), distance s_k.
  let a2 = 0;
  let cx = 0;
  let cy = 0;
  for (let k = 0; k < RAYS; k++) {
    const t0 = (2 * Math.PI * k) / RAYS;
    const t1 = (2 * Math.PI * (k + 1)) / RAYS;
    const x0 = s[k] * Math.sin(t0);
    const y0 = s[k] * Math.cos(t0);
    const x1 = s[(k + 1) % RAYS] * Math.sin(t1);
    const y1 = s[(k + 1) % RAYS] * Math.cos(t1);
    const cr = x0 * y1 - x1 * y0;
    a2 += cr;
    cx += (x0 + x1) * cr;
    cy += (y0 + y1) * cr;
  }
  let q: V3 = p;
  if (Math.abs(a2) > 1e-18) {
    const gx = cx / (3 * a2);
    const gy = cy / (3 * a2);
    const dist = Math.hypot(gx, gy);
    const th = Math.atan2(gx, gy);
    const [ex, ey, ez, nx, ny, nz] = tangentFrame(p);
    const tx = Math.cos(th) * nx + Math.sin(th) * ex;
    const ty = Math.cos(th) * ny + Math.sin(th) * ey;
    const tz = Math.cos(th) * nz + Math.sin(th) * ez;
    const cand: V3 = [
      Math.cos(dist) * p[0] + Math.sin(dist) * tx,
      Math.cos(dist) * p[1] + Math.sin(dist) * ty,
      Math.cos(dist) * p[2] + Math.sin(dist) * tz,
    ];
    // The projection bends large regions; keep the centroid inside them.
    q = nearestPointInCaps(caps, cand) ?? p;
  }
  const out = capExtents(caps, q, RAYS);
  let reach = 0;
  for (const x of out) reach = Math.max(reach, x);
  return { centroid: q, reach: reach / Math.cos(Math.PI / RAYS) };
}
