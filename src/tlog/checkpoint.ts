// C2SP tlog-checkpoint: the note text of a signed tree head (origin, size, base64 root, optional
// extension lines), and opening one against the log's keys. Pure.

import { GeoattestError } from '../errors.js';
import { checkHash, HASH_BYTES } from './merkle.js';
import {
  decodeBase64Strict,
  encodeBase64,
  type NoteSignature,
  type NoteSigner,
  type NoteVerifier,
  type OpenedNote,
  openNote,
  signNote,
} from './note.js';

export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  readonly root: Uint8Array;
  /** tlog-checkpoint: opaque, non-empty, NOT RECOMMENDED; kept so signatures still cover them. */
  readonly extensions: readonly string[];
}

function malformed(why: string): never {
  throw new GeoattestError('CHECKPOINT_MALFORMED', `malformed checkpoint: ${why}`);
}

/** Parses checkpoint note text (tlog-checkpoint "Note text"); CHECKPOINT_MALFORMED on any deviation. */
export function parseCheckpointText(text: string): Checkpoint {
  if (typeof text !== 'string' || !text.endsWith('\n')) malformed('text must end in a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) malformed('needs origin, size and root lines');
  const [origin, sizeLine, rootLine, ...extensions] = lines;
  if (origin.length === 0) malformed('empty origin');
  // ASCII decimal without leading zeros, "0" for the empty tree; beyond 2^53 - 1 we cannot count.
  if (!/^(0|[1-9][0-9]{0,15})$/.test(sizeLine)) malformed(`bad tree size ${JSON.stringify(sizeLine)}`);
  const size = Number(sizeLine);
  if (!Number.isSafeInteger(size)) malformed('tree size above 2^53 - 1');
  const root = decodeBase64Strict(rootLine);
  if (root === undefined || root.length !== HASH_BYTES) malformed('root must be a base64 32-byte hash');
  if (extensions.some((l) => l.length === 0)) malformed('empty extension line');
  return { origin, size, root, extensions };
}

export function formatCheckpointText(c: Checkpoint): string {
  if (typeof c.origin !== 'string' || c.origin.length === 0 || c.origin.includes('\n'))
    malformed('bad origin');
  if (!Number.isSafeInteger(c.size) || c.size < 0) malformed('bad size');
  checkHash(c.root, 'checkpoint root');
  for (const e of c.extensions) if (e.length === 0 || e.includes('\n')) malformed('bad extension line');
  return [c.origin, String(c.size), encodeBase64(c.root), ...c.extensions].map((l) => `${l}\n`).join('');
}

/** A signed checkpoint note; the log's key name SHOULD be the origin (tlog-checkpoint "Signatures"). */
export function signCheckpoint(c: Checkpoint, signers: readonly NoteSigner[]): string {
  return signNote(formatCheckpointText(c), signers);
}

export interface OpenedCheckpoint extends OpenedNote {
  readonly checkpoint: Checkpoint;
  readonly signatures: readonly NoteSignature[];
}

/**
 * Verifies a signed checkpoint with the log's keys and parses it. With `origin`, a checkpoint for
 * another log is CHECKPOINT_ORIGIN_MISMATCH even when signed by a known key.
 */
export function openCheckpoint(
  input: string | Uint8Array,
  logKeys: readonly NoteVerifier[],
  origin?: string,
): OpenedCheckpoint {
  const opened = openNote(input, logKeys);
  const checkpoint = parseCheckpointText(opened.note.text);
  if (origin !== undefined && checkpoint.origin !== origin) {
    throw new GeoattestError(
      'CHECKPOINT_ORIGIN_MISMATCH',
      `checkpoint origin ${JSON.stringify(checkpoint.origin)} is not ${JSON.stringify(origin)}`,
    );
  }
  return { ...opened, checkpoint, signatures: opened.note.signatures };
}
