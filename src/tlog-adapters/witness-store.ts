// The witness's memory: one small JSON file per log (named by the SHA-256 of its origin, so any
// origin is a safe file name), written atomically. Holds the last checkpoint it cosigned.

import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { GeoattestError } from '../errors.js';
import { decodeBase64Strict, encodeBase64 } from '../tlog/note.js';
import type { CosignedRecord } from '../tlog/witness.js';
import { readFileIfExists, writeFileAtomic } from './atomic-file.js';

export class WitnessStore {
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
  }

  #path(origin: string): string {
    return join(this.#dir, `${createHash('sha256').update(origin).digest('hex')}.json`);
  }

  /** The record for `origin`, or undefined; TLOG_STATE_INVALID if the file is not one of ours. */
  get(origin: string): CosignedRecord | undefined {
    const text = readFileIfExists(this.#path(origin));
    if (text === undefined) return undefined;
    try {
      const j = JSON.parse(text) as { origin?: unknown; size?: unknown; root?: unknown };
      const root = typeof j.root === 'string' ? decodeBase64Strict(j.root) : undefined;
      if (
        j.origin !== origin ||
        !Number.isSafeInteger(j.size) ||
        (j.size as number) < 0 ||
        root?.length !== 32
      ) {
        throw new Error('bad fields');
      }
      return { origin, size: j.size as number, root };
    } catch (cause) {
      throw new GeoattestError('TLOG_STATE_INVALID', `witness state for ${origin} is corrupt`, { cause });
    }
  }

  /** Persists before returning (fsync + rename): the witness answers only after this. */
  put(record: CosignedRecord, checkpoint: string): void {
    const body = { origin: record.origin, size: record.size, root: encodeBase64(record.root), checkpoint };
    writeFileAtomic(this.#path(record.origin), `${JSON.stringify(body, null, 1)}\n`);
  }
}
