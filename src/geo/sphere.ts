// Geometry on a spherical Earth. Everything here is pure and allocation-light: the verdict search
// calls these functions millions of times.
//
// Why a sphere and not the WGS 84 ellipsoid: it keeps every test a dot product, and its error is
// small and bounded. The mean sphere overstates a short north-south distance at the equator the
// most: R1 / M(0°) = 6371.0088 / 6335.439 = 1.00561 (M: the WGS 84 meridional radius of
// curvature), and understates it at the poles (M(90°) = 6399.59 km). Caps are widened by
// SPHERE_DISTANCE_SLACK so that the sphere can only make a verdict more cautious.

/** IUGG mean Earth radius R1 = (2a + b) / 3, in km (Moritz, Geodetic Reference System 1980). */
export const EARTH_RADIUS_KM = 6371.0088;

/**
 * Bound on the relative excess of a great-circle distance on the mean sphere over the WGS 84
 * geodesic between the same coordinates (worst case 0.561 %, see above; tested against Vincenty).
 */
export const SPHERE_DISTANCE_SLACK = 0.006;

const DEG = Math.PI / 180;

export interface LatLon {
  readonly lat: number;
  readonly lon: number;
}

/** A unit vector in Earth-centred coordinates. */
export interface Vec3 {
  readonly x: number;
  readonly y: number;
  readonly z: number;
}

export function toRadians(deg: number): number {
  return deg * DEG;
}

export function toDegrees(rad: number): number {
  return rad / DEG;
}

export function toVec3(p: LatLon): Vec3 {
  const phi = p.lat * DEG;
  const lambda = p.lon * DEG;
  const c = Math.cos(phi);
  return { x: c * Math.cos(lambda), y: c * Math.sin(lambda), z: Math.sin(phi) };
}

export function toLatLon(v: Vec3): LatLon {
  const n = Math.hypot(v.x, v.y, v.z);
  return { lat: Math.asin(Math.max(-1, Math.min(1, v.z / n))) / DEG, lon: Math.atan2(v.y, v.x) / DEG };
}

export function dot(a: Vec3, b: Vec3): number {
  return a.x * b.x + a.y * b.y + a.z * b.z;
}

export function cross(a: Vec3, b: Vec3): Vec3 {
  return { x: a.y * b.z - a.z * b.y, y: a.z * b.x - a.x * b.z, z: a.x * b.y - a.y * b.x };
}

export function normalize(v: Vec3): Vec3 {
  const n = Math.hypot(v.x, v.y, v.z);
  return { x: v.x / n, y: v.y / n, z: v.z / n };
}

/**
 * Central angle between unit vectors in radians. atan2 of |a×b| and a·b is accurate at every
 * angle, where acos(a·b) loses half its digits for nearby points.
 */
export function angleBetween(a: Vec3, b: Vec3): number {
  const cx = a.y * b.z - a.z * b.y;
  const cy = a.z * b.x - a.x * b.z;
  const cz = a.x * b.y - a.y * b.x;
  return Math.atan2(Math.hypot(cx, cy, cz), a.x * b.x + a.y * b.y + a.z * b.z);
}

/** Great-circle distance in km on the mean sphere. */
export function distanceKm(a: LatLon, b: LatLon): number {
  return angleBetween(toVec3(a), toVec3(b)) * EARTH_RADIUS_KM;
}

export function kmToAngle(km: number): number {
  return km / EARTH_RADIUS_KM;
}

export function angleToKm(rad: number): number {
  return rad * EARTH_RADIUS_KM;
}

/** The point reached from `from` after `km` along the initial bearing (degrees from north). */
export function destination(from: LatLon, bearingDeg: number, km: number): LatLon {
  const d = km / EARTH_RADIUS_KM;
  const phi1 = from.lat * DEG;
  const theta = bearingDeg * DEG;
  const sinPhi2 = Math.sin(phi1) * Math.cos(d) + Math.cos(phi1) * Math.sin(d) * Math.cos(theta);
  const phi2 = Math.asin(Math.max(-1, Math.min(1, sinPhi2)));
  const lambda2 =
    from.lon * DEG +
    Math.atan2(Math.sin(theta) * Math.sin(d) * Math.cos(phi1), Math.cos(d) - Math.sin(phi1) * sinPhi2);
  return { lat: phi2 / DEG, lon: wrapLongitude(lambda2 / DEG) };
}

/** Longitude folded into [-180, 180). */
export function wrapLongitude(lon: number): number {
  const w = (((lon + 180) % 360) + 360) % 360;
  return w - 180;
}

/**
 * Angular distance from point p to the great-circle arc a→b (all unit vectors). The closest point
 * is the projection of p onto the arc's great circle when it falls between a and b, else the
 * nearer end point.
 */
export function angleToArc(p: Vec3, a: Vec3, b: Vec3): number {
  const nx = a.y * b.z - a.z * b.y;
  const ny = a.z * b.x - a.x * b.z;
  const nz = a.x * b.y - a.y * b.x;
  const nn = nx * nx + ny * ny + nz * nz;
  if (nn > 1e-30) {
    // p's projection lies within the arc when it is on the inner side of both end-point planes,
    // i.e. (n × a)·p >= 0 and (b × n)·p >= 0.
    const ax = ny * a.z - nz * a.y;
    const ay = nz * a.x - nx * a.z;
    const az = nx * a.y - ny * a.x;
    const bx = b.y * nz - b.z * ny;
    const by = b.z * nx - b.x * nz;
    const bz = b.x * ny - b.y * nx;
    if (ax * p.x + ay * p.y + az * p.z >= 0 && bx * p.x + by * p.y + bz * p.z >= 0) {
      const s = (nx * p.x + ny * p.y + nz * p.z) / Math.sqrt(nn);
      return Math.abs(Math.asin(Math.max(-1, Math.min(1, s))));
    }
  }
  return Math.min(angleBetween(p, a), angleBetween(p, b));
}
