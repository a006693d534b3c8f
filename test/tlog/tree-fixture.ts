// A plain in-memory Merkle tree for tests: every complete subtree hash by (level, index), built
// the obvious way from leaf hashes, independent of the tile code under test.

import { leafHash, nodeHash } from '../../src/tlog/merkle.js';
import type { SubtreeHashes } from '../../src/tlog/merkle-prove.js';

export interface FixtureTree {
  readonly entries: Uint8Array[];
  readonly levels: Uint8Array[][];
  readonly hashAt: SubtreeHashes;
}

export function entryOf(i: number): Uint8Array {
  return new TextEncoder().encode(`leaf-${i}`);
}

export function fixtureTree(n: number, entry: (i: number) => Uint8Array = entryOf): FixtureTree {
  const entries = Array.from({ length: n }, (_, i) => entry(i));
  const levels: Uint8Array[][] = [entries.map((e) => leafHash(e))];
  while (levels[levels.length - 1].length > 1) {
    const below = levels[levels.length - 1];
    const row: Uint8Array[] = [];
    for (let i = 0; i + 1 < below.length; i += 2) row.push(nodeHash(below[i], below[i + 1]));
    levels.push(row);
  }
  const hashAt: SubtreeHashes = (level, index) => levels[level]?.[index] as Uint8Array;
  return { entries, levels, hashAt };
}

export const b64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));
export const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
export const toB64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
