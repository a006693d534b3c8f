// The transparency log inside the verifier, on both backends: every verdict becomes a leaf, every
// batch a signed checkpoint consistent with all earlier ones, every leaf provably included; and
// `geoattest audit` against the live service passes, re-derives every verdict from its signed
// evidence, and fails when a stored leaf, checkpoint or receipt is tampered with.

import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runAudit } from '../../src/cli/audit-command.js';
import { buildApp } from '../../src/server/app.js';
import { openCheckpoint } from '../../src/tlog/checkpoint.js';
import { leafHash, verifyConsistency, verifyInclusion } from '../../src/tlog/merkle.js';
import { ed25519Verifier } from '../../src/tlog/note-keys.js';
import { decodeEntryBundle, formatTilePath } from '../../src/tlog/tiles.js';
import { decodeVerdictLeaf, evidenceHash } from '../../src/tlog/verdict-leaf.js';
import {
  BACKENDS,
  type KeyPair,
  keyPair,
  openTestVerifier,
  signedReceipt,
} from '../helpers/verifier-world.js';

const T0 = Date.parse('2026-06-01T00:00:00Z');
const SITES = {
  KUL: { lat: 3.139, lon: 101.687 },
  JHB: { lat: 1.492, lon: 103.741 },
  SZX: { lat: 22.543, lon: 114.058 },
};
type Site = keyof typeof SITES;

async function world(backend: (typeof BACKENDS)[number], clock: { now: number }) {
  const t = await openTestVerifier(backend, {
    now: () => clock.now,
    log: { origin: 'verifier.test/log', privateKey: generateKeyPairSync('ed25519').privateKey, batchSize: 2 },
  });
  const v = t.verifier;
  await v.ledger.addOrg({ id: 'nv', name: 'Exporter', kind: 'exporter' }, 't', clock.now);
  await v.ledger.addOrg({ id: 'eu', name: 'End user', kind: 'end-user' }, 't', clock.now);
  await v.ledger.addOrg({ id: 'ops', name: 'Ops', kind: 'landmark-operator' }, 't', clock.now);
  const landmarks = new Map<Site, KeyPair>();
  for (const [id, p] of Object.entries(SITES)) {
    const k = keyPair();
    landmarks.set(id as Site, k);
    await v.ledger.addLandmark({ id, operatorId: 'ops', ...p, publicKey: k.base64 }, 't', clock.now);
  }
  await v.ledger.addLicence(
    {
      id: 'L1',
      exporterId: 'nv',
      endUserId: 'eu',
      destinations: [{ country: 'MY' }],
      models: ['H100'],
      quantity: 10,
      validFrom: T0 - 1,
      validTo: T0 + 1e10,
    },
    't',
    clock.now,
  );
  const chips = new Map<string, KeyPair>();
  for (const id of ['GPU-A', 'GPU-B', 'GPU-C']) {
    const k = keyPair();
    chips.set(id, k);
    await v.ledger.addChip({ id, model: 'H100', publicKey: k.base64, licenceId: 'L1' }, 't', clock.now);
  }
  const round = async (site: (chip: string) => Site) => {
    const receipts = [...chips].map(([id, k]) =>
      signedReceipt({
        landmarkId: site(id),
        landmark: landmarks.get(site(id))!,
        device: k,
        rttsMs: [0.3, 0.2],
        wallMs: clock.now,
      }),
    );
    await v.ingestion.ingest(receipts, { name: 't' }, clock.now);
    await v.engine.drain(() => clock.now);
  };
  return { t, v, round, landmarks, chips };
}

for (const backend of BACKENDS) {
  describe(`transparency log on ${backend}`, () => {
    const clock = { now: T0 };
    let w: Awaited<ReturnType<typeof world>>;
    beforeEach(async () => {
      clock.now = T0;
      w = await world(backend, clock);
    });
    afterEach(async () => {
      await w.t.cleanup();
    });

    it('appends every verdict once, in batches, each under a signed checkpoint consistent with all before', async () => {
      const { v, round } = w;
      const sizes: number[] = [];
      for (let r = 0; r < 3; r++) {
        await round((id) => (id === 'GPU-C' && r === 2 ? 'SZX' : 'KUL'));
        clock.now += 3_600_000;
        while ((await v.log.sequence(clock.now)) > 0) sizes.push(await v.log.size());
      }
      // Three verdicts a round, two a batch.
      expect(sizes).toEqual([2, 3, 5, 6, 8, 9]);
      const key = ed25519Verifier(v.log.verifierKey);
      const roots = new Map<number, Uint8Array>();
      for (const size of sizes) {
        const note = await v.log.checkpointAt(size);
        const opened = openCheckpoint(note!, [key], 'verifier.test/log');
        expect(opened.checkpoint.size).toBe(size);
        roots.set(size, opened.checkpoint.root);
      }
      for (let i = 0; i < sizes.length; i++)
        for (let j = i + 1; j < sizes.length; j++) {
          const proof = await v.log.consistencyProof(sizes[i], sizes[j]);
          verifyConsistency(sizes[i], sizes[j], proof, roots.get(sizes[i])!, roots.get(sizes[j])!);
        }
      // Every leaf: its entry hashes to the stored leaf hash and is included under the latest root.
      const bundle = decodeEntryBundle(
        (await v.log.tile(formatTilePath({ kind: 'entries', level: 0, index: 0, width: 9 })))!,
        9,
      );
      for (let i = 0; i < 9; i++) {
        const info = (await v.log.leafByIndex(i))!;
        expect(Buffer.from(leafHash(bundle[i])).toString('hex')).toBe(info.leafHash);
        verifyInclusion(i, 9, leafHash(bundle[i]), await v.log.inclusionProof(i, 9), roots.get(9)!);
        const leaf = decodeVerdictLeaf(bundle[i]);
        expect(leaf.licence).toBe('L1');
        expect(Buffer.from(bundle[i]).toString('latin1')).not.toContain('GPU-');
      }
      const verdicts = bundle.map((b) => decodeVerdictLeaf(b).verdict);
      expect(verdicts.filter((x) => x === 'outside')).toHaveLength(1);
      // The pseudonym is stable per chip.
      const pseudonyms = new Set(
        bundle.map((b) => Buffer.from(decodeVerdictLeaf(b).chipPseudonym).toString('hex')),
      );
      expect(pseudonyms.size).toBe(3);
      expect(await v.log.sequence(clock.now)).toBe(0);
    });

    it('cites receipts measured in the same millisecond in one order, the one they are read back in', async () => {
      const { v } = w;
      const chips = ['GPU-A', 'GPU-B', 'GPU-C'];
      const receipts = chips.flatMap((id) =>
        (Object.keys(SITES) as Site[]).map((site) =>
          signedReceipt({
            landmarkId: site,
            landmark: w.landmarks.get(site)!,
            device: w.chips.get(id)!,
            rttsMs: [0.4, 0.3],
            wallMs: clock.now,
          }),
        ),
      );
      expect((await v.ingestion.ingest(receipts, { name: 't' }, clock.now)).accepted).toBe(9);
      await v.engine.drain(() => clock.now);
      const verdicts = await v.store.db.selectFrom('verdicts').selectAll().execute();
      expect(verdicts).toHaveLength(3);
      for (const verdict of verdicts) {
        const cited = JSON.parse(verdict.evidence) as string[];
        expect(cited).toHaveLength(3);
        expect(cited).toEqual([...cited].sort());
        const read = await v.evidence.receiptsOfVerdict(verdict);
        expect(read.map((r) => r.hash)).toEqual(cited);
        const hash = evidenceHash(read.map((r) => Buffer.from(r.hash, 'hex')));
        expect(Buffer.from(hash).toString('hex')).toBe(verdict.evidence_hash);
      }
    });
  });
}

describe('geoattest audit against the live service', () => {
  const clock = { now: T0 };
  let w: Awaited<ReturnType<typeof world>>;
  let url: string;
  let close: () => Promise<void>;
  let auditorToken: string;
  const dirs: string[] = [];

  beforeEach(async () => {
    clock.now = T0;
    w = await world('sqlite', clock);
    for (let r = 0; r < 2; r++) {
      await w.round(() => 'KUL');
      clock.now += 60_000;
    }
    while ((await w.v.log.sequence(clock.now)) > 0) {
      // sequence everything
    }
    auditorToken = (await w.v.tokens.create({ name: 'auditor', role: 'auditor' }, 't', clock.now)).secret;
    const app = await buildApp({ verifier: w.v, logger: false });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
    close = () => app.close();
  });
  afterEach(async () => {
    await close();
    await w.t.cleanup();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  async function audit(extra: string[] = []) {
    const state = mkdtempSync(join(tmpdir(), 'audit-'));
    dirs.push(state);
    const out = new PassThrough();
    const err = new PassThrough();
    let stdout = '';
    let stderr = '';
    out.on('data', (d) => {
      stdout += d;
    });
    err.on('data', (d) => {
      stderr += d;
    });
    const code = await runAudit(
      ['--log', url, '--key', w.v.log.verifierKey, '--state', state, '--json', ...extra],
      {
        stdin: new PassThrough(),
        stdout: out,
        stderr: err,
      },
    );
    return { code, stdout, stderr };
  }

  it('passes on an honest log and re-derives every verdict from its evidence', async () => {
    const r = await audit(['--token', auditorToken]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.rederived).toMatchObject({ same: 6, different: 0, unavailable: 0 });
  });

  it('fails when a stored leaf is rewritten', async () => {
    const db = w.v.store.db;
    const path = formatTilePath({ kind: 'entries', level: 0, index: 0, width: 6 });
    const row = await db
      .selectFrom('log_tiles')
      .selectAll()
      .where('path', '=', path)
      .executeTakeFirstOrThrow();
    const bytes = Buffer.from(row.data, 'base64');
    bytes[bytes.length - 5] ^= 1;
    await db
      .updateTable('log_tiles')
      .set({ data: bytes.toString('base64') })
      .where('path', '=', path)
      .execute();
    expect((await audit()).code).toBe(1);
  });

  it('fails when the checkpoint is rewritten', async () => {
    const db = w.v.store.db;
    const c = await db
      .selectFrom('log_checkpoints')
      .selectAll()
      .orderBy('size', 'desc')
      .limit(1)
      .executeTakeFirstOrThrow();
    // Line 3 of a checkpoint is the root hash: claim another one under the old signature.
    const lines = c.note.split('\n');
    lines[2] = Buffer.alloc(32, 7).toString('base64');
    const forged = lines.join('\n');
    expect(forged).not.toBe(c.note);
    await db.updateTable('log_checkpoints').set({ note: forged }).where('size', '=', c.size).execute();
    expect((await audit()).code).toBe(1);
  });

  it('fails when a verdict does not follow from its evidence', async () => {
    const db = w.v.store.db;
    const r = await db.selectFrom('receipts').selectAll().limit(1).executeTakeFirstOrThrow();
    const bytes = Buffer.from(r.raw);
    bytes[100] ^= 1; // an RTT byte: the landmark's signature no longer holds
    await db.updateTable('receipts').set({ raw: bytes }).where('hash', '=', r.hash).execute();
    const result = await audit(['--token', auditorToken]);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout).rederived.different).toBeGreaterThan(0);
  });
});
