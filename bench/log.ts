// npm run bench:log — durable appends per second to the transparency log: verdict rows in, leaves
// encoded, tiles built, everything plus a signed checkpoint committed in one transaction per batch,
// on SQLite and PostgreSQL. Baseline in the same run: encoding and tree-building alone, in memory.
// Proof and audit speeds are in `npm run bench:log-proofs`.
//
//   npm run bench:log [-- --leaves 200000 --batch 5000 --backend sqlite,postgres]

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { Verifier } from '../src/server/verifier.js';
import { newKeys } from '../src/sim/fleet.js';
import type { VerdictTable } from '../src/store/schema.js';
import { TreeBuilder } from '../src/tlog/tree-builder.js';
import { encodeVerdictLeaf } from '../src/tlog/verdict-leaf.js';
import { table } from './table.js';

const { values: o } = parseArgs({
  options: {
    leaves: { type: 'string', default: '200000' },
    batch: { type: 'string', default: '5000' },
    backend: { type: 'string', default: 'sqlite,postgres' },
  },
});
const LEAVES = Number(o.leaves);
const BATCH = Number(o.batch);
const PG_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const log = (s: string) => process.stderr.write(`${s}\n`);

function verdictRow(i: number, chips: readonly string[], now: number): Omit<VerdictTable, 'id'> {
  return {
    chip_id: chips[i % chips.length],
    prev_id: null,
    receipt_head: null,
    licence_id: 'L-BENCH',
    computed_at: now,
    verdict: i % 50 === 0 ? 'unverified' : 'inside',
    bound: 'vacuum',
    where_policy: 'territorial',
    trust_modes: 'software',
    region: 'MY',
    window_from: now - 900_000 + i,
    window_to: now + i,
    proof_radius_km: 12.5,
    evidence_hash: i.toString(16).padStart(8, '0').repeat(8),
    evidence: '[]',
    detail: '{}',
  };
}

async function run(backend: 'sqlite' | 'postgres') {
  const dir = mkdtempSync(join(tmpdir(), 'geoattest-bench-log-'));
  let location = join(dir, 'log.sqlite');
  if (backend === 'postgres') {
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query('DROP DATABASE IF EXISTS geoattest_bench_log');
    await admin.query('CREATE DATABASE geoattest_bench_log');
    await admin.end();
    const u = new URL(PG_URL);
    u.pathname = '/geoattest_bench_log';
    location = u.toString();
  }
  const now = Date.now();
  const v = await Verifier.open(
    { location },
    { log: { origin: 'bench.local/log', privateKey: newKeys().privateKey, batchSize: BATCH } },
  );
  await v.ledger.addOrg({ id: 'x', name: 'x', kind: 'exporter' }, 'bench', now);
  await v.ledger.addOrg({ id: 'y', name: 'y', kind: 'end-user' }, 'bench', now);
  await v.ledger.addLicence(
    {
      id: 'L-BENCH',
      exporterId: 'x',
      endUserId: 'y',
      destinations: [{ country: 'MY' }],
      models: ['H100'],
      quantity: 100,
      validFrom: 0,
      validTo: now + 1e10,
    },
    'bench',
    now,
  );
  const chips = Array.from({ length: 100 }, (_, i) => `C${i}`);
  await v.ledger.importChips(
    'L-BENCH',
    chips.map((id) => ({ id, model: 'H100', publicKey: newKeys().base64 })),
    'bench',
    now,
  );
  log(`[${backend}] writing ${LEAVES} verdict rows…`);
  for (let i = 0; i < LEAVES; i += 1000) {
    const rows = Array.from({ length: Math.min(1000, LEAVES - i) }, (_, k) => verdictRow(i + k, chips, now));
    const ids = await v.store.db.insertInto('verdicts').values(rows).returning('id').execute();
    await v.store.db
      .insertInto('log_queue')
      .values(ids.map((r) => ({ verdict_id: Number(r.id) })))
      .execute();
  }
  log(`[${backend}] sequencing…`);
  const t0 = performance.now();
  let appended = 0;
  for (let n = await v.log.sequence(now); n > 0; n = await v.log.sequence(now)) appended += n;
  const seconds = (performance.now() - t0) / 1000;
  const size = await v.log.size();
  await v.close();
  rmSync(dir, { recursive: true, force: true });
  return { backend, appended, size, perS: appended / seconds, batches: Math.ceil(appended / BATCH) };
}

// Baseline: the same leaves encoded and hashed into tiles in memory, no database.
const sample = Array.from({ length: Math.min(LEAVES, 100_000) }, (_, i) =>
  encodeVerdictLeaf({
    version: 1,
    chipPseudonym: new Uint8Array(32).fill(i % 251),
    licence: 'L-BENCH',
    verdict: 'inside',
    region: 'MY',
    bound: 'vacuum',
    trustMode: 'software',
    where: 'territorial',
    windowStartMs: i,
    windowEndMs: i + 1,
    evidenceHash: new Uint8Array(32).fill(i % 7),
    verifierVersion: 'geoattest-verifier/1',
  }),
);
const tb = performance.now();
let builder = TreeBuilder.empty();
for (let i = 0; i < sample.length; i += BATCH) builder = builder.append(sample.slice(i, i + BATCH)).builder;
const baselinePerS = sample.length / ((performance.now() - tb) / 1000);

const results = [];
for (const b of o.backend.split(',') as ('sqlite' | 'postgres')[]) {
  try {
    results.push(await run(b));
  } catch (e) {
    log(`[${b}] skipped: ${(e as Error).message}`);
  }
}
console.log(
  `\nlog appends: ${LEAVES} verdicts, batches of ${BATCH}, each batch one transaction with its signed checkpoint\n`,
);
console.log(
  table(
    ['backend', 'leaves', 'batches', 'appends/s', 'vs in-memory tree'],
    results.map((r) => [
      r.backend,
      r.appended,
      r.batches,
      r.perS.toFixed(0),
      `${(r.perS / baselinePerS).toFixed(2)}×`,
    ]),
  ),
);
console.log(
  `\nbaseline: tiles built in memory from the same leaves: ${baselinePerS.toFixed(0)} leaves/s; target ≥ 20,000 appends/s on SQLite`,
);
