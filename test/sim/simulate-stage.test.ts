// The scale simulator's verdict stage with many batches in flight (runSimulation with a tiny
// verdictBatch), on real worker threads: every check-in gets exactly one verdict and one log leaf,
// each chip's verdicts chain in order, nothing is left queued, and the verdicts are those of a run
// that decides everything in one batch. Workers run compiled JavaScript, so this drives dist/.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sql } from '../../src/store/database.js';

const dist = (p: string) => new URL(`../../dist/src/${p}`, import.meta.url).href;

interface Row {
  chip_id: string;
  id: number;
  prev_id: number | null;
  window_from: number;
  window_to: number;
  verdict: string;
  region: string;
}

async function simulate(verdictBatch: number | undefined) {
  const { Verifier } = (await import(
    dist('server/verifier.js')
  )) as typeof import('../../src/server/verifier.js');
  const { runSimulation } = (await import(
    dist('sim/simulate.js')
  )) as typeof import('../../src/sim/simulate.js');
  const dir = mkdtempSync(join(tmpdir(), 'geoattest-stage-'));
  const clock = { now: Date.UTC(2026, 0, 1) };
  const verifier = await Verifier.open(
    { location: join(dir, 'sim.sqlite') },
    { now: () => clock.now, workers: 2, verdictSettleMs: 0, unsignedForSimulation: true },
  );
  try {
    const result = await runSimulation(verifier, clock, {
      chips: 300,
      landmarks: 6,
      hours: 2,
      sign: false,
      verdictBatch,
    });
    const db = verifier.store.db;
    const rows = (
      await sql<Row>`select chip_id, id, prev_id, window_from, window_to, verdict, region
        from verdicts order by chip_id, id`.execute(db)
    ).rows;
    const size = (await sql<{ n: number }>`select max(size) as n from log_checkpoints`.execute(db)).rows[0].n;
    const leaves = (
      await sql<{ n: number }>`select count(distinct verdict_id) as n from log_leaves`.execute(db)
    ).rows[0].n;
    return {
      result,
      rows,
      logSize: Number(size),
      leaves: Number(leaves),
      queued: await verifier.evidence.queueLength(),
    };
  } finally {
    await verifier.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the simulator verdict stage', () => {
  it('decides and logs every check-in once with batches in flight, as one batch does', async () => {
    const small = await simulate(16);
    expect(small.result).toMatchObject({ accepted: 1800, rejected: 0, verdicts: 600, logAppends: 600 });
    expect(small.rows).toHaveLength(600);
    expect(small.logSize).toBe(600);
    expect(small.leaves).toBe(600);
    expect(small.queued).toBe(0);
    const byChip = new Map<string, Row[]>();
    for (const r of small.rows) byChip.set(r.chip_id, [...(byChip.get(r.chip_id) ?? []), r]);
    expect(byChip.size).toBe(300);
    for (const [, [first, second]] of byChip) {
      // One verdict per hour, the second resting on the second hour's check-in and chained to the first.
      expect(first.prev_id).toBeNull();
      expect(Number(second.prev_id)).toBe(Number(first.id));
      expect(Number(second.window_to) - Number(first.window_to)).toBe(3_600_000);
    }
    const whole = await simulate(undefined);
    const facts = (rows: Row[]) =>
      rows.map((r) => [r.chip_id, Number(r.window_from), Number(r.window_to), r.verdict, r.region].join(' '));
    expect(facts(small.rows)).toEqual(facts(whole.rows));
  }, 120_000);
});
