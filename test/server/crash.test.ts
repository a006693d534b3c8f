// Crashes: `geoattest serve` is killed with SIGKILL under ingestion load, several times, and
// restarted. Afterwards every receipt it acknowledged is stored exactly once, every chip's verdict
// rests on its latest check-in (recomputed after the crashes), and every checkpoint the log ever
// committed is consistent with every later one (append and checkpoint are one durable step).
// With PostgreSQL, two server processes share one database: exactly one sequences at a time.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createKeyFile, readKeyFile } from '../../src/io/key-file.js';
import { Verifier } from '../../src/server/verifier.js';
import { buildFleet, checkInReceipts, registerFleet } from '../../src/sim/fleet.js';
import { seededRandom } from '../../src/sim/random.js';
import { openCheckpoint } from '../../src/tlog/checkpoint.js';
import { verifyConsistency } from '../../src/tlog/merkle.js';
import { ed25519Verifier } from '../../src/tlog/note-keys.js';
import { BACKENDS } from '../helpers/verifier-world.js';

const BIN = new URL('../../bin/geoattest.js', import.meta.url).pathname;

interface Server {
  readonly proc: ChildProcess;
  readonly url: string;
}

async function startServer(env: Record<string, string>, args: string[]): Promise<Server> {
  const port = 21_000 + Math.floor(Math.random() * 20_000);
  const proc = spawn(process.execPath, [BIN, 'serve', '--listen', `127.0.0.1:${port}`, '--quiet', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  proc.stderr?.on('data', (d) => {
    err += d;
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) return { proc, url };
    } catch {
      // not listening yet
    }
    if (i > 300 || proc.exitCode !== null) throw new Error(`server did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** What a landmark does: POST a batch of its receipts. */
function postReceipts(url: string, token: string, receipts: readonly string[]): Promise<Response> {
  return fetch(`${url}/v1/receipts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ receipts }),
  });
}

function kill(s: Server): Promise<void> {
  return new Promise((resolve) => {
    if (s.proc.exitCode !== null) return resolve();
    s.proc.once('exit', () => resolve());
    s.proc.kill('SIGKILL');
  });
}

async function checkLog(v: Verifier) {
  const rows = await v.store.db.selectFrom('log_checkpoints').selectAll().orderBy('size').execute();
  const key = ed25519Verifier(v.log.verifierKey);
  const opened = rows.map((r) => openCheckpoint(r.note, [key]).checkpoint);
  for (let i = 0; i + 1 < opened.length; i++) {
    const a = opened[i];
    const b = opened.at(-1)!;
    verifyConsistency(a.size, b.size, await v.log.consistencyProof(a.size, b.size), a.root, b.root);
  }
  const leaves = await v.store.db
    .selectFrom('log_leaves')
    .select(['idx', 'verdict_id'])
    .orderBy('idx')
    .execute();
  expect(leaves.map((l) => Number(l.idx))).toEqual(leaves.map((_, i) => i));
  expect(new Set(leaves.map((l) => Number(l.verdict_id))).size).toBe(leaves.length);
  return { checkpoints: opened.length, leaves: leaves.length };
}

for (const backend of BACKENDS) {
  describe(`crashes on ${backend}`, () => {
    it('keeps every acknowledged receipt exactly once and recomputes verdicts after SIGKILLs', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'geoattest-crash-'));
      const pgDb = `crash_${Date.now()}`;
      const location =
        backend === 'sqlite'
          ? join(dir, 'verifier.sqlite')
          : `${process.env.DATABASE_URL!.replace(/\/[^/]*$/, '')}/${pgDb}`;
      if (backend === 'postgres') await createDatabase(pgDb);
      const env = backend === 'postgres' ? { DATABASE_URL: location } : { DATABASE_URL: '' };
      const keyFile = join(dir, 'log-key');
      const args = [
        ...(backend === 'sqlite' ? ['--db', location] : []),
        '--token-file',
        join(dir, 'token'),
        '--log-key',
        keyFile,
      ];
      try {
        const fleet = buildFleet({ chips: 60, landmarkCount: 4, perChip: 4, seed: 3 });
        const setup = await Verifier.open({ location });
        await registerFleet(setup.ledger, fleet, Date.now() - 3_600_000);
        const token = (await setup.tokens.create({ name: 'crash', role: 'admin' }, 'test', Date.now()))
          .secret;
        await setup.close();
        const rng = seededRandom(5);
        const acked = new Set<string>();
        let unsent: string[][] = [];
        for (let round = 0; round < 4; round++) {
          const server = await startServer(env, args);
          const batches = [...unsent];
          for (let k = 0; k < 6; k++)
            batches.push(
              fleet.chips
                .slice(k * 10, k * 10 + 10)
                .flatMap((c) => checkInReceipts(c, Date.now() - 1000, rng)),
            );
          unsent = [];
          const killAt = 100 + Math.floor(rng() * 400);
          const killer = new Promise<void>((r) => setTimeout(() => void kill(server).then(r), killAt));
          let dead = false;
          void killer.then(() => {
            dead = true;
          });
          await Promise.all(
            [0, 1].map(async (lane) => {
              for (let i = lane; i < batches.length; i += 2) {
                if (dead) {
                  unsent.push(batches[i]);
                  continue;
                }
                try {
                  const res = await postReceipts(server.url, token, batches[i]);
                  const body = (await res.json()) as { hashes: (string | null)[]; rejected: unknown[] };
                  expect(body.rejected).toEqual([]);
                  for (const h of body.hashes) acked.add(h!);
                } catch {
                  unsent.push(batches[i]); // no answer: a landmark keeps it and sends it again
                }
              }
            }),
          );
          await killer;
        }
        // Last start: resend what never got an answer, then let the verdicts and the log settle.
        const server = await startServer(env, args);
        for (const b of unsent) {
          const res = await postReceipts(server.url, token, b);
          for (const h of ((await res.json()) as { hashes: string[] }).hashes) acked.add(h);
        }
        for (let i = 0; i < 200; i++) {
          const m = await (await fetch(`${server.url}/metrics`)).text();
          if (/geoattest_verdict_queue_chips 0\b/.test(m)) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        await new Promise((r) => setTimeout(r, 500));
        await kill(server);

        const v = await Verifier.open(
          { location },
          { log: { origin: 'geoattest.local/log', privateKey: readKeyFile(keyFile).privateKey } },
        );
        try {
          const stored = await v.store.db
            .selectFrom('receipts')
            .select(['hash', 'chip_id', 'measured_at'])
            .execute();
          expect(acked.size).toBe(fleet.chips.length * 4 * 4);
          for (const h of acked) expect(stored.some((r) => r.hash === h)).toBe(true);
          expect(new Set(stored.map((r) => r.hash)).size).toBe(stored.length);
          expect(await v.evidence.queueLength()).toBe(0);
          // Every chip's latest verdict rests on its latest receipts.
          for (const chip of fleet.chips) {
            const latest = Math.max(
              ...stored.filter((r) => r.chip_id === chip.id).map((r) => Number(r.measured_at)),
            );
            const verdict = await v.evidence.latestVerdict(chip.id);
            expect(Number(verdict?.window_to)).toBe(latest);
          }
          const log = await checkLog(v);
          expect(log.checkpoints).toBeGreaterThan(0);
        } finally {
          await v.close();
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
        if (backend === 'postgres') await dropDatabase(pgDb);
      }
    }, 240_000);
  });
}

async function createDatabase(name: string) {
  const pg = (await import('pg')).default;
  const c = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await c.connect();
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
}

async function dropDatabase(name: string) {
  const pg = (await import('pg')).default;
  const c = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await c.end();
}

describe.runIf(BACKENDS.includes('postgres'))('two servers on one PostgreSQL database', () => {
  it('sequence one at a time: one log, every verdict in it once, every checkpoint consistent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'geoattest-two-'));
    const pgDb = `two_${Date.now()}`;
    const location = `${process.env.DATABASE_URL!.replace(/\/[^/]*$/, '')}/${pgDb}`;
    await createDatabase(pgDb);
    const keyFile = join(dir, 'log-key');
    const args = ['--token-file', join(dir, 'token'), '--log-key', keyFile];
    try {
      const fleet = buildFleet({ chips: 80, landmarkCount: 4, perChip: 4, seed: 9 });
      const setup = await Verifier.open({ location });
      await registerFleet(setup.ledger, fleet, Date.now() - 3_600_000);
      const token = (await setup.tokens.create({ name: 'two', role: 'admin' }, 'test', Date.now())).secret;
      await setup.close();
      const a = await startServer({ DATABASE_URL: location }, args);
      const b = await startServer({ DATABASE_URL: location }, args);
      const rng = seededRandom(2);
      await Promise.all(
        [a, b].map(async (s, lane) => {
          for (let k = lane; k < 8; k += 2) {
            const receipts = fleet.chips
              .slice(k * 10, k * 10 + 10)
              .flatMap((c) => checkInReceipts(c, Date.now() - 1000, rng));
            const res = await postReceipts(s.url, token, receipts);
            expect(res.status).toBe(200);
          }
        }),
      );
      // Both loops drain the verdict queue and race to sequence.
      const v = await Verifier.open(
        { location },
        { log: { origin: 'geoattest.local/log', privateKey: readKeyFile(keyFile).privateKey } },
      );
      try {
        for (let i = 0; i < 200; i++) {
          const verdicts = Number(
            (
              await v.store.db
                .selectFrom('verdicts')
                .select((eb) => eb.fn.countAll<number>().as('n'))
                .executeTakeFirstOrThrow()
            ).n,
          );
          if ((await v.evidence.queueLength()) === 0 && (await v.log.size()) === verdicts && verdicts > 0)
            break;
          await new Promise((r) => setTimeout(r, 100));
        }
        await Promise.all([kill(a), kill(b)]);
        const verdicts = Number(
          (
            await v.store.db
              .selectFrom('verdicts')
              .select((eb) => eb.fn.countAll<number>().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        );
        const log = await checkLog(v);
        expect(log.leaves).toBe(verdicts);
        expect(verdicts).toBeGreaterThanOrEqual(fleet.chips.length);
      } finally {
        await v.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await dropDatabase(pgDb);
    }
  }, 240_000);
});

describe('the log under SIGKILL mid-batch', () => {
  it('never commits a checkpoint inconsistent with another, however often the sequencer dies', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'geoattest-logkill-'));
    const location = join(dir, 'verifier.sqlite');
    const keyFile = join(dir, 'log-key');
    const args = ['--db', location, '--token-file', join(dir, 'token'), '--log-key', keyFile];
    createKeyFile(keyFile);
    try {
      // Many verdicts waiting for the log, so the server sequences batch after batch while it dies.
      const fleet = buildFleet({ chips: 20, landmarkCount: 2, perChip: 2, seed: 4 });
      const setup = await Verifier.open({ location });
      const now = Date.now();
      await registerFleet(setup.ledger, fleet, now - 3_600_000);
      const total = 100_000;
      for (let i = 0; i < total; i += 1000) {
        await setup.store.db
          .insertInto('verdicts')
          .values(
            Array.from({ length: 1000 }, (_, k) => ({
              chip_id: fleet.chips[(i + k) % fleet.chips.length].id,
              licence_id: fleet.chips[(i + k) % fleet.chips.length].licenceId,
              computed_at: now,
              verdict: 'inside' as const,
              bound: 'vacuum',
              where_policy: 'territorial',
              trust_modes: 'software',
              region: fleet.chips[(i + k) % fleet.chips.length].city.country,
              window_from: now - 1000,
              window_to: now + i + k,
              proof_radius_km: 10,
              evidence_hash: (i + k).toString(16).padStart(64, '0'),
              evidence: '[]',
              detail: '{}',
            })),
          )
          .returning('id')
          .execute()
          .then((rows) =>
            setup.store.db
              .insertInto('log_queue')
              .values(rows.map((r) => ({ verdict_id: Number(r.id) })))
              .execute(),
          );
      }
      await setup.close();
      const rng = seededRandom(8);
      let kills = 0;
      const sizesAfterKills: number[] = [];
      // A loaded machine may take longer than the first delays to open the server at all: each
      // round that finds the log no further waits longer.
      let base = 400;
      for (let round = 0; round < 12; round++) {
        // Killed at a random moment after it starts: while it opens, sequences or commits.
        const proc = spawn(process.execPath, [BIN, 'serve', '--listen', '127.0.0.1:0', '--quiet', ...args], {
          env: { ...process.env, DATABASE_URL: '' },
          stdio: 'ignore',
        });
        await new Promise((r) => setTimeout(r, base + Math.floor(rng() * 1200)));
        await kill({ proc, url: '' });
        kills++;
        const v = await Verifier.open(
          { location },
          { log: { origin: 'geoattest.local/log', privateKey: readKeyFile(keyFile).privateKey } },
        );
        try {
          await checkLog(v);
          const size = await v.log.size();
          if (size === (sizesAfterKills.at(-1) ?? 0)) base += 800;
          sizesAfterKills.push(size);
          if (size === total) break;
        } finally {
          await v.close();
        }
      }
      expect(kills).toBeGreaterThan(1);
      // At least one kill landed while the log was part way through the waiting verdicts.
      expect(
        sizesAfterKills.some((n) => n > 0 && n < total),
        String(sizesAfterKills),
      ).toBe(true);
      // Finish, then every verdict is in the log exactly once.
      const server = await startServer({ DATABASE_URL: '' }, args);
      const v = await Verifier.open(
        { location },
        { log: { origin: 'geoattest.local/log', privateKey: readKeyFile(keyFile).privateKey } },
      );
      try {
        for (let i = 0; i < 300 && (await v.log.size()) < total; i++)
          await new Promise((r) => setTimeout(r, 100));
        await kill(server);
        const log = await checkLog(v);
        expect(log.leaves).toBe(total);
      } finally {
        await v.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);
});
