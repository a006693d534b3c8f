// C2SP tlog-cosignature, Ed25519 (signature type 0x04, "cosignature/v1"): a witness's timestamped
// statement that a checkpoint is the largest consistent tree head it has seen. Pure.
//
// The signed message is "cosignature/v1\n" "time <decimal>\n" followed by the checkpoint's note
// text; the signature is timestamp (u64, big-endian) || Ed25519 signature (tlog-cosignature
// "Format" and "Ed25519 signed message").

import { sign } from 'node:crypto';
import { GeoattestError } from '../errors.js';
import {
  checkNoteText,
  formatSignatureLine,
  type NoteSignature,
  type NoteVerifier,
  parseSignatureLine,
  SIG_TYPE_COSIGNATURE_V1,
} from './note.js';
import {
  computeKeyId,
  ed25519PublicKey,
  ed25519Verify,
  formatVerifierKey,
  parseVerifierKey,
  type SignerKey,
  signerKeyFrom,
  type VerifierKey,
} from './note-keys.js';

const TIMESTAMP_BYTES = 8;
const ED25519_SIG_BYTES = 64;
/** tlog-cosignature: the timestamp MUST NOT exceed 2^63 - 1. */
const MAX_TIMESTAMP = (1n << 63n) - 1n;

/** The exact bytes a v1 cosignature signs. */
export function cosignedMessage(checkpointText: string, timestamp: bigint): Uint8Array {
  checkNoteText(checkpointText);
  if (typeof timestamp !== 'bigint' || timestamp < 0n || timestamp > MAX_TIMESTAMP) {
    throw new GeoattestError('COSIGNATURE_INVALID', 'cosignature timestamp must be in 0..2^63-1');
  }
  return new TextEncoder().encode(`cosignature/v1\ntime ${timestamp}\n${checkpointText}`);
}

export interface Cosigner {
  readonly name: string;
  readonly keyId: number;
  readonly verifierKey: string;
  /** The note signature over `checkpointText` at POSIX time `timestamp` (seconds). */
  cosign(checkpointText: string, timestamp: bigint): NoteSignature;
}

/** A cosigner from an Ed25519 signer key; its key id is computed with type 0x04. */
export function ed25519Cosigner(
  name: string,
  key: SignerKey | Parameters<typeof signerKeyFrom>[1],
): Cosigner {
  const k = 'privateKey' in key ? key : signerKeyFrom(name, key, SIG_TYPE_COSIGNATURE_V1);
  if (k.name !== name)
    throw new GeoattestError('NOTE_KEY_INVALID', 'cosigner name differs from its key name');
  const keyId = computeKeyId(name, SIG_TYPE_COSIGNATURE_V1, k.publicKey);
  return {
    name,
    keyId,
    verifierKey: formatVerifierKey(name, SIG_TYPE_COSIGNATURE_V1, k.publicKey),
    cosign(checkpointText, timestamp) {
      const msg = cosignedMessage(checkpointText, timestamp);
      const signature = new Uint8Array(TIMESTAMP_BYTES + ED25519_SIG_BYTES);
      new DataView(signature.buffer).setBigUint64(0, timestamp, false);
      signature.set(sign(null, msg, k.privateKey), TIMESTAMP_BYTES);
      return { name, keyId, signature };
    },
  };
}

/** The note signature line of a cosignature. */
export function cosignatureLine(sig: NoteSignature): string {
  return formatSignatureLine(sig);
}

/** A NoteVerifier for a type 0x04 key, so openNote accepts a witness's cosignatures. */
export function cosignatureVerifier(
  k: VerifierKey | string,
): NoteVerifier & { timestampOf(sig: Uint8Array): bigint } {
  const key = typeof k === 'string' ? parseVerifierKey(k) : k;
  if (key.type !== SIG_TYPE_COSIGNATURE_V1) {
    throw new GeoattestError('NOTE_KEY_INVALID', 'not an Ed25519 cosignature key (type 0x04)');
  }
  const publicKey = ed25519PublicKey(key.publicKey);
  const timestampOf = (sig: Uint8Array) =>
    new DataView(sig.buffer, sig.byteOffset, sig.byteLength).getBigUint64(0, false);
  return {
    name: key.name,
    keyId: key.keyId,
    timestampOf,
    verify(text, sig) {
      if (sig.length !== TIMESTAMP_BYTES + ED25519_SIG_BYTES) return false;
      const timestamp = timestampOf(sig);
      if (timestamp > MAX_TIMESTAMP) return false;
      const msg = cosignedMessage(new TextDecoder().decode(text), timestamp);
      return ed25519Verify(publicKey, msg, sig.subarray(TIMESTAMP_BYTES));
    },
  };
}

/**
 * Verifies one cosignature line over a checkpoint's note text and returns its timestamp.
 * A line by another name or key id is COSIGNATURE_INVALID "not this witness"; a bad signature too.
 */
export function verifyCosignatureLine(
  checkpointText: string,
  line: string,
  witnessKey: VerifierKey | string,
): bigint {
  const v = cosignatureVerifier(witnessKey);
  const sig = parseSignatureLine(line.endsWith('\n') ? line.slice(0, -1) : line);
  if (sig.name !== v.name || sig.keyId !== v.keyId) {
    throw new GeoattestError('COSIGNATURE_INVALID', `cosignature is by ${sig.name}, not this witness key`);
  }
  if (!v.verify(new TextEncoder().encode(checkpointText), sig.signature)) {
    throw new GeoattestError('COSIGNATURE_INVALID', `cosignature by ${sig.name} does not verify`);
  }
  return v.timestampOf(sig.signature);
}
