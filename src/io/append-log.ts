// An append-only file of binary records, one base64 line each, made durable (fdatasync) before
// append() returns. A crash can tear only the last line, which reading skips. A separate cursor
// file, replaced atomically (write + rename), remembers how many records were handed on (e.g.
// submitted to a verifier), so nothing is lost and nothing is sent twice after a restart.

import {
  closeSync,
  fdatasyncSync,
  openSync,
  readFileSync,
  renameSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { GeoattestError } from '../errors.js';

export class AppendLog {
  private readonly fd: number;

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
