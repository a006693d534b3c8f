// npm run bench:accuracy — leave-one-out over a real ping mesh: WonderProxy's 2020 "day in the life
// of the Internet" (~250 data-centre servers with known cities, ../shared/data/wonderproxy-2020).
// Each server in turn is the chip, all the others are its landmarks, and its claim is its labelled
// country. Reports what the verdict proves under each bound and policy, which labels physics refutes,
// how far proofs reach, and the estimate's error beside Shortest Ping and CBG, with and without a
// calibration (built from the other servers' pairs only, so the chip's own RTTs never enter it).
//
// The data is read where it lies and never copied into the repository. Absent data is not a
// failure: the bench says so and exits 0.
//
// Options: --json (machine-readable output), --chips N (only the first N servers, for a quick run).
// Data: GEOATTEST_WONDERPROXY_DIR, else ../shared/data/wonderproxy-2020 from the working directory.

import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { progressBar } from '../src/cli/progress.js';
import { type BoundName, PROPAGATION_BOUNDS } from '../src/geo/bounds.js';
import { buildCalibration, type Calibration, type CalibrationPair } from '../src/geo/calibration.js';
import { type Estimate, estimatePosition, type RttObservation } from '../src/geo/estimate.js';
import { cbg, shortestPing } from '../src/geo/estimate-baselines.js';
import { countryByName } from '../src/geo/iso3166.js';
import { distanceKm, SPHERE_DISTANCE_SLACK } from '../src/geo/sphere.js';
import { decideVerdict, type Landmark, type Measurement, type Verdict } from '../src/geo/verdict.js';
import type { WherePolicy } from '../src/geo/where.js';
import { loadAtlas } from '../src/io/atlas-file.js';
import { quantile, table } from './table.js';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    chips: { type: 'string' },
  },
});

const DIR = resolve(
  process.env.GEOATTEST_WONDERPROXY_DIR ?? resolve(process.cwd(), '../shared/data/wonderproxy-2020'),
);
const SERVERS_CSV = 'servers-2020-07-19.csv';
const PINGS_CSV = 'pings-2020-07-19-2020-07-20-grouped.csv';
/** Rows without coordinates in this snapshot (README). */
const DROPPED_IDS = new Set(['292', '293', '294', '295']);
const C = PROPAGATION_BOUNDS.vacuum.kmPerMs;

const COMBOS: readonly { bound: BoundName; where: WherePolicy }[] = [
  { bound: 'vacuum', where: 'territorial' },
  { bound: 'vacuum', where: 'land' },
  { bound: 'vacuum', where: 'anywhere' },
  { bound: 'fiber', where: 'territorial' },
  { bound: 'fiber', where: 'land' },
  { bound: 'fiber', where: 'anywhere' },
];

if (!existsSync(resolve(DIR, SERVERS_CSV)) || !existsSync(resolve(DIR, PINGS_CSV))) {
  const msg = `the WonderProxy 2020 data is absent (looked in ${DIR}); set GEOATTEST_WONDERPROXY_DIR to run this benchmark`;
  if (values.json) process.stdout.write(`${JSON.stringify({ absent: true, dir: DIR, message: msg })}\n`);
  else process.stdout.write(`${msg}\n`);
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------
// The mesh.

interface Server {
  readonly id: string;
  readonly name: string;
  /** The country column as labelled, and its ISO 3166-1 alpha-2 code when it has one. */
  readonly country: string;
  readonly code: string | null;
  readonly lat: number;
  readonly lon: number;
}

function csvRows(file: string): { header: string[]; rows: string[][] } {
  // Neither file quotes a field (checked by hand); a quote would mean the format changed.
  const text = readFileSync(resolve(DIR, file), 'utf8');
  if (text.includes('"')) throw new Error(`${file}: quoted fields are not supported`);
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
  return { header: lines[0].split(','), rows: lines.slice(1).map((l) => l.split(',')) };
}

function column(header: string[], name: string, file: string): number {
  const i = header.indexOf(name);
  if (i < 0) throw new Error(`${file}: no column ${name}`);
  return i;
}

const skipped = { droppedIds: 0, noCoordinates: 0, selfRows: 0, unknownIds: 0, badRtt: 0 };
const servers: Server[] = [];
{
  const { header, rows } = csvRows(SERVERS_CSV);
  const [iId, iName, iCountry, iLat, iLon] = ['id', 'name', 'country', 'latitude', 'longitude'].map((c) =>
    column(header, c, SERVERS_CSV),
  );
  for (const r of rows) {
    const id = r[iId];
    if (DROPPED_IDS.has(id)) {
      skipped.droppedIds++;
      continue;
    }
    const lat = Number(r[iLat]);
    const lon = Number(r[iLon]);
    if (r[iLat] === '' || r[iLon] === '' || !(Math.abs(lat) <= 90) || !(Math.abs(lon) <= 180)) {
      skipped.noCoordinates++;
      continue;
    }
    const country = r[iCountry];
    servers.push({ id, name: r[iName], country, code: countryByName(country)?.alpha2 ?? null, lat, lon });
  }
  servers.sort((a, b) => Number(a.id) - Number(b.id));
}
const byId = new Map(servers.map((s) => [s.id, s]));

/** Minimum RTT per unordered pair, over both directions (the `min` column). */
const rtt = new Map<string, Map<string, number>>(servers.map((s) => [s.id, new Map()]));
{
  const { header, rows } = csvRows(PINGS_CSV);
  const [iSrc, iDst, iMin] = ['source', 'destination', 'min'].map((c) => column(header, c, PINGS_CSV));
  for (const r of rows) {
    const a = r[iSrc];
    const b = r[iDst];
    if (a === b) {
      skipped.selfRows++;
      continue;
    }
    if (!byId.has(a) || !byId.has(b)) {
      skipped.unknownIds++;
      continue;
    }
    const v = Number(r[iMin]);
    if (r[iMin] === '' || !Number.isFinite(v) || v <= 0) {
      skipped.badRtt++;
      continue;
    }
    const prev = rtt.get(a)!.get(b);
    if (prev === undefined || v < prev) {
      rtt.get(a)!.set(b, v);
      rtt.get(b)!.set(a, v);
    }
  }
}
const allPairs: CalibrationPair[] = [];
for (const [a, m] of rtt)
  for (const [b, v] of m) if (Number(a) < Number(b)) allPairs.push({ from: a, to: b, rttMs: v });

const atlas = loadAtlas('10m');
const marginKm = atlas.info.defaultMarginKm;
const chips = values.chips === undefined ? servers : servers.slice(0, Math.max(1, Number(values.chips)));

// ---------------------------------------------------------------------------------------------
// Leave-one-out.

interface EstimateRow {
  readonly method: string;
  readonly calibration: 'none' | 'leave-one-out';
  readonly errors: number[];
  readonly radii: number[];
  covered: number;
  readonly micros: number[];
}
const METHODS: readonly {
  method: string;
  calibrated: boolean;
  run: (obs: readonly RttObservation[], cal: Calibration) => Estimate | null;
}[] = [
  { method: 'estimate (ours)', calibrated: false, run: (o) => estimatePosition(o) },
  { method: 'estimate (ours)', calibrated: true, run: (o, c) => estimatePosition(o, c) },
  { method: 'shortest ping', calibrated: false, run: (o) => shortestPing(o) },
  { method: 'shortest ping', calibrated: true, run: (o, c) => shortestPing(o, c) },
  { method: 'CBG 2/3 c', calibrated: false, run: (o) => cbg(o) },
  { method: 'CBG bestline', calibrated: true, run: (o, c) => cbg(o, undefined, c) },
];
const estimates: EstimateRow[] = METHODS.map((m) => ({
  method: m.method,
  calibration: m.calibrated ? 'leave-one-out' : 'none',
  errors: [],
  radii: [],
  covered: 0,
  micros: [],
}));

interface ChipVerdicts {
  readonly server: Server;
  readonly verdicts: Verdict[];
  /** Landmarks whose vacuum cap excludes the server's labelled city: one of the two labels is wrong. */
  readonly contradicting: string[];
}
const verdictRuns: ChipVerdicts[] = [];
const verdictMs: number[][] = COMBOS.map(() => []);
const slowest = COMBOS.map(() => ({ ms: 0, server: '', verdict: '' }));
const calibrationMs: number[] = [];
const unclaimable: { server: Server; why: string }[] = [];
const nearestRtt: number[] = [];

const progress = progressBar(process.stderr, 'accuracy (leave-one-out)', chips.length);
const started = performance.now();
chips.forEach((chip, n) => {
  const landmarks: Landmark[] = [];
  const measurements: Measurement[] = [];
  const obs: RttObservation[] = [];
  for (const [id, v] of rtt.get(chip.id)!) {
    const s = byId.get(id)!;
    const landmark = { id, lat: s.lat, lon: s.lon };
    landmarks.push(landmark);
    measurements.push({ landmark: id, rttMs: v });
    obs.push({ landmark, rttMs: v });
  }
  if (obs.length > 0) nearestRtt.push(Math.min(...obs.map((o) => o.rttMs)));

  if (chip.code === null) unclaimable.push({ server: chip, why: `"${chip.country}" has no ISO 3166-1 code` });
  else if (atlas.regionIndex(chip.code) === undefined) {
    unclaimable.push({ server: chip, why: `${chip.code} has no separate land on the 10m map` });
  } else {
    const verdicts = COMBOS.map(({ bound, where }, k) => {
      const t = performance.now();
      const v = decideVerdict(
        { claim: { kind: 'country', code: chip.code! }, landmarks, measurements, bound, where, marginKm },
        { atlas },
      );
      const ms = performance.now() - t;
      verdictMs[k].push(ms);
      if (ms > slowest[k].ms) slowest[k] = { ms, server: chip.name, verdict: v.verdict };
      return v;
    });
    const contradicting = obs
      .filter((o) => distanceKm(o.landmark, chip) > (o.rttMs / 2) * C * (1 + SPHERE_DISTANCE_SLACK))
      .map((o) => o.landmark.id);
    verdictRuns.push({ server: chip, verdicts, contradicting });
  }

  const t = performance.now();
  const positions = new Map(
    servers.filter((s) => s.id !== chip.id).map((s) => [s.id, { lat: s.lat, lon: s.lon }]),
  );
  const calibration = buildCalibration(
    allPairs.filter((p) => p.from !== chip.id && p.to !== chip.id),
    positions,
  );
  calibrationMs.push(performance.now() - t);
  METHODS.forEach((m, k) => {
    const t0 = performance.now();
    const e = m.run(obs, calibration);
    estimates[k].micros.push((performance.now() - t0) * 1000);
    if (e === null) return;
    const err = distanceKm(e, chip);
    estimates[k].errors.push(err);
    estimates[k].radii.push(e.radiusKm);
    if (err <= e.radiusKm) estimates[k].covered++;
  });
  progress.update(n + 1, n + 1);
});
progress.finish();
const totalSeconds = (performance.now() - started) / 1000;

// ---------------------------------------------------------------------------------------------
// Why each server proven outside (vacuum, territorial) is: every landmark whose cap alone rules its
// labelled country out. Many such landmarks: the server's label is wrong. Only one: either the
// server's label or that landmark's position is wrong, and the data cannot say which (a verdict
// trusts its landmarks' positions); a refuter that is itself in doubt (proven outside, or named
// as a suspect of an inconsistent verdict) points at the landmark.

const VT = 0;
const doubtful = new Set<string>();
for (const r of verdictRuns) {
  if (r.verdicts[VT].verdict === 'outside') doubtful.add(r.server.id);
  for (const set of r.verdicts[VT].suspects) for (const id of set) doubtful.add(id);
}
interface Refutation {
  readonly id: string;
  readonly name: string;
  readonly labelled: string;
  readonly code: string;
  /** Landmarks whose cap alone excludes the labelled country, lowest RTT first. */
  readonly refuters: { id: string; name: string; rttMs: number; reachKm: number; labelledCityKm: number }[];
  readonly why: string;
}
function refutersOf(server: Server): Refutation['refuters'] {
  return [...rtt.get(server.id)!]
    .sort((a, b) => a[1] - b[1])
    .filter(([id, v]) => {
      const l = byId.get(id)!;
      const single = decideVerdict(
        {
          claim: { kind: 'country', code: server.code! },
          landmarks: [{ id, lat: l.lat, lon: l.lon }],
          measurements: [{ landmark: id, rttMs: v }],
          ...COMBOS[VT],
          marginKm,
        },
        { atlas },
      );
      return single.verdict === 'outside';
    })
    .map(([id, v]) => {
      const l = byId.get(id)!;
      return {
        id,
        name: `${l.name} (${l.code ?? l.country})`,
        rttMs: v,
        reachKm: (v / 2) * C,
        labelledCityKm: distanceKm(l, server),
      };
    });
}
const outsideRuns = verdictRuns.filter((r) => r.verdicts[VT].verdict === 'outside');
const refuterLists = new Map(outsideRuns.map((r) => [r.server.id, refutersOf(r.server)]));
const refutations: Refutation[] = outsideRuns.map(({ server }) => {
  const refuters = refuterLists.get(server.id)!;
  const first = refuters[0];
  let why: string;
  if (first === undefined) why = 'no single landmark refutes it; the intersection of several caps does';
  else {
    const fact =
      `${first.name} measured ${first.rttMs.toFixed(2)} ms: the server is within ${first.reachKm.toFixed(0)} km of it, ` +
      `which reaches no part of ${server.code}, yet the labelled city is ${first.labelledCityKm.toFixed(0)} km away`;
    const back = refuterLists.get(first.id);
    const mutual = back !== undefined && back.length === 1 && back[0].id === server.id;
    if (refuters.length > 1)
      why = `${fact}; ${refuters.length} landmarks each refute it alone: the label is wrong`;
    else if (mutual)
      why = `${fact}; the two refute only each other: one of the two labels is wrong, the data cannot say which`;
    else if (doubtful.has(first.id)) {
      why = `${fact}; the only refuter, whose own position is in doubt: likely that landmark's label is wrong, not this one`;
    } else why = `${fact}; the only refuter: either this label or that landmark's is wrong`;
  }
  return { id: server.id, name: server.name, labelled: server.country, code: server.code!, refuters, why };
});

// ---------------------------------------------------------------------------------------------
// Landmark spacing: what one more landmark in the chip's own metro would prove. A what-if: a
// landmark at the server's labelled city measuring RTT r, added to the real ones (vacuum bound,
// territorial policy). Where the label is wrong the extra cap contradicts the others: not inside.

const WHAT_IF_MS = [1, 0.5, 0.2, 0.1] as const;
const whatIf = WHAT_IF_MS.map((r) => {
  let inside = 0;
  for (const { server } of verdictRuns) {
    const landmarks: Landmark[] = [{ id: 'metro', lat: server.lat, lon: server.lon }];
    const measurements: Measurement[] = [{ landmark: 'metro', rttMs: r }];
    for (const [id, v] of rtt.get(server.id)!) {
      const l = byId.get(id)!;
      landmarks.push({ id, lat: l.lat, lon: l.lon });
      measurements.push({ landmark: id, rttMs: v });
    }
    const v = decideVerdict(
      { claim: { kind: 'country', code: server.code! }, landmarks, measurements, ...COMBOS[VT], marginKm },
      { atlas },
    );
    if (v.verdict === 'inside') inside++;
  }
  return {
    rttMs: r,
    vacuumKm: (r / 2) * C,
    inside,
    share: verdictRuns.length === 0 ? 0 : inside / verdictRuns.length,
  };
});
const sortedNearest = [...nearestRtt].sort((a, b) => a - b);
const under = (ms: number) => sortedNearest.filter((r) => r < ms).length;

// ---------------------------------------------------------------------------------------------
// Output.

const pct = (k: number, n: number) => (n === 0 ? '-' : `${((100 * k) / n).toFixed(1)} %`);
const km = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : '-');
const sorted = (xs: readonly number[]) => [...xs].sort((a, b) => a - b);
const claimed = verdictRuns.length;

const verdictRows = COMBOS.map(({ bound, where }, k) => {
  const count = (kind: string) => verdictRuns.filter((r) => r.verdicts[k].verdict === kind).length;
  const ms = sorted(verdictMs[k]);
  return {
    bound,
    where,
    inside: count('inside'),
    insideShare: claimed === 0 ? 0 : count('inside') / claimed,
    outside: count('outside'),
    unverified: count('unverified'),
    inconsistent: count('inconsistent'),
    msP50: quantile(ms, 0.5),
    msP90: quantile(ms, 0.9),
    msMax: ms[ms.length - 1] ?? Number.NaN,
  };
});
const insideList = verdictRuns
  .filter((r) => r.verdicts[0].verdict === 'inside')
  .map((r) => ({
    id: r.server.id,
    name: r.server.name,
    code: r.server.code!,
    proofRadiusKm: r.verdicts[0].proofRadiusKm ?? Number.NaN,
  }));
const resting = verdictRuns
  .filter(
    (r) =>
      (r.verdicts[VT].verdict === 'inside' || r.verdicts[VT].verdict === 'outside') &&
      r.contradicting.length > 0,
  )
  .map((r) => ({
    id: r.server.id,
    name: r.server.name,
    verdict: r.verdicts[VT].verdict,
    contradicting: r.contradicting.map((id) => byId.get(id)!.name),
  }));
const radiusRows = (['vacuum', 'fiber'] as const).map((bound) => {
  const k = COMBOS.findIndex((c) => c.bound === bound);
  const r = sorted(
    verdictRuns.map((v) => v.verdicts[k].proofRadiusKm).filter((x): x is number => x !== null),
  );
  return { bound, p10: quantile(r, 0.1), p50: quantile(r, 0.5), p90: quantile(r, 0.9) };
});
const estimateRows = estimates.map((e) => {
  const err = sorted(e.errors);
  const rad = sorted(e.radii);
  const us = sorted(e.micros);
  return {
    method: e.method,
    calibration: e.calibration,
    n: err.length,
    medianKm: quantile(err, 0.5),
    p90Km: quantile(err, 0.9),
    meanKm: err.reduce((a, b) => a + b, 0) / Math.max(1, err.length),
    radiusCoverage: err.length === 0 ? 0 : e.covered / err.length,
    medianRadiusKm: quantile(rad, 0.5),
    microsP50: quantile(us, 0.5),
  };
});
const inconsistentRows = COMBOS.flatMap(({ bound, where }, k) =>
  verdictRuns
    .filter((r) => r.verdicts[k].verdict === 'inconsistent')
    .map((r) => ({
      bound,
      where,
      id: r.server.id,
      name: r.server.name,
      suspects: r.verdicts[k].suspects.map((s) => s.map((id) => `${byId.get(id)?.name ?? id}`).join('+')),
    })),
);
const insideNow = verdictRows[VT].inside;
const spacing = {
  servers: nearestRtt.length,
  nearestRttMs: {
    p10: quantile(sortedNearest, 0.1),
    p50: quantile(sortedNearest, 0.5),
    p90: quantile(sortedNearest, 0.9),
  },
  under1Ms: under(1),
  under02Ms: under(0.2),
  vacuumKmAt1Ms: (1 / 2) * C,
  vacuumKmAt02Ms: (0.2 / 2) * C,
  insideNow,
  whatIf,
};
const spacingSentence =
  `${spacing.under1Ms} of ${spacing.servers} servers (${pct(spacing.under1Ms, spacing.servers)}) have another server under 1 ms ` +
  `(a vacuum proof reaching ${spacing.vacuumKmAt1Ms.toFixed(0)} km) and ${spacing.under02Ms} (${pct(spacing.under02Ms, spacing.servers)}) ` +
  `under 0.2 ms (${spacing.vacuumKmAt02Ms.toFixed(0)} km); the nearest is typically ${spacing.nearestRttMs.p50.toFixed(1)} ms away ` +
  `(${((spacing.nearestRttMs.p50 / 2) * C).toFixed(0)} km). One more landmark in each server's own city would raise the ` +
  `vacuum/territorial inside count from ${insideNow} (${pct(insideNow, claimed)}) to ` +
  whatIf
    .map((w) => `${w.inside} (${pct(w.inside, claimed)}) at ${w.rttMs} ms (${w.vacuumKm.toFixed(0)} km)`)
    .join(', ') +
  `: proofs of inside need landmarks in the same metro, ideally the same facility, not the ~8 ms spacing of this mesh.`;

const dataset = {
  dir: DIR,
  servers: servers.length,
  chips: chips.length,
  pairs: allPairs.length,
  skipped,
  claimed,
  unclaimable: unclaimable.map((u) => ({
    id: u.server.id,
    name: u.server.name,
    country: u.server.country,
    why: u.why,
  })),
  marginKm,
  map: '10m',
};
const timings = {
  totalSeconds,
  slowestVerdict: slowest.map((x, k) => ({ ...COMBOS[k], ...x })),
  verdictMs: verdictRows.map((r) => ({
    bound: r.bound,
    where: r.where,
    p50: r.msP50,
    p90: r.msP90,
    max: r.msMax,
  })),
  calibrationBuildMsP50: quantile(sorted(calibrationMs), 0.5),
  estimateMicrosP50: estimateRows.map((r) => ({
    method: r.method,
    calibration: r.calibration,
    p50: r.microsP50,
  })),
};

if (values.json) {
  process.stdout.write(
    `${JSON.stringify({ dataset, verdicts: verdictRows, insideVacuumTerritorial: insideList, decidedDespiteContradiction: resting, proofRadiusKm: radiusRows, outside: refutations, inconsistent: inconsistentRows, estimates: estimateRows, spacing, spacingSentence, timings }, null, 2)}\n`,
  );
} else {
  const out: string[] = [];
  out.push(`geoattest accuracy: leave-one-out over the WonderProxy 2020 mesh (${DIR})`);
  out.push(
    `${servers.length} servers (ids 292-295 dropped: ${skipped.droppedIds}), ${allPairs.length} pairs (minimum RTT of both directions), ` +
      `${chips.length} chips; each chip's landmarks are all the other servers.`,
  );
  out.push(
    `Claims: the labelled country of ${claimed} servers; left out of the verdicts: ` +
      (unclaimable.length === 0 ? 'none' : unclaimable.map((u) => `${u.server.name} (${u.why})`).join('; ')) +
      '.',
  );
  out.push('');
  out.push(`Verdicts (10m map, default margin ${marginKm} km), share of ${claimed} claims`);
  out.push(
    table(
      [
        'bound',
        'where',
        'inside',
        'share',
        'outside',
        'unverified',
        'inconsistent',
        'ms p50',
        'ms p90',
        'ms max',
      ],
      verdictRows.map((r) => [
        r.bound,
        r.where,
        r.inside,
        pct(r.inside, claimed),
        r.outside,
        r.unverified,
        r.inconsistent,
        r.msP50.toFixed(1),
        r.msP90.toFixed(1),
        r.msMax.toFixed(1),
      ]),
    ),
  );
  out.push(
    `Proven inside under vacuum/territorial: ${insideList.map((r) => `${r.name} (${r.code}, proof radius ${km(r.proofRadiusKm)} km)`).join(', ') || 'none'}`,
  );
  out.push(
    `Decided verdicts (vacuum/territorial) where some landmark's cap excludes the server's labelled city, so the feasible region misses ` +
      `where the label says the server is (a wrong label on one side; the verdict trusts landmark positions): ` +
      (resting.map((r) => `${r.name} ${r.verdict} (${r.contradicting.join(', ')})`).join('; ') || 'none'),
  );
  out.push('');
  out.push('Proof radius (the smallest cap), km');
  out.push(
    table(
      ['bound', 'p10', 'p50', 'p90'],
      radiusRows.map((r) => [r.bound, km(r.p10), km(r.p50), km(r.p90)]),
    ),
  );
  out.push('');
  out.push(`Proven outside under vacuum/territorial: ${refutations.length}`);
  if (refutations.length > 0) {
    out.push(
      table(
        ['id', 'server', 'labelled', 'refuted by', 'RTT ms', 'reach km', 'label km', 'refuters'],
        refutations.map((r) => [
          r.id,
          r.name,
          `${r.labelled} (${r.code})`,
          r.refuters[0]?.name ?? 'several caps',
          r.refuters[0]?.rttMs.toFixed(2) ?? '-',
          r.refuters[0] === undefined ? '-' : km(r.refuters[0].reachKm),
          r.refuters[0] === undefined ? '-' : km(r.refuters[0].labelledCityKm),
          r.refuters.length,
        ]),
      ),
    );
    out.push(
      '(refuted by: the lowest-RTT landmark whose cap alone excludes the labelled country; reach: its vacuum bound; ' +
        'label km: its distance to the labelled city; refuters: how many landmarks do so alone)',
    );
    for (const r of refutations) out.push(`  ${r.id} ${r.name}: ${r.why}`);
  }
  out.push('');
  out.push(
    'Inconsistent verdicts (the caps share no point), with the landmarks whose removal restores consistency:',
  );
  for (const bound of ['vacuum', 'fiber'] as const) {
    const k = COMBOS.findIndex((c) => c.bound === bound && c.where === 'territorial');
    const rows = inconsistentRows.filter((r) => r.bound === bound && r.where === COMBOS[k].where);
    const blamed = new Map<string, number>();
    for (const r of rows)
      for (const s of r.suspects)
        for (const name of s.split('+')) blamed.set(name, (blamed.get(name) ?? 0) + 1);
    const top = [...blamed].sort((a, b) => b[1] - a[1]).slice(0, 5);
    out.push(
      `  ${bound} (all policies alike): ${rows.length} servers; named most: ${top.map(([n, c]) => `${n} ${c}×`).join(', ') || '-'}`,
    );
    out.push(`    ${rows.map((r) => `${r.name} [${r.suspects.join(' | ') || 'none named'}]`).join(', ')}`);
  }
  out.push('');
  out.push(`Position estimates, error in km over ${estimateRows[0]?.n ?? 0} servers`);
  out.push(
    table(
      ['method', 'calibration', 'median', 'p90', 'mean', 'radius covers', 'radius p50', 'µs/call p50'],
      estimateRows.map((r) => [
        r.method,
        r.calibration,
        km(r.medianKm),
        km(r.p90Km),
        km(r.meanKm),
        pct(Math.round(r.radiusCoverage * r.n), r.n),
        km(r.medianRadiusKm),
        r.microsP50.toFixed(0),
      ]),
    ),
  );
  out.push(
    '(calibration: landmark-to-landmark RTTs among the other servers only; CBG bestline per Gueye et al. 2006; ' +
      'the radius of shortest ping is its vacuum bound, of CBG the reach of its region)',
  );
  out.push('');
  out.push(
    `Timings: ${totalSeconds.toFixed(1)} s in all; decideVerdict with ~${servers.length - 1} landmarks ` +
      verdictRows.map((r) => `${r.bound}/${r.where} p50 ${r.msP50.toFixed(1)} ms`).join(', ') +
      `; calibration build p50 ${timings.calibrationBuildMsP50.toFixed(0)} ms. Slowest: ` +
      slowest
        .map(
          (x, k) => `${COMBOS[k].bound}/${COMBOS[k].where} ${x.ms.toFixed(0)} ms (${x.server}, ${x.verdict})`,
        )
        .join(', ') +
      '.',
  );
  out.push('');
  out.push(`Landmark spacing: ${spacingSentence}`);
  process.stdout.write(`${out.join('\n')}\n`);
}
