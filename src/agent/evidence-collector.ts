// The agent's side of gpu-session evidence: run the operator's evidence collector (NVIDIA's
// `nvattest collect-evidence --nonce HEX …`, or anything printing the same JSON) with a nonce that
// commits to the session key, pick this GPU's entry, and build the bundle
// (src/attest/session-evidence.ts). The command line is the operator's own configuration, never
// anything received: the agent still runs nothing it is sent. It is run with execFile (no shell),
// the nonce is the only substitution, and the output is parsed strictly with a size cap.

import { execFile } from 'node:child_process';
import { sessionKeyNonce } from '../attest/nvidia-identity.js';
import {
  gpuDeviceIdFromChain,
  makeSessionEvidenceBundle,
  type SessionEvidenceBundle,
} from '../attest/session-evidence.js';
import { MAX_EVIDENCE_BYTES, parseSpdmEvidence } from '../attest/spdm-evidence.js';
import { GeoattestError } from '../errors.js';
import type { Receipt } from '../protocol/wire.js';

/** The placeholder replaced by the nonce, in lower-case hex. */
export const NONCE_PLACEHOLDER = '{nonce}';
/** A collector reporting eight GPUs prints about 100 KB; refuse far more. */
const MAX_OUTPUT_BYTES = 4 * 1024 * 1024;
/** A machine holds a few GPUs; refuse a list that is anything but. */
const MAX_ENTRIES = 64;

export interface EvidenceCommand {
  readonly file: string;
  readonly args: readonly string[];
}

function failed(message: string, cause?: unknown): never {
  throw new GeoattestError('EVIDENCE_COLLECTOR_FAILED', message, cause === undefined ? undefined : { cause });
}

/**
 * Splits a command template into a program and its arguments, on spaces, honouring '…' and "…"
 * quoting (no escapes, no variables: this is not a shell). `{nonce}` must appear in an argument.
 */
export function parseEvidenceCommand(template: string): EvidenceCommand {
  if (typeof template !== 'string')
    throw new GeoattestError('USAGE', 'the evidence command must be a string');
  const words: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  let m: RegExpExecArray | null = re.exec(template);
  while (m !== null) {
    const word = m[1] ?? m[2] ?? m[3];
    if (/["']/.test(word) && m[3] !== undefined) {
      throw new GeoattestError(
        'USAGE',
        `unbalanced quote in the evidence command near ${JSON.stringify(word)}`,
      );
    }
    words.push(word);
    m = re.exec(template);
  }
  if (words.length === 0) throw new GeoattestError('USAGE', 'the evidence command is empty');
  const [file, ...args] = words;
  if (!args.some((a) => a.includes(NONCE_PLACEHOLDER))) {
    throw new GeoattestError('USAGE', `the evidence command must pass the nonce as ${NONCE_PLACEHOLDER}`);
  }
  return Object.freeze({ file, args: Object.freeze(args) });
}

/** One GPU's evidence as a collector reports it. */
export interface CollectedEvidence {
  /** SPDM request + response. */
  readonly evidence: Uint8Array;
  /** PEM text, leaf first. */
  readonly certChainPem: string;
  /** The collector's own claim of the nonce, when it prints one (lower-case hex). */
  readonly nonce: string | null;
}

function decodeBase64(v: unknown, what: string, maxBytes: number): Uint8Array {
  if (typeof v !== 'string' || v.length === 0 || v.length > Math.ceil(maxBytes / 3) * 4 + 4) {
    failed(`${what} must be a base64 string of at most ${maxBytes} bytes`);
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(v) || v.length % 4 !== 0) failed(`${what} is not padded base64`);
  return new Uint8Array(Buffer.from(v, 'base64'));
}

/**
 * Parses a collector's stdout: nvattest's `{"evidences": [...], "result_code": 0, …}` or a bare
 * array of the same entries (nvtrust's saved form). Each entry needs `evidence` (base64 SPDM
 * bytes) and `certificate` (base64 PEM chain); `nonce`, when present, is hex. Other fields are
 * ignored. EVIDENCE_COLLECTOR_FAILED for anything else, including a non-zero result_code.
 */
export function parseCollectorOutput(stdout: string): CollectedEvidence[] {
  if (typeof stdout !== 'string' || stdout.length > MAX_OUTPUT_BYTES) failed('collector output too large');
  let doc: unknown;
  try {
    doc = JSON.parse(stdout);
  } catch (cause) {
    failed('collector output is not JSON', cause);
  }
  let list: unknown = doc;
  if (typeof doc === 'object' && doc !== null && !Array.isArray(doc)) {
    const o = doc as Record<string, unknown>;
    if (o.result_code !== undefined && o.result_code !== 0) {
      failed(`collector reported result_code ${JSON.stringify(o.result_code)} (${String(o.result_message)})`);
    }
    list = o.evidences;
  }
  if (!Array.isArray(list) || list.length < 1 || list.length > MAX_ENTRIES) {
    failed(`collector output must list 1..${MAX_ENTRIES} evidences`);
  }
  return list.map((e, i) => {
    if (typeof e !== 'object' || e === null || Array.isArray(e)) failed(`evidence ${i} is not an object`);
    const entry = e as Record<string, unknown>;
    const chain = decodeBase64(entry.certificate, `evidence ${i} certificate`, 64 * 1024);
    const certChainPem = Buffer.from(chain).toString('latin1');
    if (!certChainPem.includes('-----BEGIN CERTIFICATE-----')) failed(`evidence ${i} certificate is not PEM`);
    let nonce: string | null = null;
    if (entry.nonce !== undefined) {
      if (typeof entry.nonce !== 'string' || !/^[0-9a-fA-F]{64}$/.test(entry.nonce)) {
        failed(`evidence ${i} nonce is not 32 bytes of hex`);
      }
      nonce = entry.nonce.toLowerCase();
    }
    return Object.freeze({
      evidence: decodeBase64(entry.evidence, `evidence ${i}`, MAX_EVIDENCE_BYTES),
      certChainPem,
      nonce,
    });
  });
}

/** Runs the collector for `nonce` (no shell; killed after `timeoutMs`); resolves with its stdout. */
export function runEvidenceCommand(
  cmd: EvidenceCommand,
  nonce: Uint8Array,
  timeoutMs: number,
): Promise<string> {
  const hex = Buffer.from(nonce).toString('hex');
  const args = cmd.args.map((a) => a.split(NONCE_PLACEHOLDER).join(hex));
  return new Promise((resolve, reject) => {
    execFile(
      cmd.file,
      args,
      { timeout: timeoutMs, maxBuffer: MAX_OUTPUT_BYTES, encoding: 'utf8', shell: false, windowsHide: true },
      (error, stdout) => {
        if (error) {
          reject(
            new GeoattestError('EVIDENCE_COLLECTOR_FAILED', `${cmd.file}: ${error.message}`, {
              cause: error,
            }),
          );
        } else resolve(stdout);
      },
    );
  });
}

/**
 * This GPU's entry: the one whose leaf key hashes to `deviceId`. Before anything is sent, checks
 * that the GPU answered the nonce it was asked (EVIDENCE_NONCE_MISMATCH otherwise: a collector that
 * ignores --nonce, or replays old evidence, is caught here and not only at the verifier).
 */
export function selectEvidence(
  entries: readonly CollectedEvidence[],
  deviceId: Uint8Array,
  nonce: Uint8Array,
): CollectedEvidence {
  const mine = entries.find((e) =>
    Buffer.from(gpuDeviceIdFromChain(e.certChainPem)).equals(Buffer.from(deviceId)),
  );
  if (mine === undefined) failed('the collector reported no evidence from this GPU');
  const requested = Buffer.from(nonce);
  if (!Buffer.from(parseSpdmEvidence(mine.evidence).requesterNonce).equals(requested)) {
    throw new GeoattestError(
      'EVIDENCE_NONCE_MISMATCH',
      'the GPU evidence answers another nonce than the one asked',
    );
  }
  return mine;
}

export interface SessionEvidenceRequest {
  readonly command: EvidenceCommand;
  readonly timeoutMs: number;
  readonly receipt: Receipt;
  readonly landmarkId: string;
  readonly sessionPublicKey: Uint8Array;
}

/**
 * After a gpu-session check-in: anchors on round 0's nonce (issued by the landmark in that
 * session), asks the GPU to sign sessionKeyNonce(session key, anchor), and returns the bundle.
 */
export async function collectSessionEvidence(r: SessionEvidenceRequest): Promise<SessionEvidenceBundle> {
  const anchorNonce = r.receipt.rounds[0].nonce;
  const nonce = sessionKeyNonce(r.sessionPublicKey, anchorNonce);
  const entries = parseCollectorOutput(await runEvidenceCommand(r.command, nonce, r.timeoutMs));
  const mine = selectEvidence(entries, r.receipt.deviceId, nonce);
  return makeSessionEvidenceBundle({
    receipt: r.receipt,
    landmarkId: r.landmarkId,
    sessionPublicKey: r.sessionPublicKey,
    anchorNonce,
    evidence: mine.evidence,
    certChainPem: mine.certChainPem,
  });
}

/**
 * This agent's GPU device id, from one collection with a fresh random nonce at start-up: the
 * entry at `gpuIndex` of the collector's list, SHA-256 of its leaf key.
 */
export async function discoverGpuDeviceId(
  command: EvidenceCommand,
  gpuIndex: number,
  randomNonce: Uint8Array,
  timeoutMs: number,
): Promise<Uint8Array> {
  const entries = parseCollectorOutput(await runEvidenceCommand(command, randomNonce, timeoutMs));
  const entry = entries[gpuIndex];
  if (entry === undefined) failed(`the collector reported ${entries.length} GPUs, no index ${gpuIndex}`);
  return gpuDeviceIdFromChain(entry.certChainPem);
}

/**
 * POSTs a bundle to the verifier as JSON. Outbound only: the response's status is all it reads
 * (the body is discarded unread), redirects are refused, and nothing it says changes what the
 * agent does next. Resolves with the status; rejects (IO_ERROR) when nothing answered.
 */
export async function postEvidence(
  url: string,
  bundle: SessionEvidenceBundle,
  timeoutMs = 10_000,
): Promise<number> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(bundle),
      redirect: 'error',
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.body?.cancel();
    return res.status;
  } catch (cause) {
    throw new GeoattestError('IO_ERROR', `could not post evidence to ${url}`, { cause });
  }
}
