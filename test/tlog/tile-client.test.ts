import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { auditLog } from '../../src/tlog/audit.js';
import { signCheckpoint } from '../../src/tlog/checkpoint.js';
import { treeRoot } from '../../src/tlog/merkle-prove.js';
import {
  ed25519KeyFromSeed,
  ed25519Signer,
  ed25519Verifier,
  signerKeyFrom,
  verifierKeyOf,
} from '../../src/tlog/note-keys.js';
import { MemoryTileStore, treeRootFromTiles } from '../../src/tlog/tile-proofs.js';
import { formatTilePath } from '../../src/tlog/tiles.js';
import { TreeBuilder } from '../../src/tlog/tree-builder.js';
import { loadAuditState, saveAuditState } from '../../src/tlog-adapters/audit-state.js';
import { httpLogReader } from '../../src/tlog-adapters/tile-client.js';
import { errorCodeOf } from '../helpers/error-code.js';
import { StaticLog, verdictEntry } from './log-server-fixture.js';
import { fixtureTree } from './tree-fixture.js';

const ORIGIN = 'log.geoattest.example/v1';
const key = signerKeyFrom(ORIGIN, ed25519KeyFromSeed(new Uint8Array(32).fill(5)));
const logs: StaticLog[] = [];
afterEach(async () => {
  await Promise.all(logs.splice(0).map((l) => l.stop()));
});

describe('HTTP tile reader', () => {
  it('falls back to the full tile when a partial tile is gone (tlog-tiles "Partial Tiles")', async () => {
    const log = new StaticLog(ORIGIN, key);
    const entries = Array.from({ length: 768 }, (_, i) => verdictEntry(i));
    const first = TreeBuilder.empty().append(entries.slice(0, 600));
    for (const t of first.tiles) log.files.set(formatTilePath(t.coord), t.bytes);
    const rest = first.builder.append(entries.slice(600));
    for (const t of rest.tiles) log.files.set(formatTilePath(t.coord), t.bytes);
    // The log still serves its checkpoint at 600 but has dropped that size's partial tiles.
    log.setCheckpoint(
      signCheckpoint({ origin: ORIGIN, size: 600, root: first.root, extensions: [] }, [ed25519Signer(key)]),
    );
    log.files.delete('tile/0/002.p/88');
    log.files.delete('tile/entries/002.p/88');
    await log.start();
    logs.push(log);
    const report = await auditLog({
      reader: httpLogReader(log.url),
      logKeys: [ed25519Verifier(verifierKeyOf(key))],
    });
    expect(report).toMatchObject({ ok: true, size: 600, leavesChecked: 600 });
  });

  describe('when the log answers with errors or oversized bodies', () => {
    it('is TLOG_FETCH_FAILED', async () => {
      const reader = httpLogReader('http://127.0.0.1:9', { timeoutMs: 2000 });
      await expect(reader.checkpoint()).rejects.toMatchObject({ code: 'TLOG_FETCH_FAILED' });
      const big = httpLogReader('http://x.invalid', {
        fetch: async () => new Response(new Uint8Array(9000), { status: 200 }),
      });
      await expect(big.tile({ kind: 'hashes', level: 0, index: 0, width: 256 })).rejects.toMatchObject({
        code: 'TLOG_FETCH_FAILED',
      });
      const teapot = httpLogReader('http://x.invalid', {
        fetch: async () => new Response('no', { status: 418 }),
      });
      await expect(teapot.checkpoint()).rejects.toMatchObject({ code: 'TLOG_FETCH_FAILED' });
    });
  });
});

describe('old roots from newer tiles', () => {
  it('treeRootFromTiles(size, tilesOf) gives every older root from the current tiles only', async () => {
    const fixture = fixtureTree(700);
    const r = TreeBuilder.empty().append(fixture.entries);
    const store = new MemoryTileStore();
    for (const t of r.tiles) store.put(t.coord, t.bytes);
    for (const size of [1, 2, 255, 256, 257, 511, 512, 699, 700]) {
      expect(await treeRootFromTiles(store.read, size, undefined, 700)).toEqual(
        treeRoot(size, fixture.hashAt),
      );
    }
    await expect(treeRootFromTiles(store.read, 10, undefined, 5)).rejects.toMatchObject({
      code: 'TLOG_SIZE_INVALID',
    });
  });
});

describe('audit state files', () => {
  it('round-trip, and a corrupt one is TLOG_STATE_INVALID', () => {
    const dir = mkdtempSync(join(tmpdir(), 'geoattest-audit-state-'));
    const b = TreeBuilder.empty(false).appendLeafHashes([new Uint8Array(32).fill(1)]);
    const checkpoint = signCheckpoint({ origin: ORIGIN, size: 1, root: b.root, extensions: [] }, [
      ed25519Signer(key),
    ]);
    const partialTiles = new Map(b.builder.partialTiles().map((t) => [formatTilePath(t.coord), t.bytes]));
    saveAuditState(dir, ORIGIN, { origin: ORIGIN, size: 1, root: b.root, checkpoint, partialTiles });
    expect(loadAuditState(dir, ORIGIN)).toMatchObject({
      origin: ORIGIN,
      size: 1,
      root: b.root,
      partialTiles,
    });
    expect(loadAuditState(dir, 'another')).toBeUndefined();
    const file = join(dir, readdirSync(dir)[0]);
    writeFileSync(file, '{"version":1,"checkpoint":"nope","tiles":{}}');
    expect(errorCodeOf(() => loadAuditState(dir, ORIGIN))).toBe('TLOG_STATE_INVALID');
  });
});
