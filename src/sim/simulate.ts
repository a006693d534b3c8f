// The scale simulator's core: a synthetic fleet checking in hour after hour, its receipts made
// from the latency model without sockets (on a thread of their own: check-in-source.ts) and driven
// through the verifier's real path (ingestion with its checks and durable storage, the verdict
// engine, alerts, the transparency log's sequencer, the sweep) in this process, on a simulated
// clock. The CLI (simulate-command.ts) opens the database, shows progress and prints the table.
//
// Arithmetic that shapes it (issue 7): 1 M chips × 24 hourly check-ins × 10 landmarks is 240 M
// receipts, each two Ed25519 signatures to make and two to check (~0.07 ms and ~0.15 ms each in
// node:crypto here): ~30 h of CPU before any storage. So a chip checks in only with the landmarks
// in reach of its region (`perChip`, default 3: its campus landmark and the two nearest others;
// only a sub-millisecond landmark proves inside, far ones add little), and `sign: false` skips the
// signatures on both sides for ingest-only runs (the ingestion's `unsignedForSimulation` switch,
// which `geoattest serve` never sets).

import type { KeyObject } from 'node:crypto';
import { newEd25519KeyPair, newEd25519KeyPairAsync } from '../attest/software-identity.js';
import { GeoattestError } from '../errors.js';
import { destination, distanceKm } from '../geo/sphere.js';
import { landmarkIdBytes } from '../landmark/landmark-core.js';
import type { Verifier } from '../server/verifier.js';
import { sql } from '../store/database.js';
import type { QueuedChip } from '../store/evidence-store.js';
import { CheckInSource } from './check-in-source.js';
import { DATACENTRE_CITIES } from './datacentre-cities.js';
import type { Site } from './latency-model.js';
import { seededRandom } from './random.js';
import { ScaleFleet } from './scale-fleet.js';

export interface SimulationSpec {
  readonly chips: number;
  readonly landmarks: number;
  readonly hours: number;
  /** Landmarks per check-in: the chip's nearest (default 3). */
  readonly perChip?: number;
  /** Sign receipts for real (default true); false needs a verifier opened with unsignedForSimulation. */
  readonly sign?: boolean;
  readonly seed?: number;
  /**
   * The order chips check in within each hour: 'shuffled' (default), one fixed random order as a
   * real fleet's agents, started at unrelated times, give; or 'id', chip 1 first, which keeps every
   * batch's chips next to each other in the chip-keyed indexes and so flatters the store.
   */
  readonly order?: 'shuffled' | 'id';
  /** Simulated start (default 2026-01-01T00:00Z). */
  readonly startMs?: number;
  /**
   * Chips to a verdict transaction, at most (default 20,000): large batches share the pages of
   * chip state they rewrite; tests set it small to have many batches in flight.
   */
  readonly verdictBatch?: number;
  /**
   * Make the receipts on a thread of their own (default true); false makes them on this thread,
   * for a run whose verifier has no worker threads either.
   */
  readonly receiptThread?: boolean;
}

export interface SimulationProgress {
  readonly phase: 'fleet' | 'register' | 'check-ins';
  readonly done: number;
  readonly total: number;
}

export interface PhaseTimes {
  fleetMs: number;
  registerMs: number;
  /** Waiting for the receipt source's next batch (made on its own thread meanwhile). */
  generateMs: number;
  ingestMs: number;
  verdictMs: number;
  logMs: number;
  sweepMs: number;
}

export interface SimulationResult {
  readonly spec: Required<Omit<SimulationSpec, 'startMs' | 'verdictBatch' | 'receiptThread'>>;
  readonly receipts: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly verdicts: number;
  readonly logAppends: number;
  readonly alertsByKind: Readonly<Record<string, number>>;
  /** Wall time of the check-in phase (generation, ingestion, verdicts, log, sweeps). */
  readonly runMs: number;
  /** Wall time of each simulated hour's check-ins, in order: whether the rate holds as data grows. */
  readonly hourMs: readonly number[];
  readonly phases: PhaseTimes;
}

interface SimLandmark {
  readonly id: string;
  readonly idBytes: Uint8Array;
  readonly country: string;
  readonly site: Site;
  readonly privateKey: KeyObject;
  readonly raw: Uint8Array;
}

const HOUR = 3_600_000;
/** Chips to a verdict transaction, at most, by default. */
const VERDICT_BATCH = 20_000;
const DAY = 24 * HOUR;

function checkSpec(s: SimulationSpec): void {
  const whole = (v: number, lo: number, hi: number) => Number.isInteger(v) && v >= lo && v <= hi;
  if (!whole(s.chips, 1, 10_000_000))
    throw new GeoattestError('SIMULATION_INVALID', 'chips must be 1..10,000,000');
  if (!whole(s.landmarks, 1, 9999))
    throw new GeoattestError('SIMULATION_INVALID', 'landmarks must be 1..9,999');
  if (!whole(s.hours, 1, 24 * 365)) throw new GeoattestError('SIMULATION_INVALID', 'hours must be 1..8,760');
  if (s.perChip !== undefined && !whole(s.perChip, 1, 10))
    throw new GeoattestError('SIMULATION_INVALID', 'perChip must be 1..10');
  if (s.verdictBatch !== undefined && !whole(s.verdictBatch, 1, 1_000_000))
    throw new GeoattestError('SIMULATION_INVALID', 'verdictBatch must be 1..1,000,000');
}

/** Landmark i stands in data-centre city i mod 70, a few km off its centre from the second round on. */
function landmarkSites(n: number, rng: () => number): SimLandmark[] {
  return Array.from({ length: n }, (_, i) => {
    const city = DATACENTRE_CITIES[i % DATACENTRE_CITIES.length];
    const round = Math.floor(i / DATACENTRE_CITIES.length);
    const p = round === 0 ? city : destination(city, rng() * 360, 2 + rng() * 8);
    const k = newEd25519KeyPair();
    const id = `SIM-${String(i + 1).padStart(4, '0')}`;
    return {
      id,
      idBytes: landmarkIdBytes(id),
      country: city.country,
      site: { lat: p.lat, lon: p.lon },
      ...k,
    };
  });
}

/** Position in the hour → chip index: the identity, or a Fisher–Yates shuffle of it. */
function checkInOrder(n: number, order: 'shuffled' | 'id', rng: () => number): Uint32Array {
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  if (order === 'id') return out;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
  return out;
}

/** How far from its landmark a chip's campus reaches. */
const CAMPUS_KM = 2;

/**
 * For each landmark, the landmarks that can be among the `k` nearest of a point within `slackKm`/2
 * of it: those no farther than its own k-th nearest plus `slackKm` (triangle inequality). A chip
 * then sorts a handful of landmarks rather than all of them, a million times over.
 */
export function nearbyLandmarks(
  landmarks: readonly { readonly site: Site }[],
  k: number,
  slackKm: number,
): number[][] {
  return landmarks.map((home) => {
    const d = landmarks.map((l) => distanceKm(home.site, l.site));
    const kth = [...d].sort((a, b) => a - b)[Math.min(k, d.length) - 1];
    return d.flatMap((x, j) => (x <= kth + slackKm ? [j] : []));
  });
}

/**
 * Runs the simulation against an open verifier whose clock is `clock.now` (the caller sets it up
 * with `now: () => clock.now`). Registers the fleet, then plays every hour: each chip checks in
 * once, spread over the hour, its receipts ingested in batches while the verdict stage decides
 * and logs the queued chips beside it, and a sweep at the end of each hour.
 */
export async function runSimulation(
  verifier: Verifier,
  clock: { now: number },
  spec: SimulationSpec,
  onProgress: (p: SimulationProgress) => void = () => {},
): Promise<SimulationResult> {
  checkSpec(spec);
  const full = {
    chips: spec.chips,
    landmarks: spec.landmarks,
    hours: spec.hours,
    perChip: Math.min(spec.perChip ?? 3, spec.landmarks),
    sign: spec.sign ?? true,
    seed: spec.seed ?? 1,
    order: spec.order ?? 'shuffled',
  };
  const rng = seededRandom(full.seed);
  // Positions in the hour to chips, from a stream of its own so both orders place the same fleet.
  const order = checkInOrder(full.chips, full.order, seededRandom(full.seed ^ 0x0bde7));
  const start = spec.startMs ?? Date.UTC(2026, 0, 1);
  const phases: PhaseTimes = {
    fleetMs: 0,
    registerMs: 0,
    generateMs: 0,
    ingestMs: 0,
    verdictMs: 0,
    logMs: 0,
    sweepMs: 0,
  };
  const timed = async <T>(phase: keyof PhaseTimes, f: () => T | Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await f();
    } finally {
      phases[phase] += performance.now() - t0;
    }
  };

  // The fleet: chips spread over the landmarks' sites, each on the campus of one (within 2 km).
  const landmarks = await timed('fleetMs', () => landmarkSites(full.landmarks, rng));
  const chips = new ScaleFleet(full.chips, full.perChip, full.sign);
  const near = nearbyLandmarks(landmarks, full.perChip, 2 * CAMPUS_KM);
  await timed('fleetMs', async () => {
    // Keys a thousand at a time on the thread pool, every core making them.
    for (let from = 0; from < full.chips; from += 1000) {
      const to = Math.min(full.chips, from + 1000);
      const keys = Promise.all(Array.from({ length: to - from }, () => newEd25519KeyPairAsync()));
      const placed: { site: Site; nearest: number[] }[] = [];
      for (let i = from; i < to; i++) {
        const h = i % landmarks.length;
        const p = destination(landmarks[h].site, rng() * 360, rng() * CAMPUS_KM);
        const site = { lat: p.lat, lon: p.lon };
        // Ties go to the lower landmark index, as a stable sort of all of them would give.
        const nearest = near[h]
          .map((j) => ({ j, d: distanceKm(landmarks[j].site, site) }))
          .sort((a, b) => a.d - b.d || a.j - b.j)
          .slice(0, full.perChip)
          .map((x) => x.j);
        placed.push({ site, nearest });
      }
      const made = await keys;
      for (let n = 0; n < made.length; n++) chips.add(placed[n].site, placed[n].nearest, made[n]);
      if (from % 10_000 === 0) onProgress({ phase: 'fleet', done: from, total: full.chips });
    }
  });

  // The ledger: one licence per landmark site's country and site, its chips imported in bulk.
  clock.now = start - HOUR;
  await timed('registerMs', async () => {
    const l = verifier.ledger;
    const actor = 'geoattest simulate';
    await l.addOrg({ id: 'sim-exporter', name: 'Simulated exporter', kind: 'exporter' }, actor, clock.now);
    await l.addOrg(
      { id: 'sim-ops', name: 'Simulated landmark operator', kind: 'landmark-operator' },
      actor,
      clock.now,
    );
    for (const x of landmarks)
      await l.addLandmark(
        {
          id: x.id,
          operatorId: 'sim-ops',
          lat: x.site.lat,
          lon: x.site.lon,
          publicKey: Buffer.from(x.raw).toString('base64'),
        },
        actor,
        clock.now,
      );
    let done = 0;
    for (let j = 0; j < landmarks.length; j++) {
      // Chip i stands on landmark i mod L's campus.
      const mine: number[] = [];
      for (let i = j; i < full.chips; i += landmarks.length) mine.push(i);
      if (mine.length === 0) continue;
      const licenceId = `SIM-L-${landmarks[j].country}-${j + 1}`;
      await l.addOrg(
        { id: `sim-eu-${j + 1}`, name: `End user ${j + 1}`, kind: 'end-user' },
        actor,
        clock.now,
      );
      await l.addLicence(
        {
          id: licenceId,
          exporterId: 'sim-exporter',
          endUserId: `sim-eu-${j + 1}`,
          destinations: [{ country: landmarks[j].country }],
          models: [landmarks[j].country === 'CN' ? 'H20' : 'H100'],
          quantity: mine.length,
          validFrom: start - DAY,
          validTo: start + 365 * DAY,
          endUse: 'simulated',
          revenueSharePct: landmarks[j].country === 'CN' ? 15 : 0,
        },
        actor,
        clock.now,
      );
      for (let i = 0; i < mine.length; i += 5000) {
        const part = mine.slice(i, i + 5000).map((c) => ({
          id: chips.id(c),
          model: landmarks[j].country === 'CN' ? 'H20' : 'H100',
          publicKey: Buffer.from(chips.raw(c)).toString('base64'),
        }));
        done += await l.importChips(licenceId, part, actor, clock.now);
        onProgress({ phase: 'register', done, total: full.chips });
      }
    }
    verifier.ledgerChanged();
  });

  // The hours: each chip once, in order, spread evenly over the hour. Two stages overlap, as
  // receipts and verdicts do in a running verifier: this thread makes and ingests batches while the
  // verdict stage, a loop beside it, takes the queued chips `verdictBatch` at a time and decides,
  // stores and logs them. The stage keeps two batches going: while the worker threads decide one,
  // this thread reads the next (taking from the queue after the first's chips) and ingests. Each
  // wait of one on the other was measured: a stage that decided one batch at a time, ingestion
  // waiting for it, left this thread idle a fifth of the check-in phase (CPU profile, 300,000 chips).
  // Ingestion waits only when more than `maxUndecided` chips are queued and not yet decided.
  const perBatch = Math.max(1, Math.floor(5000 / full.perChip));
  const verdictBatch = spec.verdictBatch ?? VERDICT_BATCH;
  // Two batches being decided, one or two queued behind them.
  const maxUndecided = 4 * verdictBatch;
  const total = full.chips * full.hours * full.perChip;
  let receipts = 0;
  let accepted = 0;
  let rejected = 0;
  let verdicts = 0;
  let logAppends = 0;
  // One sequencer run at a time, in the order the batches were stored.
  let logged: Promise<void> = Promise.resolve();
  const log = (now: number) => {
    logged = logged.then(() =>
      timed('logMs', async () => {
        for (let n = await verifier.log.sequence(now); n > 0; n = await verifier.log.sequence(now))
          logAppends += n;
      }),
    );
    return logged;
  };
  /** Decides and logs these queued chips. */
  const decide = async (queued: readonly QueuedChip[], now: number): Promise<void> => {
    await timed('verdictMs', () => verifier.engine.decideMany(queued, now));
    verdicts += queued.length;
    await log(now);
  };
  /** Passes over the whole queue, one batch at a time, until it is empty. */
  const drain = async (now: number): Promise<void> => {
    for (;;) {
      const q = await verifier.evidence.pending(verdictBatch, now);
      if (q.length === 0) return;
      await decide(q, now);
    }
  };
  // Either side's progress wakes the other: more queued, or fewer undecided.
  let undecided = 0;
  let waiters: (() => void)[] = [];
  const progressed = () => new Promise<void>((resolve) => waiters.push(resolve));
  const wake = () => {
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };
  const source = new CheckInSource(
    {
      fleet: chips.columns(),
      landmarks: landmarks.map(({ id, idBytes, site, privateKey }) => ({ id, idBytes, site, privateKey })),
      order,
      hours: full.hours,
      perBatch,
      startMs: start,
      seed: full.seed,
    },
    { thread: spec.receiptThread ?? true },
  );
  const t0 = performance.now();
  const hourMs: number[] = [];
  try {
    for (let h = 0; h < full.hours; h++) {
      const hourT0 = performance.now();
      const hourStart = start + h * HOUR;
      let ingesting = true;
      // Should the stage fail, ingestion stops at its next wait rather than queueing on forever.
      let failed: unknown;
      const stage = (async () => {
        let after: QueuedChip | undefined;
        let taken = 0;
        const deciding = new Set<Promise<void>>();
        for (;;) {
          // Whole batches while check-ins arrive: a batch of a few chips costs a transaction, a
          // checkpoint and the chip-state pages it rewrites much as a full one does.
          while (ingesting && undecided - taken < verdictBatch && failed === undefined) await progressed();
          if (failed !== undefined) break;
          const now = clock.now;
          const q = await timed('verdictMs', () => verifier.evidence.pending(verdictBatch, now, after));
          if (q.length === 0) {
            if (!ingesting) break;
            // The count ran ahead of the queue: it holds no more than what is being decided.
            undecided = taken;
            continue;
          }
          after = q[q.length - 1];
          taken += q.length;
          const d: Promise<void> = decide(q, now).then(
            () => {
              taken -= q.length;
              undecided = Math.max(0, undecided - q.length);
              deciding.delete(d);
              wake();
            },
            (e: unknown) => {
              failed ??= e;
              deciding.delete(d);
              wake();
            },
          );
          deciding.add(d);
          if (deciding.size >= 2) await Promise.race(deciding);
          if (failed !== undefined) break;
        }
        await Promise.all(deciding);
        if (failed !== undefined) throw failed;
      })();
      stage.catch((e: unknown) => {
        failed ??= e;
        wake();
      });
      for (let i = 0; i < full.chips; i += perBatch) {
        const end = Math.min(full.chips, i + perBatch);
        const made = await timed('generateMs', () => source.next());
        if (made.hour !== h || made.from !== i) throw new Error('the receipt source is out of step');
        const batch = made.receipts;
        // The landmarks hand a check-in's receipts on within seconds of it.
        const now = Math.round(hourStart + ((end - 1) / full.chips) * HOUR + 2000);
        clock.now = now;
        const r = await timed('ingestMs', () => verifier.ingestion.ingest(batch, { name: 'simulator' }, now));
        receipts += batch.length;
        accepted += r.accepted;
        rejected += r.rejected.length;
        undecided += end - i;
        wake();
        while (undecided > maxUndecided && failed === undefined) await progressed();
        if (failed !== undefined) break;
        onProgress({ phase: 'check-ins', done: receipts, total });
      }
      // The hour ends with every check-in decided and logged, then the sweep.
      ingesting = false;
      wake();
      await stage;
      // Anything the stage's walk along the queue passed by (a chip queued again meanwhile).
      await drain(clock.now);
      undecided = 0;
      clock.now = hourStart + HOUR;
      await timed('sweepMs', () => verifier.engine.sweep(clock.now));
      hourMs.push(performance.now() - hourT0);
    }
  } finally {
    await source.close();
  }
  const runMs = performance.now() - t0;
  const kinds = await sql<{
    kind: string;
    n: number;
  }>`select kind, count(*) as n from alerts group by kind`.execute(verifier.store.db);
  return {
    spec: full,
    receipts,
    accepted,
    rejected,
    verdicts,
    logAppends,
    alertsByKind: Object.fromEntries(kinds.rows.map((r) => [r.kind, Number(r.n)])),
    runMs,
    hourMs,
    phases,
  };
}
