// Generating inclusion and consistency proofs (RFC 6962 §2.1.1 PATH, §2.1.2 SUBPROOF) and tree
// roots, over an abstract source of *complete* subtree hashes. Pure.
//
// Why complete subtrees: every hash in an RFC 6962 proof is the hash of a node of the tree, and
// every node is either a complete (perfect) subtree or a right-edge node made of a few of them. A
// complete subtree at (level, index) spans leaves [index·2^level, (index+1)·2^level) and never
// changes once written, which is what tlog-tiles stores: a tile store answers any such hash with
// one tile read (see tiles.ts, subtreeTile). A proof touches O(log n) of them.
//
// Stores are often asynchronous (a database); the pure functions take a synchronous lookup, and
// the `…Subtrees` planners list the lookups a proof will make so an adapter can fetch them first
// (tile-proofs.ts does exactly that).

import { GeoattestError } from '../errors.js';
import { checkSize, emptyTreeRoot, HASH_BYTES, isPowerOfTwo, nodeHash, splitPoint } from './merkle.js';

/** A complete subtree: leaves [index·2^level, (index+1)·2^level). Level 0 is a leaf hash. */
export interface SubtreeRef {
  readonly level: number;
  readonly index: number;
}

/** Returns the hash of a complete subtree; throws TLOG_HASH_UNAVAILABLE when it does not have it. */
export type SubtreeHashes = (level: number, index: number) => Uint8Array;

function log2Exact(n: number): number {
  let level = 0;
  for (let p = 1; p < n; p *= 2) level++;
  return level;
}

/**
 * The complete subtrees whose hashes make up MTH(D[lo:hi]), left to right, for a range that is a
 * node of the RFC 6962 tree (lo is a multiple of the smallest power of two ≥ hi - lo).
 */
export function rangeSubtrees(lo: number, hi: number): SubtreeRef[] {
  const out: SubtreeRef[] = [];
  while (hi > lo) {
    const n = hi - lo;
    const width = isPowerOfTwo(n) ? n : splitPoint(n);
    out.push({ level: log2Exact(width), index: lo / width });
    lo += width;
  }
  return out;
}

function lookup(hashAt: SubtreeHashes, s: SubtreeRef): Uint8Array {
  const h = hashAt(s.level, s.index);
  if (!(h instanceof Uint8Array) || h.length !== HASH_BYTES) {
    throw new GeoattestError(
      'TLOG_HASH_UNAVAILABLE',
      `no hash for subtree level ${s.level} index ${s.index}`,
    );
  }
  return h;
}

/** MTH(D[lo:hi]) from complete subtree hashes: the right-edge subtrees fold from the right. */
export function rangeHash(lo: number, hi: number, hashAt: SubtreeHashes): Uint8Array {
  const parts = rangeSubtrees(lo, hi).map((s) => lookup(hashAt, s));
  let acc = parts[parts.length - 1];
  for (let i = parts.length - 2; i >= 0; i--) acc = nodeHash(parts[i], acc);
  return acc;
}

type Range = readonly [number, number];

/** RFC 6962 §2.1.1 PATH(m, D[n]) as the node ranges whose hashes form the proof, leaf side first. */
function inclusionRanges(index: number, size: number): Range[] {
  const top: Range[] = [];
  let lo = 0;
  let hi = size;
  while (hi - lo > 1) {
    const k = splitPoint(hi - lo);
    if (index < lo + k) {
      top.push([lo + k, hi]);
      hi = lo + k;
    } else {
      top.push([lo, lo + k]);
      lo += k;
    }
  }
  return top.reverse();
}

/** RFC 6962 §2.1.2 SUBPROOF(m, D[n], true) as node ranges, in proof order. */
function consistencyRanges(size1: number, size2: number): Range[] {
  const top: Range[] = [];
  let lo = 0;
  let hi = size2;
  let m = size1;
  let complete = true; // the RFC's b: whether the subtree [lo, lo+m) is a subtree of the old tree's root path
  for (;;) {
    if (hi - lo === m) {
      if (!complete) top.push([lo, hi]);
      break;
    }
    const k = splitPoint(hi - lo);
    if (m <= k) {
      top.push([lo + k, hi]);
      hi = lo + k;
    } else {
      top.push([lo, lo + k]);
      lo += k;
      m -= k;
      complete = false;
    }
  }
  return top.reverse();
}

function checkIndexInTree(index: number, size: number): void {
  checkSize(index, 'leaf index');
  checkSize(size, 'tree size');
  if (index >= size) {
    throw new GeoattestError('TLOG_INDEX_OUT_OF_RANGE', `leaf index ${index} is not below tree size ${size}`);
  }
}

function checkSizes(size1: number, size2: number): void {
  checkSize(size1, 'old tree size');
  checkSize(size2, 'new tree size');
  if (size1 > size2) {
    throw new GeoattestError('TLOG_SIZE_INVALID', `old size ${size1} is larger than new size ${size2}`);
  }
}

const flat = (ranges: Range[]) => ranges.flatMap(([lo, hi]) => rangeSubtrees(lo, hi));

/** Every complete subtree an inclusion proof of `index` in a tree of `size` reads. */
export function inclusionSubtrees(index: number, size: number): SubtreeRef[] {
  checkIndexInTree(index, size);
  return flat(inclusionRanges(index, size));
}

/** The inclusion proof of leaf `index` in the tree of `size` (RFC 6962 §2.1.1). */
export function proveInclusion(index: number, size: number, hashAt: SubtreeHashes): Uint8Array[] {
  checkIndexInTree(index, size);
  return inclusionRanges(index, size).map(([lo, hi]) => rangeHash(lo, hi, hashAt));
}

/** Every complete subtree a consistency proof from size1 to size2 reads. */
export function consistencySubtrees(size1: number, size2: number): SubtreeRef[] {
  checkSizes(size1, size2);
  if (size1 === 0 || size1 === size2) return [];
  return flat(consistencyRanges(size1, size2));
}

/**
 * The consistency proof from size1 to size2 (RFC 6962 §2.1.2). Empty when size1 = size2, and
 * empty when size1 = 0, as tlog-witness requires for a first checkpoint (verifyConsistency still
 * refuses size1 = 0: there is nothing to verify).
 */
export function proveConsistency(size1: number, size2: number, hashAt: SubtreeHashes): Uint8Array[] {
  checkSizes(size1, size2);
  if (size1 === 0 || size1 === size2) return [];
  return consistencyRanges(size1, size2).map(([lo, hi]) => rangeHash(lo, hi, hashAt));
}

/** The complete subtrees the root of a tree of `size` is made of. */
export function rootSubtrees(size: number): SubtreeRef[] {
  checkSize(size, 'tree size');
  return rangeSubtrees(0, size);
}

/** The root of the tree of `size` (RFC 6962 §2.1 MTH; SHA-256("") for the empty tree). */
export function treeRoot(size: number, hashAt: SubtreeHashes): Uint8Array {
  checkSize(size, 'tree size');
  return size === 0 ? emptyTreeRoot() : rangeHash(0, size, hashAt);
}
