// C2SP signed-note: text signed by one or more keys; parsing, formatting, signing and verifying
// notes with any NoteSigner / NoteVerifier (Ed25519 keys are in note-keys.ts). Pure.
//
// A note arrives from whoever serves it, so parsing is strict and bounded: valid UTF-8, no
// control characters but newline, at most MAX_NOTE_BYTES and MAX_NOTE_SIGNATURES, every signature
// line well formed (signed-note "Format"). Verification follows "Signatures": unknown keys are
// ignored, a known key whose signature fails rejects the whole note, and a note with no verified
// signature from a known key is rejected.

import { GeoattestError } from '../errors.js';

/** signed-note "Signature types". */
export const SIG_TYPE_ED25519 = 0x01;
export const SIG_TYPE_COSIGNATURE_V1 = 0x04;
/** signed-note asks verifiers to accept at least 16 signatures; witnesses add theirs, so allow more. */
export const MAX_NOTE_SIGNATURES = 100;
/** Checkpoints are a few hundred bytes; 1 MiB bounds the work a hostile note can cause. */
export const MAX_NOTE_BYTES = 1 << 20;
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

function malformed(why: string): never {
  throw new GeoattestError('NOTE_MALFORMED', `malformed note: ${why}`);
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

/**
 * The note with `extra` signature lines appended (a witness's cosignatures on a checkpoint),
 * skipping any already present. The text is unchanged, so every existing signature still holds.
 */
export function addSignatures(input: string | Uint8Array, extra: readonly NoteSignature[]): string {
  const note = parseNote(input);
  const seen = new Set(note.signatures.map((s) => formatSignatureLine(s)));
  const added = extra.filter((s) => !seen.has(formatSignatureLine(s)));
  if (note.signatures.length + added.length > MAX_NOTE_SIGNATURES) {
    throw new GeoattestError('NOTE_TOO_LARGE', `more than ${MAX_NOTE_SIGNATURES} signatures`);
  }
  return formatNote({ text: note.text, signatures: [...note.signatures, ...added] });
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
