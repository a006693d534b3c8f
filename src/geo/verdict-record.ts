// The JSON Lines records of `geoattest verdict`: strict parsing of one input line into a question,
// and the output record. Every line is attacker-controlled: types, ranges and sizes are checked
// before anything else touches them, and every failure is a coded GeoattestError.

import { GeoattestError } from '../errors.js';
import type { Claim, PolygonalGeometry } from './claim.js';
import { countryByAlpha2 } from './iso3166.js';
import type { Landmark, Measurement, Verdict } from './verdict.js';

/** Limits on one record; far above any real check-in, far below what would hurt the process. */
export const RECORD_LIMITS = Object.freeze({
  idLength: 256,
  landmarks: 10_000,
  measurements: 100_000,
  geofencePositions: 200_000,
});

export type RecordId = string | number | null;

export interface ParsedRecord {
  readonly id: RecordId;
  readonly claim: Claim;
  readonly landmarks: readonly Landmark[];
  readonly measurements: readonly Measurement[];
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function bad(code: ConstructorParameters<typeof GeoattestError>[0], message: string): never {
  throw new GeoattestError(code, message);
}

export function checkLatitude(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < -90 || v > 90) {
    bad('INVALID_LATITUDE', `${what}: latitude must be a number in [-90, 90], got ${JSON.stringify(v)}`);
  }
  return v;
}

export function checkLongitude(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < -180 || v > 180) {
    bad('INVALID_LONGITUDE', `${what}: longitude must be a number in [-180, 180], got ${JSON.stringify(v)}`);
  }
  return v;
}

/** The id of a record, if one can be read: used to label error records too. */
export function recordId(v: unknown): RecordId {
  if (!isObject(v)) return null;
  try {
    return parseId(v.id);
  } catch {
    return null;
  }
}

function parseId(v: unknown): RecordId {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string' && v.length <= RECORD_LIMITS.idLength) return v;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  return bad('INVALID_ID', `id must be a string of at most ${RECORD_LIMITS.idLength} characters or a number`);
}

/** Parses a GeoJSON Polygon or MultiPolygon strictly (RFC 7946 §3.1.6: closed rings of ≥ 4 positions). */
export function parseGeofence(v: unknown): PolygonalGeometry {
  if (!isObject(v) || (v.type !== 'Polygon' && v.type !== 'MultiPolygon') || !Array.isArray(v.coordinates)) {
    bad('INVALID_GEOFENCE', 'geofence must be a GeoJSON Polygon or MultiPolygon');
  }
  let positions = 0;
  const ring = (r: unknown): number[][] => {
    if (!Array.isArray(r) || r.length < 4) bad('INVALID_GEOFENCE', 'a ring needs at least 4 positions');
    positions += r.length;
    if (positions > RECORD_LIMITS.geofencePositions) {
      bad('TOO_MANY_ITEMS', `geofence has more than ${RECORD_LIMITS.geofencePositions} positions`);
    }
    const out = r.map((p: unknown) => {
      if (!Array.isArray(p) || p.length < 2 || p.length > 3)
        bad('INVALID_GEOFENCE', 'a position is [lon, lat]');
      return [checkLongitude(p[0], 'geofence'), checkLatitude(p[1], 'geofence')];
    });
    const [a, z] = [out[0], out[out.length - 1]];
    if (a[0] !== z[0] || a[1] !== z[1]) bad('INVALID_GEOFENCE', 'a ring must end where it starts');
    return out;
  };
  const polygon = (p: unknown): number[][][] => {
    if (!Array.isArray(p) || p.length === 0) bad('INVALID_GEOFENCE', 'a polygon needs at least one ring');
    return p.map(ring);
  };
  if (v.type === 'Polygon') return { type: 'Polygon', coordinates: polygon(v.coordinates) };
  if (v.coordinates.length === 0) bad('INVALID_GEOFENCE', 'a MultiPolygon needs at least one polygon');
  return { type: 'MultiPolygon', coordinates: v.coordinates.map(polygon) };
}

export function parseClaim(v: unknown): Claim {
  if (!isObject(v)) bad('INVALID_CLAIM', 'claim must be an object');
  const keys = Object.keys(v);
  if (keys.length !== 1) bad('INVALID_CLAIM', 'claim must have exactly one of country, geofence, circle');
  if ('country' in v) {
    const code = v.country;
    if (typeof code !== 'string' || !/^[A-Z]{2}$/.test(code)) {
      bad(
        'UNKNOWN_COUNTRY',
        `country must be an upper-case ISO 3166-1 alpha-2 code, got ${JSON.stringify(code)}`,
      );
    }
    if (countryByAlpha2(code) === undefined)
      bad('UNKNOWN_COUNTRY', `${code} is not an ISO 3166-1 alpha-2 code`);
    return { kind: 'country', code };
  }
  if ('geofence' in v) return { kind: 'geofence', geometry: parseGeofence(v.geofence) };
  if ('circle' in v) {
    const c = v.circle;
    if (!isObject(c)) bad('INVALID_CIRCLE', 'circle must be {lat, lon, radiusKm}');
    const r = c.radiusKm;
    if (typeof r !== 'number' || !Number.isFinite(r) || r <= 0 || r > 20_016) {
      bad('INVALID_CIRCLE', 'circle radiusKm must be a number in (0, 20016]');
    }
    return {
      kind: 'circle',
      lat: checkLatitude(c.lat, 'circle'),
      lon: checkLongitude(c.lon, 'circle'),
      radiusKm: r,
    };
  }
  return bad('INVALID_CLAIM', `unknown claim kind ${JSON.stringify(keys[0])}`);
}

function parseLandmarks(v: unknown): Landmark[] {
  if (!Array.isArray(v)) bad('INVALID_LANDMARKS', 'landmarks must be an array');
  if (v.length > RECORD_LIMITS.landmarks)
    bad('TOO_MANY_ITEMS', `more than ${RECORD_LIMITS.landmarks} landmarks`);
  const seen = new Set<string>();
  return v.map((l: unknown, i: number) => {
    if (!isObject(l)) bad('INVALID_LANDMARK', `landmarks[${i}] must be an object`);
    const id = l.id;
    if (typeof id !== 'string' || id.length === 0 || id.length > RECORD_LIMITS.idLength) {
      bad('INVALID_LANDMARK', `landmarks[${i}].id must be a non-empty string`);
    }
    if (seen.has(id)) bad('DUPLICATE_LANDMARK', `landmark ${JSON.stringify(id)} is listed twice`);
    seen.add(id);
    const what = `landmark ${JSON.stringify(id)}`;
    return { id, lat: checkLatitude(l.lat, what), lon: checkLongitude(l.lon, what) };
  });
}

export function checkRtt(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    bad('INVALID_RTT', `${what}: rttMs must be a finite number >= 0, got ${JSON.stringify(v)}`);
  }
  return v;
}

function parseMeasurements(v: unknown, landmarks: readonly Landmark[]): Measurement[] {
  if (!Array.isArray(v)) bad('INVALID_MEASUREMENTS', 'measurements must be an array');
  if (v.length > RECORD_LIMITS.measurements) {
    bad('TOO_MANY_ITEMS', `more than ${RECORD_LIMITS.measurements} measurements`);
  }
  const known = new Set(landmarks.map((l) => l.id));
  return v.map((m: unknown, i: number) => {
    if (!isObject(m)) bad('INVALID_MEASUREMENTS', `measurements[${i}] must be an object`);
    const landmark = m.landmark;
    if (typeof landmark !== 'string' || !known.has(landmark)) {
      bad(
        'UNKNOWN_LANDMARK',
        `measurements[${i}] names landmark ${JSON.stringify(landmark)}, which is not listed`,
      );
    }
    const trustMode = m.trustMode ?? 'software';
    if (trustMode !== 'software' && trustMode !== 'gpu-evidence' && trustMode !== 'gpu-session') {
      bad(
        'INVALID_MEASUREMENTS',
        `measurements[${i}].trustMode must be software, gpu-evidence or gpu-session`,
      );
    }
    return { landmark, rttMs: checkRtt(m.rttMs, `measurements[${i}]`), trustMode };
  });
}

/** Parses one already-JSON-decoded input record. */
export function parseRecord(v: unknown): ParsedRecord {
  if (!isObject(v)) bad('INPUT_NOT_OBJECT', 'a record must be a JSON object');
  const id = parseId(v.id);
  const claim = parseClaim(v.claim);
  const landmarks = parseLandmarks(v.landmarks);
  const measurements = parseMeasurements(v.measurements ?? [], landmarks);
  return { id, claim, landmarks, measurements };
}

/** Parses one line of input text. */
export function parseRecordLine(line: string): ParsedRecord {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    bad('INPUT_NOT_JSON', 'the line is not valid JSON');
  }
  return parseRecord(v);
}

export interface OutputEstimate {
  readonly lat: number;
  readonly lon: number;
  readonly radiusKm: number;
}

/** The output record for a verdict, with the fields in the documented order. */
export function verdictRecord(id: RecordId, v: Verdict, estimate: OutputEstimate | null) {
  const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;
  return {
    id,
    verdict: v.verdict,
    bound: v.bound,
    where: v.where,
    marginKm: v.marginKm,
    trustModes: v.trustModes,
    estimate:
      estimate === null
        ? null
        : { lat: round(estimate.lat, 4), lon: round(estimate.lon, 4), radiusKm: round(estimate.radiusKm, 1) },
    landmarksUsed: v.landmarksUsed,
    proofRadiusKm: v.proofRadiusKm === null ? null : round(v.proofRadiusKm, 3),
    ...(v.suspects.length > 0 ? { suspects: v.suspects } : {}),
    reasons: v.reasons,
  };
}

export function errorRecord(id: RecordId, e: GeoattestError) {
  return { id, error: { code: e.code, message: e.message } };
}
