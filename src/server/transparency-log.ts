// The transparency log inside the verifier: every stored verdict becomes a leaf (src/tlog/verdict-
// leaf.ts) of an RFC 6962 tree kept as C2SP tlog-tiles in the database, and each batch ends in a
// signed checkpoint. Appending the batch's leaves, its tiles and its checkpoint is one transaction,
// so the log never holds (and never serves) a checkpoint that the stored tiles do not back, and a
// checkpoint is signed only over a tree that extends the last committed one: the sequencer reads
// the committed size inside the same transaction it writes in. On PostgreSQL a transaction-scoped
// advisory lock lets exactly one process sequence at a time; SQLite allows one writer anyway.

import { createHmac, type KeyObject } from 'node:crypto';
import { sql } from 'kysely';
import { GeoattestError } from '../errors.js';
import { insertMany } from '../store/bulk-insert.js';
import type { Store } from '../store/database.js';
import type { VerdictRow } from '../store/schema.js';
import { signCheckpoint } from '../tlog/checkpoint.js';
import { addSignatures, formatSignatureLine, parseSignatureLine } from '../tlog/note.js';
import { ed25519Signer, type SignerKey, signerKeyFrom, verifierKeyOf } from '../tlog/note-keys.js';
import {
  ExpandedTileCache,
  proveConsistencyFromTiles,
  proveInclusionFromTiles,
} from '../tlog/tile-proofs.js';
import { formatTilePath, type TileCoord } from '../tlog/tiles.js';
import { TreeBuilder } from '../tlog/tree-builder.js';
import { encodeVerdictLeaf, type LeafTrustMode, type VerdictLeaf } from '../tlog/verdict-leaf.js';
import { requestCosignature } from '../tlog-adapters/witness-client.js';
import { VERIFIER_VERSION } from './verdict-engine.js';

/** Any 64-bit constant naming "the geoattest sequencer" for pg_try_advisory_xact_lock. */
const SEQUENCER_LOCK = 0x6765_6f61_7474n;

export interface LogOptions {
  /** The checkpoint origin, e.g. "verifier.example.com/log" (C2SP tlog-checkpoint). */
  readonly origin: string;
  /** The log's Ed25519 private key: signs checkpoints, and keys the chip pseudonyms. */
  readonly privateKey: KeyObject;
  /** Verdicts per batch (default 5,000). */
  readonly batchSize?: number;
}

/** A witness the log asks for cosignatures: its base URL and verifier key. */
export interface Witness {
  readonly url: string;
  readonly vkey: string;
}

export interface LogLeafInfo {
  readonly index: number;
  readonly verdictId: number;
  readonly leafHash: string;
}

/** The weakest trust mode a verdict's caps rest on: software < gpu-session < gpu-evidence. */
function weakestTrustMode(modes: string): LeafTrustMode {
  const list = modes.split(',').filter((m) => m !== '');
  for (const m of ['software', 'gpu-session', 'gpu-evidence'] as const) if (list.includes(m)) return m;
  return 'software';
}

/** The columns of a verdict its log leaf is made from (plus its id). */
const LEAF_COLUMNS = [
  'id',
  'chip_id',
  'licence_id',
  'verdict',
  'region',
  'bound',
  'trust_modes',
  'where_policy',
  'window_from',
  'window_to',
  'evidence_hash',
] as const;

export class TransparencyLog {
  readonly signer: SignerKey;
  private readonly pseudonymKey: Buffer;
  private builder: TreeBuilder | undefined;
  private readonly cache = new ExpandedTileCache(1024);

  constructor(
    private readonly store: Store,
    private readonly opts: LogOptions,
  ) {
    this.signer = signerKeyFrom(opts.origin, opts.privateKey);
    // A key for pseudonyms, derived from the log key so one secret serves both; HMAC makes the
    // pseudonym stable per chip and unlinkable to its serial without the key.
    const d = opts.privateKey.export({ format: 'der', type: 'pkcs8' });
    this.pseudonymKey = createHmac('sha256', 'geoattest/v1 chip pseudonym').update(d).digest();
  }

  /** The verifier key auditors pin: `origin+hex8+base64`. */
  get verifierKey(): string {
    return verifierKeyOf(this.signer);
  }

  get origin(): string {
    return this.opts.origin;
  }

  pseudonym(chipId: string): Uint8Array {
    return new Uint8Array(createHmac('sha256', this.pseudonymKey).update(chipId).digest());
  }

  /** The public leaf of a stored verdict. */
  leafOf(v: Pick<VerdictRow, (typeof LEAF_COLUMNS)[number]>): VerdictLeaf {
    return {
      version: 1,
      chipPseudonym: this.pseudonym(v.chip_id),
      licence: v.licence_id,
      verdict: v.verdict,
      region: v.region,
      bound: v.bound as VerdictLeaf['bound'],
      trustMode: weakestTrustMode(v.trust_modes),
      where: v.where_policy as VerdictLeaf['where'],
      windowStartMs: Number(v.window_from),
      windowEndMs: Number(v.window_to),
      evidenceHash: new Uint8Array(Buffer.from(v.evidence_hash, 'hex')),
      verifierVersion: VERIFIER_VERSION,
    };
  }

  /**
   * Appends up to one batch of verdicts not yet in the log and signs the new checkpoint, all in
   * one transaction. Returns how many leaves were appended (0 when nothing waits, or when another
   * process holds the sequencer lock).
   */
  async sequence(now: number): Promise<number> {
    const limit = this.opts.batchSize ?? 5000;
    const result = await this.store.db.transaction().execute(async (tx) => {
      if (this.store.dialect === 'postgres') {
        const got = await sql<{
          locked: boolean;
        }>`select pg_try_advisory_xact_lock(${SEQUENCER_LOCK}) as locked`.execute(tx);
        if (!got.rows[0]?.locked) return undefined;
      }
      const pending = await tx
        .selectFrom('log_queue')
        .innerJoin('verdicts', 'verdicts.id', 'log_queue.verdict_id')
        // What a leaf says, not the verdict's evidence list and detail, the bulk of its row.
        .select(LEAF_COLUMNS.map((c) => `verdicts.${c}` as const))
        .orderBy('log_queue.verdict_id')
        .limit(limit)
        .execute();
      if (pending.length === 0) return undefined;
      const last = await tx
        .selectFrom('log_checkpoints')
        .select('size')
        .orderBy('size', 'desc')
        .limit(1)
        .executeTakeFirst();
      const size = Number(last?.size ?? 0);
      let builder = this.builder;
      if (builder === undefined || builder.size !== size) {
        // Another process (or a crash) moved the log on: start again from the stored partial tiles.
        const coords = TreeBuilder.partialTileCoords(size);
        const stored = await readTiles(tx, coords);
        builder = TreeBuilder.restore(size, (c) => stored.get(formatTilePath(c)));
      }
      const appended = builder.append(pending.map((v) => encodeVerdictLeaf(this.leafOf(v))));
      const leaves = pending.map((v, i) => ({
        idx: size + i,
        verdict_id: Number(v.id),
        leaf_hash: Buffer.from(appended.leafHashes[i]).toString('hex'),
      }));
      for (let i = 0; i < leaves.length; i += 500) {
        const part = leaves.slice(i, i + 500);
        await insertMany(tx, this.store.dialect, 'log_leaves', part, 500);
        // By id, never by range: on PostgreSQL a smaller id may have committed since the select.
        await tx
          .deleteFrom('log_queue')
          .where(
            'verdict_id',
            'in',
            part.map((l) => l.verdict_id),
          )
          .execute();
      }
      const tiles = appended.tiles.map((t) => ({
        path: formatTilePath(t.coord),
        data: Buffer.from(t.bytes).toString('base64'),
      }));
      for (let i = 0; i < tiles.length; i += 500)
        await tx
          .insertInto('log_tiles')
          .values(tiles.slice(i, i + 500))
          .onConflict((oc) => oc.column('path').doNothing())
          .execute();
      const note = signCheckpoint(
        { origin: this.opts.origin, size: appended.size, root: appended.root, extensions: [] },
        [ed25519Signer(this.signer)],
      );
      await tx
        .insertInto('log_checkpoints')
        .values({
          size: appended.size,
          root: Buffer.from(appended.root).toString('hex'),
          note,
          created_at: now,
        })
        .execute();
      return { builder: appended.builder, count: pending.length };
    });
    if (result === undefined) return 0;
    this.builder = result.builder;
    return result.count;
  }

  /** The latest signed checkpoint with the cosignatures witnesses gave it; undefined while empty. */
  async checkpoint(): Promise<{ size: number; note: string } | undefined> {
    const c = await this.store.db
      .selectFrom('log_checkpoints')
      .selectAll()
      .orderBy('size', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (c === undefined) return undefined;
    const cosigs = await this.store.db
      .selectFrom('log_cosignatures')
      .select('line')
      .where('size', '=', c.size)
      .execute();
    const note =
      cosigs.length === 0
        ? c.note
        : addSignatures(
            c.note,
            cosigs.map((x) => parseSignatureLine(x.line)),
          );
    return { size: Number(c.size), note };
  }

  async checkpointAt(size: number): Promise<string | undefined> {
    return (
      await this.store.db
        .selectFrom('log_checkpoints')
        .select('note')
        .where('size', '=', size)
        .executeTakeFirst()
    )?.note;
  }

  /** A stored tile or entry bundle by its tlog-tiles path; undefined when not stored. */
  async tile(path: string): Promise<Uint8Array | undefined> {
    const r = await this.store.db
      .selectFrom('log_tiles')
      .select('data')
      .where('path', '=', path)
      .executeTakeFirst();
    return r === undefined ? undefined : new Uint8Array(Buffer.from(r.data, 'base64'));
  }

  private readonly read = async (coord: TileCoord): Promise<Uint8Array> => {
    const t = await this.tile(formatTilePath(coord));
    if (t === undefined)
      throw new GeoattestError('TLOG_HASH_UNAVAILABLE', `tile ${formatTilePath(coord)} is not stored`);
    return t;
  };

  async size(): Promise<number> {
    const r = await this.store.db
      .selectFrom('log_checkpoints')
      .select((eb) => eb.fn.max('size').as('size'))
      .executeTakeFirst();
    return Number(r?.size ?? 0);
  }

  async inclusionProof(index: number, size: number): Promise<Uint8Array[]> {
    await this.checkSize(size);
    return proveInclusionFromTiles(this.read, index, size, this.cache);
  }

  async consistencyProof(from: number, to: number): Promise<Uint8Array[]> {
    await this.checkSize(to);
    return proveConsistencyFromTiles(this.read, from, to, this.cache);
  }

  private async checkSize(size: number): Promise<void> {
    if (!Number.isSafeInteger(size) || size < 1 || size > (await this.size()))
      throw new GeoattestError('TLOG_SIZE_INVALID', `the log has no tree of size ${size}`);
  }

  async leafByIndex(index: number): Promise<LogLeafInfo | undefined> {
    const r = await this.store.db
      .selectFrom('log_leaves')
      .selectAll()
      .where('idx', '=', index)
      .executeTakeFirst();
    return r === undefined
      ? undefined
      : { index: Number(r.idx), verdictId: Number(r.verdict_id), leafHash: r.leaf_hash };
  }

  async leafOfVerdict(verdictId: number): Promise<LogLeafInfo | undefined> {
    const r = await this.store.db
      .selectFrom('log_leaves')
      .selectAll()
      .where('verdict_id', '=', verdictId)
      .executeTakeFirst();
    return r === undefined
      ? undefined
      : { index: Number(r.idx), verdictId: Number(r.verdict_id), leafHash: r.leaf_hash };
  }

  /**
   * Asks each witness to cosign the latest checkpoint (C2SP tlog-witness add-checkpoint) from the
   * last size it cosigned, and keeps what it returns (verified against its key by the client).
   * A witness that holds another size (409) is answered once more from that size.
   */
  async cosign(witnesses: readonly Witness[], now: number): Promise<{ witness: string; outcome: string }[]> {
    const latest = await this.checkpoint();
    if (latest === undefined) return [];
    const note = (await this.checkpointAt(latest.size))!;
    const out: { witness: string; outcome: string }[] = [];
    for (const w of witnesses) {
      const name = w.vkey.split('+')[0];
      const prev = await this.store.db
        .selectFrom('log_cosignatures')
        .select((eb) => eb.fn.max('size').as('size'))
        .where('witness', '=', name)
        .executeTakeFirst();
      let oldSize = Number(prev?.size ?? 0);
      if (oldSize === latest.size) continue;
      try {
        for (let attempt = 0; attempt < 2; attempt++) {
          const proof = oldSize === 0 ? [] : await this.consistencyProof(oldSize, latest.size);
          const reply = await requestCosignature(w.url, w.vkey, { oldSize, proof, checkpoint: note });
          if (reply.kind === 'conflict' && attempt === 0 && reply.size <= latest.size) {
            oldSize = reply.size;
            continue;
          }
          if (reply.kind === 'cosigned')
            for (const sig of reply.signatures)
              await this.addCosignature(latest.size, name, formatSignatureLine(sig).trimEnd(), now);
          out.push({ witness: name, outcome: reply.kind });
          break;
        }
      } catch (e) {
        out.push({ witness: name, outcome: `failed: ${(e as Error).message}` });
      }
    }
    return out;
  }

  /** Leaf indexes of verdicts that are in the log, by verdict id. */
  async leavesOfVerdicts(ids: readonly number[]): Promise<Map<number, number>> {
    const out = new Map<number, number>();
    for (let i = 0; i < ids.length; i += 500) {
      const part = ids.slice(i, i + 500);
      if (part.length === 0) continue;
      const rows = await this.store.db
        .selectFrom('log_leaves')
        .select(['idx', 'verdict_id'])
        .where('verdict_id', 'in', part)
        .execute();
      for (const r of rows) out.set(Number(r.verdict_id), Number(r.idx));
    }
    return out;
  }

  /** Keeps a witness's cosignature of the checkpoint of `size`. */
  async addCosignature(size: number, witness: string, line: string, now: number): Promise<void> {
    await this.store.db
      .insertInto('log_cosignatures')
      .values({ size, witness, line, received_at: now })
      .onConflict((oc) => oc.columns(['size', 'witness']).doNothing())
      .execute();
  }
}

async function readTiles(db: Store['db'], coords: readonly TileCoord[]): Promise<Map<string, Uint8Array>> {
  const paths = coords.map(formatTilePath);
  const out = new Map<string, Uint8Array>();
  if (paths.length === 0) return out;
  const rows = await db.selectFrom('log_tiles').selectAll().where('path', 'in', paths).execute();
  for (const r of rows) out.set(r.path, new Uint8Array(Buffer.from(r.data, 'base64')));
  return out;
}
