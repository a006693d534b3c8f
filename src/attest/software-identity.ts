// The `software-ed25519` identity: a device key that lives in a file on the host (RFC 8032
// Ed25519). The default for development and for hosts without attestation hardware; it proves only
// that the answer came from whoever holds the file. Pure: no files here, keys come in as KeyObjects.

import {
  createHash,
  createPublicKey,
  generateKeyPair,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';
import { GeoattestError } from '../errors.js';

/** RFC 8032 §5.1.5: a public key is 32 bytes; §5.1.6: a signature is 64. */
export const ED25519_PUBLIC_KEY_BYTES = 32;
export const ED25519_SIGNATURE_BYTES = 64;
/** Bytes of SHA-256(public key) kept as the key id: 64 bits name a key, they do not authenticate it. */
const KEY_ID_BYTES = 8;

function invalidKey(message: string): never {
  throw new GeoattestError('KEY_INVALID', message);
}

function assertRawPublicKey(raw: Uint8Array): void {
  if (!(raw instanceof Uint8Array) || raw.length !== ED25519_PUBLIC_KEY_BYTES) {
    invalidKey(`an Ed25519 public key is ${ED25519_PUBLIC_KEY_BYTES} raw bytes`);
  }
}

function assertEd25519(key: KeyObject, type: 'public' | 'private'): void {
  if (typeof key !== 'object' || key === null || (key as { type?: unknown }).type !== type) {
    invalidKey(`expected an Ed25519 ${type} key`);
  }
  if (key.asymmetricKeyType !== 'ed25519')
    invalidKey(`expected an Ed25519 ${type} key, got ${key.asymmetricKeyType}`);
}

/** The short name of a device key: the first 8 bytes of SHA-256 of its raw public key, hex. */
export function deviceKeyId(publicKeyRaw: Uint8Array): string {
  assertRawPublicKey(publicKeyRaw);
  return createHash('sha256').update(publicKeyRaw).digest().subarray(0, KEY_ID_BYTES).toString('hex');
}

/** A node KeyObject from a raw 32-byte Ed25519 public key. */
export function publicKeyFromRaw(raw: Uint8Array): KeyObject {
  assertRawPublicKey(raw);
  const x = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64url');
  try {
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
  } catch (cause) {
    throw new GeoattestError('KEY_INVALID', 'not an Ed25519 public key', { cause });
  }
}

/** The raw 32 bytes of an Ed25519 public KeyObject. Private keys are refused: pass their public half. */
export function publicKeyToRaw(key: KeyObject): Uint8Array {
  assertEd25519(key, 'public');
  const { x } = key.export({ format: 'jwk' });
  const raw = typeof x === 'string' ? Buffer.from(x, 'base64url') : Buffer.alloc(0);
  if (raw.length !== ED25519_PUBLIC_KEY_BYTES) invalidKey('Ed25519 public key did not export 32 bytes');
  return new Uint8Array(raw);
}

/**
 * A fresh Ed25519 key pair: the private KeyObject and the raw public key. The public half comes
 * out of the generation already encoded (as a JWK, the cheapest encoding: ~25 µs a key against ~80
 * for DER), never by exporting the new public KeyObject afterwards: on Node 20 that export can
 * deadlock the process when a garbage collection during it frees the job that generated the key
 * (seen under `geoattest simulate`: ~KeyGenJob waiting on the key's mutex that the JWK export
 * holds). Key generation in loops goes through here.
 */
export function newEd25519KeyPair(): { privateKey: KeyObject; raw: Uint8Array } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519', { publicKeyEncoding: { format: 'jwk' } });
  return generated(privateKey, publicKey);
}

/**
 * newEd25519KeyPair on libuv's thread pool: a caller that starts many at once keeps every core
 * busy (the scale simulator makes a million).
 */
export function newEd25519KeyPairAsync(): Promise<{ privateKey: KeyObject; raw: Uint8Array }> {
  return new Promise((resolve, reject) =>
    generateKeyPair('ed25519', { publicKeyEncoding: { format: 'jwk' } }, (err, publicKey, privateKey) => {
      if (err) reject(err);
      else
        try {
          resolve(generated(privateKey, publicKey));
        } catch (e) {
          reject(e);
        }
    }),
  );
}

function generated(
  privateKey: KeyObject,
  publicKey: { crv?: string; x?: string },
): { privateKey: KeyObject; raw: Uint8Array } {
  const raw = typeof publicKey.x === 'string' ? Buffer.from(publicKey.x, 'base64url') : Buffer.alloc(0);
  if (publicKey.crv !== 'Ed25519' || raw.length !== ED25519_PUBLIC_KEY_BYTES)
    invalidKey('Ed25519 key generation returned an unexpected public key');
  return { privateKey, raw: new Uint8Array(raw) };
}

/** An Ed25519 signature (64 bytes) over `payload`. The payload carries its own domain separation. */
export function signWithDeviceKey(privateKey: KeyObject, payload: Uint8Array): Uint8Array {
  assertEd25519(privateKey, 'private');
  if (!(payload instanceof Uint8Array)) throw new TypeError('payload must be bytes');
  return new Uint8Array(sign(null, payload, privateKey));
}

/**
 * Whether `signature` is a valid Ed25519 signature of `payload` by `publicKey` (a KeyObject or the
 * raw 32 bytes). A signature that is not 64 bytes is false before any curve arithmetic; a key that
 * is not an Ed25519 public key is KEY_INVALID (the caller's mistake, not the sender's).
 */
export function verifyDeviceSignature(
  publicKey: KeyObject | Uint8Array,
  payload: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (!(signature instanceof Uint8Array) || signature.length !== ED25519_SIGNATURE_BYTES) return false;
  if (!(payload instanceof Uint8Array)) return false;
  const key = publicKey instanceof Uint8Array ? publicKeyFromRaw(publicKey) : publicKey;
  assertEd25519(key, 'public');
  return verify(null, payload, key, signature);
}
