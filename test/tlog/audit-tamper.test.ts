// The auditor's promise, as a property: whatever single bit of what it reads a log flips, in a
// first audit or in a later one, the audit fails (a finding or a coded error), never passes.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GeoattestError } from '../../src/errors.js';
import { type AuditState, auditLog, type LogReader } from '../../src/tlog/audit.js';
import { signCheckpoint } from '../../src/tlog/checkpoint.js';
import {
  ed25519KeyFromSeed,
  ed25519Signer,
  ed25519Verifier,
  signerKeyFrom,
  verifierKeyOf,
} from '../../src/tlog/note-keys.js';
import { formatTilePath } from '../../src/tlog/tiles.js';
import { TreeBuilder } from '../../src/tlog/tree-builder.js';
import { verdictEntry } from './log-server-fixture.js';

const ORIGIN = 'log.geoattest.example/v1';
const key = signerKeyFrom(ORIGIN, ed25519KeyFromSeed(new Uint8Array(32).fill(5)));
const logKeys = [ed25519Verifier(verifierKeyOf(key))];

function publish(files: Map<string, Uint8Array>, builder: TreeBuilder, n: number, from: number): TreeBuilder {
  const r = builder.append(Array.from({ length: n }, (_, i) => verdictEntry(from + i)));
  for (const t of r.tiles) files.set(formatTilePath(t.coord), t.bytes);
  const note = signCheckpoint({ origin: ORIGIN, size: r.size, root: r.root, extensions: [] }, [
    ed25519Signer(key),
  ]);
  files.set('checkpoint', new TextEncoder().encode(note));
  return r.builder;
}

/** A reader over `files` that records what it was asked for. */
function readerOf(files: Map<string, Uint8Array>, seen?: Set<string>): LogReader {
  const get = async (path: string) => {
    seen?.add(path);
    const b = files.get(path);
    if (b === undefined) throw new GeoattestError('TLOG_FETCH_FAILED', `no ${path}`);
    return b.slice();
  };
  return { checkpoint: () => get('checkpoint'), tile: (c) => get(formatTilePath(c)) };
}

async function outcome(reader: LogReader, state?: AuditState): Promise<'pass' | 'fail'> {
  try {
    const r = await auditLog({ reader, logKeys, state });
    return r.ok ? 'pass' : 'fail';
  } catch (e) {
    if (e instanceof GeoattestError) return 'fail';
    throw e;
  }
}

describe('auditor against a tampering log', () => {
  it('detects any flipped bit in anything it reads, first audit or later', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 700 }),
        fc.integer({ min: 0, max: 700 }),
        fc.nat(),
        fc.nat(),
        async (first, growth, pick, bit) => {
          const files = new Map<string, Uint8Array>();
          let builder = publish(files, TreeBuilder.empty(), first, 0);
          const before = await auditLog({ reader: readerOf(files), logKeys });
          expect(before.ok).toBe(true);
          const state = growth > 0 ? before.state : undefined;
          if (growth > 0) builder = publish(files, builder, growth, first);
          const seen = new Set<string>();
          expect(await outcome(readerOf(files, seen), state)).toBe('pass');
          const paths = [...seen].sort();
          const path = paths[pick % paths.length];
          const bytes = files.get(path)!;
          const flipped = bytes.slice();
          flipped[bit % bytes.length] ^= 1 << (bit % 8);
          files.set(path, flipped);
          expect(await outcome(readerOf(files), state), `${path} byte ${bit % bytes.length}`).toBe('fail');
        },
      ),
      { numRuns: 120 },
    );
  });
});
