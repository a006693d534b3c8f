// Calibration (landmark-to-landmark RTTs): refits the km per ms on the calibration set and gives
// each landmark with enough nearby pairs its own fixed overhead (half the median excess of its
// pairs over the model: the excess is shared by both ends), shrunk toward none when pairs are few.
// It also keeps each landmark's CBG bestline for the CBG baseline (estimate-baselines.ts).
// The model it refits is the uncalibrated one of estimate.ts.
//
// Pure: no clock, files, network or randomness.

import { GeoattestError } from '../errors.js';
import { PROPAGATION_BOUNDS } from './bounds.js';
import { INFLATION_MODEL, kmPerMs } from './estimate.js';
import { distanceKm } from './sphere.js';

export interface CalibrationPair {
  readonly from: string;
  readonly to: string;
  readonly rttMs: number;
}

/** CBG's bestline (Gueye et al. 2006, §III-B): RTT ≥ msPerKm × d + interceptMs for all pairs. */
export interface Bestline {
  readonly msPerKm: number;
  readonly interceptMs: number;
}

export interface LandmarkModel {
  /** Fixed delay this landmark adds to every RTT, in ms (0 when it has too few pairs). */
  readonly overheadMs: number;
  /** Pairs its overhead was fitted on. */
  readonly pairs: number;
  readonly bestline: Bestline | null;
}

/** Per-landmark delay-to-distance models. Build it with buildCalibration; treat it as opaque. */
export interface Calibration {
  readonly kind: 'calibration';
  /** Km of distance per ms of RTT for RTTs up to 50 ms, refitted on the calibration set. */
  readonly nearKmPerMs: number;
  readonly landmarks: ReadonlyMap<string, LandmarkModel>;
  /** Distinct landmark pairs used. */
  readonly pairs: number;
  /** Pairs faster than light between their stated positions (a wrong position): left out. */
  readonly conflicts: number;
}

// Calibration fit: a landmark's nearby pairs (RTT < 80 ms, the 30 lowest) say most about the
// distances that matter; 8 pairs are the least worth fitting; n/(n+20) shrinks toward no overhead.
const CAL_NEAR_MS = 80;
const CAL_PAIRS = 30;
const CAL_MIN_PAIRS = 8;
const CAL_SHRINK = 20;
const CAL_MIN_GLOBAL = 30;

const C_KM_PER_MS = PROPAGATION_BOUNDS.vacuum.kmPerMs;
/** CBG's baseline: the bestline may not be faster than 2/3 c (Gueye et al. 2006). */
const BASELINE_MS_PER_KM = 2 / ((2 / 3) * C_KM_PER_MS);

function fail(message: string): never {
  throw new GeoattestError('INVALID_CALIBRATION', message);
}

function checkPosition(lat: unknown, lon: unknown): boolean {
  return (
    typeof lat === 'number' &&
    typeof lon === 'number' &&
    Number.isFinite(lat) &&
    Number.isFinite(lon) &&
    Math.abs(lat) <= 90 &&
    Math.abs(lon) <= 180
  );
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * Builds per-landmark models from landmark-to-landmark RTTs. Throws INVALID_CALIBRATION on a
 * malformed pair (non-string or unknown id, a landmark paired with itself, an RTT that is not a
 * finite number >= 0) or position. Several RTTs for one pair (either direction) keep the smallest.
 */
export function buildCalibration(
  pairs: readonly CalibrationPair[],
  positions: ReadonlyMap<string, { lat: number; lon: number }>,
): Calibration {
  if (!Array.isArray(pairs)) fail('calibration pairs must be an array');
  if (!(positions instanceof Map)) fail('calibration positions must be a Map');
  const pos = new Map<string, { lat: number; lon: number }>();
  for (const [id, p] of positions) {
    if (!checkPosition(p?.lat, p?.lon))
      fail(`calibration position of ${id} is not a valid latitude/longitude`);
    pos.set(id, { lat: p.lat, lon: p.lon });
  }
  // Smallest RTT per unordered pair, keyed by its two ids (nested maps: no key encoding to forge).
  const best = new Map<string, Map<string, number>>();
  pairs.forEach((p, i) => {
    const where = `calibration pair ${i + 1}`;
    if (p === null || typeof p !== 'object') fail(`${where} is not an object`);
    const { from, to, rttMs } = p;
    if (typeof from !== 'string' || typeof to !== 'string') fail(`${where}: "from" and "to" must be strings`);
    if (from === to) fail(`${where}: landmark ${from} is paired with itself`);
    if (typeof rttMs !== 'number' || !Number.isFinite(rttMs) || rttMs < 0) {
      fail(`${where}: rttMs must be a finite number >= 0`);
    }
    for (const id of [from, to]) if (!pos.has(id)) fail(`${where}: unknown landmark ${id}`);
    const [a, b] = from < to ? [from, to] : [to, from];
    let row = best.get(a);
    if (row === undefined) {
      row = new Map();
      best.set(a, row);
    }
    const prev = row.get(b);
    if (prev === undefined || rttMs < prev) row.set(b, rttMs);
  });

  const per = new Map<string, { d: number; r: number }[]>();
  const all: { d: number; r: number }[] = [];
  let conflicts = 0;
  for (const [a, row] of best)
    for (const [b, rtt] of row) {
      const d = distanceKm(pos.get(a)!, pos.get(b)!);
      // Faster than light between the stated positions: one of them is wrong. Fit nothing on it.
      if (d > (rtt / 2) * C_KM_PER_MS) {
        conflicts++;
        continue;
      }
      const pt = { d, r: rtt };
      all.push(pt);
      for (const id of [a, b]) {
        const list = per.get(id);
        if (list === undefined) per.set(id, [pt]);
        else list.push(pt);
      }
    }
  const nearPairs = all.filter((p) => p.r > 0 && p.r <= INFLATION_MODEL.nearUntilMs);
  const near =
    nearPairs.length >= CAL_MIN_GLOBAL
      ? Math.min(100, Math.max(10, median(nearPairs.map((p) => p.d / p.r))))
      : INFLATION_MODEL.nearKmPerMs;

  const landmarks = new Map<string, LandmarkModel>();
  for (const [id, list] of per) {
    const close = list
      .filter((p) => p.r < CAL_NEAR_MS)
      .sort((x, y) => x.r - y.r)
      .slice(0, CAL_PAIRS);
    let overheadMs = 0;
    if (close.length >= CAL_MIN_PAIRS) {
      // The excess of a pair over the model is shared by its two ends.
      const excess = median(close.map((p) => (p.r - p.d / kmPerMs(p.r, near)) / 2));
      overheadMs = (Math.max(0, excess) * close.length) / (close.length + CAL_SHRINK);
    }
    landmarks.set(
      id,
      Object.freeze({
        overheadMs,
        pairs: close.length >= CAL_MIN_PAIRS ? close.length : 0,
        bestline: bestline(list),
      }),
    );
  }
  return Object.freeze({ kind: 'calibration', nearKmPerMs: near, landmarks, pairs: all.length, conflicts });
}

/**
 * CBG's bestline (Gueye et al. 2006, §III-B): the line r = m·d + b below every (distance, RTT)
 * point that is closest to them (least total vertical gap), with b ≥ 0 and m no faster than the
 * 2/3 c baseline. A linear programme in (m, b): its optimum is a line through two points of the
 * lower convex hull, or through one with the baseline slope or a zero intercept.
 */
export function bestline(points: readonly { d: number; r: number }[]): Bestline | null {
  if (points.length < 3) return null;
  const pts = [...points].sort((a, b) => a.d - b.d || a.r - b.r);
  const hull: { d: number; r: number }[] = [];
  for (const p of pts) {
    while (hull.length >= 2) {
      const a = hull[hull.length - 2];
      const b = hull[hull.length - 1];
      if ((b.d - a.d) * (p.r - a.r) - (b.r - a.r) * (p.d - a.d) <= 0) hull.pop();
      else break;
    }
    hull.push(p);
  }
  let sumD = 0;
  for (const p of pts) sumD += p.d;
  const n = pts.length;
  const feasible = (m: number, b: number) =>
    m >= BASELINE_MS_PER_KM * (1 - 1e-12) && b >= -1e-12 && hull.every((h) => h.r - (m * h.d + b) >= -1e-9);
  let best: Bestline | null = null;
  let bestScore = Number.NEGATIVE_INFINITY;
  const consider = (m: number, b: number) => {
    if (!Number.isFinite(m) || !Number.isFinite(b) || !feasible(m, b)) return;
    const score = m * sumD + n * b;
    if (score > bestScore) {
      bestScore = score;
      best = { msPerKm: m, interceptMs: Math.max(0, b) };
    }
  };
  for (let i = 0; i + 1 < hull.length; i++) {
    const a = hull[i];
    const c = hull[i + 1];
    if (c.d > a.d) {
      const m = (c.r - a.r) / (c.d - a.d);
      consider(m, a.r - m * a.d);
    }
  }
  for (const h of hull) {
    consider(BASELINE_MS_PER_KM, h.r - BASELINE_MS_PER_KM * h.d);
    if (h.d > 0) consider(h.r / h.d, 0);
  }
  consider(BASELINE_MS_PER_KM, 0);
  return best;
}
