// npm run bench:log-proofs — proof generation and verification over stored tiles at 1 M (2^20) and
// 10 M leaves, and the auditor's per-leaf speed. The tiles live in memory (MemoryTileStore) and
// are read through the same TileReader interface the service backs with its database, with a
// cache of expanded tiles (upper-level tiles are read by every proof). Target: < 1 ms per proof
// at 10 M. The durable append rate is bench:log (the service's).

import { parseArgs } from 'node:util';
import { auditLog, type LogReader } from '../src/tlog/audit.js';
import { signCheckpoint } from '../src/tlog/checkpoint.js';
import { leafHash, verifyConsistency, verifyInclusion } from '../src/tlog/merkle.js';
import {
  ed25519KeyFromSeed,
  ed25519Signer,
  ed25519Verifier,
  signerKeyFrom,
  verifierKeyOf,
} from '../src/tlog/note-keys.js';
import {
  ExpandedTileCache,
  MemoryTileStore,
  proveConsistencyFromTiles,
  proveInclusionFromTiles,
  treeRootFromTiles,
} from '../src/tlog/tile-proofs.js';
import { formatTilePath } from '../src/tlog/tiles.js';
import { TreeBuilder } from '../src/tlog/tree-builder.js';
import { encodeVerdictLeaf } from '../src/tlog/verdict-leaf.js';
import { quantile, table } from './table.js';

const { values } = parseArgs({
  options: {
    proofs: { type: 'string', default: '2000' },
    'audit-leaves': { type: 'string', default: '200000' },
    'cache-tiles': { type: 'string', default: '1024' },
    sizes: { type: 'string', default: `${2 ** 20},10000000` },
    json: { type: 'boolean', default: false },
  },
});
const PROOFS = Number(values.proofs);
const SIZES = values.sizes.split(',').map(Number);
const AUDIT_LEAVES = Number(values['audit-leaves']);
const BATCH = 65_536;
/** Expanded tiles the proof server keeps (16 KiB each): the upper levels and the right edge fit. */
const CACHE_TILES = Number(values['cache-tiles']);

// A seeded generator, so every run asks for the same proofs.
let seed = 0x9e3779b9;
const rand = (n: number) => {
  seed = (seed * 1664525 + 1013904223) >>> 0;
  return Math.floor((seed / 2 ** 32) * n);
};

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  return {
    median: quantile(s, 0.5),
    p99: quantile(s, 0.99),
    mean: xs.reduce((a, b) => a + b, 0) / xs.length,
  };
}

// 1. Build the largest tree once, in sequencer-sized batches ending exactly on each measured
// size, so the store holds the partial tiles of every size we prove against.
const maxSize = Math.max(...SIZES);
const store = new MemoryTileStore();
let builder = TreeBuilder.empty(false);
const entry = new Uint8Array(8);
const view = new DataView(entry.buffer);
const buildStart = process.hrtime.bigint();
while (builder.size < maxSize) {
  const stop = Math.min(...SIZES.filter((s) => s > builder.size), builder.size + BATCH);
  const hashes: Uint8Array[] = [];
  for (let i = builder.size; i < stop; i++) {
    view.setBigUint64(0, BigInt(i));
    hashes.push(leafHash(entry));
  }
  const r = builder.appendLeafHashes(hashes);
  for (const t of r.tiles) store.put(t.coord, t.bytes);
  builder = r.builder;
}
const buildMs = ms(buildStart);

const rows: (string | number)[][] = [];
const results: Record<string, unknown>[] = [];
const fmt = (x: number) => (x * 1000).toFixed(0);
const read = store.read;

for (const size of SIZES) {
  const cache = new ExpandedTileCache(CACHE_TILES);
  const root = await treeRootFromTiles(read, size, cache);
  const gen: number[] = [];
  const ver: number[] = [];
  for (let k = 0; k < PROOFS; k++) {
    const index = rand(size);
    let t0 = process.hrtime.bigint();
    const proof = await proveInclusionFromTiles(read, index, size, cache);
    gen.push(ms(t0));
    const leaf = (
      await read({
        kind: 'hashes',
        level: 0,
        index: Math.floor(index / 256),
        width: Math.min(256, size - Math.floor(index / 256) * 256),
      })
    ).subarray((index % 256) * 32, (index % 256) * 32 + 32);
    t0 = process.hrtime.bigint();
    verifyInclusion(index, size, leaf, proof, root);
    ver.push(ms(t0));
  }
  const cgen: number[] = [];
  const cver: number[] = [];
  for (let k = 0; k < PROOFS / 4; k++) {
    const size1 = 1 + rand(size - 1);
    // Outside the timing, and through its own cache: the verifier already has root1, and its tiles
    // must not warm the proof's cache.
    const root1 = await treeRootFromTiles(read, size1, new ExpandedTileCache(8), size);
    let t0 = process.hrtime.bigint();
    const proof = await proveConsistencyFromTiles(read, size1, size, cache);
    cgen.push(ms(t0));
    t0 = process.hrtime.bigint();
    verifyConsistency(size1, size, proof, root1, root);
    cver.push(ms(t0));
  }
  for (const [op, xs] of [
    ['inclusion: generate', gen],
    ['inclusion: verify', ver],
    ['consistency: generate', cgen],
    ['consistency: verify', cver],
  ] as const) {
    const s = stats(xs);
    rows.push([size.toLocaleString('en'), op, xs.length, fmt(s.median), fmt(s.p99), fmt(s.mean)]);
    results.push({
      size,
      op,
      n: xs.length,
      medianUs: s.median * 1000,
      p99Us: s.p99 * 1000,
      meanUs: s.mean * 1000,
    });
  }
}

// 2. The auditor's speed without the network: a log of verdict leaves in memory, audited from 0.
const key = signerKeyFrom('bench.geoattest.example/log', ed25519KeyFromSeed(new Uint8Array(32).fill(7)));
const files = new Map<string, Uint8Array>();
let logBuilder = TreeBuilder.empty();
for (let at = 0; at < AUDIT_LEAVES; at += BATCH) {
  const batch: Uint8Array[] = [];
  for (let i = at; i < Math.min(AUDIT_LEAVES, at + BATCH); i++) {
    batch.push(
      encodeVerdictLeaf({
        version: 1,
        chipPseudonym: new Uint8Array(32).fill(i & 0xff),
        licence: `LIC-${i % 1000}`,
        verdict: 'inside',
        region: 'MY',
        bound: 'vacuum',
        trustMode: 'software',
        where: 'territorial',
        windowStartMs: 1_764_000_000_000 + i,
        windowEndMs: 1_764_000_000_000 + i + 3_600_000,
        evidenceHash: new Uint8Array(32).fill((i * 7) & 0xff),
        verifierVersion: 'geoattest 0.1.0',
      }),
    );
  }
  const r = logBuilder.append(batch);
  logBuilder = r.builder;
  for (const t of r.tiles) files.set(formatTilePath(t.coord), t.bytes);
}
const note = signCheckpoint(
  { origin: key.name, size: logBuilder.size, root: logBuilder.root(), extensions: [] },
  [ed25519Signer(key)],
);
const reader: LogReader = {
  checkpoint: async () => new TextEncoder().encode(note),
  tile: async (c) => files.get(formatTilePath(c))!,
};
const auditStart = process.hrtime.bigint();
const report = await auditLog({ reader, logKeys: [ed25519Verifier(verifierKeyOf(key))] });
const auditMs = ms(auditStart);
if (!report.ok) throw new Error('bench audit failed');

if (values.json) {
  console.log(
    JSON.stringify({
      build: { leaves: maxSize, ms: buildMs, leavesPerSec: maxSize / (buildMs / 1000) },
      proofs: results,
      audit: { leaves: AUDIT_LEAVES, ms: auditMs, leavesPerSec: AUDIT_LEAVES / (auditMs / 1000) },
    }),
  );
} else {
  console.log(
    `Proofs over in-memory tiles (cache of ${CACHE_TILES.toLocaleString('en')} expanded tiles, 16 KiB each), ${PROOFS} inclusion and ${PROOFS / 4} consistency proofs per size`,
  );
  console.log(table(['tree size', 'operation', 'n', 'median µs', 'p99 µs', 'mean µs'], rows));
  const worst = results.filter((r) => r.size === Math.max(...SIZES) && String(r.op).endsWith('generate'));
  const total = worst.map((r) => (r.meanUs as number) / 1000);
  console.log(
    `\ntarget < 1 ms per proof at ${Math.max(...SIZES).toLocaleString('en')} leaves (generate, mean): ${total.map((t) => t.toFixed(3)).join(' / ')} ms — ${total.every((t) => t < 1) ? 'met' : 'NOT met'}`,
  );
  console.log(
    `tile building (sequencer, hashes only): ${maxSize.toLocaleString('en')} leaves in ${(buildMs / 1000).toFixed(1)} s = ${Math.round(maxSize / (buildMs / 1000)).toLocaleString('en')} leaves/s`,
  );
  console.log(
    `audit (no network: decode bundle, leaf hash, verdict-leaf parse, rebuild, compare tiles): ${AUDIT_LEAVES.toLocaleString('en')} leaves in ${(auditMs / 1000).toFixed(2)} s = ${Math.round(AUDIT_LEAVES / (auditMs / 1000)).toLocaleString('en')} leaves/s`,
  );
}
