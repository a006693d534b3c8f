// The feasible region of a chip, as cells to draw: where every landmark's disc allows the chip to
// be. The verdict core decides verdicts with its own search (src/geo/feasible.ts), which asks only
// yes/no questions; this one lists the cells, with the same caps (the same widening for the
// sphere's error) so the drawing shows what the verdict rested on. Pure, no DOM.

import { type BoundName, PROPAGATION_BOUNDS } from '../../../src/geo/bounds.js';
import { type Cap, capBoxes, makeCap } from '../../../src/geo/feasible.js';
import { angleBetween, EARTH_RADIUS_KM, SPHERE_DISTANCE_SLACK, toVec3 } from '../../../src/geo/sphere.js';

export interface Disc {
  readonly landmarkId: string;
  readonly lat: number;
  readonly lon: number;
  readonly rttMs: number;
  /** RTT/2 × the bound's speed. */
  readonly radiusKm: number;
}

export interface Cell {
  readonly south: number;
  readonly north: number;
  readonly west: number;
  readonly east: number;
  /** True when every point of the cell is feasible; false for cells on the region's edge (partly feasible). */
  readonly full: boolean;
}

export interface FeasibleRegion {
  readonly cells: readonly Cell[];
  /** True when the discs provably share no point (the evidence contradicts physics). */
  readonly empty: boolean;
  /** The cell budget ran out: the drawing is coarser than asked. */
  readonly truncated: boolean;
  /** Every disc covers the whole Earth: nothing to draw, the chip may be anywhere. */
  readonly everywhere: boolean;
}

const DEG = Math.PI / 180;

export function discFor(
  landmark: { id: string; lat: number; lon: number },
  rttMs: number,
  bound: BoundName,
): Disc {
  return {
    landmarkId: landmark.id,
    lat: landmark.lat,
    lon: landmark.lon,
    rttMs,
    radiusKm: (rttMs / 2) * PROPAGATION_BOUNDS[bound].kmPerMs,
  };
}

/** The verdict core's cap for a disc: radius widened by the sphere's worst error (src/geo/verdict.ts). */
export function capOf(d: Disc): Cap {
  return makeCap(d.lat, d.lon, (d.radiusKm * (1 + SPHERE_DISTANCE_SLACK)) / EARTH_RADIUS_KM + 1e-9);
}

function circumradius(c: Omit<Cell, 'full'>): number {
  const lat = (c.south + c.north) / 2;
  const lon = (c.west + c.east) / 2;
  const centre = toVec3({ lat, lon });
  return Math.max(
    ...[c.south, c.north].flatMap((la) =>
      [c.west, c.east].map((lo) => angleBetween(centre, toVec3({ lat: la, lon: lo }))),
    ),
  );
}

/**
 * Cells covering the intersection of the discs, refined until they are about 1/`detail` of the
 * smallest disc's radius, with at most `maxCells` cells examined.
 */
export function feasibleCells(discs: readonly Disc[], detail = 48, maxCells = 60_000): FeasibleRegion {
  const caps = discs.map(capOf).filter((c) => c.angle < Math.PI);
  if (caps.length === 0) return { cells: [], empty: false, truncated: false, everywhere: true };
  const smallest = caps.reduce((a, b) => (b.angle < a.angle ? b : a));
  const minAngle = Math.max(smallest.angle / detail, 1e-7);
  const queue: Omit<Cell, 'full'>[] = capBoxes(smallest).flatMap((b) => split(b, 10));
  const out: Cell[] = [];
  let visited = 0;
  let truncated = false;
  for (let i = 0; i < queue.length; i++) {
    const cell = queue[i];
    if (++visited > maxCells) {
      truncated = true;
      break;
    }
    const centre = toVec3({ lat: (cell.south + cell.north) / 2, lon: (cell.west + cell.east) / 2 });
    const rho = circumradius(cell);
    let excluded = false;
    let full = true;
    for (const cap of caps) {
      const d = angleBetween(centre, cap.center);
      if (d > cap.angle + rho) {
        excluded = true;
        break;
      }
      if (d + rho > cap.angle) full = false;
    }
    if (excluded) continue;
    if (full) out.push({ ...cell, full: true });
    // An edge cell too small to split is kept whole: the drawing may overstate the region by a
    // cell's width, never understate where the chip can be.
    else if (rho <= minAngle) out.push({ ...cell, full: false });
    else queue.push(...split(cell, 2));
  }
  // Cells still queued when the budget ran out are kept whole: drawn too large rather than missing.
  if (truncated) for (let i = visited - 1; i < queue.length; i++) out.push({ ...queue[i], full: false });
  return { cells: out, empty: out.length === 0 && !truncated, truncated, everywhere: false };
}

function split(c: Omit<Cell, 'full'>, n: number): Omit<Cell, 'full'>[] {
  const out: Omit<Cell, 'full'>[] = [];
  const dLat = (c.north - c.south) / n;
  const dLon = (c.east - c.west) / n;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++)
      out.push({
        south: c.south + i * dLat,
        north: c.south + (i + 1) * dLat,
        west: c.west + j * dLon,
        east: c.west + (j + 1) * dLon,
      });
  return out;
}

/**
 * The cells as one GeoJSON MultiPolygon for d3-geo. Edges follow parallels and meridians, so long
 * edges get intermediate points (d3 joins points by great circles); rings run clockwise, d3's
 * orientation for a polygon's interior.
 */
export function cellsToMultiPolygon(cells: readonly Cell[]): {
  type: 'MultiPolygon';
  coordinates: [number, number][][][];
} {
  const ring = (c: Omit<Cell, 'full'>): [number, number][] => {
    const steps = Math.max(1, Math.ceil(Math.max(c.east - c.west, c.north - c.south) / 2));
    const pts: [number, number][] = [];
    const edge = (a: [number, number], b: [number, number]) => {
      for (let k = 0; k < steps; k++)
        pts.push([a[0] + ((b[0] - a[0]) * k) / steps, a[1] + ((b[1] - a[1]) * k) / steps]);
    };
    edge([c.west, c.south], [c.west, c.north]);
    edge([c.west, c.north], [c.east, c.north]);
    edge([c.east, c.north], [c.east, c.south]);
    edge([c.east, c.south], [c.west, c.south]);
    pts.push([c.west, c.south]);
    return pts;
  };
  return { type: 'MultiPolygon', coordinates: cells.map((c) => [ring(c)]) };
}

/** Degrees of arc for a radius in km (d3's geoCircle takes degrees). */
export function kmToDegrees(km: number): number {
  return km / EARTH_RADIUS_KM / DEG;
}
