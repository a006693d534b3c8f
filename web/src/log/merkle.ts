// RFC 9162 Merkle trees in the browser: hashing with WebCrypto (SHA-256), and verification of
// inclusion (§2.1.3.2) and consistency (§2.1.4.2) proofs. The server's src/tlog/merkle.ts does the
// same with node:crypto; test/web/tlog-client.test.ts checks the two agree. Pure, no DOM.

export type Hash = Uint8Array;

/** RFC 6962 §2.1 domain separation: leaves H(0x00 || entry), nodes H(0x01 || left || right). */
const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;

export class LogVerifyError extends Error {
  constructor(
    readonly code:
      | 'TLOG_INCLUSION_PROOF_INVALID'
      | 'TLOG_CONSISTENCY_PROOF_INVALID'
      | 'TLOG_PROOF_LENGTH'
      | 'TLOG_INDEX_OUT_OF_RANGE'
      | 'TLOG_HASH_UNAVAILABLE'
      | 'TLOG_TILE_MALFORMED'
      | 'TLOG_ENTRY_BUNDLE_MALFORMED'
      | 'TLOG_FORK'
      | 'CHECKPOINT_MALFORMED'
      | 'LEAF_MALFORMED'
      | 'TLOG_FETCH_FAILED',
    message: string,
  ) {
    super(message);
    this.name = 'LogVerifyError';
  }
}

export async function sha256(...parts: Uint8Array[]): Promise<Hash> {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const buf = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    buf.set(p, at);
    at += p.length;
  }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', buf));
}

export const leafHash = (entry: Uint8Array) => sha256(Uint8Array.of(LEAF_PREFIX), entry);
export const nodeHash = (l: Hash, r: Hash) => sha256(Uint8Array.of(NODE_PREFIX), l, r);

export function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

// Sizes are JS numbers (safe integers); bit tests by arithmetic, since JS bit operators truncate
// to 32 bits.
const odd = (n: number) => n % 2 === 1;
const half = (n: number) => Math.floor(n / 2);

/** RFC 9162 §2.1.3.2. Throws LogVerifyError unless `leaf` is at `index` in the tree of `root`. */
export async function verifyInclusion(
  index: number,
  size: number,
  leaf: Hash,
  proof: readonly Hash[],
  root: Hash,
): Promise<void> {
  if (!(index >= 0 && index < size))
    throw new LogVerifyError('TLOG_INDEX_OUT_OF_RANGE', `leaf ${index} is not below tree size ${size}`);
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) throw new LogVerifyError('TLOG_PROOF_LENGTH', 'inclusion proof has too many hashes');
    if (odd(fn) || fn === sn) {
      r = await nodeHash(p, r);
      while (!odd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else r = await nodeHash(r, p);
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) throw new LogVerifyError('TLOG_PROOF_LENGTH', 'inclusion proof has too few hashes');
  if (!equal(r, root))
    throw new LogVerifyError(
      'TLOG_INCLUSION_PROOF_INVALID',
      `inclusion proof of leaf ${index} does not reach the root`,
    );
}

const isPowerOfTwo = (n: number) => n > 0 && 2 ** Math.round(Math.log2(n)) === n;

/** RFC 9162 §2.1.4.2. Throws LogVerifyError unless the tree of `root2` extends the tree of `root1`. */
export async function verifyConsistency(
  size1: number,
  size2: number,
  proof: readonly Hash[],
  root1: Hash,
  root2: Hash,
): Promise<void> {
  if (size1 > size2) throw new LogVerifyError('TLOG_FORK', `the log shrank from ${size1} to ${size2}`);
  if (size1 === size2) {
    if (proof.length !== 0)
      throw new LogVerifyError('TLOG_PROOF_LENGTH', 'proof between equal sizes must be empty');
    if (!equal(root1, root2)) throw new LogVerifyError('TLOG_FORK', `two different roots for size ${size1}`);
    return;
  }
  if (size1 === 0) {
    if (proof.length !== 0)
      throw new LogVerifyError('TLOG_PROOF_LENGTH', 'proof from the empty tree must be empty');
    return;
  }
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : [...proof];
  if (path.length === 0) throw new LogVerifyError('TLOG_PROOF_LENGTH', 'consistency proof is empty');
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) throw new LogVerifyError('TLOG_PROOF_LENGTH', 'consistency proof has too many hashes');
    if (odd(fn) || fn === sn) {
      fr = await nodeHash(c, fr);
      sr = await nodeHash(c, sr);
      while (!odd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else sr = await nodeHash(sr, c);
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) throw new LogVerifyError('TLOG_PROOF_LENGTH', 'consistency proof has too few hashes');
  if (!equal(fr, root1) || !equal(sr, root2))
    throw new LogVerifyError(
      'TLOG_CONSISTENCY_PROOF_INVALID',
      `the tree of size ${size2} does not extend the tree of size ${size1}`,
    );
}
