// The landmark on a real UDP socket: the arrival time is read first thing in the message handler
// (the closest Node gets to the socket), the core decides, replies go straight back, and every
// receipt is made durable in the append-only log before it is handed to the submitter.

import { randomBytes, randomFillSync } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { AppendLog } from '../io/append-log.js';
import type { Receipt } from '../protocol/wire.js';
import { LandmarkCore, type LandmarkCoreOptions } from './landmark-core.js';
import { Submitter } from './submitter.js';

export interface LandmarkServerOptions
  extends Omit<LandmarkCoreOptions, 'monoNs' | 'wallMs' | 'randomBytes' | 'cookieSecret'> {
  readonly host: string;
  readonly port: number;
  /** Append-only file of signed receipts. */
  readonly logPath: string;
  /** Verifier endpoint receipts are submitted to, when given. */
  readonly submitUrl?: string;
  readonly submitToken?: string;
  readonly onReceipt?: (receipt: Receipt, bytes: Uint8Array) => void;
  readonly log?: (line: string) => void;
}

export class LandmarkServer {
  readonly core: LandmarkCore;
  /** Datagrams dropped, by error code. */
  readonly dropped = new Map<string, number>();
  receipts = 0;
  private readonly socket: Socket;
  private readonly receiptLog: AppendLog;
  private readonly submitter: Submitter | undefined;

  constructor(private readonly o: LandmarkServerOptions) {
    this.core = new LandmarkCore({
      ...o,
      cookieSecret: randomBytes(32),
      monoNs: () => process.hrtime.bigint(),
      wallMs: () => Date.now(),
      randomBytes: pooledRandomBytes(),
    });
    this.receiptLog = new AppendLog(o.logPath);
    this.submitter =
      o.submitUrl === undefined
        ? undefined
        : new Submitter({ logPath: o.logPath, url: o.submitUrl, token: o.submitToken, log: o.log });
    this.socket = createSocket('udp4');
    this.socket.on('message', (msg, from) => {
      const receivedAtNs = process.hrtime.bigint();
      const out = this.core.handle(msg, from, receivedAtNs);
      if (out.reply) this.socket.send(out.reply, from.port, from.address);
      if (out.dropped) this.dropped.set(out.dropped.code, (this.dropped.get(out.dropped.code) ?? 0) + 1);
      if (out.receipt) {
        const { value, bytes } = out.receipt;
        // Durable first, then handed on; the disk is written off the event loop so it never
        // delays the timestamps of datagrams waiting behind it.
        void this.receiptLog.appendLater([bytes]).then(() => {
          this.receipts++;
          this.submitter?.kick();
          this.o.onReceipt?.(value, bytes);
        });
      }
    });
  }

  /** Binds the socket; resolves with the bound port (useful with port 0). */
  start(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.socket.once('error', reject);
      this.socket.bind(this.o.port, this.o.host, () => {
        this.socket.off('error', reject);
        this.submitter?.kick(); // receipts a previous run could not hand on
        resolve(this.socket.address().port);
      });
    });
  }

  close(): Promise<void> {
    this.submitter?.stop();
    return new Promise((resolve) =>
      this.socket.close(() => {
        void this.receiptLog.closeWhenFlushed().then(resolve);
      }),
    );
  }
}

/**
 * Nonces from the CSPRNG, drawn 4 KiB at a time: one 32-byte randomBytes() call costs several µs
 * of fixed overhead, paid for every CHALLENGE. Each call returns fresh bytes, never handed out twice.
 */
function pooledRandomBytes(poolSize = 4096): (n: number) => Uint8Array {
  const pool = new Uint8Array(poolSize);
  let at = poolSize;
  return (n) => {
    if (n > poolSize) return new Uint8Array(randomBytes(n));
    if (at + n > poolSize) {
      randomFillSync(pool);
      at = 0;
    }
    const out = pool.slice(at, at + n);
    at += n;
    return out;
  };
}
