// A C2SP tlog-witness as a pure state machine: one add-checkpoint request and the witness's record
// of the last checkpoint it cosigned for that log in, an HTTP status, a body and (on success) the
// new record out. The adapter (src/tlog-adapters/witness-http.ts) must run check and store as one
// atomic step per log, as the spec's "rolling back K leaves" race requires, and persist the new
// record before it answers.
//
// What it refuses, in the spec's order (tlog-witness "add-checkpoint"): a malformed body (400), an
// unknown origin (404), no valid signature by the log (403), an old size above the checkpoint's
// (400), an old size that is not the size it last cosigned (409, body: its size), equal sizes with
// another root (409: a fork), a consistency proof that does not verify (422). It never signs a
// checkpoint that is not an extension of the one it signed before, so it can never sign a fork.

import { GeoattestError, isGeoattestError } from '../errors.js';
import { type Checkpoint, parseCheckpointText } from './checkpoint.js';
import { type Cosigner, cosignatureLine } from './cosignature.js';
import { hashesEqual, verifyConsistency } from './merkle.js';
import { decodeBase64Strict, type NoteVerifier, openNote, parseNote } from './note.js';

/** tlog-witness: a client MUST NOT send more than 63 consistency proof lines. */
export const MAX_PROOF_LINES = 63;

export interface AddCheckpointRequest {
  readonly oldSize: number;
  readonly proof: readonly Uint8Array[];
  /** The signed checkpoint note, as sent. */
  readonly checkpoint: string;
}

/** What a witness remembers per log: the latest checkpoint it cosigned. */
export interface CosignedRecord {
  readonly origin: string;
  readonly size: number;
  readonly root: Uint8Array;
}

export interface WitnessLog {
  /** The checkpoint origin; by convention also the log key's name. */
  readonly origin: string;
  readonly keys: readonly NoteVerifier[];
}

export type WitnessOutcome =
  | {
      readonly status: 200;
      readonly contentType: 'text/plain; charset=utf-8';
      readonly body: string;
      readonly record: CosignedRecord;
      readonly checkpoint: Checkpoint;
      /** The signed checkpoint note as received, for the witness's records. */
      readonly note: string;
    }
  | {
      readonly status: 400 | 403 | 404 | 409 | 422;
      readonly contentType: 'text/plain; charset=utf-8' | 'text/x.tlog.size';
      readonly body: string;
      readonly code: string;
    };

function badRequest(why: string): never {
  throw new GeoattestError('WITNESS_BAD_REQUEST', why);
}

/**
 * Parses an add-checkpoint body: `old <size>`, up to 63 base64 hash lines, a blank line, then the
 * checkpoint note. Every line ends in a newline. WITNESS_BAD_REQUEST on any deviation.
 */
export function parseAddCheckpointBody(body: string | Uint8Array): AddCheckpointRequest {
  let text: string;
  try {
    text = typeof body === 'string' ? body : new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return badRequest('body is not UTF-8');
  }
  const blank = text.indexOf('\n\n');
  if (blank < 0) badRequest('no blank line before the checkpoint');
  const head = text.slice(0, blank).split('\n');
  const checkpoint = text.slice(blank + 2);
  const m = /^old (0|[1-9][0-9]{0,15})$/.exec(head[0]);
  if (!m || !Number.isSafeInteger(Number(m[1]))) badRequest('first line must be "old <size>"');
  const lines = head.slice(1);
  if (lines.length > MAX_PROOF_LINES) badRequest(`more than ${MAX_PROOF_LINES} consistency proof lines`);
  const proof = lines.map((l) => {
    const h = decodeBase64Strict(l);
    if (h === undefined || h.length !== 32) badRequest('a proof line must be one base64 32-byte hash');
    return h;
  });
  return { oldSize: Number(m[1]), proof, checkpoint };
}

/** Formats a request body (what a log sends; used by tests and by the service's witness client). */
export function formatAddCheckpointBody(req: AddCheckpointRequest): string {
  const proof = req.proof.map((h) => `${Buffer.from(h).toString('base64')}\n`).join('');
  return `old ${req.oldSize}\n${proof}\n${req.checkpoint}`;
}

const plain = 'text/plain; charset=utf-8' as const;

function refuse(
  status: 400 | 403 | 404 | 409 | 422,
  code: string,
  message: string,
): Extract<WitnessOutcome, { code: string }> {
  return { status, contentType: plain, body: `${message}\n`, code };
}

/**
 * Decides one add-checkpoint request. `last` is the record for the checkpoint's origin (undefined
 * if this witness never cosigned that log); `now` is the POSIX time in seconds for the cosignature.
 */
export function addCheckpoint(
  body: string | Uint8Array,
  logs: readonly WitnessLog[],
  last: (origin: string) => CosignedRecord | undefined,
  cosigners: readonly Cosigner[],
  now: bigint,
): WitnessOutcome {
  let req: AddCheckpointRequest;
  let checkpoint: Checkpoint;
  try {
    req = parseAddCheckpointBody(body);
    checkpoint = parseCheckpointText(parseNote(req.checkpoint).text);
  } catch (e) {
    if (!isGeoattestError(e)) throw e;
    return refuse(400, e.code, e.message);
  }
  const log = logs.find((l) => l.origin === checkpoint.origin);
  if (log === undefined) return refuse(404, 'WITNESS_UNKNOWN_LOG', `unknown log ${checkpoint.origin}`);
  try {
    openNote(req.checkpoint, log.keys);
  } catch (e) {
    if (!isGeoattestError(e)) throw e;
    return refuse(403, 'WITNESS_FORBIDDEN', `checkpoint not signed by the log: ${e.message}`);
  }
  if (req.oldSize > checkpoint.size) {
    return refuse(400, 'WITNESS_BAD_REQUEST', `old size ${req.oldSize} is above the checkpoint size`);
  }
  const record = last(checkpoint.origin);
  const known = record?.size ?? 0;
  if (req.oldSize !== known) {
    return { status: 409, contentType: 'text/x.tlog.size', body: `${known}\n`, code: 'WITNESS_CONFLICT' };
  }
  if (req.oldSize === 0) {
    if (req.proof.length !== 0)
      return refuse(422, 'WITNESS_PROOF_INVALID', 'the proof from size 0 must be empty');
  } else if (req.oldSize === checkpoint.size) {
    if (!hashesEqual(record!.root, checkpoint.root)) {
      return refuse(
        409,
        'WITNESS_CONFLICT',
        `a different root for size ${checkpoint.size}: refusing to sign a fork`,
      );
    }
    if (req.proof.length !== 0)
      return refuse(422, 'WITNESS_PROOF_INVALID', 'equal sizes need an empty proof');
  } else {
    try {
      verifyConsistency(req.oldSize, checkpoint.size, req.proof, record!.root, checkpoint.root);
    } catch (e) {
      if (!isGeoattestError(e)) throw e;
      return refuse(422, 'WITNESS_PROOF_INVALID', `consistency proof does not verify: ${e.message}`);
    }
  }
  const text = parseNote(req.checkpoint).text;
  const lines = cosigners.map((c) => cosignatureLine(c.cosign(text, now))).join('');
  return {
    status: 200,
    contentType: plain,
    body: lines,
    record: { origin: checkpoint.origin, size: checkpoint.size, root: checkpoint.root },
    checkpoint,
    note: req.checkpoint,
  };
}
