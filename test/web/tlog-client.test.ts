// The dashboard's in-browser log verification (web/src/log, WebCrypto) against the server's own
// transparency-log code (src/tlog, node:crypto): the same trees, tiles, leaves and signed
// checkpoints, proofs that verify in both, and tampering that fails with a code.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signCheckpoint } from '../../src/tlog/checkpoint.js';
import {
  verifyConsistency as nodeVerifyConsistency,
  verifyInclusion as nodeVerifyInclusion,
} from '../../src/tlog/merkle.js';
import { ed25519Signer, signerKeyFrom, verifierKeyOf } from '../../src/tlog/note-keys.js';
import { formatTilePath } from '../../src/tlog/tiles.js';
import { TreeBuilder } from '../../src/tlog/tree-builder.js';
import { encodeVerdictLeaf, evidenceHash } from '../../src/tlog/verdict-leaf.js';
import {
  parseCheckpoint,
  parseVerifierKey,
  verifyCheckpointSignature,
} from '../../web/src/log/checkpoint.js';
import { leafHash, verifyConsistency, verifyInclusion } from '../../web/src/log/merkle.js';
import { TileLog, tileIndexPath } from '../../web/src/log/tile-log.js';
import { leafEvidenceHash, readVerdictLeaf } from '../../web/src/log/verdict-leaf.js';

function leaf(i: number, receipts: Uint8Array[]): Uint8Array {
  return encodeVerdictLeaf({
    version: 1,
    chipPseudonym: new Uint8Array(32).fill(i % 251),
    licence: `L-${i % 7}`,
    verdict: (['inside', 'outside', 'unverified', 'inconsistent'] as const)[i % 4],
    region: 'MY',
    bound: 'vacuum',
    trustMode: 'software',
    where: 'territorial',
    windowStartMs: 1_750_000_000_000 + i,
    windowEndMs: 1_750_000_900_000 + i,
    evidenceHash: evidenceHash(receipts),
    verifierVersion: 'geoattest-verifier/1',
  });
}

/** A log grown in batches, every tile ever written kept by path (as a tile server keeps them). */
function growLog(batches: number[]) {
  const tiles = new Map<string, Uint8Array>();
  const entries: Uint8Array[] = [];
  const snapshots: { size: number; root: Uint8Array }[] = [];
  let b = TreeBuilder.empty();
  for (const n of batches) {
    const batch = Array.from({ length: n }, (_, k) => leaf(entries.length + k, [randomBytes(32)]));
    entries.push(...batch);
    const r = b.append(batch);
    for (const t of r.tiles) tiles.set(formatTilePath(t.coord), t.bytes);
    b = r.builder;
    snapshots.push({ size: r.size, root: r.root });
  }
  const read = async (path: string) => {
    const t = tiles.get(path);
    if (t === undefined) throw new Error(`no tile ${path}`);
    return t;
  };
  return { entries, snapshots, read };
}

describe('tile paths (C2SP tlog-tiles "Merkle Tree")', () => {
  it('writes indexes in groups of three digits, all but the last prefixed x', () => {
    expect(tileIndexPath(0)).toBe('000');
    expect(tileIndexPath(1234067)).toBe('x001/x234/067');
    for (const n of [0, 5, 999, 1000, 123456789])
      expect(tileIndexPath(n)).toBe(
        formatTilePath({ kind: 'hashes', level: 0, index: n, width: 256 }).slice(7),
      );
  });
});

describe('proofs from tiles', () => {
  const log = growLog([1, 2, 60, 193, 1, 255, 300, 70]);

  it('hash to the same root as the server’s tree at every size', async () => {
    for (const s of log.snapshots) expect(await new TileLog(log.read, s.size).root()).toEqual(s.root);
  });

  it('prove inclusion that both verifiers accept', async () => {
    const { size, root } = log.snapshots[log.snapshots.length - 1];
    const t = new TileLog(log.read, size);
    for (const i of [0, 1, 2, 255, 256, 511, 512, 700, size - 1]) {
      const proof = await t.inclusionProof(i);
      const h = await leafHash(log.entries[i]);
      await verifyInclusion(i, size, h, proof, root);
      expect(() => nodeVerifyInclusion(i, size, h, proof, root)).not.toThrow();
    }
  });

  it('prove consistency between every pair of sizes the log had', async () => {
    const last = log.snapshots[log.snapshots.length - 1];
    const t = new TileLog(log.read, last.size);
    for (const s of log.snapshots) {
      const proof = await t.consistencyProof(s.size);
      await verifyConsistency(s.size, last.size, proof, s.root, last.root);
      expect(() => nodeVerifyConsistency(s.size, last.size, proof, s.root, last.root)).not.toThrow();
    }
  });

  describe('when a proof or a root is tampered with', () => {
    it('refuses an inclusion proof with a flipped bit (TLOG_INCLUSION_PROOF_INVALID)', async () => {
      const { size, root } = log.snapshots[log.snapshots.length - 1];
      const proof = (await new TileLog(log.read, size).inclusionProof(300)).map((x) => x.slice());
      proof[2][7] ^= 1;
      await expect(
        verifyInclusion(300, size, await leafHash(log.entries[300]), proof, root),
      ).rejects.toMatchObject({
        code: 'TLOG_INCLUSION_PROOF_INVALID',
      });
    });

    it('refuses a proof of the wrong length (TLOG_PROOF_LENGTH)', async () => {
      const { size, root } = log.snapshots[log.snapshots.length - 1];
      const proof = await new TileLog(log.read, size).inclusionProof(3);
      await expect(
        verifyInclusion(3, size, await leafHash(log.entries[3]), proof.slice(1), root),
      ).rejects.toMatchObject({
        code: 'TLOG_PROOF_LENGTH',
      });
    });

    it('calls a rewritten history a fork (TLOG_CONSISTENCY_PROOF_INVALID)', async () => {
      const old = log.snapshots[3];
      const last = log.snapshots[log.snapshots.length - 1];
      const proof = await new TileLog(log.read, last.size).consistencyProof(old.size);
      const forged = old.root.slice();
      forged[0] ^= 0x80;
      await expect(verifyConsistency(old.size, last.size, proof, forged, last.root)).rejects.toMatchObject({
        code: 'TLOG_CONSISTENCY_PROOF_INVALID',
      });
      await expect(verifyConsistency(last.size, old.size, [], last.root, old.root)).rejects.toMatchObject({
        code: 'TLOG_FORK',
      });
    });
  });
});

describe('verdict leaves', () => {
  it('reads the server’s encoding, and finds a verdict by the evidence hash it commits to', async () => {
    const receipts = [randomBytes(32), randomBytes(32), randomBytes(32)];
    const summary = readVerdictLeaf(leaf(5, receipts));
    expect(summary).toMatchObject({ licence: 'L-5', verdict: 'outside', region: 'MY' });
    expect(summary.evidenceHash).toBe(Buffer.from(evidenceHash(receipts)).toString('hex'));
    // The API lists a verdict's receipt hashes as hex, in any order.
    const hex = receipts.map((r) => r.toString('hex')).reverse();
    expect(await leafEvidenceHash(hex)).toBe(summary.evidenceHash);
  });

  it('refuses trailing bytes (LEAF_MALFORMED)', () => {
    const bytes = leaf(1, [randomBytes(32)]);
    expect(() => readVerdictLeaf(Uint8Array.of(...bytes, 0))).toThrow(
      expect.objectContaining({ code: 'LEAF_MALFORMED' }),
    );
  });
});

describe('checkpoints (C2SP tlog-checkpoint, signed-note)', () => {
  it('verifies the log’s Ed25519 signature with WebCrypto, and not with another key', async () => {
    const key = signerKeyFrom('geoattest.example/log', generateKeyPairSync('ed25519').privateKey);
    const note = signCheckpoint(
      { origin: 'geoattest.example/log', size: 3, root: new Uint8Array(32).fill(7), extensions: [] },
      [ed25519Signer(key)],
    );
    const c = parseCheckpoint(note);
    expect(c).toMatchObject({ origin: 'geoattest.example/log', size: 3 });
    expect(await verifyCheckpointSignature(c, await parseVerifierKey(verifierKeyOf(key)))).toBe(true);
    const other = signerKeyFrom('geoattest.example/log', generateKeyPairSync('ed25519').privateKey);
    expect(await verifyCheckpointSignature(c, await parseVerifierKey(verifierKeyOf(other)))).toBe(false);
    const tampered = parseCheckpoint(note.replace('\n3\n', '\n4\n'));
    expect(await verifyCheckpointSignature(tampered, await parseVerifierKey(verifierKeyOf(key)))).toBe(false);
  });

  it('refuses a note without signatures (CHECKPOINT_MALFORMED)', () => {
    expect(() => parseCheckpoint('origin\n3\nAAAA\n')).toThrow(
      expect.objectContaining({ code: 'CHECKPOINT_MALFORMED' }),
    );
  });
});
