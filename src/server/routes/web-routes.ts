// Routes of the dashboard: its page and static assets (the esbuild bundle from web/, and the
// Natural Earth maps from the world-atlas package, so a browser never asks another host for
// anything), and the one dashboard-only computation, the coverage grid.
//
// The dashboard reads everything else through the same /v1 API every client uses, so a role sees in
// the browser exactly what the API gives it.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { GeoattestError } from '../../errors.js';
import type { Atlas } from '../../geo/atlas.js';
import { rttToMaxDistanceKm } from '../../geo/bounds.js';
import { distanceKm } from '../../geo/sphere.js';
import { decideVerdict } from '../../geo/verdict.js';
import { typicalRttMs } from '../../sim/latency-model.js';
import { READERS } from '../access.js';
import type { Router } from '../http.js';
import type { Verifier } from '../verifier.js';

/** Where `npm run build` puts the bundle (scripts/build-web.mjs). */
const WEB_DIST = join('dist', 'web');

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.html': 'text/html; charset=utf-8',
};

/** Maps served from the world-atlas package (Natural Earth, public domain). */
const ATLAS_FILES = new Set([
  'countries-110m.json',
  'countries-50m.json',
  'countries-10m.json',
  'land-110m.json',
  'land-50m.json',
  'land-10m.json',
]);

/**
 * The page may load only from this server: with this policy a browser refuses any request to
 * another host, whatever a future change to the bundle tries (the "no request leaves the
 * machine" rule, enforced by the browser rather than by review).
 */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

interface Asset {
  readonly body: Buffer;
  readonly gzip: Buffer | undefined;
  readonly type: string;
  readonly etag: string;
}

function repoRoot(): string {
  // This file runs from src/server/routes (vitest) or dist/src/server/routes (built): walk up to
  // the package.json that names the project.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'geoattest')
      return dir;
    dir = dirname(dir);
  }
  throw new GeoattestError('IO_ERROR', 'cannot find the geoattest package root');
}

function extOf(name: string): string {
  const i = name.lastIndexOf('.');
  return i < 0 ? '' : name.slice(i);
}

function makeAsset(body: Buffer, name: string): Asset {
  const type = CONTENT_TYPES[extOf(name)] ?? 'application/octet-stream';
  // Maps and bundles shrink 4-8x; compress once, at first use, not per request.
  const gzip = body.length > 1024 ? gzipSync(body, { level: 6 }) : undefined;
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
  return { body, gzip, type, etag };
}

export interface WebRoutesOptions {
  /** Directory of the built bundle; default <package>/dist/web. */
  readonly webDir?: string;
}

export function webRoutes(r: Router, v: Verifier, o: WebRoutesOptions = {}): void {
  const root = repoRoot();
  const webDir = o.webDir ?? join(root, WEB_DIST);
  const require = createRequire(import.meta.url);
  const cache = new Map<string, Asset>();

  /** Bundle files are read once; a rebuilt bundle needs a restart (the page names it by hash). */
  const load = (name: string): Asset | undefined => {
    const hit = cache.get(name);
    if (hit !== undefined) return hit;
    let path: string;
    if (ATLAS_FILES.has(name)) path = require.resolve(`world-atlas/${name}`);
    else if (/^[a-z0-9][a-z0-9-]*(\.[a-z0-9]+)+$/.test(name) && name !== 'index.html')
      path = join(webDir, name);
    else return undefined;
    if (!existsSync(path)) return undefined;
    const asset = makeAsset(readFileSync(path), name);
    cache.set(name, asset);
    return asset;
  };

  r.add({
    method: 'GET',
    url: '/',
    tag: 'dashboard',
    summary: 'The dashboard (HTML; sign in with an API token)',
    roles: 'public',
    produces: 'text/html',
    handler: async ({ req, reply }) => {
      const page = indexPage(webDir, load);
      if (page === undefined)
        throw new GeoattestError('NOT_FOUND', 'the dashboard is not built: run npm run build');
      return send(req.headers, reply, page, 'no-cache');
    },
  });

  r.add({
    method: 'GET',
    url: '/assets/:name',
    tag: 'dashboard',
    summary: 'A dashboard asset: the bundle, its styles, or a Natural Earth map (TopoJSON)',
    roles: 'public',
    params: {
      type: 'object',
      properties: { name: { type: 'string', minLength: 1, maxLength: 64 } },
      required: ['name'],
    },
    querystring: {
      type: 'object',
      properties: { v: { type: 'string', maxLength: 64, description: 'content hash (cache busting)' } },
      additionalProperties: false,
    },
    handler: async ({ req, reply }) => {
      const { name } = req.params as { name: string };
      const asset = load(name);
      if (asset === undefined) throw new GeoattestError('NOT_FOUND', `no asset ${JSON.stringify(name)}`);
      const { v: version } = req.query as { v?: string };
      // A request naming the current content hash can be cached for good; anything else revalidates.
      const immutable = version !== undefined && `"${version}"` === asset.etag;
      const maps = ATLAS_FILES.has(name);
      const policy = immutable
        ? 'public, max-age=31536000, immutable'
        : maps
          ? 'public, max-age=86400'
          : 'no-cache';
      return send(req.headers, reply, asset, policy);
    },
  });

  coverageRoute(r, v);
}

type Reply = Parameters<Parameters<Router['add']>[0]['handler']>[0]['reply'];

function send(
  headers: Record<string, string | string[] | undefined>,
  reply: Reply,
  a: Asset,
  cacheControl: string,
): Reply {
  void reply
    .header('content-type', a.type)
    .header('cache-control', cacheControl)
    .header('etag', a.etag)
    .header('x-content-type-options', 'nosniff')
    .header('vary', 'accept-encoding');
  if (a.type.startsWith('text/html'))
    void reply.header('content-security-policy', CSP).header('referrer-policy', 'no-referrer');
  if (headers['if-none-match'] === a.etag) return reply.code(304).send();
  const accepts = String(headers['accept-encoding'] ?? '');
  if (a.gzip !== undefined && /\bgzip\b/.test(accepts))
    return reply.header('content-encoding', 'gzip').send(a.gzip);
  return reply.send(a.body);
}

/** index.html with the bundle's content hashes in its asset URLs, so the bundle caches for good. */
function indexPage(webDir: string, load: (name: string) => Asset | undefined): Asset | undefined {
  const path = join(webDir, 'index.html');
  if (!existsSync(path)) return undefined;
  const html = readFileSync(path, 'utf8').replace(
    /\/assets\/([a-z0-9.-]+)\?v=HASH/g,
    (_, name: string) => `/assets/${name}?v=${load(name)?.etag.slice(1, -1) ?? 'missing'}`,
  );
  return makeAsset(Buffer.from(html), 'index.html');
}

// ---------------------------------------------------------------------------------------------
// Coverage: for each place on land, what a chip there could be proven to be in, given the current
// landmarks. Each landmark is taken to measure the latency model's typical (median) RTT to the
// place; the verdict core then decides, under the vacuum bound, whether that proves the chip inside
// the place's own country. Where it cannot, the tightest disc still confines the chip to "a larger
// area" when its radius is at most `areaKm`; beyond that, the measurements prove nothing useful.

export type CoverageLevel = 'country' | 'area' | 'none';

export interface CoverageCell {
  readonly lat: number;
  readonly lon: number;
  readonly country: string;
  readonly level: CoverageLevel;
  /** Radius of the tightest disc (vacuum bound, typical RTT), km; null without any landmark. */
  readonly proofRadiusKm: number | null;
}

/**
 * Caps beyond the few nearest landmarks only trim the region; leaving them out can only turn an
 * `inside` into `unverified` (sound), and keeps each cell's search small.
 */
const NEAREST_LANDMARKS = 6;
/** A cheaper search than the verifier's: a smaller budget only pushes answers toward "area". */
const COVERAGE_SEARCH = Object.freeze({ maxCells: 4000, minCellKm: 0.5 });

export function coverageGrid(
  atlas: Atlas,
  landmarks: readonly { id: string; lat: number; lon: number }[],
  stepDeg: number,
  areaKm: number,
): CoverageCell[] {
  const cells: CoverageCell[] = [];
  const marginKm = atlas.info.defaultMarginKm;
  for (let lat = -90 + stepDeg / 2; lat < 84; lat += stepDeg) {
    for (let lon = -180 + stepDeg / 2; lon < 180; lon += stepDeg) {
      const at = atlas.regionsAt(lat, lon);
      if (at.length === 0) continue; // sea: no chip is licensed to a place there
      const country = atlas.regions[at[0]].code;
      if (country === null) continue;
      const place = { lat, lon };
      const near = landmarks
        .map((l) => ({ l, d: distanceKm(place, l) }))
        .sort((a, b) => a.d - b.d)
        .slice(0, NEAREST_LANDMARKS);
      const measurements = near.map(({ l }) => ({ landmark: l.id, rttMs: typicalRttMs(place, l) }));
      const radius =
        measurements.length === 0
          ? null
          : Math.min(...measurements.map((m) => rttToMaxDistanceKm(m.rttMs, 'vacuum')));
      const round = (x: number) => Math.round(x * 1000) / 1000;
      const cell = { lat: round(lat), lon: round(lon), country };
      if (radius === null || radius > areaKm) {
        cells.push({ ...cell, level: 'none', proofRadiusKm: radius === null ? null : Math.round(radius) });
        continue;
      }
      const verdict = decideVerdict(
        {
          claim: { kind: 'country', code: country },
          landmarks: near.map(({ l }) => ({ id: l.id, lat: l.lat, lon: l.lon })),
          measurements,
          bound: 'vacuum',
          where: 'territorial',
          marginKm,
        },
        { atlas, search: COVERAGE_SEARCH },
      );
      cells.push({
        ...cell,
        level: verdict.verdict === 'inside' ? 'country' : 'area',
        proofRadiusKm: Math.round(radius * 10) / 10,
      });
    }
  }
  return cells;
}

function coverageRoute(r: Router, v: Verifier): void {
  // One grid per (landmark set, step, area): landmarks change rarely and a grid takes seconds.
  const grids = new Map<string, Promise<CoverageCell[]>>();
  r.add({
    method: 'GET',
    url: '/v1/coverage',
    tag: 'dashboard',
    summary: 'Read the coverage grid: what a chip at each place could be proven to be in',
    roles: READERS,
    querystring: {
      type: 'object',
      properties: {
        step: { type: 'number', minimum: 0.5, maximum: 10, description: 'grid step in degrees (default 2)' },
        areaKm: {
          type: 'number',
          minimum: 10,
          maximum: 20000,
          description: 'largest tightest-disc radius still counted as "a larger area" (default 1500)',
        },
      },
      additionalProperties: false,
    },
    handler: async ({ req }) => {
      const q = req.query as { step?: number; areaKm?: number };
      const step = q.step ?? 2;
      const areaKm = q.areaKm ?? 1500;
      if (!Number.isFinite(step) || !Number.isFinite(areaKm))
        throw new GeoattestError('INVALID_REQUEST', 'step and areaKm must be finite numbers');
      const landmarks = (await v.ledger.listLandmarks()).filter((l) => l.status === 'active');
      const key = JSON.stringify([step, areaKm, landmarks.map((l) => [l.id, l.lat, l.lon])]);
      let grid = grids.get(key);
      if (grid === undefined) {
        // Yield once so the request that starts a long computation does not stall the others.
        grid = new Promise<void>((ok) => setImmediate(ok)).then(() =>
          coverageGrid(v.engine.atlas(), landmarks, step, areaKm),
        );
        grid.catch(() => grids.delete(key));
        if (grids.size >= 16) grids.delete(grids.keys().next().value as string);
        grids.set(key, grid);
      }
      const cells = await grid;
      return {
        bound: 'vacuum',
        rtt: 'typical (median) RTT of the latency model, src/sim/latency-model.ts',
        where: 'territorial',
        step,
        areaKm,
        landmarks: landmarks.length,
        counts: {
          country: cells.filter((c) => c.level === 'country').length,
          area: cells.filter((c) => c.level === 'area').length,
          none: cells.filter((c) => c.level === 'none').length,
        },
        cells,
      };
    },
  });
}
