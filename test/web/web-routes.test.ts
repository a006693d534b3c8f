// The dashboard's routes over HTTP (Fastify's inject, no browser): the page and its assets with
// their content types, caching and compression, the maps served from this machine, coded errors,
// and the coverage grid's roles, schema and content.

import { execFileSync } from 'node:child_process';
import { gunzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAtlas } from '../../src/io/atlas-file.js';
import { buildApp } from '../../src/server/app.js';
import { coverageGrid } from '../../src/server/routes/web-routes.js';
import { openTestVerifier, type TestDb } from '../helpers/verifier-world.js';

let t: TestDb;
let app: FastifyInstance;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  execFileSync(process.execPath, ['scripts/build-web.mjs', '--no-check'], { stdio: 'inherit' });
  t = await openTestVerifier('sqlite');
  const v = t.verifier;
  const now = Date.now();
  await v.ledger.addOrg({ id: 'lmops', name: 'Landmark Ops', kind: 'landmark-operator' }, 'test', now);
  await v.ledger.addLandmark(
    {
      id: 'KUL',
      operatorId: 'lmops',
      lat: 3.139,
      lon: 101.687,
      publicKey: Buffer.alloc(32, 1).toString('base64'),
    },
    'test',
    now,
  );
  tokens.auditor = (await v.tokens.create({ name: 'a', role: 'auditor' }, 'test', now)).secret;
  tokens.landmark = (
    await v.tokens.create({ name: 'l', role: 'landmark', scope: 'KUL' }, 'test', now)
  ).secret;
  app = await buildApp({ verifier: v });
});

afterAll(async () => {
  await app?.close();
  await t?.cleanup();
});

const get = (url: string, headers: Record<string, string> = {}) =>
  app.inject({ method: 'GET', url, headers });

describe('the page', () => {
  it('is HTML that may load only from this server, revalidated on every visit', async () => {
    const r = await get('/');
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.headers['cache-control']).toBe('no-cache');
    expect(r.headers['content-security-policy']).toContain("default-src 'none'");
    expect(r.headers['content-security-policy']).toContain("connect-src 'self'");
    expect(r.body).toMatch(/\/assets\/app\.js\?v=[A-Za-z0-9_-]{20,}/);
  });

  it('names its bundle by content hash, which may then be cached for good', async () => {
    const page = await get('/');
    const [, v] = /\/assets\/app\.js\?v=([A-Za-z0-9_-]+)/.exec(page.body)!;
    const hashed = await get(`/assets/app.js?v=${v}`);
    expect(hashed.statusCode).toBe(200);
    expect(hashed.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(hashed.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const stale = await get('/assets/app.js?v=old');
    expect(stale.headers['cache-control']).toBe('no-cache');
    const again = await get('/assets/app.js', { 'if-none-match': String(hashed.headers.etag) });
    expect(again.statusCode).toBe(304);
    expect((await get('/assets/app.css')).headers['content-type']).toBe('text/css; charset=utf-8');
  });

  it('serves the Natural Earth maps itself, compressed when the browser accepts it', async () => {
    const r = await get('/assets/countries-50m.json', { 'accept-encoding': 'gzip, br' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(r.headers['content-encoding']).toBe('gzip');
    expect(r.headers['cache-control']).toBe('public, max-age=86400');
    const doc = JSON.parse(gunzipSync(r.rawPayload).toString('utf8')) as { type: string };
    expect(doc.type).toBe('Topology');
    expect((await get('/assets/countries-10m.json')).statusCode).toBe(200);
  });

  describe('when an asset does not exist', () => {
    it.each(['nope.js', 'index.html', '..%2Fpackage.json', '.env', 'app.js%00.png'])(
      'answers NOT_FOUND for %s',
      async (name) => {
        const r = await get(`/assets/${name}`);
        expect(r.statusCode).toBe(404);
        expect(r.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
      },
    );
  });
});

describe('the coverage grid', () => {
  it('needs a token, and is not for landmarks', async () => {
    expect((await get('/v1/coverage')).json()).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    const r = await get('/v1/coverage', { authorization: `Bearer ${tokens.landmark}` });
    expect(r.statusCode).toBe(403);
    expect(r.json()).toMatchObject({ error: { code: 'FORBIDDEN' } });
  });

  it('refuses settings outside its schema with INVALID_REQUEST', async () => {
    for (const q of ['step=0.1', 'step=x', 'areaKm=1', 'extra=1']) {
      const r = await get(`/v1/coverage?${q}`, { authorization: `Bearer ${tokens.auditor}` });
      expect(r.statusCode).toBe(400);
      expect(r.json()).toMatchObject({ error: { code: 'INVALID_REQUEST' } });
    }
  });

  it('shades land only, and says what it assumed', async () => {
    const r = await get('/v1/coverage?step=2', { authorization: `Bearer ${tokens.auditor}` });
    expect(r.statusCode).toBe(200);
    const body = r.json() as {
      bound: string;
      landmarks: number;
      cells: { level: string; country: string }[];
    };
    expect(body).toMatchObject({ bound: 'vacuum', landmarks: 1, step: 2, areaKm: 1500 });
    expect(body.cells.length).toBeGreaterThan(3000);
    expect(body.cells.every((c) => /^[A-Z]{2}$/.test(c.country))).toBe(true);
  });

  it('is documented in the OpenAPI document with its roles', async () => {
    const doc = (await get('/openapi.json')).json() as {
      paths: Record<string, Record<string, { 'x-roles'?: string[] }>>;
    };
    expect(doc.paths['/v1/coverage'].get['x-roles']).toEqual(['admin', 'exporter', 'operator', 'auditor']);
    expect(doc.paths['/assets/{name}']).toBeDefined();
  });
});

describe('coverageGrid', () => {
  const atlas = loadAtlas('10m');
  const at = (cells: ReturnType<typeof coverageGrid>, lat: number, lon: number) =>
    cells.find((c) => Math.abs(c.lat - lat) < 1e-9 && Math.abs(c.lon - lon) < 1e-9);

  it('proves the country only next to a landmark, a larger area a little further, nothing far away', () => {
    // A landmark in the facility at the centre of a cell, one ~330 km away, none near Brazil.
    const cells = coverageGrid(
      atlas,
      [
        { id: 'PAR', lat: 47.25, lon: 2.25 },
        { id: 'FAR', lat: 50.25, lon: 2.25 },
      ],
      0.5,
      1500,
    );
    expect(at(cells, 47.25, 2.25)).toMatchObject({ country: 'FR', level: 'country' });
    expect(at(cells, -10.25, -50.25)).toMatchObject({ country: 'BR', level: 'none' });
    expect(cells.some((c) => c.level === 'area')).toBe(true);
  });

  it('proves nothing anywhere without landmarks', () => {
    const cells = coverageGrid(atlas, [], 5, 1500);
    expect(cells.every((c) => c.level === 'none' && c.proofRadiusKm === null)).toBe(true);
  });
});
