import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runWitness } from '../../src/cli/witness-command.js';
import { createKeyFile } from '../../src/io/key-file.js';
import { signCheckpoint } from '../../src/tlog/checkpoint.js';
import { cosignatureVerifier, ed25519Cosigner, verifyCosignatureLine } from '../../src/tlog/cosignature.js';
import { proveConsistency, treeRoot } from '../../src/tlog/merkle-prove.js';
import { addSignatures, openNote, parseNote } from '../../src/tlog/note.js';
import {
  ed25519KeyFromSeed,
  ed25519Signer,
  ed25519Verifier,
  signerKeyFrom,
  verifierKeyOf,
} from '../../src/tlog/note-keys.js';
import {
  addCheckpoint,
  type CosignedRecord,
  formatAddCheckpointBody,
  type WitnessOutcome,
} from '../../src/tlog/witness.js';
import { requestCosignature } from '../../src/tlog-adapters/witness-client.js';
import { WitnessStore } from '../../src/tlog-adapters/witness-store.js';
import { fixtureTree } from './tree-fixture.js';

const ORIGIN = 'example.com/log';
const logKey = signerKeyFrom(ORIGIN, ed25519KeyFromSeed(new Uint8Array(32).fill(1)));
const otherKey = signerKeyFrom(ORIGIN, ed25519KeyFromSeed(new Uint8Array(32).fill(2)));
const logs = [{ origin: ORIGIN, keys: [ed25519Verifier(verifierKeyOf(logKey))] }];
const cosigner = ed25519Cosigner('witness.example/w1', ed25519KeyFromSeed(new Uint8Array(32).fill(9)));
const main = fixtureTree(64);
const fork = fixtureTree(64, (i) => new TextEncoder().encode(i < 20 ? `leaf-${i}` : `evil-${i}`));

function checkpoint(tree: typeof main, size: number, key = logKey, origin = ORIGIN): string {
  return signCheckpoint({ origin, size, root: treeRoot(size, tree.hashAt), extensions: [] }, [
    ed25519Signer(key),
  ]);
}

function body(oldSize: number, size: number, tree = main, proofTree = tree): string {
  return formatAddCheckpointBody({
    oldSize,
    proof: proveConsistency(oldSize, size, proofTree.hashAt),
    checkpoint: checkpoint(tree, size),
  });
}

/** A witness in memory: the pure decision plus a map as its store. */
function memoryWitness() {
  const records = new Map<string, CosignedRecord>();
  return (b: string): WitnessOutcome => {
    const o = addCheckpoint(b, logs, (origin) => records.get(origin), [cosigner], 1_700_000_000n);
    if (o.status === 200) records.set(o.record.origin, o.record);
    return o;
  };
}

describe('tlog-witness add-checkpoint (pure)', () => {
  it('cosigns a first checkpoint from old size 0, then consistent extensions', () => {
    const w = memoryWitness();
    const first = w(body(0, 5));
    expect(first.status).toBe(200);
    const text = parseNote(checkpoint(main, 5)).text;
    expect(verifyCosignatureLine(text, first.body, cosigner.verifierKey)).toBe(1_700_000_000n);
    expect(w(body(5, 17)).status).toBe(200);
    expect(w(body(17, 17)).status).toBe(200);
    expect(w(body(17, 64)).status).toBe(200);
  });

  describe('when the old size is not what it last cosigned', () => {
    it('is 409 with its size as text/x.tlog.size', () => {
      const w = memoryWitness();
      w(body(0, 10));
      const o = w(body(0, 12));
      expect(o).toMatchObject({ status: 409, contentType: 'text/x.tlog.size', body: '10\n' });
      expect(w(body(5, 12))).toMatchObject({ status: 409, body: '10\n' });
    });
  });
  describe('when asked to go backwards', () => {
    it('is 400 (old size above the checkpoint) or 409', () => {
      const w = memoryWitness();
      w(body(0, 10));
      expect(
        w(formatAddCheckpointBody({ oldSize: 10, proof: [], checkpoint: checkpoint(main, 8) })).status,
      ).toBe(400);
      expect(w(body(8, 9)).status).toBe(409);
    });
  });
  describe('when a checkpoint forks from the one it cosigned', () => {
    it('is 409 at equal size and 422 beyond, and never cosigned', () => {
      const w = memoryWitness();
      w(body(0, 30));
      expect(w(body(30, 30, fork))).toMatchObject({ status: 409, code: 'WITNESS_CONFLICT' });
      expect(w(body(30, 40, fork))).toMatchObject({ status: 422, code: 'WITNESS_PROOF_INVALID' });
      expect(w(body(30, 40)).status).toBe(200);
    });
  });
  describe('when the proof is wrong, truncated or present from size 0', () => {
    it('is 422', () => {
      const w = memoryWitness();
      expect(
        w(
          formatAddCheckpointBody({
            oldSize: 0,
            proof: [new Uint8Array(32)],
            checkpoint: checkpoint(main, 3),
          }),
        ).status,
      ).toBe(422);
      w(body(0, 7));
      const proof = proveConsistency(7, 20, main.hashAt);
      expect(
        w(formatAddCheckpointBody({ oldSize: 7, proof: proof.slice(1), checkpoint: checkpoint(main, 20) }))
          .status,
      ).toBe(422);
    });
  });
  describe('when the origin is unknown or the log did not sign it', () => {
    it('is 404 or 403', () => {
      const w = memoryWitness();
      const unknown = formatAddCheckpointBody({
        oldSize: 0,
        proof: [],
        checkpoint: checkpoint(main, 3, logKey, 'other.example/log'),
      });
      expect(w(unknown).status).toBe(404);
      const forged = formatAddCheckpointBody({
        oldSize: 0,
        proof: [],
        checkpoint: checkpoint(main, 3, otherKey),
      });
      expect(w(forged)).toMatchObject({ status: 403, code: 'WITNESS_FORBIDDEN' });
    });
  });
  describe('when the body is malformed', () => {
    it('is 400, never an uncoded throw', () => {
      const w = memoryWitness();
      const good = body(0, 3);
      for (const bad of [
        '',
        'old 0\n',
        `old 00\n\n${checkpoint(main, 3)}`,
        `old -1\n\n${checkpoint(main, 3)}`,
        `old 0\nnot-base64\n\n${checkpoint(main, 3)}`,
        `old 0\n${'AAAA\n'}\n${checkpoint(main, 3)}`,
        `old 0\n${`${Buffer.alloc(32).toString('base64')}\n`.repeat(64)}\n${checkpoint(main, 3)}`,
        good.replace('\n3\n', '\nthree\n'),
        good.slice(0, -1),
      ]) {
        expect(w(bad).status, JSON.stringify(bad.slice(0, 30))).toBe(400);
      }
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
          expect(addCheckpoint(bytes, logs, () => undefined, [cosigner], 0n).status).toBe(400);
        }),
        { numRuns: 500 },
      );
    });
  });

  it('never cosigns two checkpoints that are not consistent, whatever the request sequence', () => {
    const trees = [main, fork];
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(1), fc.integer({ min: 1, max: 64 }), fc.nat(64), fc.nat(1)), {
          maxLength: 25,
        }),
        (requests) => {
          const w = memoryWitness();
          const signed: { tree: number; size: number }[] = [];
          for (const [t, size, old, proofFrom] of requests) {
            const oldSize = Math.min(old, size);
            const o = w(body(oldSize, size, trees[t], trees[proofFrom]));
            if (o.status === 200) signed.push({ tree: t, size });
          }
          // Every cosigned checkpoint extends the previous one: same tree up to the fork point.
          for (let i = 1; i < signed.length; i++) {
            const a = signed[i - 1];
            const b = signed[i];
            expect(b.size).toBeGreaterThanOrEqual(a.size);
            if (a.size > 20) expect(b.tree).toBe(a.tree);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('geoattest witness over HTTP', () => {
  async function start(dir: string, keyPath: string) {
    let out = '';
    const sink = new Writable({
      write(c, _e, cb) {
        out += String(c);
        cb();
      },
    });
    let stop!: () => void;
    const stopped = new Promise<void>((r) => {
      stop = r;
    });
    const done = runWitness(
      [
        '--key',
        keyPath,
        '--name',
        'witness.example/w2',
        '--log',
        verifierKeyOf(logKey),
        '--state',
        dir,
        '--listen',
        '127.0.0.1:0',
        '--json',
      ],
      { stdin: Readable.from([]), stdout: sink, stderr: sink },
      stopped,
    );
    for (let i = 0; i < 100 && !out.includes('listening'); i++) await new Promise((r) => setTimeout(r, 20));
    const listening = JSON.parse(out.split('\n').find((l) => l.includes('listening'))!);
    const post = async (b: string) => {
      const res = await fetch(listening.url, { method: 'POST', body: b });
      return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
    };
    return {
      post,
      url: listening.url as string,
      vkey: listening.vkey as string,
      stop: async () => {
        stop();
        return done;
      },
    };
  }

  it('cosigns, keeps its state across restarts, and answers 409 with its size', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'geoattest-witness-'));
    const keyPath = join(dir, 'witness.key');
    createKeyFile(keyPath);
    const a = await start(join(dir, 'state'), keyPath);
    const r1 = await a.post(body(0, 9));
    expect(r1.status).toBe(200);
    expect(verifyCosignatureLine(parseNote(checkpoint(main, 9)).text, r1.text, a.vkey)).toBeTypeOf('bigint');
    expect((await a.post(body(9, 33))).status).toBe(200);
    expect(await a.stop()).toBe(0);

    expect(new WitnessStore(join(dir, 'state')).get(ORIGIN)?.size).toBe(33);
    const b = await start(join(dir, 'state'), keyPath);
    expect(await b.post(body(0, 40))).toMatchObject({ status: 409, type: 'text/x.tlog.size', text: '33\n' });
    expect((await b.post(body(33, 33, fork))).status).toBe(409);
    // Racing requests from the same old size: exactly one wins, the rest see the new size.
    const race = await Promise.all([b.post(body(33, 40)), b.post(body(33, 50)), b.post(body(33, 60))]);
    expect(race.filter((r) => r.status === 200)).toHaveLength(1);
    expect(race.filter((r) => r.status === 409)).toHaveLength(2);
    await b.stop();
  });

  it("the log's client: a 409 gives the witness's size, then the cosignature verifies on the checkpoint", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'geoattest-witness-'));
    const keyPath = join(dir, 'witness.key');
    createKeyFile(keyPath);
    const w = await start(join(dir, 'state'), keyPath);
    const url = w.url.replace(/\/add-checkpoint$/, '');
    await w.post(body(0, 12));
    const note = checkpoint(main, 30);
    const first = await requestCosignature(url, w.vkey, { oldSize: 0, proof: [], checkpoint: note });
    expect(first).toEqual({ kind: 'conflict', size: 12 });
    const proof = proveConsistency(12, 30, main.hashAt);
    const second = await requestCosignature(url, w.vkey, { oldSize: 12, proof, checkpoint: note });
    if (second.kind !== 'cosigned') throw new Error(`expected a cosignature, got ${second.kind}`);
    const witnessed = addSignatures(note, second.signatures);
    const opened = openNote(witnessed, [ed25519Verifier(verifierKeyOf(logKey)), cosignatureVerifier(w.vkey)]);
    expect(opened.verified.map((s) => s.name)).toEqual([ORIGIN, 'witness.example/w2']);
    const refused = await requestCosignature(url, w.vkey, {
      oldSize: 30,
      proof: [],
      checkpoint: checkpoint(main, 30, otherKey),
    });
    expect(refused).toMatchObject({ kind: 'refused', status: 403 });
    await w.stop();
  });

  it('exits 2 without --key or --log', async () => {
    const io = {
      stdin: Readable.from([]),
      stdout: new Writable({ write: (_c, _e, cb) => cb() }),
      stderr: new Writable({ write: (_c, _e, cb) => cb() }),
    };
    expect(await runWitness([], io)).toBe(2);
    expect(await runWitness(['--key', 'x'], io)).toBe(2);
    expect(await runWitness(['--key', 'x', '--log', 'not-a-key'], io)).toBe(2);
    expect(await runWitness(['--help'], io)).toBe(0);
  });
});
