// The auditor's rules: given a way to read a tiled log (c2sp.org/tlog-tiles) and the last state it
// verified, check everything the log published since, trusting nothing but the log's public key.
// No I/O of its own: the reader, the state and the re-derivation hook are passed in.
//
//   1. The checkpoint is signed by the log's key (and is for the same origin as before).
//   2. It is consistent with the last checkpoint seen: same root at the same size, and a
//      consistency proof computed from the log's own tiles otherwise. Failing that, it is a fork.
//   3. The new entries, hashed into the tree kept from last time, give exactly the signed root
//      (otherwise a leaf was rewritten), and the tiles the log serves are exactly the ones those
//      entries make (otherwise a tile was rewritten, and inclusion proofs from it would lie).
//   4. Each new entry is a well-formed verdict leaf; where the hook can re-derive the verdict from
//      its evidence, the leaf says what the evidence says.
//
// The new state is returned only when every check passed, so a failing log keeps failing.

import { GeoattestError } from '../errors.js';
import { openCheckpoint } from './checkpoint.js';
import { hashesEqual, leafHash, verifyConsistency } from './merkle.js';
import type { NoteVerifier } from './note.js';
import { proveConsistencyFromTiles } from './tile-proofs.js';
import {
  decodeEntryBundle,
  entryBundlesBetween,
  formatTilePath,
  TILE_WIDTH,
  type TileCoord,
  tileHash,
} from './tiles.js';
import { type TileData, TreeBuilder } from './tree-builder.js';
import { decodeVerdictLeaf, type VerdictLeaf } from './verdict-leaf.js';

/** How the auditor reads a log: its checkpoint and its tiles and entry bundles, as bytes. */
export interface LogReader {
  checkpoint(): Promise<Uint8Array>;
  tile(coord: TileCoord): Promise<Uint8Array>;
}

/**
 * Extension point for the verifier service: re-derive the verdict of leaf `index` from its
 * evidence (the signed receipts, landmark keys and positions) and say whether it matches.
 * 'unavailable' when the auditor may not read that evidence.
 */
export type Rederive = (leaf: VerdictLeaf, index: number) => Promise<'same' | 'different' | 'unavailable'>;

/** What the auditor keeps between runs: the last verified checkpoint and the tree's right edge. */
export interface AuditState {
  readonly origin: string;
  readonly size: number;
  readonly root: Uint8Array;
  /** The signed checkpoint note it verified, kept as evidence. */
  readonly checkpoint: string;
  /** The partial hash tiles of `size`, by tile path. */
  readonly partialTiles: ReadonlyMap<string, Uint8Array>;
}

export type FindingKind =
  | 'fork'
  | 'rolled-back'
  | 'rewritten-leaf'
  | 'rewritten-tile'
  | 'malformed-leaf'
  | 'verdict-differs';

export interface AuditFinding {
  readonly kind: FindingKind;
  readonly message: string;
  readonly index?: number;
}

export interface AuditReport {
  readonly ok: boolean;
  readonly origin: string;
  readonly previousSize: number;
  readonly size: number;
  readonly root: Uint8Array;
  readonly leavesChecked: number;
  readonly rederived: { same: number; different: number; unavailable: number };
  readonly findings: readonly AuditFinding[];
  /** Present only when ok: the state to keep for the next run. */
  readonly state?: AuditState;
  /**
   * On a fork or a rollback: the two checkpoints, both signed by the log, that cannot both be
   * true. Anyone holding the log's key can check them: portable proof of misbehaviour.
   */
  readonly evidence?: { readonly previous: string; readonly current: string };
}

export interface AuditOptions {
  readonly reader: LogReader;
  readonly logKeys: readonly NoteVerifier[];
  readonly state?: AuditState;
  readonly rederive?: Rederive;
  readonly onProgress?: (done: number, total: number) => void;
  /** Entry bundles fetched ahead of the one being checked (default 8). */
  readonly prefetch?: number;
  /** Stop listing findings after this many of one kind (default 20); they are still counted as failures. */
  readonly maxFindings?: number;
}

const sameBytes = (a: Uint8Array, b: Uint8Array) =>
  a.length === b.length && Buffer.from(a).equals(Buffer.from(b));

/** Runs one audit. Throws coded errors for what stops it (bad signature, fetch failures). */
export async function auditLog(opts: AuditOptions): Promise<AuditReport> {
  const { reader, state } = opts;
  const maxFindings = opts.maxFindings ?? 20;
  const raw = await reader.checkpoint();
  const opened = openCheckpoint(raw, opts.logKeys, state?.origin);
  const cp = opened.checkpoint;
  const findings: AuditFinding[] = [];
  const add = (f: AuditFinding) => {
    if (findings.filter((x) => x.kind === f.kind).length < maxFindings) findings.push(f);
  };
  const previousSize = state?.size ?? 0;
  const rederived = { same: 0, different: 0, unavailable: 0 };
  const report = (leavesChecked: number, newState?: AuditState): AuditReport => ({
    ok: findings.length === 0,
    origin: cp.origin,
    previousSize,
    size: cp.size,
    root: cp.root,
    leavesChecked,
    rederived,
    findings,
    ...(findings.length === 0 && newState !== undefined ? { state: newState } : {}),
    ...(state !== undefined && findings.some((f) => f.kind === 'fork' || f.kind === 'rolled-back')
      ? { evidence: { previous: state.checkpoint, current: new TextDecoder().decode(raw) } }
      : {}),
  });

  // 2. Consistency with what we saw last time.
  if (state !== undefined) {
    if (cp.size < state.size) {
      add({ kind: 'rolled-back', message: `the log went back from size ${state.size} to ${cp.size}` });
      return report(0);
    }
    if (cp.size === state.size) {
      if (!hashesEqual(cp.root, state.root)) {
        add({ kind: 'fork', message: `two signed roots for size ${cp.size}: the log forked` });
      }
      return report(0, state);
    }
    if (state.size > 0) {
      try {
        const proof = await proveConsistencyFromTiles((c) => reader.tile(c), state.size, cp.size);
        verifyConsistency(state.size, cp.size, proof, state.root, cp.root);
      } catch (e) {
        if (!(e instanceof GeoattestError) || e.code === 'TLOG_FETCH_FAILED') throw e;
        add({
          kind: 'fork',
          message: `checkpoint ${cp.size} is not consistent with checkpoint ${state.size} seen before (${e.message}): the log forked or rewrote history`,
        });
        return report(0);
      }
    }
  }

  // 3 and 4. The new entries, in order, bundles fetched ahead.
  let builder =
    state === undefined || state.size === 0
      ? TreeBuilder.empty(false)
      : TreeBuilder.restore(state.size, (c) => state.partialTiles.get(formatTilePath(c)), false);
  const keptLeaf = new Map<number, Uint8Array>();
  if (state !== undefined && state.size % TILE_WIDTH !== 0) {
    const tileIndex = Math.floor(state.size / TILE_WIDTH);
    const width = state.size % TILE_WIDTH;
    const tile = state.partialTiles.get(
      formatTilePath({ kind: 'hashes', level: 0, index: tileIndex, width }),
    );
    for (let i = 0; tile !== undefined && i < width; i++)
      keptLeaf.set(tileIndex * TILE_WIDTH + i, tileHash(tile, i));
  }
  const bundles = entryBundlesBetween(previousSize, cp.size);
  const ahead = Math.max(1, opts.prefetch ?? 8);
  const pending = new Map<number, Promise<Uint8Array>>();
  const fetchBundle = (i: number) => {
    if (i >= bundles.length || pending.has(i)) return;
    const p = reader.tile(bundles[i]);
    // Fetched ahead: if the audit stops before reaching it, its failure must not go unhandled.
    p.catch(() => undefined);
    pending.set(i, p);
  };
  // Served tiles are compared as the entries make them, a few requests in flight, so memory stays
  // flat however long the audit (a 10 M-leaf log has 320 MB of tiles).
  const comparing: Promise<void>[] = [];
  const compare = async (t: TileData) => {
    const p = compareTile(reader, t, add);
    p.catch(() => undefined);
    comparing.push(p);
    if (comparing.length > ahead) await comparing.shift();
  };
  let checked = 0;
  const total = cp.size - previousSize;
  for (let b = 0; b < bundles.length; b++) {
    for (let k = b; k < b + ahead; k++) fetchBundle(k);
    const coord = bundles[b];
    const bytes = await pending.get(b)!;
    pending.delete(b);
    let entries: Uint8Array[];
    try {
      entries = decodeEntryBundle(bytes, coord.width);
    } catch (e) {
      if (!(e instanceof GeoattestError)) throw e;
      add({ kind: 'rewritten-leaf', message: `entry bundle ${formatTilePath(coord)}: ${e.message}` });
      await Promise.allSettled(comparing);
      return report(checked);
    }
    const first = Math.max(previousSize, coord.index * TILE_WIDTH);
    const fresh = entries.slice(first - coord.index * TILE_WIDTH);
    // The first bundle may repeat entries verified last time: they must still be the same ones
    // (a log that rewrites an old entry in a bundle it re-serves has rewritten a leaf). Their leaf
    // hashes are in the kept level-0 partial tile.
    entries.slice(0, first - coord.index * TILE_WIDTH).forEach((e, i) => {
      const index = coord.index * TILE_WIDTH + i;
      const kept = keptLeaf.get(index);
      if (kept === undefined || !hashesEqual(leafHash(e), kept)) {
        add({
          kind: 'rewritten-leaf',
          index,
          message: `leaf ${index} differs from the one verified before: a leaf was rewritten`,
        });
      }
    });
    for (let i = 0; i < fresh.length; i++) {
      const index = first + i;
      let leaf: VerdictLeaf | undefined;
      try {
        leaf = decodeVerdictLeaf(fresh[i]);
      } catch (e) {
        if (!(e instanceof GeoattestError)) throw e;
        add({ kind: 'malformed-leaf', index, message: `leaf ${index} is not a verdict leaf: ${e.message}` });
      }
      if (leaf !== undefined && opts.rederive !== undefined) {
        const r = await opts.rederive(leaf, index);
        rederived[r]++;
        if (r === 'different') {
          add({
            kind: 'verdict-differs',
            index,
            message: `leaf ${index}: the verdict ${leaf.verdict} does not follow from its evidence`,
          });
        }
      }
    }
    const step = builder.appendLeafHashes(fresh.map((e) => leafHash(e)));
    builder = step.builder;
    for (const t of step.tiles) if (t.coord.width === TILE_WIDTH) await compare(t);
    checked += fresh.length;
    opts.onProgress?.(checked, total);
  }
  if (!hashesEqual(builder.root(), cp.root)) {
    add({
      kind: 'rewritten-leaf',
      message: `the ${cp.size} entries served do not hash to the signed root of checkpoint ${cp.size}: a leaf was rewritten`,
    });
  }
  // The log's hash tiles must be the ones its entries make: the full tiles written since last
  // time (compared above) and the partial tiles of this size.
  const partial = builder.partialTiles();
  for (const t of partial) await compare(t);
  await Promise.all(comparing);
  const next: AuditState = {
    origin: cp.origin,
    size: cp.size,
    root: cp.root,
    checkpoint: new TextDecoder().decode(raw),
    partialTiles: new Map(partial.map((t) => [formatTilePath(t.coord), t.bytes])),
  };
  return report(checked, next);
}

async function compareTile(reader: LogReader, t: TileData, add: (f: AuditFinding) => void): Promise<void> {
  const got = await reader.tile(t.coord);
  if (sameBytes(got, t.bytes)) return;
  const at = firstDifferentHash(got, t.bytes);
  const index = t.coord.level === 0 ? t.coord.index * TILE_WIDTH + at : undefined;
  add({
    kind: 'rewritten-tile',
    ...(index !== undefined ? { index } : {}),
    message: `tile ${formatTilePath(t.coord)} does not match the entries${index !== undefined ? ` (leaf ${index})` : ''}: a tile was rewritten`,
  });
}

function firstDifferentHash(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return Math.floor(i / 32);
  return Math.floor(n / 32);
}
