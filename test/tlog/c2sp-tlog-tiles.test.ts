import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { verifyConsistency, verifyInclusion } from '../../src/tlog/merkle.js';
import { proveConsistency, proveInclusion, treeRoot } from '../../src/tlog/merkle-prove.js';
import {
  ExpandedTileCache,
  MemoryTileStore,
  proveConsistencyFromTiles,
  proveInclusionFromTiles,
  treeRootFromTiles,
} from '../../src/tlog/tile-proofs.js';
import {
  decodeEntryBundle,
  encodeEntryBundle,
  entryBundlesBetween,
  formatTileIndex,
  formatTilePath,
  parseTilePath,
  tileCountsAt,
  tilesForTreeSize,
} from '../../src/tlog/tiles.js';
import { TreeBuilder } from '../../src/tlog/tree-builder.js';
import { errorCodeOf } from '../helpers/error-code.js';
import { entryOf, fixtureTree } from './tree-fixture.js';

const examples = JSON.parse(
  readFileSync(new URL('../vectors/tiles/tlog-tiles-examples.json', import.meta.url), 'utf8'),
);

describe('tlog-tiles examples (tlog-tiles-examples.json)', () => {
  for (const e of examples.indexEncoding) {
    it(`index ${e.index} is ${e.path}`, () => {
      expect(formatTileIndex(e.index)).toBe(e.path);
      expect(parseTilePath(`tile/0/${e.path}`)).toEqual({
        kind: 'hashes',
        level: 0,
        index: e.index,
        width: 256,
      });
    });
  }
  for (const t of examples.treeSizes) {
    it(`a tree of size ${t.size} has the spec's full and partial tiles`, () => {
      for (const [name, want] of Object.entries(t.tiles) as [
        string,
        { full: number; partialWidth: number },
      ][]) {
        expect(tileCountsAt(t.size, Number(name.replace('level', '')))).toEqual(want);
      }
      const levels = new Set(tilesForTreeSize(t.size).map((c) => c.level));
      expect(levels.size).toBe(Object.keys(t.tiles).length);
    });
  }
});

describe('tile paths', () => {
  it('format and parse full, partial and entry paths', () => {
    const cases: [Parameters<typeof formatTilePath>[0], string][] = [
      [{ kind: 'hashes', level: 0, index: 0, width: 256 }, 'tile/0/000'],
      [{ kind: 'hashes', level: 1, index: 1234067, width: 17 }, 'tile/1/x001/x234/067.p/17'],
      [{ kind: 'entries', level: 0, index: 999, width: 256 }, 'tile/entries/999'],
      [{ kind: 'entries', level: 0, index: 1000, width: 1 }, 'tile/entries/x001/000.p/1'],
    ];
    for (const [coord, path] of cases) {
      expect(formatTilePath(coord)).toBe(path);
      expect(parseTilePath(path)).toEqual(coord);
    }
  });

  describe('when a path is not canonical or not a tile', () => {
    it('is TLOG_TILE_PATH_INVALID', () => {
      for (const bad of [
        'tile/00/000',
        'tile/64/000',
        'tile/0/1',
        'tile/0/0000',
        'tile/0/x000/001',
        'tile/0/001/002',
        'tile/0/x001',
        'tile/0/000.p/0',
        'tile/0/000.p/256',
        'tile/0/000.p/07',
        'tile/entries/000.p/',
        'tiles/0/000',
        'tile/0',
        'tile/0/00a',
        '',
      ]) {
        expect(
          errorCodeOf(() => parseTilePath(bad)),
          bad,
        ).toBe('TLOG_TILE_PATH_INVALID');
      }
    });
  });

  it('round-trips any index at any level and width', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('hashes' as const, 'entries' as const),
        fc.integer({ min: 0, max: 63 }),
        fc.maxSafeNat(),
        fc.integer({ min: 1, max: 256 }),
        (kind, level, index, width) => {
          const coord = { kind, level: kind === 'entries' ? 0 : level, index, width };
          expect(parseTilePath(formatTilePath(coord))).toEqual(coord);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('entry bundles', () => {
  it('round-trip big-endian uint16 length-prefixed entries', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 256 }), (entries) => {
        const bytes = encodeEntryBundle(entries);
        expect(decodeEntryBundle(bytes, entries.length)).toEqual(entries);
      }),
      { numRuns: 200 },
    );
    expect([...encodeEntryBundle([new Uint8Array([7]), new Uint8Array(258)]).subarray(0, 5)]).toEqual([
      0, 1, 7, 1, 2,
    ]);
  });

  describe('when a bundle is truncated, padded or has the wrong count', () => {
    it('is TLOG_ENTRY_BUNDLE_MALFORMED', () => {
      const bytes = encodeEntryBundle([entryOf(1), entryOf(2)]);
      expect(errorCodeOf(() => decodeEntryBundle(bytes.subarray(0, bytes.length - 1)))).toBe(
        'TLOG_ENTRY_BUNDLE_MALFORMED',
      );
      expect(errorCodeOf(() => decodeEntryBundle(new Uint8Array([...bytes, 0])))).toBe(
        'TLOG_ENTRY_BUNDLE_MALFORMED',
      );
      expect(errorCodeOf(() => decodeEntryBundle(bytes, 3))).toBe('TLOG_ENTRY_BUNDLE_MALFORMED');
      expect(errorCodeOf(() => decodeEntryBundle(new Uint8Array(257 * 2)))).toBe(
        'TLOG_ENTRY_BUNDLE_MALFORMED',
      );
    });
  });
  describe('when an entry is longer than 65535 bytes', () => {
    it('is TLOG_ENTRY_TOO_LARGE', () => {
      expect(errorCodeOf(() => encodeEntryBundle([new Uint8Array(65536)]))).toBe('TLOG_ENTRY_TOO_LARGE');
    });
  });
});

describe('tree builder and proofs from tiles', () => {
  const N = 256 * 3 + 77;
  const fixture = fixtureTree(N);

  function build(batches: number[]): { store: MemoryTileStore; builder: TreeBuilder; roots: Uint8Array[] } {
    const store = new MemoryTileStore();
    let builder = TreeBuilder.empty();
    const roots: Uint8Array[] = [];
    let at = 0;
    for (const n of batches) {
      const r = builder.append(fixture.entries.slice(at, at + n));
      at += n;
      for (const t of r.tiles) {
        // Tiles are immutable: a path is never written twice with different bytes.
        const path = formatTilePath(t.coord);
        const prev = store.tiles.get(path);
        if (prev !== undefined) expect(Buffer.from(prev).equals(Buffer.from(t.bytes))).toBe(true);
        store.put(t.coord, t.bytes);
      }
      builder = r.builder;
      roots.push(r.root);
      expect(r.size).toBe(at);
    }
    return { store, builder, roots };
  }

  it('gives the RFC root after every batch, whatever the batch sizes', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 6 }), (raw) => {
        let left = N;
        const batches = raw.map((n) => {
          const b = Math.min(n, left);
          left -= b;
          return b;
        });
        const { roots } = build(batches);
        let at = 0;
        batches.forEach((n, i) => {
          at += n;
          expect(roots[i]).toEqual(treeRoot(at, fixture.hashAt));
        });
      }),
      { numRuns: 60 },
    );
  });

  it('writes every tile and bundle of the tree, and proofs from tiles equal the reference proofs', async () => {
    const { store, builder } = build([1, 255, 256, 300, N - 812]);
    const size = builder.size;
    for (const coord of tilesForTreeSize(size)) expect(store.tiles.has(formatTilePath(coord))).toBe(true);
    const entries = entryBundlesBetween(0, size).flatMap((c) => decodeEntryBundle(store.read(c), c.width));
    expect(entries).toEqual(fixture.entries);
    const cache = new ExpandedTileCache(4);
    const root = treeRoot(size, fixture.hashAt);
    expect(await treeRootFromTiles(store.read, size, cache)).toEqual(root);
    for (const index of [0, 1, 255, 256, 511, 700, size - 1]) {
      const proof = await proveInclusionFromTiles(store.read, index, size, cache);
      expect(proof).toEqual(proveInclusion(index, size, fixture.hashAt));
      verifyInclusion(index, size, fixture.levels[0][index], proof, root);
    }
    for (const s1 of [1, 7, 256, 257, 512, 700, size]) {
      const proof = await proveConsistencyFromTiles(store.read, s1, size, cache);
      expect(proof).toEqual(proveConsistency(s1, size, fixture.hashAt));
      verifyConsistency(s1, size, proof, treeRoot(s1, fixture.hashAt), root);
    }
  });

  it('restores from the partial tiles of a stored size and continues identically', () => {
    const { store, builder } = build([600]);
    const wanted = TreeBuilder.partialTileCoords(600).map((c) => formatTilePath(c));
    expect(wanted).toEqual(['tile/0/002.p/88', 'tile/1/000.p/2', 'tile/entries/002.p/88']);
    const fetched = new Map(wanted.map((p) => [p, store.tiles.get(p)!]));
    expect(TreeBuilder.restore(600, (c) => fetched.get(formatTilePath(c))).root()).toEqual(builder.root());
    const restored = TreeBuilder.restore(600, (c) => store.tiles.get(formatTilePath(c)));
    expect(restored.root()).toEqual(builder.root());
    const a = builder.append(fixture.entries.slice(600, 800));
    const b = restored.append(fixture.entries.slice(600, 800));
    expect(b.root).toEqual(a.root);
    expect(b.tiles).toEqual(a.tiles);
  });

  describe('when a stored partial tile is missing or the wrong width', () => {
    it('is TLOG_STATE_INVALID or TLOG_TILE_MALFORMED', () => {
      const { store } = build([600]);
      expect(errorCodeOf(() => TreeBuilder.restore(601, (c) => store.tiles.get(formatTilePath(c))))).toBe(
        'TLOG_STATE_INVALID',
      );
      expect(errorCodeOf(() => TreeBuilder.restore(600, () => new Uint8Array(5)))).toBe(
        'TLOG_TILE_MALFORMED',
      );
    });
  });

  describe('when a tile from the store is the wrong length', () => {
    it('is TLOG_TILE_MALFORMED', async () => {
      const { store } = build([600]);
      const short = (c: Parameters<typeof store.read>[0]) => store.read(c).subarray(32);
      await expect(proveInclusionFromTiles(short, 3, 600)).rejects.toMatchObject({
        code: 'TLOG_TILE_MALFORMED',
      });
    });
  });

  it('refuses oversized entries and leaf hashes on an entry-keeping builder', () => {
    expect(errorCodeOf(() => TreeBuilder.empty().append([new Uint8Array(65536)]))).toBe(
      'TLOG_ENTRY_TOO_LARGE',
    );
    expect(errorCodeOf(() => TreeBuilder.empty().appendLeafHashes([new Uint8Array(32)]))).toBe(
      'TLOG_STATE_INVALID',
    );
    expect(errorCodeOf(() => TreeBuilder.empty(false).appendLeafHashes([new Uint8Array(31)]))).toBe(
      'TLOG_HASH_LENGTH',
    );
  });
});
