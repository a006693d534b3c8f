// The witness over HTTP (node:http): POST /add-checkpoint as c2sp.org/tlog-witness defines it.
// Requests are decided one at a time, and each new record is on disk before the answer goes out,
// so two racing requests can never roll the witness back.

import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Cosigner } from '../tlog/cosignature.js';
import { addCheckpoint, type WitnessLog, type WitnessOutcome } from '../tlog/witness.js';
import type { WitnessStore } from './witness-store.js';

/** A checkpoint note is at most 1 MiB (note.ts); 63 proof lines add under 3 KiB. */
const MAX_BODY_BYTES = (1 << 20) + 4096;

export interface WitnessServerOptions {
  readonly logs: readonly WitnessLog[];
  readonly cosigners: readonly Cosigner[];
  readonly store: WitnessStore;
  /** POSIX seconds; injected so tests control cosignature timestamps. */
  readonly now?: () => bigint;
  readonly onOutcome?: (o: WitnessOutcome, origin?: string) => void;
}

async function readBody(req: IncomingMessage): Promise<Uint8Array | undefined> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req) {
    n += (c as Buffer).length;
    if (n > MAX_BODY_BYTES) return undefined;
    chunks.push(c as Buffer);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

export class WitnessServer {
  readonly #opts: WitnessServerOptions;
  readonly #server: Server;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(opts: WitnessServerOptions) {
    this.#opts = opts;
    this.#server = createServer((req, res) => {
      const send = (status: number, type: string, body: string) => {
        res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
        res.end(body);
      };
      if (req.url !== '/add-checkpoint') return send(404, 'text/plain; charset=utf-8', 'not found\n');
      if (req.method !== 'POST') return send(405, 'text/plain; charset=utf-8', 'POST only\n');
      readBody(req).then(
        (body) => {
          if (body === undefined) return send(413, 'text/plain; charset=utf-8', 'body too large\n');
          // One decision at a time: check against the stored record, store, then answer.
          const run = this.#queue.then(() => this.#decide(body));
          this.#queue = run.catch(() => undefined);
          run.then(
            (o) => send(o.status, o.contentType, o.body),
            () => send(500, 'text/plain; charset=utf-8', 'witness state unavailable\n'),
          );
        },
        () => send(400, 'text/plain; charset=utf-8', 'unreadable body\n'),
      );
    });
  }

  #decide(body: Uint8Array): WitnessOutcome {
    const { logs, cosigners, store } = this.#opts;
    const now = this.#opts.now ?? (() => BigInt(Math.floor(Date.now() / 1000)));
    const outcome = addCheckpoint(body, logs, (origin) => store.get(origin), cosigners, now());
    if (outcome.status === 200) store.put(outcome.record, outcome.note);
    this.#opts.onOutcome?.(outcome, outcome.status === 200 ? outcome.record.origin : undefined);
    return outcome;
  }

  async listen(host: string, port: number): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => resolve());
    });
    return (this.#server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
