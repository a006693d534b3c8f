// Hands the landmark's receipts on to a verifier, in order, from its append-only log: a batch is
// marked handed on (the log's cursor) only after the verifier acknowledged it, so a verifier that
// is down loses nothing and a landmark restart resends at most the batch in flight (the verifier
// accepts a receipt twice as once: it is idempotent by receipt hash).

import { AppendLog } from '../io/append-log.js';

export interface SubmitterOptions {
  readonly logPath: string;
  /** The verifier's receipts endpoint, e.g. http://verifier:8080/v1/receipts. */
  readonly url: string;
  /** Sent as a bearer token, when given. */
  readonly token?: string;
  readonly batchSize?: number;
  /** Backoff after a failure: starts here, doubles, capped. */
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
  readonly log?: (line: string) => void;
}

export class Submitter {
  private backoff: number;
  private inFlight: Promise<number> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly opts: SubmitterOptions) {
    this.backoff = opts.minBackoffMs ?? 500;
  }

  /** Sends whatever is pending, now or when a retry is due; never two passes at once. */
  kick(): void {
    void this.drain();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** One pass: sends pending batches until none is left or one fails. Returns records sent. */
  drain(): Promise<number> {
    if (this.stopped) return Promise.resolve(0);
    this.inFlight ??= this.pass().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async pass(): Promise<number> {
    let sent = 0;
    for (;;) {
      const all = AppendLog.read(this.opts.logPath);
      const done = AppendLog.readCursor(this.opts.logPath);
      const batch = all.slice(done, done + (this.opts.batchSize ?? 500));
      if (batch.length === 0) return sent;
      try {
        await this.post(batch);
      } catch (e) {
        this.opts.log?.(`submit failed (${(e as Error).message}); retrying in ${this.backoff} ms`);
        this.retryLater();
        return sent;
      }
      AppendLog.writeCursor(this.opts.logPath, done + batch.length);
      sent += batch.length;
      this.backoff = this.opts.minBackoffMs ?? 500;
    }
  }

  private retryLater(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.kick(), this.backoff);
    this.backoff = Math.min(this.backoff * 2, this.opts.maxBackoffMs ?? 60_000);
  }

  private async post(batch: readonly Buffer[]): Promise<void> {
    const f = this.opts.fetch ?? fetch;
    const res = await f(this.opts.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(this.opts.token ? { authorization: `Bearer ${this.opts.token}` } : {}),
      },
      body: JSON.stringify({ receipts: batch.map((b) => b.toString('base64')) }),
      signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000),
    });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
  }
}
