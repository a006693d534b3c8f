// The feasible region — the points every landmark's cap allows — explored by branch and bound over
// latitude/longitude cells. A cell is dropped only when a cap provably excludes all of it, or when
// the place test proves it holds nothing still in question; a cell that can be neither dropped nor
// refined (too small, or the budget is spent) leaves its question "unresolved". So the search can
// be incomplete but never wrong: discretisation only ever pushes a verdict toward `unverified`.

import type { PlaceTest } from './claim.js';
import { angleBetween, EARTH_RADIUS_KM, toVec3, type Vec3 } from './sphere.js';

/** A spherical cap: the points within `angle` radians of `center`. */
export interface Cap {
  readonly center: Vec3;
  readonly lat: number;
  readonly lon: number;
  readonly angle: number;
}

export function makeCap(lat: number, lon: number, angle: number): Cap {
  return Object.freeze({ center: toVec3({ lat, lon }), lat, lon, angle });
}

/** What the search learnt about one question: proven impossible, witnessed, or left open. */
export type Finding = 'none' | 'found' | 'unresolved';

export interface SearchResult {
  /** Does the feasible region have a point? 'none' means the caps provably share no point. */
  readonly feasible: Finding;
  /** Does it meet a possible place inside the claimed region? */
  readonly inside: Finding;
  /** Does it meet a possible place outside the claimed region? */
  readonly outside: Finding;
  readonly cellsVisited: number;
  /** True when the budget ran out before every cell was settled. */
  readonly exhausted: boolean;
  /** A feasible point that may be inside the claim, and one that may be outside it, when found. */
  readonly witnessIn?: { readonly lat: number; readonly lon: number };
  readonly witnessOut?: { readonly lat: number; readonly lon: number };
}

export interface SearchOptions {
  /** Cells evaluated before the search gives up (what is open stays unresolved). */
  readonly maxCells: number;
  /** Cells smaller than this (circumradius, km) are not split further. */
  readonly minCellKm: number;
}

export const DEFAULT_SEARCH: SearchOptions = Object.freeze({ maxCells: 20_000, minCellKm: 0.02 });

/** Angular slack added to every exclusion so rounding can never drop a feasible cell (~6 mm). */
const EPS = 1e-9;
const DEG = Math.PI / 180;
/** Far above the rounding error of a dot product of unit vectors (~1e-16). */
const DOT_MARGIN = 1e-12;

interface Cell {
  readonly south: number;
  readonly north: number;
  readonly west: number;
  readonly east: number;
}

/** The latitude/longitude boxes covering a cap (two when it straddles the antimeridian). */
export function capBoxes(cap: Cap): Cell[] {
  const a = cap.angle / DEG;
  const south = cap.lat - a;
  const north = cap.lat + a;
  if (north >= 90 || south <= -90 || cap.angle >= Math.PI / 2) {
    return [{ south: Math.max(-90, south), north: Math.min(90, north), west: -180, east: 180 }];
  }
  const dLon = Math.asin(Math.min(1, Math.sin(cap.angle) / Math.cos(cap.lat * DEG))) / DEG + 1e-9;
  const west = cap.lon - dLon;
  const east = cap.lon + dLon;
  if (west < -180)
    return [
      { south, north, west: west + 360, east: 180 },
      { south, north, west: -180, east },
    ];
  if (east > 180)
    return [
      { south, north, west, east: 180 },
      { south, north, west: -180, east: east - 360 },
    ];
  return [{ south, north, west, east }];
}

/** Splits a box into pieces no larger than `maxDeg` on a side. */
function tile(box: Cell, maxDeg: number): Cell[] {
  const nLat = Math.max(1, Math.ceil((box.north - box.south) / maxDeg));
  const nLon = Math.max(1, Math.ceil((box.east - box.west) / maxDeg));
  const out: Cell[] = [];
  for (let i = 0; i < nLat; i++) {
    for (let j = 0; j < nLon; j++) {
      out.push({
        south: box.south + ((box.north - box.south) * i) / nLat,
        north: box.south + ((box.north - box.south) * (i + 1)) / nLat,
        west: box.west + ((box.east - box.west) * j) / nLon,
        east: box.west + ((box.east - box.west) * (j + 1)) / nLon,
      });
    }
  }
  return out;
}

/**
 * Explores the intersection of `caps`. With a place test, it also establishes whether that
 * intersection meets possible places inside and outside the claimed region; without one, only
 * whether it is empty.
 */
export function searchFeasible(
  caps: readonly Cap[],
  test: PlaceTest | null,
  opts: SearchOptions,
): SearchResult {
  let feasible: Finding = 'none';
  let inside: Finding = 'none';
  let outside: Finding = 'none';
  if (caps.length === 0)
    return {
      feasible: 'found',
      inside: 'unresolved',
      outside: 'unresolved',
      cellsVisited: 0,
      exhausted: false,
    };
  // The feasible region lies inside the smallest cap, so its boxes are where the search starts.
  const smallest = caps.reduce((a, b) => (b.angle < a.angle ? b : a));
  const cosA = caps.map((c) => Math.cos(c.angle));
  const queue: Cell[] = capBoxes(smallest).flatMap((b) => tile(b, 30));
  // The place test, asked once of the smallest cap's whole disc, may already settle a question for
  // the whole feasible region (it lies in that disc): the usual case of a chip near its landmark,
  // deep inside its country, costs one exact test instead of one per cell of the search.
  let askIn = test !== null;
  let askOut = test !== null;
  if (test !== null && smallest.angle < Math.PI / 2) {
    const disc = test.classify(
      smallest.center,
      smallest.lat,
      smallest.lon,
      (smallest.angle + EPS) * EARTH_RADIUS_KM,
    );
    askIn = disc.mayIn;
    askOut = disc.mayOut;
  }
  const wantIn = () => askIn && inside !== 'found';
  const wantOut = () => askOut && outside !== 'found';
  let visited = 0;
  let exhausted = false;
  let witnessIn: { lat: number; lon: number } | undefined;
  let witnessOut: { lat: number; lon: number } | undefined;
  const done = () => feasible === 'found' && !wantIn() && !wantOut();

  for (let head = 0; head < queue.length; head++) {
    if (visited >= opts.maxCells) {
      exhausted = true;
      break;
    }
    visited++;
    const cell = queue[head];
    const lat = (cell.south + cell.north) / 2;
    const lon = (cell.west + cell.east) / 2;
    const x = toVec3({ lat, lon });
    // Circumradius: the farthest point of a latitude/longitude box from its centre is a corner
    // (distance to a fixed point is monotonic along parallels and along meridians), and the two
    // corners on one parallel are equally far. Haversine keeps full precision for tiny cells.
    const halfLon = ((cell.east - cell.west) / 2) * DEG;
    const sinHalfLon2 = Math.sin(halfLon / 2) ** 2;
    const cosLat = Math.cos(lat * DEG);
    let rho = 0;
    for (const edgeLat of [cell.south, cell.north]) {
      const h = Math.sin(((edgeLat - lat) * DEG) / 2) ** 2 + cosLat * Math.cos(edgeLat * DEG) * sinHalfLon2;
      rho = Math.max(rho, 2 * Math.asin(Math.min(1, Math.sqrt(h))));
    }
    rho += EPS;
    let excluded = false;
    let centreFeasible = true;
    for (let i = 0; i < caps.length; i++) {
      const cap = caps[i];
      const d = x.x * cap.center.x + x.y * cap.center.y + x.z * cap.center.z;
      const reach = cap.angle + rho + EPS;
      // The dot product decides when it is clear by far more than its rounding; near the edge
      // (and always for tiny caps, where cos rounds to 1) the accurate angle decides.
      if (reach < Math.PI) {
        const c = Math.cos(reach);
        if (d < c - DOT_MARGIN || (d < c + DOT_MARGIN && angleBetween(x, cap.center) > reach)) {
          excluded = true;
          break;
        }
      }
      if (centreFeasible) {
        if (d < cosA[i] - DOT_MARGIN) centreFeasible = false;
        else if (d < cosA[i] + DOT_MARGIN) centreFeasible = angleBetween(x, cap.center) <= cap.angle;
      }
    }
    if (excluded) continue;
    if (centreFeasible) {
      feasible = 'found';
      if (test !== null && (wantIn() || wantOut())) {
        const here = test.classify(x, lat, lon, 0);
        if (here.mayIn && wantIn()) {
          inside = 'found';
          witnessIn = { lat, lon };
        }
        if (here.mayOut && wantOut()) {
          outside = 'found';
          witnessOut = { lat, lon };
        }
      }
      if (done()) break;
    }
    let openIn = false;
    let openOut = false;
    if (test !== null && (wantIn() || wantOut())) {
      const cellPlaces = test.classify(x, lat, lon, rho * EARTH_RADIUS_KM);
      openIn = cellPlaces.mayIn && wantIn();
      openOut = cellPlaces.mayOut && wantOut();
    }
    const openFeasible = feasible !== 'found';
    if (!openFeasible && !openIn && !openOut) continue;
    if (rho * EARTH_RADIUS_KM < opts.minCellKm) {
      if (openFeasible) feasible = 'unresolved';
      if (openIn) inside = 'unresolved';
      if (openOut) outside = 'unresolved';
      continue;
    }
    const midLat = lat;
    const midLon = lon;
    queue.push(
      { south: cell.south, north: midLat, west: cell.west, east: midLon },
      { south: cell.south, north: midLat, west: midLon, east: cell.east },
      { south: midLat, north: cell.north, west: cell.west, east: midLon },
      { south: midLat, north: cell.north, west: midLon, east: cell.east },
    );
  }
  if (exhausted) {
    // Whatever was not settled when the budget ran out stays open.
    if (feasible !== 'found') feasible = 'unresolved';
    if (wantIn()) inside = 'unresolved';
    if (wantOut()) outside = 'unresolved';
  }
  return { feasible, inside, outside, cellsVisited: visited, exhausted, witnessIn, witnessOut };
}
