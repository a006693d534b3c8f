// C2SP signed notes and checkpoints, read in the browser: the checkpoint text (origin, size, root,
// extension lines; tlog-checkpoint), its signature lines (signed-note: "— <name> <base64(keyid ||
// signature)>"), Ed25519 signatures checked with WebCrypto against a verifier key the user trusts,
// and cosignatures (tlog-cosignature: type 0x04, an 8-byte timestamp before the signature) listed.

import { LogVerifyError, sha256 } from './merkle.js';

export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  readonly root: Uint8Array;
  readonly extensions: readonly string[];
  /** The exact signed text, ending in a newline. */
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

export interface NoteSignature {
  readonly name: string;
  readonly keyId: number;
  /** After the 4-byte key id. */
  readonly signature: Uint8Array;
  /** A cosignature/v1 carries its timestamp (seconds) before a 64-byte Ed25519 signature. */
  readonly cosignedAt?: number;
}

const bad = (why: string): never => {
  throw new LogVerifyError('CHECKPOINT_MALFORMED', `malformed checkpoint: ${why}`);
};

export function fromBase64(s: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) return undefined;
  try {
    return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

export function toBase64(b: Uint8Array): string {
  return btoa(String.fromCharCode(...b));
}

export function toHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

export function fromHex(s: string): Uint8Array {
  if (!/^([0-9a-f]{2})*$/i.test(s)) throw new LogVerifyError('LEAF_MALFORMED', 'not hex');
  return Uint8Array.from(s.match(/../g) ?? [], (x) => Number.parseInt(x, 16));
}

/** A signed note: text, a blank line, then one or more signature lines (C2SP signed-note). */
export function parseCheckpoint(note: string): Checkpoint {
  if (note.length > 1 << 20) bad('too large');
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) bad('no signature block');
  const text = note.slice(0, split + 1);
  const sigLines = note.slice(split + 2, -1).split('\n');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) bad('needs origin, size and root lines');
  const [origin, sizeLine, rootLine, ...extensions] = lines;
  if (origin === '') bad('empty origin');
  if (!/^(0|[1-9][0-9]{0,15})$/.test(sizeLine)) bad(`bad tree size ${JSON.stringify(sizeLine)}`);
  const size = Number(sizeLine);
  if (!Number.isSafeInteger(size)) bad('tree size above 2^53 - 1');
  const root = fromBase64(rootLine);
  if (root === undefined || root.length !== 32) bad('root must be a base64 32-byte hash');
  const signatures = sigLines.map((l) => {
    const m = /^\u2014 (\S+) (\S+)$/.exec(l);
    if (m === null) return bad(`bad signature line ${JSON.stringify(l.slice(0, 60))}`);
    const raw = fromBase64(m[2]);
    if (raw === undefined || raw.length < 5) return bad('bad signature encoding');
    const keyId = new DataView(raw.buffer, raw.byteOffset).getUint32(0);
    const signature = raw.subarray(4);
    const cosignedAt =
      signature.length === 72
        ? Number(new DataView(signature.buffer, signature.byteOffset).getBigUint64(0))
        : undefined;
    return { name: m[1], keyId, signature, ...(cosignedAt !== undefined ? { cosignedAt } : {}) };
  });
  return { origin, size, root: root as Uint8Array, extensions, text, signatures };
}

/** A verifier key "<name>+<hex key id>+<base64(type || public key)>" (C2SP signed-note). */
export interface VerifierKey {
  readonly name: string;
  readonly keyId: number;
  readonly publicKey: Uint8Array;
}

export async function parseVerifierKey(vkey: string): Promise<VerifierKey> {
  const m = /^([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)$/.exec(vkey.trim());
  const raw = m ? fromBase64(m[3]) : undefined;
  if (m === null || raw === undefined || raw.length !== 33 || raw[0] !== 0x01)
    throw new LogVerifyError(
      'CHECKPOINT_MALFORMED',
      'a verifier key looks like name+1234abcd+base64 (Ed25519)',
    );
  const keyId = Number.parseInt(m[2], 16);
  // signed-note: key id = first 4 bytes of SHA-256(name || "\n" || type || public key).
  const h = await sha256(new TextEncoder().encode(`${m[1]}\n`), raw);
  const expected = new DataView(h.buffer).getUint32(0);
  if (expected !== keyId)
    throw new LogVerifyError('CHECKPOINT_MALFORMED', 'the verifier key’s id does not match its key');
  return { name: m[1], keyId, publicKey: raw.subarray(1) };
}

/** True when one of the checkpoint's signatures is a valid Ed25519 signature by `key`. */
export async function verifyCheckpointSignature(c: Checkpoint, key: VerifierKey): Promise<boolean> {
  const sig = c.signatures.find((s) => s.name === key.name && s.keyId === key.keyId);
  if (sig === undefined || sig.signature.length !== 64) return false;
  const k = await crypto.subtle.importKey('raw', new Uint8Array(key.publicKey), { name: 'Ed25519' }, false, [
    'verify',
  ]);
  return crypto.subtle.verify(
    { name: 'Ed25519' },
    k,
    new Uint8Array(sig.signature),
    new TextEncoder().encode(c.text),
  );
}
