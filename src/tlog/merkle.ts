// The RFC 6962 Merkle tree (RFC 9162 §2.1): hashing, and verification of inclusion and consistency
// proofs. Pure. Proofs, roots and sizes arrive from a log that may lie, so every length and range
// is checked before any hashing, and each way of failing has its own code.
//
// Sizes and indices are JS numbers, limited to safe integers (2^53 - 1): a log of that many leaves
// would take centuries to fill at our rates, and numbers keep the hot paths free of bigint. The
// RFC's bit operations are done with arithmetic because JS bit operators truncate to 32 bits.

import { hash as sha256OneShot, timingSafeEqual } from 'node:crypto';
import { GeoattestError } from '../errors.js';

/** SHA-256 output size; RFC 6962 §2.1 fixes the hash to SHA-256. */
export const HASH_BYTES = 32;
/** RFC 6962 §2.1: leaf hashes are H(0x00 || entry). */
export const RFC6962_LEAF_HASH_PREFIX = 0x00;
/** RFC 6962 §2.1: interior nodes are H(0x01 || left || right). */
export const RFC6962_NODE_HASH_PREFIX = 0x01;

function sha256(data: Uint8Array): Uint8Array {
  // A plain Uint8Array view of the digest, not the Buffer: Buffer#slice does not copy, and callers
  // (and tests) rely on slice() giving them their own bytes.
  const b = sha256OneShot('sha256', data, 'buffer');
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

const EMPTY_ROOT = sha256(new Uint8Array(0));

/** RFC 6962 §2.1: the root of the empty tree is the hash of the empty string (a fresh copy). */
export function emptyTreeRoot(): Uint8Array {
  return EMPTY_ROOT.slice();
}

/** H(0x00 || entry): the leaf hash of one log entry. */
export function leafHash(entry: Uint8Array): Uint8Array {
  const buf = new Uint8Array(1 + entry.length);
  buf[0] = RFC6962_LEAF_HASH_PREFIX;
  buf.set(entry, 1);
  return sha256(buf);
}

const NODE_SCRATCH = new Uint8Array(1 + 2 * HASH_BYTES);

/** H(0x01 || left || right). Lengths are not checked here (the RFC's hasher vectors use short children). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  // Hashing is synchronous, so one scratch buffer serves every 32+32-byte node: proofs from
  // tiles hash hundreds of nodes each, and allocation was a visible part of their cost.
  const buf =
    left.length === HASH_BYTES && right.length === HASH_BYTES
      ? NODE_SCRATCH
      : new Uint8Array(1 + left.length + right.length);
  buf[0] = RFC6962_NODE_HASH_PREFIX;
  buf.set(left, 1);
  buf.set(right, 1 + left.length);
  return sha256(buf);
}

export function hashesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function fail(code: 'TLOG_HASH_LENGTH' | 'TLOG_SIZE_INVALID' | 'TLOG_INDEX_OUT_OF_RANGE', m: string): never {
  throw new GeoattestError(code, m);
}

/** Asserts a 32-byte hash (TLOG_HASH_LENGTH): a proof of short or long hashes proves nothing. */
export function checkHash(h: unknown, what: string): Uint8Array {
  if (!(h instanceof Uint8Array) || h.length !== HASH_BYTES) {
    fail('TLOG_HASH_LENGTH', `${what} must be a ${HASH_BYTES}-byte hash`);
  }
  return h;
}

/** Asserts a tree size or index: a safe, non-negative integer (TLOG_SIZE_INVALID). */
export function checkSize(n: unknown, what: string): number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    fail(
      'TLOG_SIZE_INVALID',
      `${what} must be an integer in 0..2^53-1, got ${typeof n === 'number' ? n : typeof n}`,
    );
  }
  return n;
}

function checkProof(proof: unknown, what: string): readonly Uint8Array[] {
  if (proof === null || proof === undefined) return [];
  if (!Array.isArray(proof)) fail('TLOG_HASH_LENGTH', `${what} must be an array of hashes`);
  proof.forEach((h, i) => {
    checkHash(h, `${what}[${i}]`);
  });
  return proof as Uint8Array[];
}

const odd = (n: number) => n % 2 === 1;
const half = (n: number) => Math.floor(n / 2);

export function isPowerOfTwo(n: number): boolean {
  let p = 1;
  while (p < n) p *= 2;
  return p === n;
}

/** The largest power of two strictly below n (n ≥ 2): the split point k of RFC 6962 §2.1. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH over a list of leaf hashes (RFC 6962 §2.1), for small trees and tests; the builder does large ones. */
export function rootOfLeafHashes(hashes: readonly Uint8Array[]): Uint8Array {
  if (hashes.length === 0) return emptyTreeRoot();
  let level = hashes.slice();
  // Pairing left to right and carrying an odd last node up unchanged gives exactly the RFC's
  // split at the largest power of two, because the carried node is always a right-edge subtree.
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(nodeHash(level[i], level[i + 1]));
    if (odd(level.length)) next.push(level[level.length - 1]);
    level = next;
  }
  return level[0];
}

/**
 * The root implied by an inclusion proof (RFC 9162 §2.1.3.2): TLOG_INDEX_OUT_OF_RANGE when
 * index ≥ size (so never for the empty tree), TLOG_PROOF_LENGTH when the proof has too few or too
 * many hashes for (index, size).
 */
export function rootFromInclusionProof(
  index: number,
  size: number,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
): Uint8Array {
  checkSize(index, 'leaf index');
  checkSize(size, 'tree size');
  checkHash(leaf, 'leaf hash');
  const path = checkProof(proof, 'inclusion proof');
  if (index >= size) fail('TLOG_INDEX_OUT_OF_RANGE', `leaf index ${index} is not below tree size ${size}`);
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of path) {
    if (sn === 0) throw new GeoattestError('TLOG_PROOF_LENGTH', 'inclusion proof has too many hashes');
    if (odd(fn) || fn === sn) {
      r = nodeHash(p, r);
      // Skip the levels where this node has no right sibling: the RFC's "right-shift until LSB(fn)
      // is set or fn is 0".
      while (!odd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) throw new GeoattestError('TLOG_PROOF_LENGTH', 'inclusion proof has too few hashes');
  return r;
}

/** Verifies that `leaf` is at `index` in the tree of `size` with `root`; throws a coded error if not. */
export function verifyInclusion(
  index: number,
  size: number,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): void {
  checkHash(root, 'root');
  const computed = rootFromInclusionProof(index, size, leaf, proof);
  if (!hashesEqual(computed, root)) {
    throw new GeoattestError(
      'TLOG_INCLUSION_PROOF_INVALID',
      `inclusion proof of leaf ${index} does not reach the root`,
    );
  }
}

/**
 * Verifies that the tree of size1 with root1 is a prefix of the tree of size2 with root2
 * (RFC 9162 §2.1.4.2). As in RFC 9162 and its reference implementations, size1 = 0 is refused
 * (TLOG_SIZE_INVALID): the empty tree is a prefix of everything and needs no proof, which the
 * witness protocol handles itself. Equal sizes need an empty proof and equal roots.
 */
export function verifyConsistency(
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): void {
  checkSize(size1, 'old tree size');
  checkSize(size2, 'new tree size');
  checkHash(root1, 'old root');
  checkHash(root2, 'new root');
  const c = checkProof(proof, 'consistency proof');
  const bad = (m: string): never => {
    throw new GeoattestError('TLOG_CONSISTENCY_PROOF_INVALID', m);
  };
  if (size1 > size2) fail('TLOG_SIZE_INVALID', `old size ${size1} is larger than new size ${size2}`);
  if (size1 === 0) fail('TLOG_SIZE_INVALID', 'a consistency proof from the empty tree is not defined');
  if (size1 === size2) {
    if (c.length !== 0) throw new GeoattestError('TLOG_PROOF_LENGTH', 'equal sizes need an empty proof');
    if (!hashesEqual(root1, root2)) bad(`two different roots for tree size ${size1}`);
    return;
  }
  if (c.length === 0) throw new GeoattestError('TLOG_PROOF_LENGTH', 'consistency proof is empty');
  let fn = size1 - 1;
  let sn = size2 - 1;
  // When size1 is a power of two, the old root is itself a node of the new tree, and the proof
  // omits it (RFC 9162 §2.1.4.2 step 2).
  const path = isPowerOfTwo(size1) ? [root1, ...c] : c;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0];
  let sr = path[0];
  for (let i = 1; i < path.length; i++) {
    const p = path[i];
    if (sn === 0) throw new GeoattestError('TLOG_PROOF_LENGTH', 'consistency proof has too many hashes');
    if (odd(fn) || fn === sn) {
      fr = nodeHash(p, fr);
      sr = nodeHash(p, sr);
      while (!odd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sr = nodeHash(sr, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) throw new GeoattestError('TLOG_PROOF_LENGTH', 'consistency proof has too few hashes');
  if (!hashesEqual(fr, root1)) bad(`consistency proof does not reproduce the old root of size ${size1}`);
  if (!hashesEqual(sr, root2)) bad(`consistency proof does not reproduce the new root of size ${size2}`);
}
