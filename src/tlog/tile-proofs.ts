// Proofs and roots from stored tiles: the bridge between merkle-prove.ts (which wants complete
// subtree hashes) and a tile store (which holds tlog-tiles). The tile reader is injected, so the
// same code serves the verifier service (tiles in SQLite/PostgreSQL), the auditor (tiles over
// HTTP) and the benches (tiles in memory). Each proof reads O(log n) tiles, each at most once.

import { GeoattestError } from '../errors.js';
import {
  consistencySubtrees,
  inclusionSubtrees,
  proveConsistency,
  proveInclusion,
  rootSubtrees,
  type SubtreeHashes,
  type SubtreeRef,
  treeRoot,
} from './merkle-prove.js';
import {
  checkTile,
  ExpandedTile,
  formatTilePath,
  perfectRoot,
  subtreeTile,
  type TileCoord,
} from './tiles.js';

/** Returns the bytes of one tile (width as in `coord`); may be asynchronous. */
export type TileReader = (coord: TileCoord) => Promise<Uint8Array> | Uint8Array;

/**
 * Expanded tiles (every complete subtree hash inside them), least recently used first out. Every
 * proof reads the same few upper-level tiles and the tree's right edge, so caching them removes
 * most of their hashing. Expanding costs about what one proof's subtrees in that tile would
 * (at most 255 node hashes), so caching a tile no other proof reads costs nothing extra.
 */
export class ExpandedTileCache {
  readonly #capacity: number;
  readonly #map = new Map<string, ExpandedTile>();

  constructor(capacity = 1024) {
    this.#capacity = capacity;
  }

  get(key: string): ExpandedTile | undefined {
    const hit = this.#map.get(key);
    if (hit !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, hit);
    }
    return hit;
  }

  set(key: string, tile: ExpandedTile): void {
    this.#map.set(key, tile);
    if (this.#map.size > this.#capacity) this.#map.delete(this.#map.keys().next().value as string);
  }
}

/**
 * A SubtreeHashes lookup over the tiles that `refs` live in, for a tree of `treeSize`: reads each
 * needed tile once (in parallel), checks its length, and computes each subtree hash from it.
 */
export async function subtreeHashesFromTiles(
  refs: readonly SubtreeRef[],
  treeSize: number,
  read: TileReader,
  cache?: ExpandedTileCache,
): Promise<SubtreeHashes> {
  const tiles = new Map<string, { tile: TileCoord; bytes?: Uint8Array; expanded?: ExpandedTile }>();
  const where = new Map<string, { path: string; first: number; count: number }>();
  for (const s of refs) {
    const { tile, first, count } = subtreeTile(s, treeSize);
    const path = formatTilePath(tile);
    where.set(`${s.level}/${s.index}`, { path, first, count });
    if (!tiles.has(path)) tiles.set(path, { tile });
  }
  await Promise.all(
    [...tiles].map(async ([path, slot]) => {
      const useCache = cache !== undefined;
      const cached = useCache ? cache.get(path) : undefined;
      if (cached !== undefined) {
        slot.expanded = cached;
        return;
      }
      slot.bytes = checkTile(await read(slot.tile), slot.tile.width);
      if (useCache) {
        slot.expanded = new ExpandedTile(slot.bytes);
        cache.set(path, slot.expanded);
      }
    }),
  );
  return (level, index) => {
    const w = where.get(`${level}/${index}`);
    const slot = w === undefined ? undefined : tiles.get(w.path);
    let h: Uint8Array | undefined;
    if (w !== undefined && slot?.expanded !== undefined)
      h = slot.expanded.hash(Math.log2(w.count), w.first / w.count);
    else if (w !== undefined && slot?.bytes !== undefined) h = perfectRoot(slot.bytes, w.first, w.count);
    if (h === undefined) {
      throw new GeoattestError('TLOG_HASH_UNAVAILABLE', `subtree level ${level} index ${index} was not read`);
    }
    return h;
  };
}

/** The inclusion proof of leaf `index` in the tree of `size`, from that tree's tiles. */
export async function proveInclusionFromTiles(
  read: TileReader,
  index: number,
  size: number,
  cache?: ExpandedTileCache,
): Promise<Uint8Array[]> {
  const hashes = await subtreeHashesFromTiles(inclusionSubtrees(index, size), size, read, cache);
  return proveInclusion(index, size, hashes);
}

/** The consistency proof from size1 to size2, from the tiles of the tree of size2. */
export async function proveConsistencyFromTiles(
  read: TileReader,
  size1: number,
  size2: number,
  cache?: ExpandedTileCache,
): Promise<Uint8Array[]> {
  const hashes = await subtreeHashesFromTiles(consistencySubtrees(size1, size2), size2, read, cache);
  return proveConsistency(size1, size2, hashes);
}

/**
 * The root of the tree of `size`, from tiles. With `tilesOf` (≥ size), from the tiles of that
 * larger tree: every subtree of an older root is complete in any later tree, so the service can
 * recompute old roots without keeping old partial tiles.
 */
export async function treeRootFromTiles(
  read: TileReader,
  size: number,
  cache?: ExpandedTileCache,
  tilesOf = size,
): Promise<Uint8Array> {
  if (!Number.isSafeInteger(tilesOf) || tilesOf < size) {
    throw new GeoattestError(
      'TLOG_SIZE_INVALID',
      `tiles of size ${tilesOf} cannot give the root of size ${size}`,
    );
  }
  const hashes = await subtreeHashesFromTiles(rootSubtrees(size), tilesOf, read, cache);
  return treeRoot(size, hashes);
}

/** Tiles in memory, by path: for tests, benches and the auditor's fake logs. */
export class MemoryTileStore {
  readonly tiles = new Map<string, Uint8Array>();

  put(coord: TileCoord, bytes: Uint8Array): void {
    this.tiles.set(formatTilePath(coord), bytes);
  }

  /** A TileReader; TLOG_HASH_UNAVAILABLE for a tile it does not hold. */
  readonly read = (coord: TileCoord): Uint8Array => {
    const bytes = this.tiles.get(formatTilePath(coord));
    if (bytes === undefined) {
      throw new GeoattestError('TLOG_HASH_UNAVAILABLE', `tile ${formatTilePath(coord)} is not stored`);
    }
    return bytes;
  };
}
