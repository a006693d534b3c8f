import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../src/errors.js';
import { parseRecordLine, RECORD_LIMITS } from '../../src/geo/verdict-record.js';
import { errorCodeOf } from '../helpers/error-code.js';

const good = {
  id: 'c1',
  claim: { country: 'SG' },
  landmarks: [{ id: 'L1', lat: 1.29, lon: 103.85 }],
  measurements: [{ landmark: 'L1', rttMs: 1.7 }],
};

const withRecord = (patch: Record<string, unknown>) => JSON.stringify({ ...good, ...patch });

describe('a valid record', () => {
  it('parses with its claim, landmarks and measurements', () => {
    const r = parseRecordLine(JSON.stringify(good));
    expect(r.id).toBe('c1');
    expect(r.claim).toEqual({ kind: 'country', code: 'SG' });
    expect(r.landmarks).toEqual([{ id: 'L1', lat: 1.29, lon: 103.85 }]);
    expect(r.measurements).toEqual([{ landmark: 'L1', rttMs: 1.7, trustMode: 'software' }]);
  });

  it('accepts circles and geofences', () => {
    expect(
      parseRecordLine(withRecord({ claim: { circle: { lat: 1.3, lon: 103.8, radiusKm: 50 } } })).claim.kind,
    ).toBe('circle');
    const ring = [
      [103, 1],
      [104, 1],
      [104, 2],
      [103, 1],
    ];
    expect(
      parseRecordLine(withRecord({ claim: { geofence: { type: 'Polygon', coordinates: [ring] } } })).claim
        .kind,
    ).toBe('geofence');
    expect(
      parseRecordLine(withRecord({ claim: { geofence: { type: 'MultiPolygon', coordinates: [[ring]] } } }))
        .claim.kind,
    ).toBe('geofence');
  });

  it('takes a missing measurements list as none', () => {
    const { measurements: _, ...rest } = good;
    expect(parseRecordLine(JSON.stringify(rest)).measurements).toEqual([]);
  });
});

// One case per error code the parser can raise (COUNTRY_NOT_MAPPED, INPUT_LINE_TOO_LONG and the
// calibration and usage codes are exercised where they arise: evaluate and CLI tests).
const cases: [string, string, ErrorCode][] = [
  ['not JSON', '{"id": "c1", ', 'INPUT_NOT_JSON'],
  ['an array', '[1,2]', 'INPUT_NOT_OBJECT'],
  ['a bare number', '42', 'INPUT_NOT_OBJECT'],
  ['an object id', withRecord({ id: { a: 1 } }), 'INVALID_ID'],
  ['a 300-character id', withRecord({ id: 'x'.repeat(300) }), 'INVALID_ID'],
  ['no claim', withRecord({ claim: undefined }), 'INVALID_CLAIM'],
  ['two claims', withRecord({ claim: { country: 'SG', circle: {} } }), 'INVALID_CLAIM'],
  ['an unknown claim kind', withRecord({ claim: { province: 'Guangdong' } }), 'INVALID_CLAIM'],
  ['an unknown country code', withRecord({ claim: { country: 'XX' } }), 'UNKNOWN_COUNTRY'],
  ['a lower-case country code', withRecord({ claim: { country: 'sg' } }), 'UNKNOWN_COUNTRY'],
  ['a user-assigned code (Kosovo)', withRecord({ claim: { country: 'XK' } }), 'UNKNOWN_COUNTRY'],
  [
    'a geofence of the wrong type',
    withRecord({ claim: { geofence: { type: 'Point', coordinates: [1, 2] } } }),
    'INVALID_GEOFENCE',
  ],
  [
    'an open ring',
    withRecord({
      claim: {
        geofence: {
          type: 'Polygon',
          coordinates: [
            [
              [0, 0],
              [1, 0],
              [1, 1],
              [0, 1],
            ],
          ],
        },
      },
    }),
    'INVALID_GEOFENCE',
  ],
  [
    'a ring of 3 positions',
    withRecord({
      claim: {
        geofence: {
          type: 'Polygon',
          coordinates: [
            [
              [0, 0],
              [1, 0],
              [0, 0],
            ],
          ],
        },
      },
    }),
    'INVALID_GEOFENCE',
  ],
  [
    'a geofence latitude of 91',
    withRecord({
      claim: {
        geofence: {
          type: 'Polygon',
          coordinates: [
            [
              [0, 0],
              [1, 91],
              [1, 1],
              [0, 0],
            ],
          ],
        },
      },
    }),
    'INVALID_LATITUDE',
  ],
  ['a circle without radius', withRecord({ claim: { circle: { lat: 1, lon: 2 } } }), 'INVALID_CIRCLE'],
  [
    'a negative circle radius',
    withRecord({ claim: { circle: { lat: 1, lon: 2, radiusKm: -5 } } }),
    'INVALID_CIRCLE',
  ],
  ['landmarks not an array', withRecord({ landmarks: { id: 'L1' } }), 'INVALID_LANDMARKS'],
  ['a landmark without id', withRecord({ landmarks: [{ lat: 1, lon: 2 }] }), 'INVALID_LANDMARK'],
  ['a landmark that is a string', withRecord({ landmarks: ['L1'] }), 'INVALID_LANDMARK'],
  [
    'a duplicated landmark',
    withRecord({
      landmarks: [
        { id: 'L1', lat: 1, lon: 2 },
        { id: 'L1', lat: 3, lon: 4 },
      ],
    }),
    'DUPLICATE_LANDMARK',
  ],
  [
    'a latitude out of range',
    withRecord({ landmarks: [{ id: 'L1', lat: 90.5, lon: 2 }] }),
    'INVALID_LATITUDE',
  ],
  [
    'a latitude given as a string',
    withRecord({ landmarks: [{ id: 'L1', lat: '1.3', lon: 2 }] }),
    'INVALID_LATITUDE',
  ],
  [
    'a longitude out of range',
    withRecord({ landmarks: [{ id: 'L1', lat: 1, lon: -181 }] }),
    'INVALID_LONGITUDE',
  ],
  ['measurements not an array', withRecord({ measurements: 'fast' }), 'INVALID_MEASUREMENTS'],
  ['a measurement that is null', withRecord({ measurements: [null] }), 'INVALID_MEASUREMENTS'],
  ['a negative RTT', withRecord({ measurements: [{ landmark: 'L1', rttMs: -0.1 }] }), 'INVALID_RTT'],
  ['an infinite RTT (1e999)', withRecord({}).replace('1.7', '1e999'), 'INVALID_RTT'],
  [
    'a NaN RTT (as a string)',
    withRecord({ measurements: [{ landmark: 'L1', rttMs: 'NaN' }] }),
    'INVALID_RTT',
  ],
  [
    'an unknown trust mode',
    withRecord({ measurements: [{ landmark: 'L1', rttMs: 1, trustMode: 'trust-me' }] }),
    'INVALID_MEASUREMENTS',
  ],
  ['a null RTT', withRecord({ measurements: [{ landmark: 'L1', rttMs: null }] }), 'INVALID_RTT'],
  [
    'a measurement naming an unknown landmark',
    withRecord({ measurements: [{ landmark: 'L9', rttMs: 1 }] }),
    'UNKNOWN_LANDMARK',
  ],
  [
    'too many landmarks',
    withRecord({
      landmarks: Array.from({ length: RECORD_LIMITS.landmarks + 1 }, (_, i) => ({
        id: `L${i}`,
        lat: 0,
        lon: 0,
      })),
    }),
    'TOO_MANY_ITEMS',
  ],
  [
    'too many measurements',
    withRecord({
      measurements: Array.from({ length: RECORD_LIMITS.measurements + 1 }, () => ({
        landmark: 'L1',
        rttMs: 1,
      })),
    }),
    'TOO_MANY_ITEMS',
  ],
];

describe('a bad record', () => {
  for (const [what, line, code] of cases) {
    it(`when it has ${what}: ${code}`, () => {
      expect(errorCodeOf(() => parseRecordLine(line))).toBe(code);
    });
  }

  it('survives hostile JSON shapes without an uncoded error', () => {
    const hostile = [
      '{"__proto__": {"claim": {"country": "SG"}}}',
      '{"claim": {"country": "SG"}, "landmarks": [{"id": "constructor", "lat": 0, "lon": 0}], "measurements": [{"landmark": "toString", "rttMs": 1}]}',
      `{"claim": ${'['.repeat(5000)}${']'.repeat(5000)}}`,
      '{"claim": {"country": "SG"}, "landmarks": [], "measurements": [{"landmark": "__proto__", "rttMs": 1}]}',
    ];
    for (const line of hostile) {
      const outcome = errorCodeOf(() => parseRecordLine(line));
      expect(outcome).not.toBe('no error');
      expect(outcome).not.toBe('not a GeoattestError');
    }
  });
});

describe('when input is arbitrary (fuzzing)', () => {
  const isCoded = (f: () => unknown) => errorCodeOf(f) !== 'not a GeoattestError';

  it('any JSON value parses or fails with a coded error', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => isCoded(() => parseRecordLine(JSON.stringify(v)))),
      { numRuns: 1000 },
    );
  });

  it('any string parses or fails with a coded error', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => isCoded(() => parseRecordLine(s))),
      { numRuns: 1000 },
    );
  });

  it('a valid record with any field replaced by any JSON value parses or fails with a coded error', () => {
    const paths = ['id', 'claim', 'landmarks', 'measurements'] as const;
    fc.assert(
      fc.property(fc.constantFrom(...paths), fc.jsonValue(), fc.nat(3), (key, value, depth) => {
        const rec: Record<string, unknown> = JSON.parse(JSON.stringify(good));
        if (depth === 0) rec[key] = value;
        else if (key === 'landmarks') rec.landmarks = [{ ...good.landmarks[0], lat: value }];
        else if (key === 'measurements') rec.measurements = [{ landmark: 'L1', rttMs: value }];
        else if (key === 'claim') rec.claim = { circle: { lat: 1, lon: 2, radiusKm: value } };
        else rec.id = value;
        return isCoded(() => parseRecordLine(JSON.stringify(rec)));
      }),
      { numRuns: 1000 },
    );
  });
});
