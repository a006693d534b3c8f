// The log's side of c2sp.org/tlog-witness: ask a witness to cosign a checkpoint. The service's
// sequencer calls this after signing a checkpoint; a 409 tells it the size the witness holds, from
// which it sends a new consistency proof. Returned cosignatures are checked against the witness's
// key before anyone sees them (tlog-witness: "the client MUST ignore any cosignatures from unknown
// keys").

import { GeoattestError } from '../errors.js';
import { cosignatureVerifier } from '../tlog/cosignature.js';
import { type NoteSignature, parseNote, parseSignatureLine } from '../tlog/note.js';
import { type AddCheckpointRequest, formatAddCheckpointBody } from '../tlog/witness.js';

export type WitnessReply =
  | {
      readonly kind: 'cosigned';
      readonly signatures: readonly NoteSignature[];
      readonly timestamps: readonly bigint[];
    }
  | { readonly kind: 'conflict'; readonly size: number }
  | { readonly kind: 'refused'; readonly status: number; readonly message: string };

export interface WitnessClientOptions {
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}

/**
 * POSTs `req` to `<url>/add-checkpoint` and returns the witness's verified cosignatures, the size
 * it holds (409), or its refusal. TLOG_FETCH_FAILED when it cannot be reached; COSIGNATURE_INVALID
 * when a 200 carries no valid cosignature by `witnessVkey`.
 */
export async function requestCosignature(
  url: string,
  witnessVkey: string,
  req: AddCheckpointRequest,
  opts: WitnessClientOptions = {},
): Promise<WitnessReply> {
  const verifier = cosignatureVerifier(witnessVkey);
  const target = `${url.replace(/\/+$/, '')}/add-checkpoint`;
  let res: Response;
  let text: string;
  try {
    res = await (opts.fetch ?? fetch)(target, {
      method: 'POST',
      body: formatAddCheckpointBody(req),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
    });
    text = await res.text();
  } catch (cause) {
    throw new GeoattestError('TLOG_FETCH_FAILED', `cannot reach witness ${target}`, { cause });
  }
  if (res.status === 409 && /^(0|[1-9][0-9]{0,15})\n$/.test(text))
    return { kind: 'conflict', size: Number(text) };
  if (res.status !== 200) return { kind: 'refused', status: res.status, message: text.trim().slice(0, 500) };
  const checkpointText = new TextEncoder().encode(parseNote(req.checkpoint).text);
  const signatures: NoteSignature[] = [];
  const timestamps: bigint[] = [];
  for (const line of text.split('\n').filter((l) => l !== '')) {
    const sig = parseSignatureLine(line);
    if (sig.name !== verifier.name || sig.keyId !== verifier.keyId) continue;
    if (!verifier.verify(checkpointText, sig.signature)) {
      throw new GeoattestError(
        'COSIGNATURE_INVALID',
        `witness ${verifier.name} returned a cosignature that does not verify`,
      );
    }
    signatures.push(sig);
    timestamps.push(verifier.timestampOf(sig.signature));
  }
  if (signatures.length === 0) {
    throw new GeoattestError(
      'COSIGNATURE_INVALID',
      `witness ${verifier.name} returned no cosignature by its key`,
    );
  }
  return { kind: 'cosigned', signatures, timestamps };
}
