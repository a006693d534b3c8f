// `gpu-session` evidence: what binds a landmark's receipt, signed in the fast rounds by a fresh
// Ed25519 session key, to a real NVIDIA GPU. After the session the agent asks the GPU for SPDM
// GET_MEASUREMENTS evidence whose requester nonce is sessionKeyNonce(session public key, anchor),
// where the anchor is a nonce the landmark issued in that very session. The GPU thereby signs the
// session key after the landmark's nonce existed; the receipt shows the session key answered the
// decisive round within its RTT. (docs/protocol.md, "Trust modes on the wire".)
//
// What this proves, and what it does not: the GPU's identity key endorsed this session key at some
// time after the anchor nonce was issued. The session key itself is a host key: a host that hands
// it to a machine near the landmark, while the GPU sits elsewhere, defeats the location proof. So
// gpu-session is only as strong as the host keeps the key (DESIGN.md), and every verdict names it.
//
// Pure: the bundle is data in, the trust anchors and the time are arguments, nothing is fetched.

import { createHash, type KeyObject, X509Certificate } from 'node:crypto';
import { GeoattestError } from '../errors.js';
import { type Receipt, receiptHash, verifyReceipt, verifyReceiptDevice } from '../protocol/wire.js';
import { type NvidiaIdentity, sessionKeyNonce, verifyNvidiaEvidence } from './nvidia-identity.js';
import { publicKeyFromRaw } from './software-identity.js';
import { MAX_EVIDENCE_BYTES } from './spdm-evidence.js';

/** The `format` of every bundle; a new layout gets a new string. */
export const SESSION_EVIDENCE_FORMAT = 'geoattest/v1 gpu-session-evidence';
const MAX_CHAIN_BYTES = 64 * 1024;
const LANDMARK_ID_BYTES = 16;

/**
 * The JSON an agent produces after a gpu-session check-in, and POSTs to `--evidence-url`.
 * Binary fields are base64 (RFC 4648 §4, padded, canonical); there are no other fields.
 */
export interface SessionEvidenceBundle {
  readonly format: typeof SESSION_EVIDENCE_FORMAT;
  /** 32 bytes: SHA-256 of the GPU identity key's DER SubjectPublicKeyInfo; the receipt's deviceId. */
  readonly deviceId: string;
  /** The landmark's id as registered (1-16 printable ASCII); the receipt's landmarkId, unpadded. */
  readonly landmarkId: string;
  /** 32 bytes: receiptHash of the receipt this evidence completes (SHA-256 of its 536 bytes). */
  readonly receiptHash: string;
  /** 32 bytes: the raw Ed25519 session public key; SHA-256 of it starts with the receipt's keyId. */
  readonly sessionPublicKey: string;
  /** 32 bytes: a nonce the landmark issued in that session (one of the receipt's round nonces). */
  readonly anchorNonce: string;
  /** The SPDM GET_MEASUREMENTS request + MEASUREMENTS response, as the GPU returned it. */
  readonly evidence: string;
  /** The GPU's certificate chain as PEM text (leaf first, 5 certificates), base64 of that text. */
  readonly certChain: string;
}

/** The bundle's fields, all required, no others. */
export const SESSION_EVIDENCE_FIELDS = [
  'format',
  'deviceId',
  'landmarkId',
  'receiptHash',
  'sessionPublicKey',
  'anchorNonce',
  'evidence',
  'certChain',
] as const;

/** A bundle with its fields decoded. */
export interface ParsedSessionEvidence {
  readonly deviceId: Uint8Array;
  readonly landmarkId: string;
  readonly receiptHash: Uint8Array;
  readonly sessionPublicKey: Uint8Array;
  readonly anchorNonce: Uint8Array;
  readonly evidence: Uint8Array;
  readonly certChainPem: string;
}

function malformed(message: string): never {
  throw new GeoattestError('EVIDENCE_MALFORMED', message);
}

function mismatch(message: string): never {
  throw new GeoattestError('EVIDENCE_BINDING_MISMATCH', message);
}

/** Canonical padded base64 of at most `maxBytes` (exactly `exact` when given) decoded bytes. */
function base64Field(v: unknown, what: string, size: { exact?: number; max?: number }): Uint8Array {
  if (typeof v !== 'string') malformed(`${what} must be a base64 string`);
  const max = size.exact ?? size.max ?? 0;
  // Length first, before any decoding: 4 characters carry 3 bytes.
  if (v.length > Math.ceil(max / 3) * 4) malformed(`${what} is too long`);
  if (v.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) malformed(`${what} is not padded base64`);
  const bytes = Buffer.from(v, 'base64');
  // Node's decoder forgives; one value must have one encoding, so re-encode and compare.
  if (bytes.toString('base64') !== v) malformed(`${what} is not canonical base64`);
  if (size.exact !== undefined && bytes.length !== size.exact)
    malformed(`${what} must be ${size.exact} bytes`);
  if (bytes.length === 0) malformed(`${what} is empty`);
  return new Uint8Array(bytes);
}

/**
 * Parses a bundle (already JSON-decoded) strictly: exactly the known keys, canonical base64 of the
 * right sizes, a landmark id of 1-16 printable ASCII characters. EVIDENCE_MALFORMED otherwise.
 */
export function parseSessionEvidenceBundle(value: unknown): ParsedSessionEvidence {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    malformed('a bundle is a JSON object');
  const o = value as Record<string, unknown>;
  const keys = Object.keys(o);
  for (const k of keys)
    if (!(SESSION_EVIDENCE_FIELDS as readonly string[]).includes(k))
      malformed(`unknown field ${JSON.stringify(k)}`);
  for (const k of SESSION_EVIDENCE_FIELDS) if (!Object.hasOwn(o, k)) malformed(`missing field ${k}`);
  if (o.format !== SESSION_EVIDENCE_FORMAT)
    malformed(`format must be ${JSON.stringify(SESSION_EVIDENCE_FORMAT)}`);
  if (typeof o.landmarkId !== 'string' || !/^[\x21-\x7e]{1,16}$/.test(o.landmarkId)) {
    malformed('landmarkId must be 1 to 16 printable ASCII characters');
  }
  const chain = base64Field(o.certChain, 'certChain', { max: MAX_CHAIN_BYTES });
  const certChainPem = Buffer.from(chain).toString('latin1');
  if (!/^[\t\n\r\x20-\x7e]*$/.test(certChainPem)) malformed('certChain is not PEM text');
  return Object.freeze({
    deviceId: base64Field(o.deviceId, 'deviceId', { exact: 32 }),
    landmarkId: o.landmarkId,
    receiptHash: base64Field(o.receiptHash, 'receiptHash', { exact: 32 }),
    sessionPublicKey: base64Field(o.sessionPublicKey, 'sessionPublicKey', { exact: 32 }),
    anchorNonce: base64Field(o.anchorNonce, 'anchorNonce', { exact: 32 }),
    evidence: base64Field(o.evidence, 'evidence', { max: MAX_EVIDENCE_BYTES }),
    certChainPem,
  });
}

export interface SessionEvidenceParts {
  readonly receipt: Receipt;
  readonly landmarkId: string;
  readonly sessionPublicKey: Uint8Array;
  readonly anchorNonce: Uint8Array;
  readonly evidence: Uint8Array;
  readonly certChainPem: string;
}

/** The bundle of a gpu-session check-in, as the agent writes it. Checks nothing about the GPU. */
export function makeSessionEvidenceBundle(p: SessionEvidenceParts): SessionEvidenceBundle {
  const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
  const bundle: SessionEvidenceBundle = {
    format: SESSION_EVIDENCE_FORMAT,
    deviceId: b64(p.receipt.deviceId),
    landmarkId: p.landmarkId,
    receiptHash: b64(receiptHash(p.receipt)),
    sessionPublicKey: b64(p.sessionPublicKey),
    anchorNonce: b64(p.anchorNonce),
    evidence: b64(p.evidence),
    certChain: Buffer.from(p.certChainPem, 'latin1').toString('base64'),
  };
  parseSessionEvidenceBundle(bundle); // what we write, we would accept
  return Object.freeze(bundle);
}

/**
 * The device id of a GPU in the gpu modes: SHA-256 of its identity (leaf) key's DER
 * SubjectPublicKeyInfo, from the first certificate of its PEM chain (docs/protocol.md,
 * "Identifiers"). CERT_CHAIN_INVALID if that certificate does not parse.
 */
export function gpuDeviceIdFromChain(certChainPem: string): Uint8Array {
  const first =
    typeof certChainPem === 'string'
      ? /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(certChainPem)
      : null;
  if (first === null) throw new GeoattestError('CERT_CHAIN_INVALID', 'no certificate in the chain');
  let spki: Buffer;
  try {
    spki = new X509Certificate(first[0]).publicKey.export({ format: 'der', type: 'spki' });
  } catch (cause) {
    throw new GeoattestError('CERT_CHAIN_INVALID', 'the leaf certificate does not parse', { cause });
  }
  return new Uint8Array(createHash('sha256').update(spki).digest());
}

export interface SessionEvidenceOptions {
  /** The key of the landmark that signed the receipt (its registered key). */
  readonly landmarkPublicKey: KeyObject;
  /** Trust anchors; only "NVIDIA Device Identity CA" roots are used. */
  readonly roots: readonly X509Certificate[];
  /** The verifier's time: certificate validity is judged at it, and the delay below measured to it. */
  readonly at: Date;
  /**
   * When set, the bundle must be judged at most this many ms after the receipt's wall clock
   * (EVIDENCE_STALE otherwise). GPU evidence carries no time; only its arrival bounds how long
   * after the session the GPU was asked.
   */
  readonly maxDelayMs?: number;
}

export interface SessionEvidenceResult {
  readonly trustMode: 'gpu-session';
  /** The GPU's identity: its leaf certificate's serial number, lower-case hex. */
  readonly gpuSerial: string;
  /** "GH100", "GB100", … or null. */
  readonly model: string | null;
  /** The session key's id (the receipt's keyId), hex. */
  readonly sessionKeyId: string;
  /** Which round's nonce anchored the evidence. */
  readonly anchorRound: number;
  readonly identity: NvidiaIdentity;
}

const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

/**
 * Verifies that `bundle` (the JSON value) completes `receipt` as gpu-session evidence, cheapest
 * checks first, each failure a coded error:
 *  1. the bundle parses strictly (EVIDENCE_MALFORMED);
 *  2. the landmark signed the receipt (PACKET_BAD_SIGNATURE), in trust mode gpu-session, and the
 *     bundle names that receipt, device and landmark (EVIDENCE_BINDING_MISMATCH);
 *  3. the anchor nonce is one of the receipt's round nonces (EVIDENCE_BINDING_MISMATCH);
 *  4. the session key is the receipt's keyId (RECEIPT_KEY_MISMATCH) and signed its decisive round
 *     (PACKET_BAD_SIGNATURE);
 *  5. optionally, the bundle is not later than `maxDelayMs` after the receipt (EVIDENCE_STALE);
 *  6. the receipt's device id is the GPU's: SHA-256 of the leaf key (EVIDENCE_BINDING_MISMATCH);
 *  7. the SPDM evidence verifies under a chain to the NVIDIA Device Identity CA and its requester
 *     nonce is sessionKeyNonce(session key, anchor nonce) (verifyNvidiaEvidence's codes, among
 *     them EVIDENCE_NONCE_MISMATCH).
 * Returns the GPU's identity. Throws only GeoattestErrors.
 */
export function verifySessionEvidence(
  bundle: unknown,
  receipt: Receipt,
  opts: SessionEvidenceOptions,
): SessionEvidenceResult {
  try {
    return verifyUnchecked(bundle, receipt, opts);
  } catch (e) {
    if (e instanceof GeoattestError) throw e;
    throw new GeoattestError('EVIDENCE_MALFORMED', 'session evidence could not be checked', { cause: e });
  }
}

function verifyUnchecked(
  bundle: unknown,
  receipt: Receipt,
  opts: SessionEvidenceOptions,
): SessionEvidenceResult {
  const b = parseSessionEvidenceBundle(bundle);
  verifyReceipt(opts.landmarkPublicKey, receipt);
  if (receipt.trustMode !== 'gpu-session') mismatch(`the receipt records trust mode ${receipt.trustMode}`);
  if (!same(receiptHash(receipt), b.receiptHash)) mismatch('the bundle names another receipt');
  if (!same(receipt.deviceId, b.deviceId)) mismatch('the bundle names another device');
  const landmarkId = new Uint8Array(LANDMARK_ID_BYTES);
  landmarkId.set(Buffer.from(b.landmarkId, 'latin1'));
  if (!same(receipt.landmarkId, landmarkId)) mismatch('the bundle names another landmark');
  const anchorRound = receipt.rounds.findIndex((r) => same(r.nonce, b.anchorNonce));
  if (anchorRound < 0) mismatch('the anchor nonce is none of the receipt’s round nonces');
  verifyReceiptDevice(receipt, publicKeyFromRaw(b.sessionPublicKey));
  if (opts.maxDelayMs !== undefined) {
    const delay = opts.at.getTime() - Number(receipt.wallClockMs);
    if (!(delay <= opts.maxDelayMs)) {
      throw new GeoattestError('EVIDENCE_STALE', `evidence judged ${delay} ms after the receipt`);
    }
  }
  if (!same(gpuDeviceIdFromChain(b.certChainPem), receipt.deviceId)) {
    mismatch('the receipt’s device id is not this GPU’s identity key');
  }
  const identity = verifyNvidiaEvidence({
    evidence: b.evidence,
    certChainPem: b.certChainPem,
    expectedNonce: sessionKeyNonce(b.sessionPublicKey, b.anchorNonce),
    roots: opts.roots,
    at: opts.at,
  });
  return Object.freeze({
    trustMode: 'gpu-session',
    gpuSerial: identity.deviceKeyId,
    model: identity.model,
    sessionKeyId: Buffer.from(receipt.keyId).toString('hex'),
    anchorRound,
    identity,
  });
}
