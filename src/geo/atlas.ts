// The world's land and its division into ISO 3166-1 regions, built from a Natural Earth topology
// (world-atlas). It answers signed distances: negative inside a region's land, positive outside,
// the magnitude being the distance to the region's boundary. Everything the verdict needs from
// the map goes through here.

import { countryByNumeric } from './iso3166.js';
import { type Presence, PresencePyramid } from './presence-pyramid.js';
import { NO_REGION, SegmentGrid, type SegmentInput } from './segment-grid.js';
import { EARTH_RADIUS_KM, type Vec3 } from './sphere.js';
import type { DecodedTopology } from './topojson.js';

export interface AtlasRegion {
  readonly index: number;
  /** ISO 3166-1 alpha-2, or null for land Natural Earth maps without a code (Kosovo, N. Cyprus…). */
  readonly code: string | null;
  readonly name: string;
  /** Bounding boxes [west, south, east, north] in degrees, one per polygon. */
  readonly boxes: readonly (readonly [number, number, number, number])[];
}

export interface AtlasInfo {
  /** Which Natural Earth scale the map was drawn at, e.g. '10m'. */
  readonly resolution: string;
  /** Default border margin in km for this map; see docs/verdicts.md. */
  readonly defaultMarginKm: number;
}

/** Grid cell size of the segment index in degrees: ~28 km, a few dozen segments per coastal cell. */
const GRID_DEG = 0.25;

export class Atlas {
  readonly regions: readonly AtlasRegion[];
  readonly info: AtlasInfo;
  private readonly byCode: Map<string, number>;
  private readonly grid: SegmentGrid;
  private readonly pyramid: PresencePyramid;

  constructor(topology: DecodedTopology, info: AtlasInfo) {
    this.info = info;
    // Features sharing an ISO numeric code are one region (Natural Earth maps Ashmore and Cartier
    // Is. apart from Australia, both as 036).
    const regions: { code: string | null; name: string; boxes: [number, number, number, number][] }[] = [];
    const byCode = new Map<string, number>();
    const featureRegion = topology.features.map((f) => {
      const iso = f.id === undefined ? undefined : countryByNumeric(f.id);
      if (iso !== undefined && byCode.has(iso.alpha2)) return byCode.get(iso.alpha2)!;
      const index = regions.length;
      regions.push({ code: iso?.alpha2 ?? null, name: iso?.name ?? f.name, boxes: [] });
      if (iso !== undefined) byCode.set(iso.alpha2, index);
      return index;
    });
    // An arc bounds a region when the region's rings use it an odd number of times; an arc used
    // twice by one region is an internal seam and bounds nothing.
    const uses = topology.arcs.map(() => new Map<number, number>());
    topology.features.forEach((f, fi) => {
      const region = featureRegion[fi];
      for (const polygon of f.polygons) {
        const box: [number, number, number, number] = [180, 90, -180, -90];
        for (const ring of polygon) {
          for (const ref of ring) {
            const arc = ref < 0 ? ~ref : ref;
            const m = uses[arc];
            m.set(region, (m.get(region) ?? 0) + 1);
            const c = topology.arcs[arc];
            for (let k = 0; k < c.length; k += 2) {
              box[0] = Math.min(box[0], c[k]);
              box[1] = Math.min(box[1], c[k + 1]);
              box[2] = Math.max(box[2], c[k]);
              box[3] = Math.max(box[3], c[k + 1]);
            }
          }
        }
        regions[region].boxes.push(box);
      }
    });
    const lines: SegmentInput[] = topology.arcs.map((coords, i) => {
      const owners = [...uses[i]].filter(([, n]) => n % 2 === 1).map(([r]) => r);
      // A planar topology puts at most two faces beside an edge; more means a broken map.
      if (owners.length > 2) throw new Error(`atlas arc ${i} bounds ${owners.length} regions`);
      return { coords, owners };
    });
    this.grid = new SegmentGrid(lines, GRID_DEG);
    this.pyramid = new PresencePyramid(this.grid);
    this.regions = Object.freeze(regions.map((r, index) => Object.freeze({ index, ...r })));
    this.byCode = byCode;
  }

  get segmentCount(): number {
    return this.grid.segmentCount;
  }

  regionIndex(code: string): number | undefined {
    return this.byCode.get(code);
  }

  /** Regions whose land contains the point (normally zero or one). */
  regionsAt(lat: number, lon: number): number[] {
    return this.grid.locate(lat, lon);
  }

  /**
   * Signed distance in km from p to region `region`'s land (s_R) and to the nearest land of any
   * other region (s_O). Magnitudes beyond `capKm` come back as ±Infinity: callers only compare
   * them with thresholds below the cap.
   */
  signedDistances(
    p: Vec3,
    lat: number,
    lon: number,
    region: number,
    capKm: number,
  ): { sR: number; sO: number } {
    const cap = capKm / EARTH_RADIUS_KM;
    const at = this.grid.locate(lat, lon);
    const toKm = (a: number) => a * EARTH_RADIUS_KM;
    const bR = toKm(this.grid.nearest(p, lat, lon, { kind: 'only', region }, cap));
    const sR = at.includes(region) ? -bR : bR;
    let sO: number;
    const others = at.filter((r) => r !== region);
    if (others.length === 0) {
      sO = toKm(this.grid.nearest(p, lat, lon, { kind: 'except', region }, cap));
    } else {
      // Inside another region (or several, where maps overlap): the deepest one counts.
      sO = Math.min(
        ...others.map((o) => -toKm(this.grid.nearest(p, lat, lon, { kind: 'only', region: o }, cap))),
      );
    }
    return { sR, sO };
  }

  /**
   * Coarsely, what lies within radiusKm of a point: land of `region` (pass -1 for none), land of
   * other regions, sea. Supersets, for judging large cells cheaply.
   */
  presenceNear(lat: number, lon: number, radiusKm: number, region: number): Presence {
    return this.pyramid.near(lat, lon, radiusKm, region);
  }

  /** Signed distance in km from p to land of any region (coastlines), capped like signedDistances. */
  signedLandDistance(p: Vec3, lat: number, lon: number, capKm: number): number {
    const b = this.grid.nearest(p, lat, lon, { kind: 'coast' }, capKm / EARTH_RADIUS_KM) * EARTH_RADIUS_KM;
    return this.grid.locate(lat, lon).length > 0 ? -b : b;
  }
}

export { NO_REGION };
