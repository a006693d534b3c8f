// npm run bench:ingest — receipts per second through the verifier end to end: HTTP, every check
// (landmark signature, device signature, freshness, duplicates), durable storage, and the verdicts
// they trigger. The server runs as its own process (`geoattest serve`), as in production; this
// process only sends pre-signed receipts in per-landmark batches, as landmarks do.
//
// A run is long enough (200,000 receipts by default) to measure the steady rate: a verdict waits
// for its check-in's receipts to settle (2 s), a fixed tail after the last receipt that in a
// ten-second run would weigh as much as a fifth of the time.
//
// Baseline, measured in the same run: the rate at which this machine can merely check the two
// Ed25519 signatures of each receipt on one core (node:crypto), the floor of any honest ingest.
//
//   npm run bench:ingest [-- --chips 20000 --landmarks 10 --batch 500 --concurrency 4 --backend sqlite,postgres]

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { publicKeyFromRaw } from '../src/attest/software-identity.js';
import { deviceIdOf, landmarkIdText } from '../src/landmark/landmark-core.js';
import { parseReceipt, verifyReceipt, verifyReceiptDevice } from '../src/protocol/wire.js';
import { Verifier } from '../src/server/verifier.js';
import { buildFleet, checkInReceipts, registerFleet } from '../src/sim/fleet.js';
import { seededRandom } from '../src/sim/random.js';
import { table } from './table.js';

const { values: o } = parseArgs({
  options: {
    chips: { type: 'string', default: '20000' },
    landmarks: { type: 'string', default: '10' },
    batch: { type: 'string', default: '500' },
    concurrency: { type: 'string', default: '4' },
    backend: { type: 'string', default: 'sqlite,postgres' },
  },
});
const CHIPS = Number(o.chips);
const BATCH = Number(o.batch);
const CONCURRENCY = Number(o.concurrency);
const PG_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ROOT = new URL('../../', import.meta.url).pathname;

const log = (s: string) => process.stderr.write(`${s}\n`);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

log(`building a fleet of ${CHIPS} chips and ${o.landmarks} landmarks, and signing one check-in each…`);
const fleet = buildFleet({ chips: CHIPS, landmarkCount: Number(o.landmarks), seed: 7 });
const now = Date.now();
const rng = seededRandom(11);
// Per-landmark queues, like landmarks submitting their own receipts.
const byLandmark = new Map<string, string[]>();
for (const chip of fleet.chips) {
  const receipts = checkInReceipts(chip, now - 60_000, rng);
  chip.landmarks.forEach((l, i) => {
    const q = byLandmark.get(l.id) ?? [];
    q.push(receipts[i]);
    byLandmark.set(l.id, q);
  });
}
// Landmarks submit side by side: their batches interleave, so one check-in's receipts (one per
// landmark) reach the verifier within a few batches of each other, as they would in service.
const batches: string[][] = [];
const queues = [...byLandmark.values()];
for (let i = 0; queues.some((q) => i < q.length); i += BATCH)
  for (const q of queues) if (i < q.length) batches.push(q.slice(i, i + BATCH));
const total = batches.reduce((n, b) => n + b.length, 0);
log(`${total} receipts in ${batches.length} batches of up to ${BATCH}`);

// Baseline: the two signature checks per receipt, alone, on one core.
const landmarkKeys = new Map(fleet.landmarks.map((l) => [l.id, publicKeyFromRaw(l.keys.raw)]));
const chipKeys = new Map(fleet.chips.map((c) => [hex(deviceIdOf(c.keys.raw)), publicKeyFromRaw(c.keys.raw)]));
const sample = batches
  .flat()
  .slice(0, 5000)
  .map((b) => parseReceipt(new Uint8Array(Buffer.from(b, 'base64'))));
const t0 = process.hrtime.bigint();
for (const r of sample) {
  verifyReceipt(landmarkKeys.get(landmarkIdText(r.landmarkId))!, r);
  verifyReceiptDevice(r, chipKeys.get(hex(r.deviceId))!);
}
const baselinePerS = sample.length / (Number(process.hrtime.bigint() - t0) / 1e9);

interface Result {
  backend: string;
  ackedPerS: number;
  endToEndPerS: number;
  verdicts: number;
  accepted: number;
  rejected: number;
  maxRssMb: number;
}

async function runBackend(backend: 'sqlite' | 'postgres'): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'geoattest-bench-ingest-'));
  let location = join(dir, 'verifier.sqlite');
  if (backend === 'postgres') {
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query('DROP DATABASE IF EXISTS geoattest_bench_ingest');
    await admin.query('CREATE DATABASE geoattest_bench_ingest');
    await admin.end();
    const u = new URL(PG_URL);
    u.pathname = '/geoattest_bench_ingest';
    location = u.toString();
  }
  log(`[${backend}] registering the fleet…`);
  const setup = await Verifier.open({ location });
  await registerFleet(setup.ledger, fleet, now - 3_600_000);
  const adminToken = (await setup.tokens.create({ name: 'bench', role: 'admin' }, 'bench', Date.now()))
    .secret;
  await setup.close();
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const server = spawn(
    process.execPath,
    [
      join(ROOT, 'bin/geoattest.js'),
      'serve',
      '--listen',
      `127.0.0.1:${port}`,
      '--quiet',
      '--token-file',
      join(dir, 'token'),
      ...(backend === 'sqlite' ? ['--db', location] : []),
    ],
    {
      env: {
        ...process.env,
        ...(backend === 'postgres' ? { DATABASE_URL: location } : { DATABASE_URL: '' }),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  server.stderr.on('data', (d) => {
    stderr += d;
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) break;
    } catch {
      // not up yet
    }
    if (i > 200) throw new Error(`server did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const headers = { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' };
  const bodies = batches.map((b) => JSON.stringify({ receipts: b }));
  let next = 0;
  let accepted = 0;
  let rejected = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++];
        const res = await fetch(`${base}/v1/receipts`, { method: 'POST', headers, body });
        const j = (await res.json()) as { accepted: number; rejected: unknown[] };
        if (!res.ok) throw new Error(`HTTP ${res.status}: ${JSON.stringify(j)}`);
        accepted += j.accepted;
        rejected += j.rejected.length;
      }
    }),
  );
  const acked = performance.now();
  // Then until every queued chip has its verdict.
  for (;;) {
    const m = await (await fetch(`${base}/metrics`)).text();
    const queued = Number(/geoattest_verdict_queue_chips (\d+)/.exec(m)?.[1] ?? 'NaN');
    if (queued === 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const done = performance.now();
  const status = readFileSync(`/proc/${server.pid}/status`, 'utf8');
  const maxRssMb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  const check = await Verifier.open({ location });
  const verdicts = Number(
    (
      await check.store.db
        .selectFrom('verdicts')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
  await check.close();
  rmSync(dir, { recursive: true, force: true });
  return {
    backend,
    ackedPerS: total / ((acked - start) / 1000),
    endToEndPerS: total / ((done - start) / 1000),
    verdicts,
    accepted,
    rejected,
    maxRssMb,
  };
}

const results: Result[] = [];
for (const b of o.backend.split(',') as ('sqlite' | 'postgres')[]) {
  try {
    results.push(await runBackend(b));
  } catch (e) {
    log(`[${b}] skipped: ${(e as Error).message}`);
  }
}
const f0 = (x: number) => x.toFixed(0);
console.log(
  `\ningest: ${total} receipts (${CHIPS} chips × ${fleet.chips[0].landmarks.length} landmarks), batches of ${BATCH}, ${CONCURRENCY} concurrent senders\n`,
);
console.log(
  table(
    [
      'backend',
      'acked/s',
      'end-to-end/s',
      'vs baseline',
      'accepted',
      'rejected',
      'verdicts',
      'server max RSS MB',
    ],
    results.map((r) => [
      r.backend,
      f0(r.ackedPerS),
      f0(r.endToEndPerS),
      `${(r.endToEndPerS / baselinePerS).toFixed(2)}×`,
      r.accepted,
      r.rejected,
      r.verdicts,
      f0(r.maxRssMb),
    ]),
  ),
);
console.log(`\nbaseline: the two Ed25519 checks per receipt alone, one core: ${f0(baselinePerS)} receipts/s`);
console.log(
  'end-to-end: from the first request until every chip has its verdict; target ≥ 5,000 receipts/s on SQLite',
);
