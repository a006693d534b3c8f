// The geometry of vacuum caps: each landmark's minimum RTT r bounds the chip to a cap of angle
// r/2 × c around it (physics, see bounds.ts), and the chip lies in the intersection of all of them.
// The estimate (estimate.ts) and the CBG baseline (estimate-baselines.ts) both work on that
// intersection: whether a point is in it, which landmarks agree, its nearest point to a guess and
// how far it reaches. Landmarks are kept as flat arrays of unit vectors for speed.
//
// Pure: no clock, files, network or randomness.

import { rttToMaxDistanceKm } from './bounds.js';
import { angleBetween, kmToAngle, normalize, toVec3, type Vec3 } from './sphere.js';

/** Angular tolerance of "inside a cap" (~6 mm), so rounding cannot reject a boundary point. */
export const CAP_EPS = 1e-9;

/** Clamps a cosine that rounding pushed past ±1. */
export const clampUnit = (x: number) => Math.min(1, Math.max(-1, x));

/** Vacuum cap angle in radians for an RTT (bounds.ts: r/2 × c). */
export function vacuumAngle(rttMs: number): number {
  return kmToAngle(rttToMaxDistanceKm(rttMs, 'vacuum'));
}

/** Landmarks with their unit vectors and vacuum caps (cap angle, its cosine), flat for speed. */
export interface CapSet {
  readonly n: number;
  readonly x: Float64Array;
  readonly y: Float64Array;
  readonly z: Float64Array;
  readonly angle: Float64Array;
  readonly cos: Float64Array;
  readonly sin: Float64Array;
}

export function makeCapSet(
  points: readonly { lat: number; lon: number }[],
  anglesRad: readonly number[],
): CapSet {
  const n = points.length;
  const s = {
    n,
    x: new Float64Array(n),
    y: new Float64Array(n),
    z: new Float64Array(n),
    angle: new Float64Array(n),
    cos: new Float64Array(n),
    sin: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    const v = toVec3(points[i]);
    s.x[i] = v.x;
    s.y[i] = v.y;
    s.z[i] = v.z;
    const a = Math.min(Math.PI, Math.max(0, anglesRad[i]));
    s.angle[i] = a;
    s.cos[i] = Math.cos(a);
    s.sin[i] = Math.sin(a);
  }
  return s;
}

/** Whether p lies in every cap, to within eps radians (exact angles: acos loses digits near 0). */
export function inAllCaps(caps: CapSet, px: number, py: number, pz: number, eps: number): boolean {
  for (let i = 0; i < caps.n; i++) {
    const d = px * caps.x[i] + py * caps.y[i] + pz * caps.z[i];
    if (d >= caps.cos[i]) continue;
    const cx = py * caps.z[i] - pz * caps.y[i];
    const cy = pz * caps.x[i] - px * caps.z[i];
    const cz = px * caps.y[i] - py * caps.x[i];
    if (Math.atan2(Math.hypot(cx, cy, cz), d) > caps.angle[i] + eps) return false;
  }
  return true;
}

/**
 * Indices of landmarks to keep so that no two vacuum caps are disjoint: while some pair is, drop
 * the landmark in most such pairs (the higher RTT on a tie). Disjoint caps mean a wrong position
 * or a lying landmark; the verdict reports them as `inconsistent`, the estimate goes on without.
 */
export function consistentLandmarks(caps: CapSet): number[] {
  // The conflict graph once (O(n²)); dropping a landmark only removes its edges.
  const conflicts: number[][] = Array.from({ length: caps.n }, () => []);
  for (let i = 0; i < caps.n; i++) {
    for (let j = i + 1; j < caps.n; j++) {
      if (caps.angle[i] + caps.angle[j] >= Math.PI) continue;
      // Disjoint when the centres are farther apart than the two radii: cos(αi + αj) > centres' dot.
      const cosSum = caps.cos[i] * caps.cos[j] - caps.sin[i] * caps.sin[j];
      const d = caps.x[i] * caps.x[j] + caps.y[i] * caps.y[j] + caps.z[i] * caps.z[j];
      if (d < cosSum - 1e-12) {
        conflicts[i].push(j);
        conflicts[j].push(i);
      }
    }
  }
  const count = Int32Array.from(conflicts, (c) => c.length);
  const alive = new Uint8Array(caps.n).fill(1);
  for (;;) {
    let worst = -1;
    for (let i = 0; i < caps.n; i++) {
      if (
        alive[i] &&
        count[i] > 0 &&
        (worst < 0 ||
          count[i] > count[worst] ||
          (count[i] === count[worst] && caps.angle[i] > caps.angle[worst]))
      )
        worst = i;
    }
    if (worst < 0) break;
    alive[worst] = 0;
    for (const j of conflicts[worst]) if (alive[j]) count[j]--;
  }
  const keep: number[] = [];
  for (let i = 0; i < caps.n; i++) if (alive[i]) keep.push(i);
  return keep;
}

export function subsetCaps(caps: CapSet, keep: readonly number[]): CapSet {
  const pick = (a: Float64Array) => Float64Array.from(keep, (i) => a[i]);
  return {
    n: keep.length,
    x: pick(caps.x),
    y: pick(caps.y),
    z: pick(caps.z),
    angle: pick(caps.angle),
    cos: pick(caps.cos),
    sin: pick(caps.sin),
  };
}

export type V3 = [number, number, number];

/** The small vector helpers: sphere.ts works on Vec3, the cap geometry on V3 tuples. */
const fromV3 = (v: V3): Vec3 => ({ x: v[0], y: v[1], z: v[2] });
const normV3 = (v: V3): V3 => {
  const n = normalize(fromV3(v));
  return [n.x, n.y, n.z];
};
const angle3 = (a: V3, b: V3) => angleBetween(fromV3(a), fromV3(b));

/** The point of cap i's boundary nearest to p (p outside it), moved `shrink` radians inward. */
function projectOntoCap(caps: CapSet, i: number, p: V3, shrink: number): V3 {
  const cx = caps.x[i];
  const cy = caps.y[i];
  const cz = caps.z[i];
  const d = p[0] * cx + p[1] * cy + p[2] * cz;
  let ux = p[0] - d * cx;
  let uy = p[1] - d * cy;
  let uz = p[2] - d * cz;
  let un = Math.hypot(ux, uy, uz);
  if (un < 1e-15) {
    // p is the centre or its antipode: every boundary point is equally near; take any.
    [ux, uy, uz] = tangentFrame([cx, cy, cz]);
    un = 1;
  }
  ux /= un;
  uy /= un;
  uz /= un;
  const a = Math.max(0, caps.angle[i] - shrink);
  const c = Math.cos(a);
  const s = Math.sin(a);
  return [c * cx + s * ux, c * cy + s * uy, c * cz + s * uz];
}

/** The two points where the boundaries of caps i and j cross (none when they do not). */
function boundaryCrossings(caps: CapSet, i: number, j: number): V3[] {
  const d = caps.x[i] * caps.x[j] + caps.y[i] * caps.y[j] + caps.z[i] * caps.z[j];
  const det = 1 - d * d;
  if (det < 1e-15) return [];
  const ci = caps.cos[i];
  const cj = caps.cos[j];
  const a = (ci - d * cj) / det;
  const b = (cj - d * ci) / det;
  const bx = a * caps.x[i] + b * caps.x[j];
  const by = a * caps.y[i] + b * caps.y[j];
  const bz = a * caps.z[i] + b * caps.z[j];
  let t2 = 1 - (bx * bx + by * by + bz * bz);
  // Tangent circles meet in one point; rounding may make t² slightly negative.
  if (t2 < 0) {
    if (t2 < -1e-12) return [];
    t2 = 0;
  }
  const nx = caps.y[i] * caps.z[j] - caps.z[i] * caps.y[j];
  const ny = caps.z[i] * caps.x[j] - caps.x[i] * caps.z[j];
  const nz = caps.x[i] * caps.y[j] - caps.y[i] * caps.x[j];
  const t = Math.sqrt(t2 / (nx * nx + ny * ny + nz * nz));
  return [
    [bx + t * nx, by + t * ny, bz + t * nz],
    [bx - t * nx, by - t * ny, bz - t * nz],
  ];
}

/**
 * A point of every cap, near p: p itself when it is one; else alternating projections (POCS),
 * and if they stall in a thin region, the nearest of the candidates the geometry allows (the
 * projection onto one boundary or a crossing of two: the nearest point of an intersection of caps
 * is one of these). Null when no candidate lies in all caps (the caps share no point).
 */
export function nearestPointInCaps(caps: CapSet, p: V3): V3 | null {
  let q = normV3(p);
  if (inAllCaps(caps, q[0], q[1], q[2], CAP_EPS)) return q;
  for (let sweep = 0; sweep < 50; sweep++) {
    let moved = false;
    for (let i = 0; i < caps.n; i++) {
      const d = q[0] * caps.x[i] + q[1] * caps.y[i] + q[2] * caps.z[i];
      if (d >= caps.cos[i]) continue;
      // Aim a hair inside so that the next cap's projection is less likely to undo this one.
      q = normV3(projectOntoCap(caps, i, q, Math.min(caps.angle[i] / 2, 1e-7)));
      moved = true;
    }
    if (inAllCaps(caps, q[0], q[1], q[2], CAP_EPS)) return q;
    if (!moved) break;
  }
  // Candidates among the smallest caps (they bound the region) and those still violated.
  const order = Array.from({ length: caps.n }, (_, i) => i).sort((a, b) => caps.angle[a] - caps.angle[b]);
  const active = new Set(order.slice(0, 40));
  for (let i = 0; i < caps.n; i++) {
    if (q[0] * caps.x[i] + q[1] * caps.y[i] + q[2] * caps.z[i] < caps.cos[i]) active.add(i);
  }
  const list = [...active];
  const target = normV3(p);
  let best: V3 | null = null;
  let bestAngle = Number.POSITIVE_INFINITY;
  const consider = (c: V3) => {
    const a = angle3(c, target);
    if (a < bestAngle && inAllCaps(caps, c[0], c[1], c[2], CAP_EPS)) {
      best = c;
      bestAngle = a;
    }
  };
  for (const i of list) consider(projectOntoCap(caps, i, target, 0));
  for (let a = 0; a < list.length; a++) {
    for (let b = a + 1; b < list.length; b++)
      for (const c of boundaryCrossings(caps, list[a], list[b])) consider(c);
  }
  return best;
}

/**
 * How far the intersection of the caps reaches from p (a point of it), in radians: the largest
 * exit distance over `rays` bearings. Along the great circle from p with unit tangent t, the
 * point at arc s has p·c cos s + t·c sin s = R cos(s − φ) with the cap centre c; it leaves a cap of
 * angle α at s = φ + acos(cos α / R).
 */
export function capExtents(caps: CapSet, p: V3, rays: number): Float64Array {
  const [ex, ey, ez, nx, ny, nz] = tangentFrame(p);
  const out = new Float64Array(rays);
  // The region lies within α_i + |p c_i| of p for every cap i; a cap whose boundary stays beyond
  // that distance from p cuts no ray before the tightest one does, so only the others are traced.
  const centre = new Float64Array(caps.n);
  let bound = Math.PI;
  for (let i = 0; i < caps.n; i++) {
    const d = p[0] * caps.x[i] + p[1] * caps.y[i] + p[2] * caps.z[i];
    centre[i] = Math.acos(clampUnit(d));
    bound = Math.min(bound, caps.angle[i] + centre[i]);
  }
  const live: number[] = [];
  for (let i = 0; i < caps.n; i++) if (caps.angle[i] - centre[i] < bound + 1e-12) live.push(i);
  // Per cap: p·c, n·c and e·c, so a ray's t·c = cos θ (n·c) + sin θ (e·c).
  const pc = Float64Array.from(live, (i) => p[0] * caps.x[i] + p[1] * caps.y[i] + p[2] * caps.z[i]);
  const nc = Float64Array.from(live, (i) => nx * caps.x[i] + ny * caps.y[i] + nz * caps.z[i]);
  const ec = Float64Array.from(live, (i) => ex * caps.x[i] + ey * caps.y[i] + ez * caps.z[i]);
  const cc = Float64Array.from(live, (i) => caps.cos[i]);
  for (let k = 0; k < rays; k++) {
    const th = (2 * Math.PI * k) / rays;
    const ct = Math.cos(th);
    const st = Math.sin(th);
    let s = Math.PI;
    for (let j = 0; j < live.length; j++) {
      const a = pc[j];
      const b = ct * nc[j] + st * ec[j];
      const r = Math.sqrt(a * a + b * b);
      if (cc[j] <= 0 && r <= -cc[j]) continue; // the whole great circle is inside
      if (r < 1e-15) continue;
      const q = cc[j] / r;
      const exit = Math.atan2(b, a) + Math.acos(clampUnit(q));
      if (exit < s) s = Math.max(0, exit);
    }
    out[k] = s;
  }
  return out;
}

/** East and north unit vectors at p (any orthonormal pair at the poles), flattened. */
export function tangentFrame(p: V3): [number, number, number, number, number, number] {
  let ex = -p[1];
  let ey = p[0];
  let ez = 0;
  let n = Math.hypot(ex, ey);
  if (n < 1e-12) {
    ex = 1;
    ey = 0;
    n = 1;
  }
  ex /= n;
  ey /= n;
  ez /= n;
  return [ex, ey, ez, p[1] * ez - p[2] * ey, p[2] * ex - p[0] * ez, p[0] * ey - p[1] * ex];
}
