import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GeoattestError } from '../../src/errors.js';
import { toVec3 } from '../../src/geo/sphere.js';
import { decodeTopology } from '../../src/geo/topojson.js';
import { loadAtlas } from '../../src/io/atlas-file.js';

describe('the 10m atlas', () => {
  const atlas = loadAtlas('10m');
  const code = (lat: number, lon: number) => atlas.regionsAt(lat, lon).map((i) => atlas.regions[i].code);

  // Data-centre sites on either side of close borders and straits.
  it.each([
    [1.3329, 103.6955, 'SG'], // Jurong
    [1.437, 103.7865, 'SG'], // Woodlands, 1.5 km from Johor
    [1.426, 103.633, 'MY'], // Nusajaya, Johor
    [22.364, 114.13, 'HK'], // Kwai Chung
    [22.1987, 113.5439, 'MO'],
    [22.5431, 114.0579, 'CN'], // Shenzhen
    [25.033, 121.5654, 'TW'],
    [25.2048, 55.2708, 'AE'],
    [39.0438, -77.4874, 'US'],
    [49.6116, 6.1319, 'LU'],
  ])('puts (%f, %f) in %s', (lat, lon, expected) => {
    expect(code(lat, lon)).toEqual([expected]);
  });

  it('puts Tseung Kwan O, on reclaimed land, 0.5 km off the 10m coastline: in the sea but HK waters', () => {
    const tko = { lat: 22.3079, lon: 114.258 };
    expect(code(tko.lat, tko.lon)).toEqual([]);
    const { sR } = atlas.signedDistances(toVec3(tko), tko.lat, tko.lon, atlas.regionIndex('HK')!, 100);
    expect(sR).toBeGreaterThan(0);
    expect(sR).toBeLessThan(1);
  });

  // Polygons stitched across ±180° (Chukotka, Fiji, Antarctica) once leaked into whole latitude
  // bands around the Earth; these points sit in those bands (found by bench/atlas-resolution.ts).
  it.each([
    [65.825, 21.689, ['SE']], // Boden, by Luleå (whose centre is 0.9 km off the 10m coast)
    [66.5039, 25.7294, ['FI']], // Rovaniemi
    [68.9585, 33.0827, ['RU']], // Murmansk
    [66.53, 66.6019, ['RU']], // Salekhard
    [68.3607, -133.723, ['CA']], // Inuvik
    [69.117, -105.06, ['CA']], // Cambridge Bay, Victoria Island
    [66, 179, ['RU']], // Chukotka, west of the cut
    [65.5, -175, ['RU']], // Chukotka, east of the cut
    [-16.8197, 145.6386, ['AU']], // Kuranda
    [-16.5, -68.15, ['BO']], // altiplano near La Paz
    [-16.9, 78, []], // Indian Ocean
    [-18.1416, 178.4419, ['FJ']], // Suva
    [-87, 45, ['AQ']], // Antarctic plateau
  ])('reads the antimeridian band point (%f, %f) as %j', (lat, lon, expected) => {
    expect(code(lat, lon)).toEqual(expected);
  });

  it('puts the open ocean in no country', () => {
    expect(code(0, -30)).toEqual([]);
    expect(code(-40, 80)).toEqual([]);
  });

  it('measures signed distances: negative inside, positive outside', () => {
    const sg = atlas.regionIndex('SG')!;
    const woodlands = { lat: 1.437, lon: 103.7865 };
    const { sR, sO } = atlas.signedDistances(toVec3(woodlands), woodlands.lat, woodlands.lon, sg, 100);
    expect(sR).toBeLessThan(0);
    expect(sO).toBeGreaterThan(0);
    expect(sO).toBeLessThan(3); // Johor is across a ~1 km strait
    const far = atlas.signedDistances(toVec3({ lat: 0, lon: -30 }), 0, -30, sg, 100);
    expect(far.sR).toBe(Number.POSITIVE_INFINITY);
  });

  it('has a region for every code it maps, and HK, MO, TW apart from CN', () => {
    for (const c of ['SG', 'HK', 'MO', 'TW', 'CN', 'MY', 'AE', 'BH', 'QA', 'LU', 'MT']) {
      expect(atlas.regionIndex(c)).toBeTypeOf('number');
    }
    expect(atlas.regionIndex('GF')).toBeUndefined();
  });
});

describe('the presence pyramid', () => {
  const atlas = loadAtlas('10m');
  it('never misses land or sea that exact distances find within the radius', () => {
    const codes = ['SG', 'MY', 'CN', 'HK', 'AE', 'DE', 'US', 'NO', 'ID', 'CA'];
    fc.assert(
      fc.property(
        fc.double({ min: -80, max: 80, noNaN: true }),
        fc.double({ min: -180, max: 179.999, noNaN: true }),
        fc.double({ min: 1, max: 3000, noNaN: true }),
        fc.constantFrom(...codes),
        (lat, lon, radiusKm, code) => {
          const region = atlas.regionIndex(code)!;
          const near = atlas.presenceNear(lat, lon, radiusKm, region);
          const { sR, sO } = atlas.signedDistances(toVec3({ lat, lon }), lat, lon, region, radiusKm);
          if (sR <= radiusKm && !near.region) return false;
          if (sO <= radiusKm && !near.other) return false;
          if (atlas.regionsAt(lat, lon).length === 0 && !near.sea) return false;
          return true;
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('reading TopoJSON', () => {
  const cases: [string, unknown][] = [
    ['not a topology', { type: 'FeatureCollection' }],
    ['arcs missing', { type: 'Topology', objects: {} }],
    [
      'a bad transform',
      { type: 'Topology', arcs: [], transform: { scale: [1], translate: 'x' }, objects: {} },
    ],
    ['an arc of one position', { type: 'Topology', arcs: [[[0, 0]]], objects: {} }],
    ['the object missing', { type: 'Topology', arcs: [], objects: {} }],
    [
      'an arc reference out of range',
      {
        type: 'Topology',
        arcs: [],
        objects: {
          countries: { type: 'GeometryCollection', geometries: [{ type: 'Polygon', arcs: [[0]] }] },
        },
      },
    ],
    [
      'an unsupported geometry',
      {
        type: 'Topology',
        arcs: [],
        objects: {
          countries: { type: 'GeometryCollection', geometries: [{ type: 'Point', coordinates: [0, 0] }] },
        },
      },
    ],
  ];
  it.each(cases)('rejects %s with ATLAS_INVALID', (_what, doc) => {
    try {
      decodeTopology(doc, 'countries');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(GeoattestError);
      expect((e as GeoattestError).code).toBe('ATLAS_INVALID');
    }
  });

  it('decodes delta-encoded quantized arcs', () => {
    const t = decodeTopology(
      {
        type: 'Topology',
        transform: { scale: [0.5, 0.25], translate: [10, 20] },
        arcs: [
          [
            [0, 0],
            [2, 4],
            [1, -4],
          ],
        ],
        objects: {
          countries: {
            type: 'GeometryCollection',
            geometries: [{ type: 'Polygon', id: '702', arcs: [[0]] }],
          },
        },
      },
      'countries',
    );
    expect(Array.from(t.arcs[0])).toEqual([10, 20, 11, 21, 11.5, 20]);
    expect(t.features[0].id).toBe('702');
  });
});
