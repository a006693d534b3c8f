// The auditor's memory between runs: one JSON file per log origin in the state directory,
// written atomically, holding the last verified checkpoint and the tree's partial tiles.

import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { GeoattestError } from '../errors.js';
import type { AuditState } from '../tlog/audit.js';
import { parseCheckpointText } from '../tlog/checkpoint.js';
import { decodeBase64Strict, encodeBase64, parseNote } from '../tlog/note.js';
import { parseTilePath } from '../tlog/tiles.js';
import { readFileIfExists, writeFileAtomic } from './atomic-file.js';

const fileOf = (dir: string, key: string) =>
  join(dir, `audit-${createHash('sha256').update(key).digest('hex').slice(0, 32)}.json`);

/** The saved state for the log whose key is named `keyName`, or undefined on a first audit. */
export function loadAuditState(dir: string, keyName: string): AuditState | undefined {
  const text = readFileIfExists(fileOf(dir, keyName));
  if (text === undefined) return undefined;
  try {
    const j = JSON.parse(text) as { version: number; checkpoint: string; tiles: Record<string, string> };
    if (j.version !== 1) throw new Error('unknown state version');
    const cp = parseCheckpointText(parseNote(j.checkpoint).text);
    const partialTiles = new Map<string, Uint8Array>();
    for (const [path, b64] of Object.entries(j.tiles)) {
      parseTilePath(path);
      const bytes = decodeBase64Strict(b64);
      if (bytes === undefined) throw new Error(`tile ${path} is not base64`);
      partialTiles.set(path, bytes);
    }
    return { origin: cp.origin, size: cp.size, root: cp.root, checkpoint: j.checkpoint, partialTiles };
  } catch (cause) {
    throw new GeoattestError(
      'TLOG_STATE_INVALID',
      `audit state ${fileOf(dir, keyName)} is corrupt; move it away to audit from scratch`,
      { cause },
    );
  }
}

export function saveAuditState(dir: string, keyName: string, state: AuditState): void {
  const tiles = Object.fromEntries([...state.partialTiles].map(([p, b]) => [p, encodeBase64(b)]));
  const body = { version: 1, origin: state.origin, size: state.size, checkpoint: state.checkpoint, tiles };
  writeFileAtomic(fileOf(dir, keyName), `${JSON.stringify(body, null, 1)}\n`);
}
