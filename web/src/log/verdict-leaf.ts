// Reading verdict log leaves in the browser (layout v1 of src/tlog/verdict-leaf.ts: no
// coordinates, a chip pseudonym, the evidence hash), and the evidence hash of a verdict as the
// leaf commits to it, so a chip's verdicts can be found in the log without any index.

import { fromHex, toHex } from './checkpoint.js';
import { LogVerifyError, sha256 } from './merkle.js';

export interface LeafSummary {
  readonly licence: string;
  readonly verdict: string;
  readonly region: string;
  readonly windowStartMs: number;
  readonly windowEndMs: number;
  readonly evidenceHash: string;
}

const VERDICTS = ['inside', 'outside', 'unverified', 'inconsistent'];

export function readVerdictLeaf(b: Uint8Array): LeafSummary {
  const bad = (why: string): never => {
    throw new LogVerifyError('LEAF_MALFORMED', `verdict leaf: ${why}`);
  };
  if (b[0] !== 1) bad(`version ${b[0]} is not 1`);
  let at = 33; // version, chip pseudonym
  const need = (n: number) => {
    if (at + n > b.length) bad('truncated');
  };
  const str = () => {
    need(1);
    const n = b[at++];
    need(n);
    const s = String.fromCharCode(...b.subarray(at, at + n));
    at += n;
    return s;
  };
  const u64 = () => {
    need(8);
    const v = new DataView(b.buffer, b.byteOffset + at).getBigUint64(0);
    at += 8;
    return Number(v);
  };
  const licence = str();
  need(1);
  const verdict = VERDICTS[b[at++] - 1] ?? bad('unknown verdict code');
  const region = str();
  need(3);
  at += 3; // bound, trust mode, where-policy
  const windowStartMs = u64();
  const windowEndMs = u64();
  need(32);
  const evidenceHash = toHex(b.subarray(at, at + 32));
  at += 32;
  str(); // verifier version
  if (at !== b.length) bad('trailing bytes');
  return { licence, verdict, region, windowStartMs, windowEndMs, evidenceHash };
}

/** SHA-256 over the receipt hashes sorted bytewise and concatenated (src/tlog/verdict-leaf.ts). */
export async function leafEvidenceHash(receiptHashesHex: readonly string[]): Promise<string> {
  const sorted = receiptHashesHex.map((x) => x.toLowerCase()).sort();
  return toHex(await sha256(...sorted.map(fromHex)));
}
