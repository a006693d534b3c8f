// Landmark planning: where must landmarks stand so that chips in a region's data centres can be
// proven inside it? Greedy: from the landmarks already in place, add one candidate site at a time,
// each time the one that brings the most locations to a proof, up to k sites or until none helps.
//
// A location counts as covered when the real verdict core (decideVerdict, the 10m map, the
// territorial policy and the map's border margin) proves a chip there `inside` the region from the
// RTTs the latency model predicts between it and every landmark. Two figures per location:
//   typical       every landmark's median RTT (src/sim/latency-model.ts typicalRttMs)
//   conservative  every landmark's RTT at a high quantile (default 90 %): a slow path and a slow ping
// The greedy maximises the typical count; ties go to the larger conservative count, then to the
// earlier candidate in the list (so the result is deterministic).
//
// Locations: the region's data-centre cities (src/sim/datacentre-cities.ts); when it has fewer than
// FEW_DATACENTRE_CITIES, also LAND_SAMPLES points of its land, spread evenly (a grid of equal
// spacing in km, each point on the region's mapped land, each counting as much as a city). Even
// spreading says "anywhere a data centre could be built", without a model of where they are.
//
// Pure: the map comes in as an Atlas, nothing is read, nothing random.

import type { Atlas } from '../geo/atlas.js';
import type { BoundName } from '../geo/bounds.js';
import { decideVerdict, type Landmark, type VerdictKind } from '../geo/verdict.js';
import { DATACENTRE_CITIES } from './datacentre-cities.js';
import { rttQuantileMs, typicalRttMs } from './latency-model.js';

export interface Site {
  readonly id: string;
  readonly lat: number;
  readonly lon: number;
}

export interface PlanLocation extends Site {
  readonly kind: 'datacentre-city' | 'land-sample';
}

/** Below this many data-centre cities, a region's land is sampled too. */
export const FEW_DATACENTRE_CITIES = 5;
/** How many land points to aim for (the grid gives roughly this many). */
export const LAND_SAMPLES = 20;
export const DEFAULT_CONSERVATIVE_QUANTILE = 0.9;

export interface PlanOptions {
  /** ISO 3166-1 alpha-2 code of a region the map has. */
  readonly region: string;
  readonly candidates: readonly Site[];
  readonly existing?: readonly Site[];
  readonly k: number;
  readonly bound: BoundName;
  readonly conservativeQuantile?: number;
  /** Overrides the locations (tests); default: the region's data-centre cities and land samples. */
  readonly locations?: readonly PlanLocation[];
}

export interface Coverage {
  /** Locations proven inside with typical RTTs. */
  readonly typical: number;
  /** Locations proven inside with conservative RTTs. */
  readonly conservative: number;
  /** Per location (in `locations` order): proven under typical, under conservative RTTs. */
  readonly proven: readonly { readonly typical: boolean; readonly conservative: boolean }[];
}

export interface PlanStep {
  /** The site added at this step; null for the starting point (the existing landmarks). */
  readonly pick: Site | null;
  readonly coverage: Coverage;
}

export interface Plan {
  readonly region: string;
  readonly bound: BoundName;
  readonly marginKm: number;
  readonly conservativeQuantile: number;
  readonly locations: readonly PlanLocation[];
  readonly existing: readonly Site[];
  readonly chosen: readonly Site[];
  readonly steps: readonly PlanStep[];
  /** Coverage with every candidate (and every existing landmark) in place: the most these candidates allow. */
  readonly ceiling: Coverage;
  /**
   * Per location: whether a landmark on the spot (in the same facility, typical RTT) would prove it.
   * False means no landmark can: the place lies within the border margin of another country or of
   * the open sea, and only a geofence claim drawn from an authoritative boundary can serve it.
   */
  readonly onSite: readonly boolean[];
  /** Why the plan stopped before k picks, if it did. */
  readonly stoppedEarly: string | null;
}

/** The region's data-centre cities, as locations. */
export function datacentreLocations(region: string): PlanLocation[] {
  return DATACENTRE_CITIES.filter((c) => c.country === region).map((c) => ({
    id: c.name,
    lat: c.lat,
    lon: c.lon,
    kind: 'datacentre-city' as const,
  }));
}

const KM_PER_DEG = 111.195;

/**
 * About `target` points evenly spread over the region's mapped land: a grid of equal spacing in km
 * (rows by latitude, columns by longitude scaled with cos(lat)), offset half a step from the
 * bounding boxes' edges, keeping the points on the region's land. The spacing is refined a few
 * times from the land area the previous grid found.
 */
export function sampleRegionLand(atlas: Atlas, region: string, target = LAND_SAMPLES): PlanLocation[] {
  const index = atlas.regionIndex(region);
  if (index === undefined) throw new RangeError(`no map region for ${region}`);
  const boxes = atlas.regions[index].boxes;
  const grid = (stepKm: number) => {
    const out: { lat: number; lon: number }[] = [];
    const seen = new Set<string>();
    for (const [w, s, e, n] of boxes) {
      const dLat = stepKm / KM_PER_DEG;
      for (let lat = s + dLat / 2; lat < n; lat += dLat) {
        const dLon = dLat / Math.max(0.05, Math.cos((lat * Math.PI) / 180));
        for (let lon = w + dLon / 2; lon < e; lon += dLon) {
          const key = `${lat.toFixed(5)},${lon.toFixed(5)}`;
          if (seen.has(key)) continue;
          seen.add(key);
          if (atlas.regionsAt(lat, lon).includes(index)) out.push({ lat, lon });
        }
      }
    }
    return out;
  };
  // Start from the boxes' area; each round, scale the spacing by sqrt(found / target).
  const boxAreaKm2 = boxes.reduce((sum, [w, s, e, n]) => {
    const midLat = ((s + n) / 2) * (Math.PI / 180);
    return sum + Math.max(0, e - w) * KM_PER_DEG * Math.cos(midLat) * Math.max(0, n - s) * KM_PER_DEG;
  }, 0);
  let step = Math.max(0.5, Math.sqrt(boxAreaKm2 / target));
  let points = grid(step);
  for (let round = 0; round < 6 && (points.length < target * 0.75 || points.length > target * 1.5); round++) {
    step *= Math.sqrt(Math.max(points.length, 1) / target);
    step = Math.max(0.2, step);
    points = grid(step);
  }
  return points.map((p, i) => ({
    id: `${region}-land-${i + 1}`,
    lat: Number(p.lat.toFixed(4)),
    lon: Number(p.lon.toFixed(4)),
    kind: 'land-sample' as const,
  }));
}

/** The locations a plan covers: data-centre cities, plus land samples when the cities are few. */
export function planLocations(atlas: Atlas, region: string): PlanLocation[] {
  const cities = datacentreLocations(region);
  if (cities.length >= FEW_DATACENTRE_CITIES) return cities;
  return [...cities, ...sampleRegionLand(atlas, region)];
}

export interface PlanContext {
  readonly atlas: Atlas;
}

/** Whether the verdict core proves a chip at `at` inside `region` from every landmark's modelled RTT. */
export function provenInside(
  at: Site,
  landmarks: readonly Site[],
  region: string,
  bound: BoundName,
  quantile: number,
  ctx: PlanContext,
): boolean {
  if (landmarks.length === 0) return false;
  const ls: Landmark[] = landmarks.map((l, i) => ({ id: `${i}:${l.id}`, lat: l.lat, lon: l.lon }));
  const measurements = ls.map((l) => ({
    landmark: l.id,
    rttMs: quantile === 0.5 ? typicalRttMs(l, at) : rttQuantileMs(l, at, quantile),
  }));
  const verdict: VerdictKind = decideVerdict(
    {
      claim: { kind: 'country', code: region },
      landmarks: ls,
      measurements,
      bound,
      where: 'territorial',
      marginKm: ctx.atlas.info.defaultMarginKm,
    },
    { atlas: ctx.atlas },
  ).verdict;
  return verdict === 'inside';
}

function coverageOf(
  locations: readonly PlanLocation[],
  landmarks: readonly Site[],
  opts: PlanOptions,
  q: number,
  ctx: PlanContext,
): Coverage {
  const proven = locations.map((at) => ({
    typical: provenInside(at, landmarks, opts.region, opts.bound, 0.5, ctx),
    conservative: provenInside(at, landmarks, opts.region, opts.bound, q, ctx),
  }));
  return {
    typical: proven.filter((p) => p.typical).length,
    conservative: proven.filter((p) => p.conservative).length,
    proven,
  };
}

const better = (a: Coverage, b: Coverage) =>
  a.typical > b.typical || (a.typical === b.typical && a.conservative > b.conservative);

/** Greedy landmark placement; see the file's head. */
export function planLandmarks(opts: PlanOptions, ctx: PlanContext): Plan {
  if (ctx.atlas.regionIndex(opts.region) === undefined)
    throw new RangeError(`no map region for ${opts.region}`);
  if (!Number.isInteger(opts.k) || opts.k < 0) throw new RangeError('k must be an integer >= 0');
  const q = opts.conservativeQuantile ?? DEFAULT_CONSERVATIVE_QUANTILE;
  if (!(q >= 0.5 && q < 1)) throw new RangeError('the conservative quantile must be in [0.5, 1)');
  const locations = opts.locations ?? planLocations(ctx.atlas, opts.region);
  const existing = opts.existing ?? [];
  const chosen: Site[] = [];
  let current = coverageOf(locations, existing, opts, q, ctx);
  const steps: PlanStep[] = [{ pick: null, coverage: current }];
  let stoppedEarly: string | null = null;
  const remaining = [...opts.candidates];
  while (chosen.length < opts.k) {
    if (current.typical === locations.length && current.conservative === locations.length) {
      stoppedEarly = 'every location is proven inside';
      break;
    }
    let best: { index: number; coverage: Coverage } | null = null;
    remaining.forEach((c, index) => {
      const coverage = coverageOf(locations, [...existing, ...chosen, c], opts, q, ctx);
      if (better(coverage, best?.coverage ?? current)) best = { index, coverage };
    });
    if (best === null) {
      stoppedEarly =
        remaining.length === 0 ? 'no candidate left' : 'no remaining candidate proves another location';
      break;
    }
    const { index, coverage } = best as { index: number; coverage: Coverage };
    const [pick] = remaining.splice(index, 1);
    chosen.push(pick);
    current = coverage;
    steps.push({ pick, coverage });
  }
  const ceiling = coverageOf(locations, [...existing, ...opts.candidates], opts, q, ctx);
  const onSite = locations.map((at) =>
    provenInside(at, [{ id: 'on-site', lat: at.lat, lon: at.lon }], opts.region, opts.bound, 0.5, ctx),
  );
  return {
    region: opts.region,
    bound: opts.bound,
    marginKm: ctx.atlas.info.defaultMarginKm,
    conservativeQuantile: q,
    locations,
    existing,
    chosen,
    steps,
    ceiling,
    onSite,
    stoppedEarly,
  };
}

/** The default candidate sites: every data-centre city. */
export function defaultCandidates(): Site[] {
  return DATACENTRE_CITIES.map((c) => ({ id: c.name, lat: c.lat, lon: c.lon }));
}
