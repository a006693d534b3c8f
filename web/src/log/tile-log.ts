// A transparency log read over C2SP tlog-tiles: hash tiles `tile/<L>/<N>[.p/<W>]` and entry
// bundles `tile/entries/<N>[.p/<W>]`, fetched through an injected reader (HTTP in the browser,
// memory in tests). From them: any subtree hash, the tree root, and RFC 9162 inclusion (§2.1.3.1)
// and consistency (§2.1.4.1) proofs, which merkle.ts then verifies against a checkpoint's root.

import { type Hash, LogVerifyError, nodeHash } from './merkle.js';

/** tlog-tiles: 256 hashes per tile, so each spans 8 tree levels. */
const TILE_HEIGHT = 8;
const TILE_WIDTH = 256;
const HASH_BYTES = 32;

export type ReadTile = (path: string) => Promise<Uint8Array>;

/** tlog-tiles index: zero-padded 3-digit elements, all but the last prefixed with "x". */
export function tileIndexPath(n: number): string {
  const groups: string[] = [];
  do {
    groups.unshift(String(n % 1000).padStart(3, '0'));
    n = Math.floor(n / 1000);
  } while (n > 0);
  return groups.map((g, i) => (i < groups.length - 1 ? `x${g}` : g)).join('/');
}

export function tilePath(level: number | 'entries', index: number, width: number): string {
  return `tile/${level}/${tileIndexPath(index)}${width === TILE_WIDTH ? '' : `.p/${width}`}`;
}

const largestPowerOfTwoBelow = (n: number) => 2 ** Math.floor(Math.log2(n - 1));

export class TileLog {
  private readonly tiles = new Map<string, Promise<Uint8Array>>();

  constructor(
    private readonly read: ReadTile,
    readonly size: number,
  ) {}

  private tile(level: number | 'entries', index: number, width: number): Promise<Uint8Array> {
    const path = tilePath(level, index, width);
    let t = this.tiles.get(path);
    if (t === undefined) {
      t = this.read(path);
      this.tiles.set(path, t);
    }
    return t;
  }

  /** The hash of the complete subtree at tree `level` and `index` (leaves index·2^level …). */
  async subtree(level: number, index: number): Promise<Hash> {
    const L = Math.floor(level / TILE_HEIGHT);
    const r = level % TILE_HEIGHT;
    const first = index * 2 ** r; // position among the level-8L hashes
    const n = Math.floor(first / TILE_WIDTH);
    const complete = Math.floor(this.size / TILE_WIDTH ** L); // level-8L hashes that exist
    const width = Math.min(TILE_WIDTH, complete - n * TILE_WIDTH);
    const offset = first - n * TILE_WIDTH;
    if (width <= 0 || offset + 2 ** r > width)
      throw new LogVerifyError(
        'TLOG_HASH_UNAVAILABLE',
        `no subtree ${level}/${index} in a tree of ${this.size}`,
      );
    const bytes = await this.tile(L, n, width);
    if (bytes.length !== width * HASH_BYTES)
      throw new LogVerifyError(
        'TLOG_TILE_MALFORMED',
        `tile ${L}/${n} has ${bytes.length} bytes, not ${width * HASH_BYTES}`,
      );
    let row: Hash[] = [];
    for (let i = 0; i < 2 ** r; i++)
      row.push(bytes.subarray((offset + i) * HASH_BYTES, (offset + i + 1) * HASH_BYTES));
    while (row.length > 1) {
      const next: Hash[] = [];
      for (let i = 0; i < row.length; i += 2) next.push(await nodeHash(row[i], row[i + 1]));
      row = next;
    }
    return row[0];
  }

  /** MTH(D[lo:hi]) (RFC 9162 §2.1.1), from complete subtrees. */
  async mth(lo: number, hi: number): Promise<Hash> {
    const n = hi - lo;
    const level = Math.log2(n);
    if (Number.isInteger(level) && lo % n === 0) return this.subtree(level, lo / n);
    const k = largestPowerOfTwoBelow(n);
    return nodeHash(await this.mth(lo, lo + k), await this.mth(lo + k, hi));
  }

  root(): Promise<Hash> {
    if (this.size === 0)
      return crypto.subtle.digest('SHA-256', new Uint8Array(0)).then((b) => new Uint8Array(b));
    return this.mth(0, this.size);
  }

  /** PATH(m, D[lo:hi]) of RFC 9162 §2.1.3.1. */
  private async path(m: number, lo: number, hi: number): Promise<Hash[]> {
    const n = hi - lo;
    if (n <= 1) return [];
    const k = largestPowerOfTwoBelow(n);
    if (m < k) return [...(await this.path(m, lo, lo + k)), await this.mth(lo + k, hi)];
    return [...(await this.path(m - k, lo + k, hi)), await this.mth(lo, lo + k)];
  }

  inclusionProof(index: number): Promise<Hash[]> {
    if (!(index >= 0 && index < this.size))
      throw new LogVerifyError(
        'TLOG_INDEX_OUT_OF_RANGE',
        `leaf ${index} is not below tree size ${this.size}`,
      );
    return this.path(index, 0, this.size);
  }

  /** SUBPROOF(m, D[lo:hi], b) of RFC 9162 §2.1.4.1. */
  private async subproof(m: number, lo: number, hi: number, complete: boolean): Promise<Hash[]> {
    const n = hi - lo;
    if (m === n) return complete ? [] : [await this.mth(lo, hi)];
    const k = largestPowerOfTwoBelow(n);
    if (m <= k) return [...(await this.subproof(m, lo, lo + k, complete)), await this.mth(lo + k, hi)];
    return [...(await this.subproof(m - k, lo + k, hi, false)), await this.mth(lo, lo + k)];
  }

  consistencyProof(size1: number): Promise<Hash[]> {
    if (size1 === 0 || size1 === this.size) return Promise.resolve([]);
    return this.subproof(size1, 0, this.size, true);
  }

  /** Entries of bundle `index` (uint16 big-endian length, then the bytes; tlog-tiles "Log Entries"). */
  async bundle(index: number): Promise<Uint8Array[]> {
    const width = Math.min(TILE_WIDTH, this.size - index * TILE_WIDTH);
    if (width <= 0) throw new LogVerifyError('TLOG_HASH_UNAVAILABLE', `no entry bundle ${index}`);
    const bytes = await this.tile('entries', index, width);
    const out: Uint8Array[] = [];
    let at = 0;
    while (at < bytes.length) {
      if (at + 2 > bytes.length) throw new LogVerifyError('TLOG_ENTRY_BUNDLE_MALFORMED', 'truncated length');
      const len = (bytes[at] << 8) | bytes[at + 1];
      at += 2;
      if (at + len > bytes.length) throw new LogVerifyError('TLOG_ENTRY_BUNDLE_MALFORMED', 'truncated entry');
      out.push(bytes.subarray(at, at + len));
      at += len;
    }
    if (out.length !== width)
      throw new LogVerifyError(
        'TLOG_ENTRY_BUNDLE_MALFORMED',
        `bundle ${index} has ${out.length} entries, not ${width}`,
      );
    return out;
  }
}
