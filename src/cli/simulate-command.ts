// `geoattest simulate`: the scale simulator (src/sim/simulate.ts) on a fresh database, with a
// progress bar and a closing table. Thin: options, the database, the numbers.

import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { isGeoattestError } from '../errors.js';
import { Verifier } from '../server/verifier.js';
import { ed25519VerifiesPerSecond } from '../sim/host-baseline.js';
import { runSimulation, type SimulationResult } from '../sim/simulate.js';
import { isPostgresUrl, sql } from '../store/database.js';
import { progressBar } from './progress.js';
import { type CliIo, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './usage.js';

export const SIMULATE_USAGE = `Usage: geoattest simulate [--chips N] [--landmarks N] [--hours N] [options]

Simulates a fleet checking in every hour: receipts made from the latency model (no sockets) and
driven through the verifier's real ingestion, verdicts, alerts and transparency log in this
process, on a simulated clock. Ends with a table: receipts/s, verdicts/s, log appends/s, database
size, peak memory, alerts by kind, and this machine's speed (Ed25519 verifications per second on
one core, measured first) to compare runs on different or busy machines by ratio.
  --chips N        chips (default 10000)
  --landmarks N    landmarks, placed in data-centre cities (default 200)
  --hours N        hourly check-ins per chip (default 24)
  --per-chip N     landmarks per check-in, the chip's nearest (default 3)
  --db FILE        a new SQLite file to keep (default: a temporary one, removed at the end)
  --no-sign        ingest-only: receipts carry no signatures and the verifier does not check them
                   (a trust switch only this command sets; never the server)
  --workers N      verifier worker threads (default: one per core); receipts are made on a
                   thread of their own, or with 0 on the one thread that runs everything
  --seed N         randomness of the fleet and the latency model (default 1)
  --order ORDER    the order chips check in within each hour: shuffled (default: one fixed random
                   order, as agents started at unrelated times give) or id (chip 1 first, which
                   keeps each batch's chips together in the chip-keyed indexes)
  --json           the result as one JSON object on stdout
  -h, --help       show this help
Environment: DATABASE_URL=postgres://… runs on PostgreSQL, in a fresh database geoattest_simulate.`;

interface Options {
  chips: string;
  landmarks: string;
  hours: string;
  'per-chip': string;
  db?: string;
  'no-sign'?: boolean;
  workers?: string;
  seed: string;
  order: string;
  json?: boolean;
  help?: boolean;
}

function positiveInt(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number`);
  return n;
}

export async function runSimulate(argv: string[], io: CliIo): Promise<number> {
  let o: Options;
  let n: { chips: number; landmarks: number; hours: number; perChip: number; workers: number; seed: number };
  try {
    ({ values: o } = parseArgs({
      args: argv,
      options: {
        chips: { type: 'string', default: '10000' },
        landmarks: { type: 'string', default: '200' },
        hours: { type: 'string', default: '24' },
        'per-chip': { type: 'string', default: '3' },
        db: { type: 'string' },
        'no-sign': { type: 'boolean' },
        workers: { type: 'string' },
        seed: { type: 'string', default: '1' },
        order: { type: 'string', default: 'shuffled' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }) as never);
    if (o.help) {
      io.stdout.write(`${SIMULATE_USAGE}\n`);
      return EXIT_OK;
    }
    n = {
      chips: positiveInt('chips', o.chips),
      landmarks: positiveInt('landmarks', o.landmarks),
      hours: positiveInt('hours', o.hours),
      perChip: positiveInt('per-chip', o['per-chip']),
      workers: o.workers === undefined ? availableParallelism() : positiveInt('workers', o.workers),
      seed: positiveInt('seed', o.seed),
    };
    if (o.order !== 'shuffled' && o.order !== 'id') throw new Error('--order must be shuffled or id');
    if (o.db !== undefined && existsSync(o.db))
      throw new Error(`${o.db} exists: simulate writes a new database`);
  } catch (e) {
    io.stderr.write(`geoattest simulate: ${(e as Error).message}\nTry 'geoattest simulate --help'.\n`);
    return EXIT_USAGE;
  }
  const envUrl = process.env.DATABASE_URL;
  const postgres = envUrl !== undefined && isPostgresUrl(envUrl) && o.db === undefined;
  const tmp =
    o.db === undefined && !postgres ? mkdtempSync(join(tmpdir(), 'geoattest-simulate-')) : undefined;
  const location = postgres ? await freshPostgres(envUrl!) : (o.db ?? join(tmp!, 'simulate.sqlite'));
  const clock = { now: Date.UTC(2026, 0, 1) };
  // Before the worker threads start, so it has a core to itself.
  const baselinePerS = ed25519VerifiesPerSecond();
  let verifier: Verifier | undefined;
  try {
    verifier = await Verifier.open(
      { location },
      {
        now: () => clock.now,
        workers: n.workers,
        verdictSettleMs: 0,
        unsignedForSimulation: o['no-sign'] === true,
      },
    );
    const bars = {
      fleet: progressBar(io.stderr, 'fleet   ', n.chips),
      register: progressBar(io.stderr, 'register', n.chips),
      'check-ins': progressBar(io.stderr, 'receipts', n.chips * n.hours * Math.min(n.perChip, n.landmarks)),
    };
    let phase: keyof typeof bars | undefined;
    const result = await runSimulation(
      verifier,
      clock,
      { ...n, sign: o['no-sign'] !== true, order: o.order, receiptThread: n.workers > 0 },
      (p) => {
        if (phase !== p.phase) bars[phase ?? p.phase].finish();
        phase = p.phase;
        bars[p.phase].update(p.done, p.done);
      },
    );
    if (phase) bars[phase].finish();
    const dbBytes = await databaseSize(verifier, location);
    const peakRssMb = process.resourceUsage().maxRSS / 1024;
    const out = { ...result, backend: postgres ? 'postgres' : 'sqlite', dbBytes, peakRssMb, baselinePerS };
    io.stdout.write(o.json ? `${JSON.stringify(out)}\n` : report(out));
    return EXIT_OK;
  } catch (e) {
    io.stderr.write(
      `geoattest simulate: ${isGeoattestError(e) || e instanceof Error ? (e as Error).message : String(e)}\n`,
    );
    return EXIT_FAILURE;
  } finally {
    await verifier?.close();
    if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
  }
}

/** A new, empty database beside the one DATABASE_URL names, so runs never mix. */
async function freshPostgres(url: string): Promise<string> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query('DROP DATABASE IF EXISTS geoattest_simulate');
    await admin.query('CREATE DATABASE geoattest_simulate');
  } finally {
    await admin.end();
  }
  const u = new URL(url);
  u.pathname = '/geoattest_simulate';
  return u.toString();
}

async function databaseSize(v: Verifier, location: string): Promise<number> {
  if (v.store.dialect === 'postgres') {
    const r = await sql<{ n: string }>`select pg_database_size(current_database()) as n`.execute(v.store.db);
    return Number(r.rows[0].n);
  }
  return ['', '-wal'].reduce(
    (sum, s) => sum + (existsSync(location + s) ? statSync(location + s).size : 0),
    0,
  );
}

/** Each hour's verdicts/s; past a dozen hours, the first, last and a few between. */
function byHour(r: SimulationResult): string {
  const rates = r.hourMs.map((ms) => Math.round(r.spec.chips / (ms / 1000)).toLocaleString('en'));
  if (rates.length <= 12) return rates.join(', ');
  const shown = [0, 1, 2, 5, 11, 17, rates.length - 1].filter(
    (h, i, a) => h < rates.length && a.indexOf(h) === i,
  );
  return shown.map((h) => `h${h + 1} ${rates[h]}`).join(', ');
}

function report(
  r: SimulationResult & { backend: string; dbBytes: number; peakRssMb: number; baselinePerS: number },
): string {
  const s = r.runMs / 1000;
  const rate = (x: number) => `${Math.round(x / s).toLocaleString('en')}/s`;
  const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const rows: [string, string][] = [
    ['backend', r.backend],
    ['chips × hours × landmarks', `${r.spec.chips} × ${r.spec.hours} × ${r.spec.perChip}`],
    ['check-in order', r.spec.order === 'id' ? 'by chip id' : 'shuffled (one fixed random order)'],
    ['signed', r.spec.sign ? 'yes (landmark and device, checked on ingest)' : 'no (--no-sign)'],
    [
      'receipts',
      `${r.receipts.toLocaleString('en')} (${r.accepted.toLocaleString('en')} accepted, ${r.rejected} rejected)`,
    ],
    ['check-in phase', secs(r.runMs)],
    ['verdicts/s by hour', byHour(r)],
    ['receipts/s', rate(r.receipts)],
    ['verdicts/s', `${rate(r.verdicts)} (${r.verdicts.toLocaleString('en')})`],
    ['log appends/s', `${rate(r.logAppends)} (${r.logAppends.toLocaleString('en')})`],
    ['database size', `${(r.dbBytes / 1e6).toFixed(1)} MB`],
    ['peak memory (RSS)', `${Math.round(r.peakRssMb)} MB`],
    [
      'alerts by kind',
      Object.entries(r.alertsByKind)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ') || 'none',
    ],
    [
      'where the time goes',
      `waiting for receipts ${secs(r.phases.generateMs)}, ingest ${secs(r.phases.ingestMs)}, verdicts ${secs(r.phases.verdictMs)}, log ${secs(r.phases.logMs)}, sweep ${secs(r.phases.sweepMs)}`,
    ],
    ['setup', `fleet ${secs(r.phases.fleetMs)}, register ${secs(r.phases.registerMs)}`],
    [
      'host baseline',
      `${Math.round(r.baselinePerS).toLocaleString('en')} Ed25519 verifies/s on one core; verdicts/s are ${(r.verdicts / s / r.baselinePerS).toFixed(3)}× that`,
    ],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  return `${rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n')}\n`;
}
