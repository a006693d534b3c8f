// C2SP signed-note: text signed by one or more keys, Ed25519 signature type 0x01, verifier keys
// (`name+hex8+base64`) and signer keys (`PRIVATE+KEY+name+hex8+base64`). Pure (node:crypto only).
//
// A note arrives from whoever serves it, so parsing is strict and bounded: valid UTF-8, no
// control characters but newline, at most MAX_NOTE_BYTES and MAX_NOTE_SIGNATURES, every signature
// line well formed (signed-note "Format"). Verification follows "Signatures": unknown keys are
// ignored, a known key whose signature fails rejects the whole note, and a note with no verified
// signature from a known key is rejected.

import { createHash, createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { publicKeyToRaw } from '../attest/software-identity.js';
import { GeoattestError } from '../errors.js';

/** signed-note "Signature types". */
export const SIG_TYPE_ED25519 = 0x01;
export const SIG_TYPE_COSIGNATURE_V1 = 0x04;
/** signed-note asks verifiers to accept at least 16 signatures; witnesses add theirs, so allow more. */
export const MAX_NOTE_SIGNATURES = 100;
/** Checkpoints are a few hundred bytes; 1 MiB bounds the work a hostile note can cause. */
export const MAX_NOTE_BYTES = 1 << 20;
const ED25519_KEY_BYTES = 32;
const ED25519_SIG_BYTES = 64;
const SIG_PREFIX = '\u2014 ';

export interface NoteSignature {
  readonly name: string;
  /** signed-note: the first four signature bytes, a big-endian uint32. */
  readonly keyId: number;
  /** The signature bytes after the key id. */
  readonly signature: Uint8Array;
}

export interface Note {
  /** The signed text, ending in a newline, without the blank separator line. */
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

/** Something that can check one signature type for one (name, key id). */
export interface NoteVerifier {
  readonly name: string;
  readonly keyId: number;
  verify(text: Uint8Array, signature: Uint8Array): boolean;
}

export interface NoteSigner {
  readonly name: string;
  readonly keyId: number;
  sign(text: Uint8Array): Uint8Array;
}

export interface VerifierKey {
  readonly name: string;
  readonly keyId: number;
  readonly type: number;
  readonly publicKey: Uint8Array;
}

function malformed(why: string): never {
  throw new GeoattestError('NOTE_MALFORMED', `malformed note: ${why}`);
}

function keyError(why: string): never {
  throw new GeoattestError('NOTE_KEY_INVALID', why);
}

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** No lone UTF-16 surrogates: the string has a UTF-8 encoding (String#isWellFormed is ES2024). */
function isWellFormed(s: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}

/** Standard base64 (RFC 4648 §4), canonical only: one spelling per byte string. */
export function decodeBase64Strict(s: string): Uint8Array | undefined {
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s)) return undefined;
  const bytes = Buffer.from(s, 'base64');
  return bytes.toString('base64') === s ? new Uint8Array(bytes) : undefined;
}

export function encodeBase64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
}

/** signed-note: key names are non-empty, without Unicode spaces or "+". */
export function isValidKeyName(name: string): boolean {
  return typeof name === 'string' && name.length > 0 && !/[\s+]/u.test(name) && isWellFormed(name);
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

const hex8 = (id: number) => id.toString(16).padStart(8, '0');

function textOf(input: string | Uint8Array): string {
  if (typeof input === 'string') {
    if (!isWellFormed(input)) malformed('not valid UTF-8');
    return input;
  }
  if (!(input instanceof Uint8Array)) malformed('not text');
  if (input.length > MAX_NOTE_BYTES)
    throw new GeoattestError('NOTE_TOO_LARGE', `a note is at most ${MAX_NOTE_BYTES} bytes`);
  try {
    return strictUtf8.decode(input);
  } catch {
    return malformed('not valid UTF-8');
  }
}

/** Asserts note text: non-empty, ends in a newline, no control characters but newline. */
export function checkNoteText(text: string): void {
  if (typeof text !== 'string' || !text.endsWith('\n')) malformed('text must end in a newline');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the spec forbids exactly these
  if (/[\u0000-\u0009\u000b-\u001f]/.test(text)) malformed('control characters other than newline');
  if (!isWellFormed(text)) malformed('not valid UTF-8');
}

/** Parses a signed note strictly (NOTE_MALFORMED, NOTE_TOO_LARGE); does not verify signatures. */
export function parseNote(input: string | Uint8Array): Note {
  const s = textOf(input);
  if (utf8.encode(s).length > MAX_NOTE_BYTES) {
    throw new GeoattestError('NOTE_TOO_LARGE', `a note is at most ${MAX_NOTE_BYTES} bytes`);
  }
  checkNoteText(s);
  // signed-note "Format": the text is separated from the signatures by the last empty line.
  const split = s.lastIndexOf('\n\n');
  if (split < 0) malformed('no blank line before the signatures');
  const text = s.slice(0, split + 1);
  const lines = s.slice(split + 2).split('\n');
  lines.pop(); // the final newline leaves one empty element
  if (lines.length === 0) malformed('no signatures');
  if (lines.length > MAX_NOTE_SIGNATURES) {
    throw new GeoattestError('NOTE_TOO_LARGE', `more than ${MAX_NOTE_SIGNATURES} signatures`);
  }
  const signatures = lines.map((line) => parseSignatureLine(line));
  return { text, signatures };
}

/** One `— <name> <base64(key id || signature)>` line, without its newline. */
export function parseSignatureLine(line: string): NoteSignature {
  if (!line.startsWith(SIG_PREFIX)) malformed('a signature line must start with an em dash and a space');
  const rest = line.slice(SIG_PREFIX.length);
  const space = rest.indexOf(' ');
  if (space < 0) malformed('a signature line is "— name signature"');
  const name = rest.slice(0, space);
  if (!isValidKeyName(name)) malformed(`bad key name ${JSON.stringify(name)}`);
  const bytes = decodeBase64Strict(rest.slice(space + 1));
  if (bytes === undefined || bytes.length < 5)
    malformed('a signature is base64 of a key id and at least one byte');
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { name, keyId: view.readUInt32BE(0), signature: bytes.slice(4) };
}

export function formatSignatureLine(sig: NoteSignature): string {
  const b = new Uint8Array(4 + sig.signature.length);
  new DataView(b.buffer).setUint32(0, sig.keyId >>> 0, false);
  b.set(sig.signature, 4);
  return `${SIG_PREFIX}${sig.name} ${encodeBase64(b)}\n`;
}

export function formatNote(note: Note): string {
  checkNoteText(note.text);
  return `${note.text}\n${note.signatures.map(formatSignatureLine).join('')}`;
}

/** Signs note text (which must end in a newline) with each signer, appending to `existing`. */
export function signNote(
  text: string,
  signers: readonly NoteSigner[],
  existing: readonly NoteSignature[] = [],
): string {
  checkNoteText(text);
  const bytes = utf8.encode(text);
  const signatures = [
    ...existing,
    ...signers.map((s) => ({ name: s.name, keyId: s.keyId, signature: s.sign(bytes) })),
  ];
  if (signatures.length === 0) malformed('a note needs at least one signature');
  return formatNote({ text, signatures });
}

export interface OpenedNote {
  readonly note: Note;
  /** Signatures by known keys, all verified. */
  readonly verified: readonly NoteSignature[];
  /** Signatures by keys the caller did not name: ignored, as signed-note requires. */
  readonly unverified: readonly NoteSignature[];
}

/**
 * Parses and verifies a note against known keys. NOTE_SIGNATURE_INVALID when a known key's
 * signature fails (signed-note: clients SHOULD reject the whole note), NOTE_UNVERIFIED when no
 * known key signed it.
 */
export function openNote(input: string | Uint8Array, known: readonly NoteVerifier[]): OpenedNote {
  const note = parseNote(input);
  const bytes = utf8.encode(note.text);
  const verified: NoteSignature[] = [];
  const unverified: NoteSignature[] = [];
  for (const sig of note.signatures) {
    // Both name and id must match: a shared name or a colliding id alone is an unknown key.
    const v = known.find((k) => k.name === sig.name && k.keyId === sig.keyId);
    if (v === undefined) {
      unverified.push(sig);
      continue;
    }
    if (!v.verify(bytes, sig.signature)) {
      throw new GeoattestError(
        'NOTE_SIGNATURE_INVALID',
        `signature by ${sig.name} (${hex8(sig.keyId)}) does not verify`,
      );
    }
    verified.push(sig);
  }
  if (verified.length === 0) {
    throw new GeoattestError('NOTE_UNVERIFIED', 'the note carries no signature from a known key');
  }
  return { note, verified, unverified };
}

// ---- keys -----------------------------------------------------------------------------------

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
