// C2SP tlog-tiles: the Merkle tree served as static tiles of 256 hashes (height 8), and the log
// entries as entry bundles. Paths, which tiles a tree of a given size has, entry bundle encoding,
// and how to read any complete subtree hash out of one tile. Pure.
//
// Tile n at level L holds, for i in 0..255, MTH(D[(n·256 + i)·256^L : (n·256 + i + 1)·256^L]):
// the hashes of tree level 8L (tlog-tiles "Merkle Tree"). A subtree hash at tree level 8L + r
// (0 ≤ r < 8) is the root of 2^r consecutive hashes of one level-L tile, so any complete subtree
// is answered by reading one tile.

import { GeoattestError } from '../errors.js';
import { checkSize, HASH_BYTES, nodeHash } from './merkle.js';
import type { SubtreeRef } from './merkle-prove.js';

/** tlog-tiles: tiles are 256 hashes wide, so each spans 8 tree levels. */
export const TILE_HEIGHT = 8;
export const TILE_WIDTH = 256;
/** tlog-tiles: <L> is 0..63. */
export const MAX_TILE_LEVEL = 63;
/** tlog-tiles: entries are uint16 length-prefixed, so none is longer than 65535 bytes. */
export const MAX_ENTRY_BYTES = 0xffff;

/** A hash tile or an entry bundle: `width` is 256 for a full one, 1..255 for a partial one. */
export interface TileCoord {
  readonly kind: 'hashes' | 'entries';
  /** Tile level (0 for entry bundles). */
  readonly level: number;
  readonly index: number;
  readonly width: number;
}

function pathError(path: string, why: string): never {
  throw new GeoattestError('TLOG_TILE_PATH_INVALID', `bad tile path ${JSON.stringify(path)}: ${why}`);
}

/** tlog-tiles index encoding: zero-padded 3-digit elements, all but the last prefixed "x". */
export function formatTileIndex(index: number): string {
  checkSize(index, 'tile index');
  const groups: string[] = [];
  let n = index;
  do {
    groups.unshift(String(n % 1000).padStart(3, '0'));
    n = Math.floor(n / 1000);
  } while (n > 0);
  return groups.map((g, i) => (i < groups.length - 1 ? `x${g}` : g)).join('/');
}

function checkWidth(width: number): void {
  if (!Number.isInteger(width) || width < 1 || width > TILE_WIDTH) {
    throw new GeoattestError('TLOG_TILE_PATH_INVALID', `tile width must be 1..${TILE_WIDTH}, got ${width}`);
  }
}

/** `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]`, without the log's prefix. */
export function formatTilePath(t: TileCoord): string {
  checkWidth(t.width);
  if (t.kind === 'hashes' && (!Number.isInteger(t.level) || t.level < 0 || t.level > MAX_TILE_LEVEL)) {
    throw new GeoattestError('TLOG_TILE_PATH_INVALID', `tile level must be 0..${MAX_TILE_LEVEL}`);
  }
  const head = t.kind === 'entries' ? 'tile/entries' : `tile/${t.level}`;
  const suffix = t.width === TILE_WIDTH ? '' : `.p/${t.width}`;
  return `${head}/${formatTileIndex(t.index)}${suffix}`;
}

/**
 * Parses a tile path strictly: one canonical spelling per tile (no leading zeros in L or W, no
 * superfluous "x000" element), so a cache keyed by path can never hold two copies of one tile.
 */
export function parseTilePath(path: string): TileCoord {
  if (typeof path !== 'string' || path.length > 200)
    pathError(typeof path === 'string' ? path.slice(0, 40) : typeof path, 'not a tile path');
  const parts = path.split('/');
  if (parts[0] !== 'tile' || parts.length < 3) pathError(path, 'expected tile/<L>/<N>');
  const kind = parts[1] === 'entries' ? 'entries' : 'hashes';
  let level = 0;
  if (kind === 'hashes') {
    if (!/^(0|[1-9][0-9]?)$/.test(parts[1])) pathError(path, 'level must be a decimal without leading zeros');
    level = Number(parts[1]);
    if (level > MAX_TILE_LEVEL) pathError(path, `level above ${MAX_TILE_LEVEL}`);
  }
  let rest = parts.slice(2);
  let width = TILE_WIDTH;
  const last = rest[rest.length - 1];
  if (rest.length >= 2 && last !== undefined && /\.p$/.test(rest[rest.length - 2])) {
    if (!/^[1-9][0-9]{0,2}$/.test(last) || Number(last) >= TILE_WIDTH) {
      pathError(path, 'partial width must be 1..255 without leading zeros');
    }
    width = Number(last);
    rest = rest.slice(0, -1);
    rest[rest.length - 1] = rest[rest.length - 1].slice(0, -2);
  }
  let index = 0;
  rest.forEach((element, i) => {
    const isLast = i === rest.length - 1;
    const m = (isLast ? /^([0-9]{3})$/ : /^x([0-9]{3})$/).exec(element);
    if (!m) pathError(path, 'index elements must be 3 digits, all but the last prefixed x');
    if (i === 0 && rest.length > 1 && m[1] === '000') pathError(path, 'superfluous leading x000');
    index = index * 1000 + Number(m[1]);
  });
  if (!Number.isSafeInteger(index)) pathError(path, 'index too large');
  return { kind, level, index, width };
}

/** Hashes at tree level 8·L in a tree of `size`: the leaves of all level-L tiles together. */
function hashesAtTileLevel(size: number, tileLevel: number): number {
  return Math.floor(size / TILE_WIDTH ** tileLevel);
}

/** tlog-tiles: the number of full tiles at `level` and the width of the partial one (0 if none). */
export function tileCountsAt(size: number, level: number): { full: number; partialWidth: number } {
  checkSize(size, 'tree size');
  const n = hashesAtTileLevel(size, level);
  return { full: Math.floor(n / TILE_WIDTH), partialWidth: n % TILE_WIDTH };
}

/** The width of hash tile `index` at `level` in a tree of `size` (0 if the tree has none there). */
export function tileWidth(size: number, level: number, index: number): number {
  const n = hashesAtTileLevel(size, level);
  return Math.max(0, Math.min(TILE_WIDTH, n - index * TILE_WIDTH));
}

/** How many tile levels a tree of `size` uses (each level with at least one hash). */
export function tileLevels(size: number): number {
  checkSize(size, 'tree size');
  let levels = 0;
  while (hashesAtTileLevel(size, levels) > 0) levels++;
  return levels;
}

/** Every hash tile (full and partial) of a tree of `size`, level by level. */
export function tilesForTreeSize(size: number): TileCoord[] {
  const out: TileCoord[] = [];
  for (let level = 0; level < tileLevels(size); level++) {
    const { full, partialWidth } = tileCountsAt(size, level);
    for (let index = 0; index < full; index++) out.push({ kind: 'hashes', level, index, width: TILE_WIDTH });
    if (partialWidth > 0) out.push({ kind: 'hashes', level, index: full, width: partialWidth });
  }
  return out;
}

/** The entry bundles of a tree of `size` from entry `from` on (the ones an auditor must fetch). */
export function entryBundlesBetween(from: number, size: number): TileCoord[] {
  checkSize(from, 'first entry');
  checkSize(size, 'tree size');
  const out: TileCoord[] = [];
  for (let index = Math.floor(from / TILE_WIDTH); index * TILE_WIDTH < size; index++) {
    out.push({ kind: 'entries', level: 0, index, width: Math.min(TILE_WIDTH, size - index * TILE_WIDTH) });
  }
  return out;
}

/**
 * Where a complete subtree's hash lives in a tree of `treeSize`: the tile to read (partial if it
 * is the tree's last at that level) and which `count` = 2^r of its hashes to combine from `first`.
 * TLOG_INDEX_OUT_OF_RANGE when the subtree is not complete in that tree.
 */
export function subtreeTile(
  s: SubtreeRef,
  treeSize: number,
): { tile: TileCoord; first: number; count: number } {
  const level = Math.floor(s.level / TILE_HEIGHT);
  const count = 2 ** (s.level % TILE_HEIGHT);
  const start = s.index * count;
  const index = Math.floor(start / TILE_WIDTH);
  const width = tileWidth(treeSize, level, index);
  const first = start % TILE_WIDTH;
  if (first + count > width) {
    throw new GeoattestError(
      'TLOG_INDEX_OUT_OF_RANGE',
      `subtree level ${s.level} index ${s.index} is not complete in a tree of size ${treeSize}`,
    );
  }
  return { tile: { kind: 'hashes', level, index, width }, first, count };
}

/** Asserts a hash tile has exactly `width` hashes (TLOG_TILE_MALFORMED). */
export function checkTile(bytes: Uint8Array, width: number): Uint8Array {
  if (!(bytes instanceof Uint8Array) || bytes.length !== width * HASH_BYTES) {
    throw new GeoattestError(
      'TLOG_TILE_MALFORMED',
      `a tile of width ${width} is ${width * HASH_BYTES} bytes, got ${bytes?.length}`,
    );
  }
  return bytes;
}

export function tileHash(tile: Uint8Array, i: number): Uint8Array {
  return tile.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES);
}

/**
 * All complete subtree hashes inside one tile, in one buffer: row r holds the hashes of its hash
 * ranges [j·2^r, (j+1)·2^r). Computing it costs one node hash per pair (255 for a full tile), so
 * it is worth caching for the upper-level tiles that every proof reads; one buffer per tile keeps
 * a large cache from becoming hundreds of thousands of small objects for the garbage collector.
 */
export class ExpandedTile {
  readonly #data: Uint8Array;
  readonly #offsets: number[];
  readonly #counts: number[];

  constructor(tile: Uint8Array) {
    if (
      !(tile instanceof Uint8Array) ||
      tile.length % HASH_BYTES !== 0 ||
      tile.length > TILE_WIDTH * HASH_BYTES
    ) {
      throw new GeoattestError('TLOG_TILE_MALFORMED', 'a tile is a whole number of hashes, at most 256');
    }
    const counts = [tile.length / HASH_BYTES];
    while (counts.length <= TILE_HEIGHT) counts.push(Math.floor(counts[counts.length - 1] / 2));
    const offsets: number[] = [];
    let total = 0;
    for (const c of counts) {
      offsets.push(total);
      total += c;
    }
    const data = new Uint8Array(total * HASH_BYTES);
    data.set(tile);
    for (let r = 1; r <= TILE_HEIGHT; r++) {
      for (let j = 0; j < counts[r]; j++) {
        const below = (offsets[r - 1] + 2 * j) * HASH_BYTES;
        const h = nodeHash(
          data.subarray(below, below + HASH_BYTES),
          data.subarray(below + HASH_BYTES, below + 2 * HASH_BYTES),
        );
        data.set(h, (offsets[r] + j) * HASH_BYTES);
      }
    }
    this.#data = data;
    this.#offsets = offsets;
    this.#counts = counts;
  }

  /** The hash of tile hashes [j·2^r, (j+1)·2^r), or undefined if the tile does not hold them all. */
  hash(r: number, j: number): Uint8Array | undefined {
    if (!(r >= 0 && r <= TILE_HEIGHT && j >= 0 && j < this.#counts[r])) return undefined;
    const at = (this.#offsets[r] + j) * HASH_BYTES;
    return this.#data.subarray(at, at + HASH_BYTES);
  }
}

/** The root of hashes [first, first + count) of a tile, count a power of two (count - 1 node hashes). */
export function perfectRoot(tile: Uint8Array, first: number, count: number): Uint8Array {
  if (count === 1) return new Uint8Array(tileHash(tile, first));
  const half = count / 2;
  return nodeHash(perfectRoot(tile, first, half), perfectRoot(tile, first + half, half));
}

/** Encodes an entry bundle: each entry as a big-endian uint16 length, then its bytes. */
export function encodeEntryBundle(entries: readonly Uint8Array[]): Uint8Array {
  if (entries.length > TILE_WIDTH) {
    throw new GeoattestError('TLOG_ENTRY_BUNDLE_MALFORMED', `a bundle holds at most ${TILE_WIDTH} entries`);
  }
  let n = 0;
  for (const e of entries) {
    if (!(e instanceof Uint8Array))
      throw new GeoattestError('TLOG_ENTRY_BUNDLE_MALFORMED', 'entries are bytes');
    if (e.length > MAX_ENTRY_BYTES) {
      throw new GeoattestError('TLOG_ENTRY_TOO_LARGE', `an entry is at most ${MAX_ENTRY_BYTES} bytes`);
    }
    n += 2 + e.length;
  }
  const out = new Uint8Array(n);
  let at = 0;
  for (const e of entries) {
    out[at] = e.length >> 8;
    out[at + 1] = e.length & 0xff;
    out.set(e, at + 2);
    at += 2 + e.length;
  }
  return out;
}

/**
 * Decodes an entry bundle strictly: every byte accounted for, and exactly `width` entries when
 * given (a bundle that ends early or carries extra entries is TLOG_ENTRY_BUNDLE_MALFORMED).
 */
export function decodeEntryBundle(bytes: Uint8Array, width?: number): Uint8Array[] {
  if (!(bytes instanceof Uint8Array)) throw new GeoattestError('TLOG_ENTRY_BUNDLE_MALFORMED', 'not bytes');
  const out: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (out.length === TILE_WIDTH) {
      throw new GeoattestError('TLOG_ENTRY_BUNDLE_MALFORMED', `more than ${TILE_WIDTH} entries in a bundle`);
    }
    if (at + 2 > bytes.length) {
      throw new GeoattestError('TLOG_ENTRY_BUNDLE_MALFORMED', 'bundle ends inside a length prefix');
    }
    const len = (bytes[at] << 8) | bytes[at + 1];
    if (at + 2 + len > bytes.length) {
      throw new GeoattestError('TLOG_ENTRY_BUNDLE_MALFORMED', 'bundle ends inside an entry');
    }
    out.push(bytes.slice(at + 2, at + 2 + len));
    at += 2 + len;
  }
  if (width !== undefined && out.length !== width) {
    throw new GeoattestError('TLOG_ENTRY_BUNDLE_MALFORMED', `expected ${width} entries, got ${out.length}`);
  }
  return out;
}
