// Claims: the region a chip is licensed to be in (an ISO country, a GeoJSON geofence or a circle),
// and for each, the place test the verdict search asks of every cell of the feasible region.

import type { Atlas } from './atlas.js';
import { SegmentGrid } from './segment-grid.js';
import { angleBetween, EARTH_RADIUS_KM, toVec3, type Vec3 } from './sphere.js';
import {
  countryPossibility,
  distanceCapKm,
  type PlacePossibility,
  placePossible,
  TERRITORIAL_SEA_KM,
  type WherePolicy,
} from './where.js';

/** A GeoJSON Polygon or MultiPolygon (RFC 7946 §3.1.6–3.1.7), positions as [lon, lat]. */
export type PolygonalGeometry =
  | { readonly type: 'Polygon'; readonly coordinates: readonly (readonly (readonly number[])[])[] }
  | {
      readonly type: 'MultiPolygon';
      readonly coordinates: readonly (readonly (readonly (readonly number[])[])[])[];
    };

export type Claim =
  | { readonly kind: 'country'; readonly code: string }
  | { readonly kind: 'geofence'; readonly geometry: PolygonalGeometry }
  | { readonly kind: 'circle'; readonly lat: number; readonly lon: number; readonly radiusKm: number };

/** Short text naming a claim in verdict reasons. */
export function describeClaim(claim: Claim): string {
  switch (claim.kind) {
    case 'country':
      return claim.code;
    case 'circle':
      return `the circle of ${claim.radiusKm} km around (${claim.lat}, ${claim.lon})`;
    case 'geofence':
      return `the ${claim.geometry.type} geofence`;
  }
}

/**
 * Answers, for a disc of radius rhoKm around x, whether it may hold a possible place inside the
 * claimed region and whether it may hold one outside it. Conservative: "no" only when certain.
 */
export interface PlaceTest {
  classify(x: Vec3, lat: number, lon: number, rhoKm: number): PlacePossibility;
}

export interface PlaceTestOptions {
  readonly where: WherePolicy;
  /** Border margin in km: how far the map's boundaries may be from the true ones. */
  readonly marginKm: number;
}

/**
 * Cells wider than this (circumradius, km) are judged from the presence pyramid: is there land of
 * the country, of another, or sea within reach? Narrower ones get exact distances.
 */
const COARSE_CELL_KM = 25;

/** How far from a point the land that could make it a possible place may lie. */
function reachKm(opts: PlaceTestOptions): number {
  return opts.where === 'land' ? opts.marginKm : TERRITORIAL_SEA_KM + opts.marginKm;
}

export function countryTest(atlas: Atlas, region: number, opts: PlaceTestOptions): PlaceTest {
  return {
    classify(x, lat, lon, rhoKm) {
      if (rhoKm > COARSE_CELL_KM) {
        const p = atlas.presenceNear(lat, lon, rhoKm + reachKm(opts), region);
        return { mayIn: p.region, mayOut: p.other || (opts.where === 'anywhere' && p.sea) };
      }
      const e = opts.marginKm + rhoKm;
      const { sR, sO } = atlas.signedDistances(x, lat, lon, region, distanceCapKm(e));
      return countryPossibility(opts.where, sR, sO, e);
    },
  };
}

/** A region with an exact boundary (geofence or circle): only the coastline carries the margin. */
function exactRegionTest(
  /** Signed distance to the region's boundary in km; magnitudes beyond capKm may be ±Infinity. */
  signedKm: (x: Vec3, lat: number, lon: number, capKm: number) => number,
  atlas: Atlas | undefined,
  opts: PlaceTestOptions,
): PlaceTest {
  if (opts.where !== 'anywhere' && atlas === undefined)
    throw new Error('a map is needed for this where policy');
  return {
    classify(x, lat, lon, rhoKm) {
      const s = signedKm(x, lat, lon, rhoKm + 1);
      let mayIn = s - rhoKm <= 0;
      let mayOut = s + rhoKm >= 0;
      if ((mayIn || mayOut) && atlas !== undefined && opts.where !== 'anywhere') {
        const e = opts.marginKm + rhoKm;
        const possible =
          rhoKm > COARSE_CELL_KM
            ? atlas.presenceNear(lat, lon, rhoKm + reachKm(opts), -1).other
            : placePossible(opts.where, atlas.signedLandDistance(x, lat, lon, distanceCapKm(e)), e);
        if (!possible) {
          mayIn = false;
          mayOut = false;
        }
      }
      return { mayIn, mayOut };
    },
  };
}

export function circleTest(
  claim: Extract<Claim, { kind: 'circle' }>,
  atlas: Atlas | undefined,
  opts: PlaceTestOptions,
) {
  const c = toVec3(claim);
  return exactRegionTest((x) => angleBetween(x, c) * EARTH_RADIUS_KM - claim.radiusKm, atlas, opts);
}

/** Geofence indexes are reused across records that name the same geometry. */
const geofenceCache = new Map<string, SegmentGrid>();
const GEOFENCE_CACHE_MAX = 64;

function geofenceGrid(geometry: PolygonalGeometry): SegmentGrid {
  const key = JSON.stringify(geometry);
  const hit = geofenceCache.get(key);
  if (hit !== undefined) return hit;
  const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  const lines = polygons.flatMap((rings) =>
    rings.map((ring) => ({ coords: Float64Array.from(ring.flatMap((p) => [p[0], p[1]])), owners: [0] })),
  );
  // A coarse grid: geofences are small next to the world map and built once per geometry.
  const grid = new SegmentGrid(lines, 1);
  if (geofenceCache.size >= GEOFENCE_CACHE_MAX) geofenceCache.delete(geofenceCache.keys().next().value!);
  geofenceCache.set(key, grid);
  return grid;
}

export function geofenceTest(
  claim: Extract<Claim, { kind: 'geofence' }>,
  atlas: Atlas | undefined,
  opts: PlaceTestOptions,
): PlaceTest {
  const grid = geofenceGrid(claim.geometry);
  return exactRegionTest(
    (x, lat, lon, capKm) => {
      const b =
        grid.nearest(x, lat, lon, { kind: 'only', region: 0 }, capKm / EARTH_RADIUS_KM) * EARTH_RADIUS_KM;
      return grid.locate(lat, lon).length > 0 ? -b : b;
    },
    atlas,
    opts,
  );
}
