// The verdict log leaf: what the transparency log makes public about one verdict, and nothing
// more. A fixed binary layout, so one verdict has exactly one encoding (a leaf hash must not
// depend on key order or number formatting, which canonical JSON would have to pin down and
// every auditor re-implement). Pure.
//
// Never coordinates: a leaf says which region a chip was proven in or out of, under which bound,
// policy and trust mode, and points to its evidence by hash. Who may read the evidence is the
// service's business; the leaf only commits to it.
//
// Layout, version 1 (all integers big-endian; str = u8 length, then 1..255 printable ASCII bytes):
//
//   offset  size  field
//   0       1     version            = 1
//   1       32    chip pseudonym     (HMAC of the chip id under the log secret; opaque here)
//   33      str   licence number
//   ..      1     verdict            1 inside, 2 outside, 3 unverified, 4 inconsistent
//   ..      str   region             ISO 3166-1 alpha-2 ("MY") or "geofence:" + 64 lowercase hex
//   ..      1     bound              1 vacuum, 2 fiber
//   ..      1     trust mode         1 software, 2 gpu-evidence, 3 gpu-session (wire protocol codes)
//   ..      1     where-policy       1 territorial, 2 land, 3 anywhere
//   ..      8     window start       ms since the Unix epoch
//   ..      8     window end         ms since the Unix epoch, ≥ start
//   ..      32    evidence hash      evidenceHash() of the receipts the verdict rests on
//   ..      str   verifier version
//
// The parser refuses anything else: unknown versions (LEAF_UNSUPPORTED_VERSION), unknown codes,
// bad lengths, trailing bytes (LEAF_MALFORMED).

import { createHash } from 'node:crypto';
import { GeoattestError } from '../errors.js';

export const VERDICT_LEAF_VERSION = 1;
const HASH = 32;
const MAX_STR = 255;

/** The one table of leaf codes: each enum field's names in code order (code = index + 1). */
export const LEAF_CODES = Object.freeze({
  verdict: ['inside', 'outside', 'unverified', 'inconsistent'],
  bound: ['vacuum', 'fiber'],
  trustMode: ['software', 'gpu-evidence', 'gpu-session'],
  where: ['territorial', 'land', 'anywhere'],
} as const);

export type LeafVerdict = (typeof LEAF_CODES.verdict)[number];
export type LeafBound = (typeof LEAF_CODES.bound)[number];
export type LeafTrustMode = (typeof LEAF_CODES.trustMode)[number];
export type LeafWhere = (typeof LEAF_CODES.where)[number];

export interface VerdictLeaf {
  readonly version: 1;
  readonly chipPseudonym: Uint8Array;
  readonly licence: string;
  readonly verdict: LeafVerdict;
  readonly region: string;
  readonly bound: LeafBound;
  /** The weakest trust mode among the measurements the verdict rests on. */
  readonly trustMode: LeafTrustMode;
  readonly where: LeafWhere;
  readonly windowStartMs: number;
  readonly windowEndMs: number;
  readonly evidenceHash: Uint8Array;
  readonly verifierVersion: string;
}

function bad(why: string): never {
  throw new GeoattestError('LEAF_MALFORMED', `verdict leaf: ${why}`);
}

// A licence's destinations, comma-separated: country codes, or a geofence or circle by the SHA-256
// of its canonical JSON (never its coordinates).
const PLACE = '(?:[A-Z]{2}|(?:geofence|circle):[0-9a-f]{64})';
const REGION = new RegExp(`^${PLACE}(?:,${PLACE})*$`);
const PRINTABLE = /^[\x20-\x7e]{1,255}$/;

function checkStr(v: unknown, what: string): string {
  if (typeof v !== 'string' || !PRINTABLE.test(v))
    bad(`${what} must be 1..${MAX_STR} printable ASCII characters`);
  return v;
}

function checkBytes(v: unknown, what: string): Uint8Array {
  if (!(v instanceof Uint8Array) || v.length !== HASH) bad(`${what} must be ${HASH} bytes`);
  return v;
}

function checkMs(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
    bad(`${what} must be a non-negative integer (ms)`);
  return v;
}

function codeOf<K extends keyof typeof LEAF_CODES>(field: K, v: unknown): number {
  const i = (LEAF_CODES[field] as readonly string[]).indexOf(v as string);
  if (i < 0) bad(`${field} must be one of ${LEAF_CODES[field].join(', ')}`);
  return i + 1;
}

/** Checks every field (LEAF_MALFORMED) and returns a defensive copy. */
export function checkVerdictLeaf(leaf: VerdictLeaf): VerdictLeaf {
  if (typeof leaf !== 'object' || leaf === null) bad('not an object');
  if (leaf.version !== VERDICT_LEAF_VERSION) {
    throw new GeoattestError(
      'LEAF_UNSUPPORTED_VERSION',
      `verdict leaf version ${typeof leaf.version === 'number' ? leaf.version : typeof leaf.version} is not 1`,
    );
  }
  const region = checkStr(leaf.region, 'region');
  if (!REGION.test(region))
    bad('region must be country codes like MY or geofence:<sha256 hex>, comma-separated');
  const windowStartMs = checkMs(leaf.windowStartMs, 'window start');
  const windowEndMs = checkMs(leaf.windowEndMs, 'window end');
  if (windowEndMs < windowStartMs) bad('window ends before it starts');
  for (const f of ['verdict', 'bound', 'trustMode', 'where'] as const) codeOf(f, leaf[f]);
  return {
    version: VERDICT_LEAF_VERSION,
    chipPseudonym: new Uint8Array(checkBytes(leaf.chipPseudonym, 'chip pseudonym')),
    licence: checkStr(leaf.licence, 'licence'),
    verdict: leaf.verdict,
    region,
    bound: leaf.bound,
    trustMode: leaf.trustMode,
    where: leaf.where,
    windowStartMs,
    windowEndMs,
    evidenceHash: new Uint8Array(checkBytes(leaf.evidenceHash, 'evidence hash')),
    verifierVersion: checkStr(leaf.verifierVersion, 'verifier version'),
  };
}

/** The canonical bytes of a leaf (the log entry; its leaf hash is H(0x00 || these bytes)). */
export function encodeVerdictLeaf(input: VerdictLeaf): Uint8Array {
  const leaf = checkVerdictLeaf(input);
  const str = (s: string) => [s.length, ...Buffer.from(s, 'ascii')];
  const u64 = (n: number) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt(n));
    return [...b];
  };
  return new Uint8Array([
    VERDICT_LEAF_VERSION,
    ...leaf.chipPseudonym,
    ...str(leaf.licence),
    codeOf('verdict', leaf.verdict),
    ...str(leaf.region),
    codeOf('bound', leaf.bound),
    codeOf('trustMode', leaf.trustMode),
    codeOf('where', leaf.where),
    ...u64(leaf.windowStartMs),
    ...u64(leaf.windowEndMs),
    ...leaf.evidenceHash,
    ...str(leaf.verifierVersion),
  ]);
}

/** Parses leaf bytes strictly; the result re-encodes to exactly the same bytes. */
export function decodeVerdictLeaf(bytes: Uint8Array): VerdictLeaf {
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) bad('empty');
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view[0] !== VERDICT_LEAF_VERSION) {
    throw new GeoattestError('LEAF_UNSUPPORTED_VERSION', `verdict leaf version ${view[0]} is not 1`);
  }
  let at = 1;
  const need = (n: number) => {
    if (at + n > view.length) bad('truncated');
  };
  const take = (n: number) => {
    need(n);
    const out = new Uint8Array(view.subarray(at, at + n));
    at += n;
    return out;
  };
  const str = (what: string) => {
    need(1);
    const len = view[at++];
    const s = Buffer.from(take(len)).toString('latin1');
    return checkStr(s, what);
  };
  const code = <K extends keyof typeof LEAF_CODES>(field: K): (typeof LEAF_CODES)[K][number] => {
    need(1);
    const c = view[at++];
    const name = LEAF_CODES[field][c - 1];
    if (name === undefined) bad(`unknown ${field} code ${c}`);
    return name;
  };
  const u64 = (what: string) => {
    need(8);
    const v = view.readBigUInt64BE(at);
    at += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) bad(`${what} out of range`);
    return Number(v);
  };
  const chipPseudonym = take(HASH);
  const licence = str('licence');
  const verdict = code('verdict');
  const region = str('region');
  const bound = code('bound');
  const trustMode = code('trustMode');
  const where = code('where');
  const windowStartMs = u64('window start');
  const windowEndMs = u64('window end');
  const evidence = take(HASH);
  const verifierVersion = str('verifier version');
  if (at !== view.length) bad(`${view.length - at} trailing bytes`);
  return checkVerdictLeaf({
    version: VERDICT_LEAF_VERSION,
    chipPseudonym,
    licence,
    verdict,
    region,
    bound,
    trustMode,
    where,
    windowStartMs,
    windowEndMs,
    evidenceHash: evidence,
    verifierVersion,
  });
}

/**
 * The evidence hash: SHA-256 over the 32-byte hashes of the receipts a verdict rests on, sorted
 * bytewise and concatenated, so the order the verifier happened to read them in does not matter.
 * A receipt counted twice is refused (LEAF_MALFORMED): it would make two hashes for one evidence set.
 */
export function evidenceHash(receiptHashes: readonly Uint8Array[]): Uint8Array {
  const sorted = receiptHashes.map((h) => Buffer.from(checkBytes(h, 'receipt hash'))).sort(Buffer.compare);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].equals(sorted[i - 1])) bad('the same receipt hash appears twice');
  }
  const h = createHash('sha256');
  for (const r of sorted) h.update(r);
  return new Uint8Array(h.digest());
}

/** A JSON-friendly view (hex bytes) for audit reports and APIs. */
export function verdictLeafToJson(leaf: VerdictLeaf): Record<string, string | number> {
  return {
    version: leaf.version,
    chipPseudonym: Buffer.from(leaf.chipPseudonym).toString('hex'),
    licence: leaf.licence,
    verdict: leaf.verdict,
    region: leaf.region,
    bound: leaf.bound,
    trustMode: leaf.trustMode,
    where: leaf.where,
    windowStartMs: leaf.windowStartMs,
    windowEndMs: leaf.windowEndMs,
    evidenceHash: Buffer.from(leaf.evidenceHash).toString('hex'),
    verifierVersion: leaf.verifierVersion,
  };
}
