// A spatial index over boundary segments on a regular latitude/longitude grid. It answers the two
// questions the verdict search asks millions of times: which regions contain a point (ray casting),
// and how far is the nearest boundary segment of some set of regions (a pruned ring search).
//
// Polygons are planar in longitude/latitude, as Natural Earth defines them (edges are straight in
// plate carrée, cut at ±180°), so ray casting runs in degrees; distances treat each segment as a
// great-circle arc, which after densification to DENSIFY_DEG differs from the planar edge by metres.

import { angleToArc, type Vec3 } from './sphere.js';

/** Grid cell owner values other than a region index. */
export const NO_REGION = -1;
const MIXED = -2; // the cell holds boundary segments
const OVERLAP = -3; // no segment, but the cell centre lies in more than one region

/** Segments are split so that none spans more than this in latitude or longitude. */
export const DENSIFY_DEG = 0.1;

export type SegmentFilter =
  | { readonly kind: 'only'; readonly region: number }
  | { readonly kind: 'except'; readonly region: number }
  /** Segments with exactly one owner: coastlines, the boundary of land as a whole. */
  | { readonly kind: 'coast' };

export interface SegmentInput {
  /** Interleaved lon/lat in degrees. */
  readonly coords: Float64Array;
  readonly owners: readonly number[];
}

export class SegmentGrid {
  readonly cellDeg: number;
  readonly cols: number;
  readonly rows: number;
  readonly segmentCount: number;
  private readonly ll: Float64Array; // lon1, lat1, lon2, lat2 per segment
  private readonly xyz: Float64Array; // ax, ay, az, bx, by, bz per segment
  /**
   * Per segment: the unit midpoint of its arc and cos/sin of its half-length (mx, my, mz, cosH,
   * sinH). Every point of an arc lies within its half-length of its midpoint, so the distance to
   * the midpoint minus the half-length is a lower bound on the distance to the arc: one dot
   * product rules out a segment that cannot beat the nearest found so far.
   */
  private readonly mid: Float64Array;
  private readonly owner1: Int32Array;
  private readonly owner2: Int32Array;
  /** 1 for the closing edges along ±180° added for ray casting; they bound nothing. */
  private readonly rayOnly: Uint8Array;
  private readonly cellOwner: Int32Array;
  private readonly cellStart: Int32Array;
  private readonly cellSegs: Int32Array;
  private readonly stamp: Int32Array;
  private stampNow = 0;

  constructor(lines: readonly SegmentInput[], cellDeg: number) {
    this.cellDeg = cellDeg;
    this.cols = Math.round(360 / cellDeg);
    this.rows = Math.round(180 / cellDeg);
    const ll: number[] = [];
    const o1: number[] = [];
    const o2: number[] = [];
    const closing: number[] = [];
    const push = (
      lon1: number,
      lat1: number,
      lon2: number,
      lat2: number,
      owners: readonly number[],
      ray = 0,
    ) => {
      if (lon1 === lon2 && lat1 === lat2) return;
      const pieces = Math.max(
        1,
        Math.ceil(Math.max(Math.abs(lon2 - lon1), Math.abs(lat2 - lat1)) / DENSIFY_DEG),
      );
      // End points are copied, never interpolated, so pieces meet exactly where the map's
      // vertices are and rings stay closed.
      const at = (p: number, base: number, delta: number, end: number) =>
        p === 0 ? base : p === pieces ? end : base + (delta * p) / pieces;
      for (let p = 0; p < pieces; p++) {
        ll.push(
          at(p, lon1, lon2 - lon1, lon2),
          at(p, lat1, lat2 - lat1, lat2),
          at(p + 1, lon1, lon2 - lon1, lon2),
          at(p + 1, lat1, lat2 - lat1, lat2),
        );
        o1.push(owners[0]);
        o2.push(owners.length > 1 ? owners[1] : NO_REGION);
        closing.push(ray);
      }
    };
    // Where each region's boundary crosses the antimeridian (latitudes).
    const crossings = new Map<number, number[]>();
    for (const line of lines) {
      if (line.owners.length === 0) continue;
      const c = line.coords;
      for (let k = 0; k + 3 < c.length; k += 2) {
        const [lon1, lat1, lon2, lat2] = [c[k], c[k + 1], c[k + 2], c[k + 3]];
        if (Math.abs(lon2 - lon1) <= 180) {
          push(lon1, lat1, lon2, lat2, line.owners);
          continue;
        }
        // An edge stitched across ±180° (world-atlas joins polygons there) is the short way
        // round, not a line across the map: cut it at the antimeridian.
        const east = lon1 > lon2; // from near +180 eastward to near -180
        const unwrapped = east ? lon2 + 360 : lon2 - 360;
        const edge = east ? 180 : -180;
        const latX = lat1 + ((edge - lon1) / (unwrapped - lon1)) * (lat2 - lat1);
        push(lon1, lat1, edge, latX, line.owners);
        push(-edge, latX, lon2, lat2, line.owners);
        for (const o of line.owners) crossings.set(o, [...(crossings.get(o) ?? []), latX]);
      }
    }
    // Cut rings are closed along ±180°: between consecutive crossings, alternately inside and
    // outside the region. An odd count means the ring winds around a pole (Antarctica), so the
    // run from the South Pole to the first crossing is inside. These closing edges serve ray
    // casting only: the antimeridian is no border, and distances must not see it.
    for (const [owner, lats] of crossings) {
      lats.sort((a, b) => a - b);
      if (lats.length % 2 === 1) lats.unshift(-90);
      for (let i = 0; i + 1 < lats.length; i += 2) {
        push(180, lats[i], 180, lats[i + 1], [owner], 1);
        push(-180, lats[i], -180, lats[i + 1], [owner], 1);
      }
    }
    this.segmentCount = o1.length;
    this.ll = Float64Array.from(ll);
    this.owner1 = Int32Array.from(o1);
    this.owner2 = Int32Array.from(o2);
    this.rayOnly = Uint8Array.from(closing);
    this.xyz = new Float64Array(this.segmentCount * 6);
    const D = Math.PI / 180;
    for (let s = 0; s < this.segmentCount; s++) {
      for (let e = 0; e < 2; e++) {
        const lon = this.ll[4 * s + 2 * e] * D;
        const lat = this.ll[4 * s + 2 * e + 1] * D;
        this.xyz[6 * s + 3 * e] = Math.cos(lat) * Math.cos(lon);
        this.xyz[6 * s + 3 * e + 1] = Math.cos(lat) * Math.sin(lon);
        this.xyz[6 * s + 3 * e + 2] = Math.sin(lat);
      }
    }
    this.mid = new Float64Array(this.segmentCount * 5);
    for (let s = 0; s < this.segmentCount; s++) {
      const o = 6 * s;
      const mx = this.xyz[o] + this.xyz[o + 3];
      const my = this.xyz[o + 1] + this.xyz[o + 4];
      const mz = this.xyz[o + 2] + this.xyz[o + 5];
      const mn = Math.hypot(mx, my, mz);
      const dx = this.xyz[o] - this.xyz[o + 3];
      const dy = this.xyz[o + 1] - this.xyz[o + 4];
      const dz = this.xyz[o + 2] - this.xyz[o + 5];
      // Half the angle between the end points: chord c = 2 sin(θ/2), so θ/2 = asin(c/2).
      const h = Math.asin(Math.min(1, Math.hypot(dx, dy, dz) / 2));
      this.mid.set([mx / mn, my / mn, mz / mn, Math.cos(h), Math.sin(h)], 5 * s);
    }
    this.stamp = new Int32Array(this.segmentCount);
    // Register every segment in each cell its bounding box meets (half-open cells [k·d, (k+1)·d)).
    const ncell = this.cols * this.rows;
    const counts = new Int32Array(ncell + 1);
    const visit = (s: number, fn: (cell: number) => void) => {
      const [r0, r1] = this.span(this.ll[4 * s + 1], this.ll[4 * s + 3], 90, this.rows);
      const [c0, c1] = this.span(this.ll[4 * s], this.ll[4 * s + 2], 180, this.cols);
      for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) fn(r * this.cols + c);
    };
    for (let s = 0; s < this.segmentCount; s++) visit(s, (cell) => counts[cell + 1]++);
    for (let i = 0; i < ncell; i++) counts[i + 1] += counts[i];
    this.cellStart = counts;
    this.cellSegs = new Int32Array(counts[ncell]);
    const fill = counts.slice(0, ncell);
    for (let s = 0; s < this.segmentCount; s++) visit(s, (cell) => (this.cellSegs[fill[cell]++] = s));
    this.cellOwner = new Int32Array(ncell);
    for (let r = 0; r < this.rows; r++) this.fillRow(r);
  }

  private span(a: number, b: number, offset: number, n: number): [number, number] {
    const lo = Math.floor((Math.min(a, b) + offset) / this.cellDeg);
    const hi = Math.floor((Math.max(a, b) + offset) / this.cellDeg);
    return [Math.max(0, Math.min(n - 1, lo)), Math.max(0, Math.min(n - 1, hi))];
  }

  /** Owner of every segment-free cell in a row, by sweeping a ray along the row's centre line. */
  private fillRow(r: number): void {
    const y = -90 + (r + 0.5) * this.cellDeg;
    const xs: number[] = [];
    const who: number[] = [];
    this.stampNow++;
    for (let c = 0; c < this.cols; c++) {
      const cell = r * this.cols + c;
      for (let i = this.cellStart[cell]; i < this.cellStart[cell + 1]; i++) {
        const s = this.cellSegs[i];
        if (this.stamp[s] === this.stampNow) continue;
        this.stamp[s] = this.stampNow;
        const x = this.crossing(s, y);
        if (x !== null) {
          xs.push(x);
          who.push(s);
        }
      }
    }
    const order = xs.map((_, i) => i).sort((a, b) => xs[a] - xs[b]);
    const odd: number[] = [];
    let next = 0;
    for (let c = 0; c < this.cols; c++) {
      const cell = r * this.cols + c;
      const xc = -180 + (c + 0.5) * this.cellDeg;
      while (next < order.length && xs[order[next]] < xc) this.toggle(odd, who[order[next++]]);
      if (this.cellStart[cell + 1] > this.cellStart[cell]) this.cellOwner[cell] = MIXED;
      else this.cellOwner[cell] = odd.length === 0 ? NO_REGION : odd.length === 1 ? odd[0] : OVERLAP;
    }
  }

  /** Crossing segment s flips membership of each region it bounds. */
  private toggle(odd: number[], s: number): void {
    if (this.owner1[s] >= 0) this.toggleRegion(odd, this.owner1[s]);
    if (this.owner2[s] >= 0) this.toggleRegion(odd, this.owner2[s]);
  }

  /** Longitude where segment s crosses latitude y, with the half-open rule of ray casting. */
  private crossing(s: number, y: number): number | null {
    const lon1 = this.ll[4 * s];
    const lat1 = this.ll[4 * s + 1];
    const lon2 = this.ll[4 * s + 2];
    const lat2 = this.ll[4 * s + 3];
    if (lat1 > y === lat2 > y) return null;
    return lon1 + ((y - lat1) * (lon2 - lon1)) / (lat2 - lat1);
  }

  private cellOf(lat: number, lon: number): [number, number] {
    const r = Math.max(0, Math.min(this.rows - 1, Math.floor((lat + 90) / this.cellDeg)));
    let c = Math.floor((lon + 180) / this.cellDeg);
    if (c >= this.cols) c -= this.cols;
    return [r, Math.max(0, c)];
  }

  /**
   * The regions whose polygons contain (lat, lon): a ray cast eastward through the boundary
   * segments of mixed cells until the first cell whose owner is known from the row sweep.
   */
  locate(lat: number, lon: number): number[] {
    const [r, c0] = this.cellOf(lat, lon);
    const first = this.cellOwner[r * this.cols + c0];
    if (first >= 0) return [first];
    if (first === NO_REGION) return [];
    const odd: number[] = [];
    this.stampNow++;
    let c = c0;
    for (; c < this.cols; c++) {
      const cell = r * this.cols + c;
      const owner = this.cellOwner[cell];
      if (c > c0 && owner !== MIXED && owner !== OVERLAP) {
        if (owner >= 0) this.toggleRegion(odd, owner);
        return odd;
      }
      const west = c === c0 ? lon : -180 + c * this.cellDeg;
      const east = -180 + (c + 1) * this.cellDeg;
      for (let i = this.cellStart[cell]; i < this.cellStart[cell + 1]; i++) {
        const s = this.cellSegs[i];
        if (this.stamp[s] === this.stampNow) continue;
        const x = this.crossing(s, lat);
        // Count each crossing once, in the cell that holds it; at the last column the ray runs to
        // +180 inclusive, where polygons cut at the antimeridian close.
        if (x !== null && x >= west && (x < east || c === this.cols - 1)) {
          this.stamp[s] = this.stampNow;
          this.toggle(odd, s);
        }
      }
    }
    return odd;
  }

  /** Regions with land in a base cell and whether it holds sea (for the presence pyramid). */
  presence(cell: number): { regions: number[]; sea: boolean } {
    const owner = this.cellOwner[cell];
    if (owner >= 0) return { regions: [owner], sea: false };
    if (owner === NO_REGION) return { regions: [], sea: true };
    if (owner === OVERLAP) {
      const r = Math.floor(cell / this.cols);
      const c = cell % this.cols;
      return {
        regions: this.locate(-90 + (r + 0.5) * this.cellDeg, -180 + (c + 0.5) * this.cellDeg),
        sea: false,
      };
    }
    // A mixed cell: a region with land here either has a boundary segment registered here or
    // covers the whole cell, centre included (a segment registered only because its bounding box
    // overlaps can make a cell wholly inside one region "mixed"). Likewise for the sea.
    const r = Math.floor(cell / this.cols);
    const c = cell % this.cols;
    const centre = this.locate(-90 + (r + 0.5) * this.cellDeg, -180 + (c + 0.5) * this.cellDeg);
    const regions = new Set<number>(centre);
    let sea = centre.length === 0;
    for (let i = this.cellStart[cell]; i < this.cellStart[cell + 1]; i++) {
      const s = this.cellSegs[i];
      regions.add(this.owner1[s]);
      if (this.owner2[s] >= 0) regions.add(this.owner2[s]);
      else sea = true;
    }
    return { regions: [...regions], sea };
  }

  private toggleRegion(odd: number[], region: number): void {
    const i = odd.indexOf(region);
    if (i >= 0) odd.splice(i, 1);
    else odd.push(region);
  }

  private matches(s: number, f: SegmentFilter): boolean {
    if (this.rayOnly[s] === 1) return false;
    const a = this.owner1[s];
    const b = this.owner2[s];
    switch (f.kind) {
      case 'only':
        return a === f.region || b === f.region;
      case 'except':
        return (a >= 0 && a !== f.region) || (b >= 0 && b !== f.region);
      case 'coast':
        return b < 0;
    }
  }

  /**
   * Angle (radians) from p to the nearest segment passing the filter, or Infinity when none lies
   * within maxAngle. Rows are visited outward from p's row and abandoned once their latitude gap
   * alone exceeds the best distance found so far.
   */
  nearest(p: Vec3, lat: number, lon: number, filter: SegmentFilter, maxAngle: number): number {
    let best = maxAngle;
    let found = Number.POSITIVE_INFINITY;
    let cosBest = Math.cos(Math.min(best, Math.PI));
    let sinBest = Math.sin(Math.min(best, Math.PI));
    const [r0, c0] = this.cellOf(lat, lon);
    const D = Math.PI / 180;
    const phi = lat * D;
    this.stampNow++;
    const a = { x: 0, y: 0, z: 0 };
    const b = { x: 0, y: 0, z: 0 };
    const scanRow = (r: number): void => {
      // Longitude half-width of the cap of radius `best` around p (cap bounding box formula).
      const cosPhi = Math.cos(phi);
      const s = Math.sin(Math.min(best, Math.PI / 2)) / Math.max(cosPhi, 1e-12);
      const full = best >= Math.PI / 2 - Math.abs(phi) || s >= 1;
      const halfCols = full ? this.cols : Math.ceil(Math.asin(s) / D / this.cellDeg) + 1;
      const span = Math.min(this.cols, 2 * halfCols + 1);
      for (let k = 0; k < span; k++) {
        const dc = k === 0 ? 0 : k % 2 === 1 ? (k + 1) / 2 : -k / 2;
        let c = c0 + dc;
        c = ((c % this.cols) + this.cols) % this.cols;
        const cell = r * this.cols + c;
        for (let i = this.cellStart[cell]; i < this.cellStart[cell + 1]; i++) {
          const sg = this.cellSegs[i];
          if (this.stamp[sg] === this.stampNow) continue;
          this.stamp[sg] = this.stampNow;
          if (!this.matches(sg, filter)) continue;
          // Skip a segment whose midpoint is farther than best + half-length: cos(best + h) by
          // the angle-sum formula, with a margin far above the dot product's rounding. Only
          // while best + h < π, where cos is still decreasing.
          const m = 5 * sg;
          if (best < 3) {
            const dm = p.x * this.mid[m] + p.y * this.mid[m + 1] + p.z * this.mid[m + 2];
            if (dm < cosBest * this.mid[m + 3] - sinBest * this.mid[m + 4] - 1e-12) continue;
          }
          const o = 6 * sg;
          a.x = this.xyz[o];
          a.y = this.xyz[o + 1];
          a.z = this.xyz[o + 2];
          b.x = this.xyz[o + 3];
          b.y = this.xyz[o + 4];
          b.z = this.xyz[o + 5];
          const d = angleToArc(p, a, b);
          if (d <= best) {
            best = d;
            found = d;
            cosBest = Math.cos(best);
            sinBest = Math.sin(best);
          }
        }
      }
    };
    // Latitude gaps grow with |dr| while `best` only shrinks, so once neither side can hold a
    // nearer segment, no farther row can either.
    for (let dr = 0; ; dr++) {
      let alive = false;
      for (const r of dr === 0 ? [r0] : [r0 - dr, r0 + dr]) {
        if (r < 0 || r >= this.rows) continue;
        const south = (-90 + r * this.cellDeg) * D;
        const north = south + this.cellDeg * D;
        const gap = phi < south ? south - phi : phi > north ? phi - north : 0;
        if (gap > best) continue;
        alive = true;
        scanRow(r);
      }
      if (!alive) break;
    }
    return found;
  }
}
