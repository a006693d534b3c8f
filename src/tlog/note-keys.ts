// C2SP signed-note keys: verifier keys `name+hex8+base64(type || public key)`, signer keys
// `PRIVATE+KEY+name+hex8+base64(type || seed)` (the golang.org/x/mod/sumdb/note form), key IDs,
// and Ed25519 note signers and verifiers (signature type 0x01). Pure (node:crypto only).
// Key strings come from configuration and command lines: parsed strictly, NOTE_KEY_INVALID.

import { createHash, createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { publicKeyToRaw } from '../attest/software-identity.js';
import { GeoattestError } from '../errors.js';
import {
  decodeBase64Strict,
  encodeBase64,
  isValidKeyName,
  type NoteSigner,
  type NoteVerifier,
  SIG_TYPE_COSIGNATURE_V1,
  SIG_TYPE_ED25519,
} from './note.js';

const ED25519_KEY_BYTES = 32;
const ED25519_SIG_BYTES = 64;

function keyError(why: string): never {
  throw new GeoattestError('NOTE_KEY_INVALID', why);
}

const hex8 = (id: number) => id.toString(16).padStart(8, '0');

export interface VerifierKey {
  readonly name: string;
  readonly keyId: number;
  readonly type: number;
  readonly publicKey: Uint8Array;
}

/** signed-note: key ID = SHA-256(key name || 0x0A || signature type || public key)[:4], big-endian. */
export function computeKeyId(name: string, type: number, publicKey: Uint8Array): number {
  const h = createHash('sha256')
    .update(name)
    .update(new Uint8Array([0x0a, type]))
    .update(publicKey)
    .digest();
  return h.readUInt32BE(0);
}

/** A public KeyObject from 32 raw bytes; NOTE_KEY_INVALID if node:crypto refuses them. */
export function ed25519PublicKey(raw: Uint8Array): KeyObject {
  try {
    return createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') },
      format: 'jwk',
    });
  } catch (cause) {
    throw new GeoattestError('NOTE_KEY_INVALID', 'not an Ed25519 public key', { cause });
  }
}

/** Ed25519 verification that answers false, never throws, on anything it cannot verify. */
export function ed25519Verify(publicKey: KeyObject, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== ED25519_SIG_BYTES) return false;
  try {
    return verify(null, message, publicKey, signature);
  } catch {
    return false;
  }
}

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** An Ed25519 private KeyObject from its 32-byte RFC 8032 seed. */
export function ed25519KeyFromSeed(seed: Uint8Array): KeyObject {
  if (!(seed instanceof Uint8Array) || seed.length !== ED25519_KEY_BYTES)
    keyError('an Ed25519 seed is 32 bytes');
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

function seedOf(privateKey: KeyObject): Uint8Array {
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519') {
    keyError('expected an Ed25519 private key');
  }
  const { d } = privateKey.export({ format: 'jwk' });
  return new Uint8Array(Buffer.from(d as string, 'base64url'));
}

function checkKeyLength(type: number, key: Uint8Array): void {
  if (type !== SIG_TYPE_ED25519 && type !== SIG_TYPE_COSIGNATURE_V1) {
    keyError(`unsupported signature type 0x${type.toString(16).padStart(2, '0')}`);
  }
  if (key.length !== ED25519_KEY_BYTES)
    keyError(`an Ed25519 key is ${ED25519_KEY_BYTES} bytes, got ${key.length}`);
}

// Key names hold no "+", but base64 does: split at the first "+" and after the 8-digit id.
function parseKeyParts(
  s: string,
  what: string,
): { name: string; keyId: number; type: number; key: Uint8Array } {
  const plus = s.indexOf('+');
  if (plus < 0 || s[plus + 9] !== '+') keyError(`${what} is name+hex8+base64`);
  const name = s.slice(0, plus);
  const id = s.slice(plus + 1, plus + 9);
  if (!isValidKeyName(name)) keyError(`${what}: bad key name`);
  if (!/^[0-9a-f]{8}$/.test(id)) keyError(`${what}: key id must be 8 lowercase hex digits`);
  const raw = decodeBase64Strict(s.slice(plus + 10));
  if (raw === undefined || raw.length < 2) keyError(`${what}: key is not base64`);
  const type = raw[0];
  const key = raw.slice(1);
  checkKeyLength(type, key);
  return { name, keyId: Number.parseInt(id, 16), type, key };
}

/** Parses `name+hex8+base64(type || public key)`; the key id must match the key (NOTE_KEY_INVALID). */
export function parseVerifierKey(vkey: string): VerifierKey {
  if (typeof vkey !== 'string' || vkey.length > 1000) keyError('a verifier key is a short string');
  const { name, keyId, type, key } = parseKeyParts(vkey, 'verifier key');
  let publicKey = key;
  if (keyId !== computeKeyId(name, type, publicKey)) keyError('verifier key id does not match its key');
  publicKey = publicKey.slice();
  return { name, keyId, type, publicKey };
}

export function formatVerifierKey(name: string, type: number, publicKey: Uint8Array): string {
  if (!isValidKeyName(name)) keyError('bad key name');
  checkKeyLength(type, publicKey);
  const id = computeKeyId(name, type, publicKey);
  return `${name}+${hex8(id)}+${encodeBase64(new Uint8Array([type, ...publicKey]))}`;
}

export interface SignerKey {
  readonly name: string;
  readonly keyId: number;
  readonly type: number;
  readonly privateKey: KeyObject;
  readonly publicKey: Uint8Array;
}

/** Parses `PRIVATE+KEY+name+hex8+base64(type || seed)` (the golang.org/x/mod/sumdb/note form). */
export function parseSignerKey(skey: string): SignerKey {
  if (typeof skey !== 'string' || !skey.startsWith('PRIVATE+KEY+'))
    keyError('a signer key starts PRIVATE+KEY+');
  const { name, keyId, type, key } = parseKeyParts(skey.slice('PRIVATE+KEY+'.length), 'signer key');
  const privateKey = ed25519KeyFromSeed(key);
  const publicKey = publicKeyToRaw(createPublicKey(privateKey));
  if (keyId !== computeKeyId(name, type, publicKey)) keyError('signer key id does not match its key');
  return { name, keyId, type, privateKey, publicKey };
}

/** A signer key for `name` from an Ed25519 private KeyObject (e.g. a geoattest key file). */
export function signerKeyFrom(name: string, privateKey: KeyObject, type = SIG_TYPE_ED25519): SignerKey {
  if (!isValidKeyName(name)) keyError('bad key name');
  const seed = seedOf(privateKey);
  const publicKey = publicKeyToRaw(createPublicKey(privateKey));
  checkKeyLength(type, publicKey);
  return {
    name,
    keyId: computeKeyId(name, type, publicKey),
    type,
    privateKey: ed25519KeyFromSeed(seed),
    publicKey,
  };
}

export function formatSignerKey(k: SignerKey): string {
  const seed = seedOf(k.privateKey);
  return `PRIVATE+KEY+${k.name}+${hex8(k.keyId)}+${encodeBase64(new Uint8Array([k.type, ...seed]))}`;
}

export function verifierKeyOf(k: SignerKey): string {
  return formatVerifierKey(k.name, k.type, k.publicKey);
}

/** A type 0x01 note signer. */
export function ed25519Signer(k: SignerKey | string): NoteSigner {
  const key = typeof k === 'string' ? parseSignerKey(k) : k;
  if (key.type !== SIG_TYPE_ED25519) keyError('not an Ed25519 note signing key (type 0x01)');
  return {
    name: key.name,
    keyId: key.keyId,
    sign: (text) => new Uint8Array(sign(null, text, key.privateKey)),
  };
}

/** A type 0x01 note verifier. */
export function ed25519Verifier(k: VerifierKey | string): NoteVerifier {
  const key = typeof k === 'string' ? parseVerifierKey(k) : k;
  if (key.type !== SIG_TYPE_ED25519) keyError('not an Ed25519 note verifier key (type 0x01)');
  const publicKey = ed25519PublicKey(key.publicKey);
  return {
    name: key.name,
    keyId: key.keyId,
    verify: (text, signature) =>
      signature.length === ED25519_SIG_BYTES && verify(null, text, publicKey, signature),
  };
}
