// The sequencer's view of the tree: append a batch of entries, get back the new size, the new root
// and exactly the tiles to persist (tlog-tiles hash tiles and entry bundles, full and partial).
// Pure and immutable: `append` returns a new builder, so a batch whose tiles fail to persist leaves
// the old builder intact (the service restores from storage after a crash with `restore`).
//
// The whole state is the rightmost, partial tile at each level (and the partial entry bundle): a
// tree of size n = Σ w_L·256^L is, left to right, the complete subtrees made of those w_L hashes,
// so the root and every later tile follow from them. At 10 M leaves that is 4 tiles, ≤ 32 KiB.

import { GeoattestError } from '../errors.js';
import { checkSize, emptyTreeRoot, HASH_BYTES, leafHash, nodeHash } from './merkle.js';
import {
  checkTile,
  decodeEntryBundle,
  encodeEntryBundle,
  MAX_ENTRY_BYTES,
  perfectRoot,
  TILE_WIDTH,
  type TileCoord,
  tileCountsAt,
  tileLevels,
} from './tiles.js';

/** A tile or entry bundle to persist, at `formatTilePath(coord)`. Partial ones replace nothing: a
 * partial tile of width w is immutable too, and tlog-tiles serves it for checkpoints of that size. */
export interface TileData {
  readonly coord: TileCoord;
  readonly bytes: Uint8Array;
}

export interface AppendResult {
  readonly builder: TreeBuilder;
  readonly size: number;
  readonly root: Uint8Array;
  /** The leaf hashes of the appended entries, in order (index = old size + position). */
  readonly leafHashes: readonly Uint8Array[];
  /** New full tiles and bundles, then the new partial ones; nothing already persisted. */
  readonly tiles: readonly TileData[];
}

/** Reads a stored partial tile or bundle; undefined when it is not stored. */
export type PartialTileReader = (coord: TileCoord) => Uint8Array | undefined;

interface Level {
  /** 256 hashes of room; the first `width` are the partial tile at this level. */
  readonly buf: Uint8Array;
  width: number;
}

export class TreeBuilder {
  readonly #size: number;
  readonly #levels: readonly Level[];
  readonly #entries: readonly Uint8Array[] | undefined;

  private constructor(size: number, levels: readonly Level[], entries: readonly Uint8Array[] | undefined) {
    this.#size = size;
    this.#levels = levels;
    this.#entries = entries;
  }

  /**
   * A new empty tree. With `withEntries` (the default) it also keeps entry bundles; without, only
   * hash tiles (for callers that store entries elsewhere, or hash-only benches).
   */
  static empty(withEntries = true): TreeBuilder {
    return new TreeBuilder(0, [], withEntries ? [] : undefined);
  }

  /**
   * The partial tiles (and partial entry bundle when `withEntries`) that `restore` reads for a
   * tree of `size`: an asynchronous store fetches exactly these, then restores from a Map.
   */
  static partialTileCoords(size: number, withEntries = true): TileCoord[] {
    checkSize(size, 'tree size');
    const out: TileCoord[] = [];
    for (let level = 0; level < tileLevels(size); level++) {
      const { full, partialWidth } = tileCountsAt(size, level);
      if (partialWidth > 0) out.push({ kind: 'hashes', level, index: full, width: partialWidth });
    }
    if (withEntries && size % TILE_WIDTH !== 0) {
      out.push({ kind: 'entries', level: 0, index: Math.floor(size / TILE_WIDTH), width: size % TILE_WIDTH });
    }
    return out;
  }

  /**
   * The builder for a stored tree of `size`, from its partial tiles (and partial entry bundle when
   * `withEntries`). TLOG_STATE_INVALID if one is missing or has the wrong width.
   */
  static restore(size: number, read: PartialTileReader, withEntries = true): TreeBuilder {
    checkSize(size, 'tree size');
    const levels: Level[] = [];
    for (let level = 0; level < tileLevels(size); level++) {
      const { full, partialWidth } = tileCountsAt(size, level);
      const buf = new Uint8Array(TILE_WIDTH * HASH_BYTES);
      if (partialWidth > 0) {
        const coord: TileCoord = { kind: 'hashes', level, index: full, width: partialWidth };
        buf.set(checkTile(mustRead(read, coord), partialWidth));
      }
      levels.push({ buf, width: partialWidth });
    }
    let entries: Uint8Array[] | undefined;
    if (withEntries) {
      const w = size % TILE_WIDTH;
      const coord: TileCoord = { kind: 'entries', level: 0, index: Math.floor(size / TILE_WIDTH), width: w };
      entries = w === 0 ? [] : decodeEntryBundle(mustRead(read, coord), w);
    }
    return new TreeBuilder(size, levels, entries);
  }

  get size(): number {
    return this.#size;
  }

  /** The root of the current tree (RFC 6962 MTH): fold the right-edge complete subtrees from the right. */
  root(): Uint8Array {
    if (this.#size === 0) return emptyTreeRoot();
    const parts: Uint8Array[] = [];
    for (let level = this.#levels.length - 1; level >= 0; level--) {
      const { buf, width } = this.#levels[level];
      let first = 0;
      for (let bit = TILE_WIDTH / 2; bit >= 1; bit /= 2) {
        if (width & bit) {
          parts.push(perfectRoot(buf, first, bit));
          first += bit;
        }
      }
    }
    let acc = parts[parts.length - 1];
    for (let i = parts.length - 2; i >= 0; i--) acc = nodeHash(parts[i], acc);
    return acc;
  }

  /**
   * The partial hash tiles (and partial entry bundle) of the current size: everything `restore`
   * needs. The auditor keeps these as its state; the service already has them in its tile store.
   */
  partialTiles(): TileData[] {
    const out: TileData[] = [];
    this.#levels.forEach((l, level) => {
      if (l.width === 0) return;
      const index = Math.floor(Math.floor(this.#size / TILE_WIDTH ** level) / TILE_WIDTH);
      out.push({
        coord: { kind: 'hashes', level, index, width: l.width },
        bytes: l.buf.slice(0, l.width * HASH_BYTES),
      });
    });
    if (this.#entries !== undefined && this.#entries.length > 0) {
      const coord: TileCoord = {
        kind: 'entries',
        level: 0,
        index: Math.floor(this.#size / TILE_WIDTH),
        width: this.#entries.length,
      };
      out.push({ coord, bytes: encodeEntryBundle(this.#entries) });
    }
    return out;
  }

  /** Appends entries (each ≤ 65535 bytes, the tlog-tiles bundle limit); the leaf hash is H(0x00||entry). */
  append(entries: readonly Uint8Array[]): AppendResult {
    for (const e of entries) {
      if (!(e instanceof Uint8Array) || e.length > MAX_ENTRY_BYTES) {
        throw new GeoattestError('TLOG_ENTRY_TOO_LARGE', `log entries are bytes, at most ${MAX_ENTRY_BYTES}`);
      }
    }
    return this.#append(
      entries.map((e) => leafHash(e)),
      entries,
    );
  }

  /** Appends leaf hashes only; refused on a builder that keeps entry bundles (they would fall out of step). */
  appendLeafHashes(hashes: readonly Uint8Array[]): AppendResult {
    if (this.#entries !== undefined) {
      throw new GeoattestError('TLOG_STATE_INVALID', 'this builder keeps entry bundles: append entries');
    }
    for (const h of hashes) {
      if (!(h instanceof Uint8Array) || h.length !== HASH_BYTES) {
        throw new GeoattestError('TLOG_HASH_LENGTH', 'leaf hashes are 32 bytes');
      }
    }
    return this.#append(hashes, undefined);
  }

  #append(hashes: readonly Uint8Array[], entries: readonly Uint8Array[] | undefined): AppendResult {
    const levels: Level[] = this.#levels.map((l) => ({ buf: l.buf.slice(), width: l.width }));
    const tiles: TileData[] = [];
    let size = this.#size;
    let bundle = this.#entries?.slice();
    const touched = new Set<number>();
    const push = (level: number, h: Uint8Array, countBefore: number) => {
      if (levels.length === level) levels.push({ buf: new Uint8Array(TILE_WIDTH * HASH_BYTES), width: 0 });
      const l = levels[level];
      l.buf.set(h, l.width * HASH_BYTES);
      l.width++;
      touched.add(level);
      if (l.width === TILE_WIDTH) {
        const index = Math.floor(countBefore / TILE_WIDTH);
        tiles.push({ coord: { kind: 'hashes', level, index, width: TILE_WIDTH }, bytes: l.buf.slice() });
        l.width = 0;
        push(level + 1, perfectRoot(l.buf, 0, TILE_WIDTH), index);
      }
    };
    for (let i = 0; i < hashes.length; i++) {
      push(0, hashes[i], size);
      if (bundle !== undefined && entries !== undefined) {
        bundle.push(entries[i]);
        if (bundle.length === TILE_WIDTH) {
          const coord: TileCoord = {
            kind: 'entries',
            level: 0,
            index: Math.floor(size / TILE_WIDTH),
            width: 256,
          };
          tiles.push({ coord, bytes: encodeEntryBundle(bundle) });
          bundle = [];
        }
      }
      size++;
    }
    // The partial tiles of the new size, only where this batch changed them.
    for (const level of [...touched].sort((a, b) => a - b)) {
      const { full, partialWidth } = tileCountsAt(size, level);
      if (partialWidth === 0) continue;
      const bytes = levels[level].buf.slice(0, partialWidth * HASH_BYTES);
      tiles.push({ coord: { kind: 'hashes', level, index: full, width: partialWidth }, bytes });
    }
    if (bundle !== undefined && bundle.length > 0 && hashes.length > 0) {
      const coord: TileCoord = {
        kind: 'entries',
        level: 0,
        index: Math.floor(size / TILE_WIDTH),
        width: bundle.length,
      };
      tiles.push({ coord, bytes: encodeEntryBundle(bundle) });
    }
    const builder = new TreeBuilder(size, levels, bundle);
    return { builder, size, root: builder.root(), leafHashes: hashes.slice(), tiles };
  }
}

function mustRead(read: PartialTileReader, coord: TileCoord): Uint8Array {
  const bytes = read(coord);
  if (!(bytes instanceof Uint8Array)) {
    throw new GeoattestError(
      'TLOG_STATE_INVALID',
      `partial ${coord.kind} tile level ${coord.level} index ${coord.index} width ${coord.width} is not stored`,
    );
  }
  return bytes;
}
