// An append-only file of binary records, one base64 line each, made durable (fdatasync) before
// append() returns (or appendLater() resolves). A crash can tear only the last line, which reading skips. A separate cursor
// file, replaced atomically (write + rename), remembers how many records were handed on (e.g.
// submitted to a verifier), so nothing is lost and nothing is sent twice after a restart.

import {
  closeSync,
  fdatasync,
  fdatasyncSync,
  openSync,
  readFileSync,
  renameSync,
  write,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { GeoattestError } from '../errors.js';

export class AppendLog {
  private readonly fd: number;
  private queued: Uint8Array[] = [];
  private flushing: Promise<void> | undefined;
  private enqueued = 0;
  private durable = 0;
  private waiters: { target: number; resolve: () => void; reject: (e: Error) => void }[] = [];

  constructor(readonly path: string) {
    try {
      this.fd = openSync(path, 'a', 0o600);
    } catch (cause) {
      throw new GeoattestError('IO_ERROR', `cannot open ${path} for appending`, { cause });
    }
  }

  append(records: readonly Uint8Array[]): void {
    if (records.length === 0) return;
    const text = records.map((r) => `${Buffer.from(r).toString('base64')}\n`).join('');
    writeSync(this.fd, text);
    fdatasyncSync(this.fd);
  }

  /**
   * Queues records and resolves once they are durable. Queued records are written and synced in
   * batches on libuv's thread pool, so a slow disk never stalls the event loop (where a landmark
   * timestamps arriving datagrams). Order is kept.
   */
  appendLater(records: readonly Uint8Array[]): Promise<void> {
    this.queued.push(...records);
    this.enqueued += records.length;
    const target = this.enqueued;
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ target, resolve, reject }));
    this.flushing ??= this.flush().finally(() => {
      this.flushing = undefined;
    });
    return done;
  }

  private async flush(): Promise<void> {
    while (this.queued.length > 0) {
      const batch = this.queued;
      this.queued = [];
      const text = Buffer.from(batch.map((r) => `${Buffer.from(r).toString('base64')}\n`).join(''));
      try {
        await new Promise<void>((resolve, reject) =>
          write(this.fd, text, (e) => (e ? reject(e) : resolve())),
        );
        await new Promise<void>((resolve, reject) => fdatasync(this.fd, (e) => (e ? reject(e) : resolve())));
      } catch (cause) {
        const error = new GeoattestError('IO_ERROR', `cannot append to ${this.path}`, { cause });
        for (const w of this.waiters.splice(0)) w.reject(error);
        return;
      }
      // Each caller waits for its own records only, never for records queued after them.
      this.durable += batch.length;
      this.waiters = this.waiters.filter((w) => {
        if (w.target > this.durable) return true;
        w.resolve();
        return false;
      });
    }
  }

  /** Waits for queued records, then closes the file. */
  async closeWhenFlushed(): Promise<void> {
    while (this.flushing !== undefined) await this.flushing;
    closeSync(this.fd);
  }

  close(): void {
    closeSync(this.fd);
  }

  /** Every complete record in the file, in order (a torn last line is left out). */
  static read(path: string): Buffer[] {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new GeoattestError('IO_ERROR', `cannot read ${path}`, { cause });
    }
    const lines = text.split('\n');
    lines.pop(); // after the last newline: empty, or a torn line
    return lines.filter((l) => /^[A-Za-z0-9+/]*=*$/.test(l)).map((l) => Buffer.from(l, 'base64'));
  }

  /** How many records were handed on so far (0 when never). */
  static readCursor(path: string): number {
    try {
      const n = Number(readFileSync(`${path}.cursor`, 'utf8').trim());
      return Number.isSafeInteger(n) && n >= 0 ? n : 0;
    } catch {
      return 0;
    }
  }

  static writeCursor(path: string, n: number): void {
    const tmp = `${path}.cursor.tmp`;
    writeFileSync(tmp, `${n}\n`, { mode: 0o600 });
    renameSync(tmp, `${path}.cursor`);
  }
}
