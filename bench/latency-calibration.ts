// npm run calibrate:latency — fits the 'internet' link of the latency model (src/sim/latency-model.ts)
// on a real ping mesh: WonderProxy's 2020 "day in the life of the Internet" (~250 data-centre
// servers with known cities, ../shared/data/wonderproxy-2020), and checks the fit band by band.
//
// What is fitted, for a pair at great-circle distance D with minimum RTT t:
//   t = 2 × (D / 204 km/ms × I + H + 2 × last-mile)   (+ the jitter left in a minimum: small)
//   ln I ~ Normal(ln m0 + b·ln(D/1000 km), s0 + s1·ln(D/1000 km)), I ≥ 1
// by Nelder–Mead over (m0, b, s0, s1, H), minimising the squared log-differences between the
// model's and the mesh's quantiles (10/25/50/75/90 %) of t / (2D / 204), every distance band
// weighted alike (so the few short pairs, which the demo's proofs hinge on, count as much as the
// many long ones). The jitter is the median over pairs of (avg − min): what a ping adds, on average,
// to its path's least time.
//
// The data is read where it lies and never copied into the repository (it carries no licence).
// Absent data is not a failure: the bench says so and exits 0.
//
// Options: --json (the fitted parameters and the table as JSON), --seed N (the common random numbers).
// Data: GEOATTEST_WONDERPROXY_DIR, else ../shared/data/wonderproxy-2020 from the working directory.

import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PROPAGATION_BOUNDS } from '../src/geo/bounds.js';
import { distanceKm } from '../src/geo/sphere.js';
import {
  inflationFor,
  LATENCY_MODEL,
  type LatencyModel,
  type LinkParams,
  minRttOverKMs,
} from '../src/sim/latency-model.js';
import { normal, seededRandom } from '../src/sim/random.js';
import { quantile, table } from './table.js';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    seed: { type: 'string', default: '2020' },
  },
});
const SEED = Number(values.seed);

const DIR = resolve(
  process.env.GEOATTEST_WONDERPROXY_DIR ?? resolve(process.cwd(), '../shared/data/wonderproxy-2020'),
);
const SERVERS_CSV = 'servers-2020-07-19.csv';
const PINGS_CSV = 'pings-2020-07-19-2020-07-20-grouped.csv';
/** Rows without coordinates in this snapshot (the data's README). */
const DROPPED_IDS = new Set(['292', '293', '294', '295']);
const FIBRE = PROPAGATION_BOUNDS.fiber.kmPerMs;
const VACUUM = PROPAGATION_BOUNDS.vacuum.kmPerMs;

if (!existsSync(resolve(DIR, SERVERS_CSV)) || !existsSync(resolve(DIR, PINGS_CSV))) {
  const msg = `the WonderProxy 2020 data is absent (looked in ${DIR}); set GEOATTEST_WONDERPROXY_DIR to calibrate the latency model; the model keeps its recorded constants`;
  if (values.json) process.stdout.write(`${JSON.stringify({ absent: true, dir: DIR, message: msg })}\n`);
  else process.stdout.write(`${msg}\n`);
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------
// The mesh: one record per unordered pair, the smaller minimum of its two directions.

function rows(file: string): { col: (name: string) => number; data: string[][] } {
  const text = readFileSync(resolve(DIR, file), 'utf8');
  // Neither file quotes a field; a quote would mean the format changed under us.
  if (text.includes('"')) throw new Error(`${file}: quoted fields are not supported`);
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
  const header = lines[0].split(',');
  return {
    col: (name) => {
      const i = header.indexOf(name);
      if (i < 0) throw new Error(`${file}: no column ${name}`);
      return i;
    },
    data: lines.slice(1).map((l) => l.split(',')),
  };
}

const sites = new Map<string, { lat: number; lon: number }>();
{
  const { col, data } = rows(SERVERS_CSV);
  const [iId, iLat, iLon] = [col('id'), col('latitude'), col('longitude')];
  for (const r of data) {
    const lat = Number(r[iLat]);
    const lon = Number(r[iLon]);
    if (DROPPED_IDS.has(r[iId]) || r[iLat] === '' || r[iLon] === '') continue;
    if (!(Math.abs(lat) <= 90 && Math.abs(lon) <= 180)) continue;
    sites.set(r[iId], { lat, lon });
  }
}

interface Pair {
  readonly a: { lat: number; lon: number };
  readonly b: { lat: number; lon: number };
  readonly km: number;
  minMs: number;
  /** avg − min of the direction that gave minMs: the mean jitter over the least time. */
  excessMs: number;
}
const pairs = new Map<string, Pair>();
const directions = new Map<string, number[]>();
{
  const { col, data } = rows(PINGS_CSV);
  const [iSrc, iDst, iMin, iAvg] = [col('source'), col('destination'), col('min'), col('avg')];
  for (const r of data) {
    const [s, d] = [r[iSrc], r[iDst]];
    const a = sites.get(s);
    const b = sites.get(d);
    const min = Number(r[iMin]);
    const avg = Number(r[iAvg]);
    if (s === d || a === undefined || b === undefined || !(min > 0) || !(avg >= min)) continue;
    const key = Number(s) < Number(d) ? `${s}-${d}` : `${d}-${s}`;
    const both = directions.get(key) ?? [];
    both.push(min);
    directions.set(key, both);
    const prev = pairs.get(key);
    if (prev === undefined) pairs.set(key, { a, b, km: distanceKm(a, b), minMs: min, excessMs: avg - min });
    else if (min < prev.minMs) {
      prev.minMs = min;
      prev.excessMs = avg - min;
    }
  }
}
const all = [...pairs.values()];
const fibreMs = (p: Pair) => (2 * p.km) / FIBRE;
// Pairs faster than light between their labelled cities: a label is wrong (the data's README).
// They say nothing about paths, so the fit leaves them out and the table counts them.
const impossible = all.filter((p) => p.minMs < (2 * p.km) / VACUUM);
const usable = all.filter((p) => p.minMs >= (2 * p.km) / VACUUM);
const fasterThanFibre = usable.filter((p) => p.minMs < fibreMs(p)).length;
const directionGap = [...directions.values()]
  .filter((d) => d.length === 2)
  .map((d) => Math.abs(d[0] - d[1]) / Math.min(d[0], d[1]))
  .sort((x, y) => x - y);

// ---------------------------------------------------------------------------------------------
// The fit.

const BANDS: readonly (readonly [number, number])[] = [
  [0, 100],
  [100, 200],
  [200, 500],
  [500, 1000],
  [1000, 2000],
  [2000, 5000],
  [5000, 10000],
  [10000, 20100],
];
const QS = [0.1, 0.25, 0.5, 0.75, 0.9] as const;
const bandLabel = ([lo, hi]: readonly [number, number]) =>
  `${lo.toLocaleString('en')}-${Math.min(hi, 20000).toLocaleString('en')} km`;
const inBand = (p: Pair, [lo, hi]: readonly [number, number]) => p.km >= lo && p.km < hi;
const byBand = BANDS.map((band) => usable.filter((p) => inBand(p, band)));
const ratio = (p: Pair, rtt: number) => rtt / fibreMs(p);
const sorted = (xs: number[]) => xs.sort((x, y) => x - y);
const measuredQ = byBand.map((ps) => {
  const r = sorted(ps.map((p) => ratio(p, p.minMs)));
  return QS.map((q) => quantile(r, q));
});

// The fit sees at most FIT_PAIRS_PER_BAND pairs of a band (every n-th, in file order): quantiles of
// 1,500 pairs move by a few hundredths, and the fit runs in seconds instead of a minute.
const FIT_PAIRS_PER_BAND = 1500;
const fitBands = byBand.map((ps) => {
  const stride = Math.max(1, Math.ceil(ps.length / FIT_PAIRS_PER_BAND));
  return ps.filter((_, i) => i % stride === 0);
});
// Common random numbers: REPLICAS fixed normal deviates per pair, so the objective is smooth.
const REPLICAS = 4;
const rand = seededRandom(SEED);
const zs = fitBands.map((ps) => ps.map(() => Array.from({ length: REPLICAS }, () => normal(rand))));
const LAST_MILE = LATENCY_MODEL.lastMileMs;
// A minimum over ~30 pings keeps about 1/30 of the mean jitter (the minimum of n exponentials has
// mean/n); with the jitter fitted below that is ~0.01 ms, included for honesty.
const PINGS_PER_RUN = 30;

function paramsOf(x: readonly number[], jitter: number): LinkParams {
  return {
    medianInflationAt1000Km: Math.exp(x[0]),
    inflationDistanceExponent: x[1],
    sigmaAt1000Km: x[2],
    sigmaPerLnDistance: x[3],
    overheadMs: Math.abs(x[4]),
    jitterMeanRttMs: jitter,
  };
}

function modelMin(p: LinkParams, pair: Pair, z: number): number {
  return (
    2 * ((pair.km / FIBRE) * inflationFor(p, pair.km, z) + p.overheadMs + 2 * LAST_MILE) +
    p.jitterMeanRttMs / PINGS_PER_RUN
  );
}

function modelQuantiles(p: LinkParams): number[][] {
  return fitBands.map((ps, bi) => {
    const r: number[] = [];
    ps.forEach((pair, i) => {
      for (const z of zs[bi][i]) r.push(ratio(pair, modelMin(p, pair, z)));
    });
    sorted(r);
    return QS.map((q) => quantile(r, q));
  });
}

function objective(p: LinkParams): number {
  const mq = modelQuantiles(p);
  let sum = 0;
  mq.forEach((row, b) => {
    row.forEach((v, i) => {
      sum += Math.log(v / measuredQ[b][i]) ** 2;
    });
  });
  return sum;
}

/** Nelder–Mead simplex minimisation (standard coefficients 1, 2, 0.5, 0.5). */
function nelderMead(f: (x: number[]) => number, start: number[], step: number[], iterations: number) {
  const n = start.length;
  let simplex = [start, ...start.map((_, i) => start.map((v, j) => (i === j ? v + step[i] : v)))].map(
    (x) => ({
      x,
      f: f(x),
    }),
  );
  for (let it = 0; it < iterations; it++) {
    simplex.sort((u, v) => u.f - v.f);
    const centroid = start.map((_, j) => simplex.slice(0, n).reduce((s, p) => s + p.x[j], 0) / n);
    const along = (t: number) => centroid.map((c, j) => c + t * (simplex[n].x[j] - c));
    const r = along(-1);
    const fr = f(r);
    if (fr < simplex[0].f) {
      const e = along(-2);
      const fe = f(e);
      simplex[n] = fe < fr ? { x: e, f: fe } : { x: r, f: fr };
    } else if (fr < simplex[n - 1].f) {
      simplex[n] = { x: r, f: fr };
    } else {
      const c = along(0.5);
      const fc = f(c);
      if (fc < simplex[n].f) simplex[n] = { x: c, f: fc };
      else {
        const best = simplex[0].x;
        simplex = simplex.map((p, i) => {
          if (i === 0) return p;
          const x = best.map((b, j) => b + 0.5 * (p.x[j] - b));
          return { x, f: f(x) };
        });
      }
    }
  }
  simplex.sort((u, v) => u.f - v.f);
  return simplex[0];
}

const excess = sorted(usable.map((p) => p.excessMs));
const jitter = quantile(excess, 0.5);
const started = performance.now();
const best = nelderMead(
  (x) => objective(paramsOf(x, jitter)),
  [Math.log(2.5), -0.2, 0.35, -0.1, 0.5],
  [0.2, 0.05, 0.1, 0.05, 0.2],
  400,
);
const fitSeconds = (performance.now() - started) / 1000;
const fitted = paramsOf(best.x, jitter);
const round = (x: number, d = 3) => Number(x.toFixed(d));
const fittedRounded: LinkParams = {
  medianInflationAt1000Km: round(fitted.medianInflationAt1000Km),
  inflationDistanceExponent: round(fitted.inflationDistanceExponent),
  sigmaAt1000Km: round(fitted.sigmaAt1000Km),
  sigmaPerLnDistance: round(fitted.sigmaPerLnDistance),
  overheadMs: round(fitted.overheadMs),
  jitterMeanRttMs: round(fitted.jitterMeanRttMs),
};
const model: LatencyModel = { ...LATENCY_MODEL, internet: fittedRounded };

// ---------------------------------------------------------------------------------------------
// Goodness of fit: the model's own sampler (one drawn path, the least of 30 pings, as the mesh's
// `min` is) on every usable pair's endpoints, against the measured quantiles, band by band; with
// the fitted figures and with the constants now in src/sim/latency-model.ts.

function sampledQuantiles(m: LatencyModel, seed: number) {
  const rng = seededRandom(seed);
  const bands = [...byBand, usable].map((ps) => {
    const r = sorted(
      ps.map((p) => ratio(p, minRttOverKMs(p.a, p.b, PINGS_PER_RUN, rng, { link: 'internet', model: m }))),
    );
    return QS.map((q) => quantile(r, q));
  });
  return bands;
}
const fitCheck = sampledQuantiles(model, SEED + 1);
const inSource = sampledQuantiles(LATENCY_MODEL, SEED + 1);
const measuredAll = [
  ...measuredQ,
  (() => {
    const r = sorted(usable.map((p) => ratio(p, p.minMs)));
    return QS.map((q) => quantile(r, q));
  })(),
];
const labels = [...BANDS.map(bandLabel), 'all'];
const counts = [...byBand.map((b) => b.length), usable.length];
const fmt = (xs: readonly number[]) => xs.map((x) => x.toFixed(2)).join(' / ');
const worstLogError = (a: number[][], b: number[][]) =>
  Math.max(...a.flatMap((row, i) => row.map((v, j) => Math.abs(Math.log(v / b[i][j])))));

const inflationAt = (km: number) => {
  const qs = [0.1, 0.5, 0.9].map((q) => {
    const pZ = q === 0.5 ? 0 : q === 0.1 ? -1.2815515655 : 1.2815515655;
    return inflationFor(fittedRounded, km, pZ);
  });
  return qs;
};
const shortPairs = usable.filter((p) => p.km < 100);
const shortExcess = sorted(shortPairs.map((p) => p.minMs - fibreMs(p)));

const report = {
  data: {
    dir: DIR,
    pairs: all.length,
    usable: usable.length,
    fasterThanLight: impossible.length,
    fasterThanStraightFibre: fasterThanFibre,
    directionsMedianGap: quantile(directionGap, 0.5),
  },
  fitted: fittedRounded,
  objective: best.f,
  fitSeconds,
  inflationQuantiles: Object.fromEntries([100, 1000, 10000].map((km) => [km, inflationAt(km)])),
  shortPaths: {
    pairs: shortPairs.length,
    excessRttMs: [0.1, 0.5, 0.9].map((q) => quantile(shortExcess, q)),
    overheadRttMs: 2 * fittedRounded.overheadMs + 4 * LAST_MILE,
  },
  jitter: { excessQuantilesMs: [0.1, 0.5, 0.9].map((q) => quantile(excess, q)) },
  bands: labels.map((label, i) => ({
    band: label,
    pairs: counts[i],
    measured: measuredAll[i],
    fitted: fitCheck[i],
    inSource: inSource[i],
  })),
  worstLogError: {
    fitted: worstLogError(fitCheck, measuredAll),
    inSource: worstLogError(inSource, measuredAll),
  },
};

if (values.json) {
  process.stdout.write(`${JSON.stringify(report)}\n`);
  process.exit(0);
}

const out: string[] = [];
out.push(`Latency model calibration on the WonderProxy 2020 mesh (${DIR})`);
out.push(
  `${all.length} pairs; ${impossible.length} faster than light between their labelled cities (left out); ` +
    `${fasterThanFibre} faster than straight fibre but not light (kept); directions differ by ` +
    `${(report.data.directionsMedianGap * 100).toFixed(2)} % (median). Fit: ${fitSeconds.toFixed(1)} s, ` +
    `objective ${best.f.toFixed(3)}, seed ${SEED}.`,
);
out.push('');
out.push('Fitted parameters (internet link; paste into LATENCY_MODEL.internet)');
out.push(
  table(
    ['parameter', 'value', 'meaning'],
    [
      [
        'medianInflationAt1000Km',
        fittedRounded.medianInflationAt1000Km,
        'median path / straight fibre at 1,000 km',
      ],
      ['inflationDistanceExponent', fittedRounded.inflationDistanceExponent, 'median ∝ (D / 1000 km)^this'],
      ['sigmaAt1000Km', fittedRounded.sigmaAt1000Km, 'log-normal spread at 1,000 km'],
      ['sigmaPerLnDistance', fittedRounded.sigmaPerLnDistance, 'spread change per ln(D / 1000 km)'],
      ['overheadMs', fittedRounded.overheadMs, 'fixed one-way overhead of crossing networks'],
      ['jitterMeanRttMs', fittedRounded.jitterMeanRttMs, 'mean jitter of one ping (median of avg − min)'],
    ],
  ),
);
const allRow = report.bands[report.bands.length - 1];
out.push(
  `Median RTT / straight-fibre time over all pairs: measured ${allRow.measured[2].toFixed(2)}, ` +
    `model ${allRow.fitted[2].toFixed(2)}.`,
);
out.push('');
out.push('Inflation over straight fibre by distance (model quantiles 10 / 50 / 90 %)');
out.push(
  table(
    ['distance', 'p10', 'median', 'p90'],
    Object.entries(report.inflationQuantiles).map(([km, q]) => [
      `${Number(km).toLocaleString('en')} km`,
      q[0].toFixed(2),
      q[1].toFixed(2),
      q[2].toFixed(2),
    ]),
  ),
);
out.push('');
out.push(
  `Short paths (< 100 km, ${shortPairs.length} pairs): RTT above straight fibre p10 / median / p90 = ` +
    `${report.shortPaths.excessRttMs.map((x) => x.toFixed(2)).join(' / ')} ms; model fixed RTT overhead ` +
    `2H + 4 × last-mile = ${report.shortPaths.overheadRttMs.toFixed(3)} ms.`,
);
out.push(
  `Jitter: avg − min per pair p10 / median / p90 = ${report.jitter.excessQuantilesMs.map((x) => x.toFixed(3)).join(' / ')} ms.`,
);
out.push('');
out.push('Goodness of fit: RTT / (2 × distance / 204 km/ms), quantiles 10 / 25 / 50 / 75 / 90 %');
out.push('(model: the sampler, one drawn path per pair, least of 30 pings, as the mesh reports)');
out.push(
  table(
    ['band', 'pairs', 'measured', 'model (fitted)', 'model (in source)'],
    report.bands.map((b) => [b.band, b.pairs, fmt(b.measured), fmt(b.fitted), fmt(b.inSource)]),
  ),
);
out.push(
  `Worst |ln(model / measured)| over the table: fitted ${report.worstLogError.fitted.toFixed(3)}, ` +
    `in source ${report.worstLogError.inSource.toFixed(3)}.`,
);
process.stdout.write(`${out.join('\n')}\n`);
