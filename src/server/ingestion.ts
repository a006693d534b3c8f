// Ingestion: a batch of landmark receipts in, each checked, the new ones stored durably and their
// chips queued for a verdict. Checks, in order of cost: the bytes parse (strict, canonical); the
// landmark is registered, active, and the caller may speak for it; the landmark signed it; the
// device is a registered, active chip whose key signed the decisive round; the receipt is fresh.
// A bad receipt is rejected with its code and never touches the store; the others still land.

import { hash as digest } from 'node:crypto';
import { GeoattestError, isGeoattestError } from '../errors.js';
import { landmarkIdText } from '../landmark/landmark-core.js';
import type { TrustMode } from '../protocol/message-types.js';
import { minRttNs, parseReceipt } from '../protocol/wire.js';
import { DEFAULT_MAX_SKEW_MS } from '../store/chains.js';
import type { Store } from '../store/database.js';
import type { EvidenceStore, NewReceipt } from '../store/evidence-store.js';
import { runJobs, type SignatureJob } from './verifier-jobs.js';
import type { WorkerPool } from './worker-pool.js';

export interface IngestCaller {
  /** The actor, for logs. */
  readonly name: string;
  /** A landmark token may submit only its own landmark's receipts. */
  readonly landmarkId?: string;
}

export interface Rejection {
  readonly index: number;
  readonly code: string;
  readonly message: string;
}

export interface IngestResult {
  readonly accepted: number;
  readonly duplicates: number;
  readonly rejected: readonly Rejection[];
  /** Hex receipt hash of every receipt that is stored (new or duplicate), in batch order. */
  readonly hashes: readonly (string | null)[];
}

export interface IngestionOptions {
  /** Receipts measured longer ago than this are refused (default 7 days: a landmark's backlog). */
  readonly maxAgeMs?: number;
  /** Allowed clock skew of a landmark ahead of the verifier (default 5 min). */
  readonly maxSkewMs?: number;
  /** How long looked-up keys are reused (default 5 s); ledger writes in this process clear them. */
  readonly cacheMs?: number;
  /**
   * Skip both signature checks: TRUSTS every receipt's landmark and device signatures. Only the
   * scale simulator's ingest-only runs set it (`geoattest simulate --no-sign`, whose receipts carry
   * zero signatures); `geoattest serve` never does, and nothing reads it from a request.
   */
  readonly unsignedForSimulation?: boolean;
}

interface LandmarkEntry {
  readonly raw: Uint8Array;
  readonly active: boolean;
}

interface ChipEntry {
  readonly id: string;
  readonly keyId: string;
  readonly mode: 'software' | 'gpu-evidence' | 'gpu-session';
  readonly raw: Uint8Array;
  readonly active: boolean;
}

export const MAX_BATCH = 5000;

const noAtlas = (): never => {
  throw new Error('signature checks need no map');
};

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/**
 * What the checks need of a receipt that parsed, taken out at once: the parsed receipt, a few
 * dozen objects, then dies young instead of living through the batch's lookups, and the young
 * generation's collections copy less (a sixth less scavenging time on the main thread of a
 * 100,000-chip simulation, node --trace-gc).
 */
interface Parsed {
  readonly bytes: Uint8Array;
  readonly landmarkId: string;
  /** Hex device id. */
  readonly deviceId: string;
  readonly keyId: Uint8Array;
  readonly trustMode: TrustMode;
  readonly measuredAt: number;
  readonly minRttNs: number;
}

/** A batch's view of the ledger: the landmarks and chips its receipts name (null: unknown). */
interface Known {
  readonly landmarks: Map<string, LandmarkEntry | null>;
  readonly chips: Map<string, ChipEntry | null>;
}

function receiptBytes(item: unknown): Uint8Array {
  if (item instanceof Uint8Array && item.length <= 768) return item;
  if (typeof item !== 'string' || item.length > 1024 || !/^[A-Za-z0-9+/]*={0,2}$/.test(item))
    throw new GeoattestError('INVALID_REQUEST', 'a receipt must be a base64 string');
  return new Uint8Array(Buffer.from(item, 'base64'));
}

export class Ingestion {
  private landmarks = new Map<string, LandmarkEntry | null>();
  private chips = new Map<string, ChipEntry | null>();
  private cachedAt = 0;
  private readonly maxAgeMs: number;
  private readonly maxSkewMs: number;
  private readonly cacheMs: number;
  private readonly unsignedForSimulation: boolean;

  constructor(
    private readonly store: Store,
    private readonly evidence: EvidenceStore,
    opts: IngestionOptions = {},
    private readonly workers?: WorkerPool,
  ) {
    this.maxAgeMs = opts.maxAgeMs ?? 7 * 24 * 3_600_000;
    this.maxSkewMs = opts.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
    this.cacheMs = opts.cacheMs ?? 5000;
    this.unsignedForSimulation = opts.unsignedForSimulation === true;
  }

  /** Forget cached keys and statuses (after a ledger change). */
  invalidate(): void {
    this.landmarks.clear();
    this.chips.clear();
  }

  async ingest(batch: readonly unknown[], caller: IngestCaller, now: number): Promise<IngestResult> {
    if (now - this.cachedAt > this.cacheMs) {
      this.invalidate();
      this.cachedAt = now;
    }
    const rejected: Rejection[] = [];
    const rows: NewReceipt[] = [];
    const hashes: (string | null)[] = new Array(batch.length).fill(null);
    const seen = new Set<string>();
    let duplicates = 0;
    // Parse everything first, then look up the batch's unknown landmarks and chips in a few queries.
    const parsed = batch.map((item) => {
      try {
        return { receipt: this.parse(item) };
      } catch (e) {
        if (!isGeoattestError(e)) throw e;
        return { error: e };
      }
    });
    const good = parsed.flatMap((p) => (p.receipt ? [p.receipt] : []));
    // This batch's own view of the ledger: a cache cleared meanwhile (a ledger write) cannot leave
    // a hole in it.
    const known: Known = {
      landmarks: await this.lookUpLandmarks(good.map((p) => p.landmarkId)),
      chips: await this.lookUpChips(good.map((p) => p.deviceId)),
    };
    // Ledger checks first (cheap), then both signatures of the survivors, on all cores.
    const checked: { index: number; row: NewReceipt; job: SignatureJob }[] = [];
    for (let index = 0; index < batch.length; index++) {
      try {
        const p = parsed[index];
        if (p.error !== undefined) throw p.error;
        checked.push({ index, ...this.check(p.receipt!, known, caller, now) });
      } catch (e) {
        if (!isGeoattestError(e)) throw e;
        rejected.push({ index, code: e.code, message: e.message });
      }
    }
    const jobs = checked.map((c) => c.job);
    const verdicts = this.unsignedForSimulation
      ? jobs.map(() => null)
      : this.workers
        ? await this.workers.run('signatures', jobs)
        : runJobs('signatures', jobs, noAtlas);
    checked.forEach(({ index, row }, i) => {
      const code = verdicts[i];
      if (code !== null) {
        rejected.push({
          index,
          code,
          message:
            code === 'PACKET_BAD_SIGNATURE'
              ? 'a signature does not verify'
              : 'the receipt could not be checked',
        });
        return;
      }
      hashes[index] = row.hash;
      if (seen.has(row.hash)) {
        duplicates++;
        return;
      }
      seen.add(row.hash);
      rows.push(row);
    });
    rejected.sort((a, b) => a.index - b.index);
    const fresh = await this.evidence.append(rows, now);
    duplicates += rows.length - fresh.size;
    return { accepted: fresh.size, duplicates, rejected, hashes };
  }

  /** A receipt as the API carries it (base64), or its bytes from a caller in this process. */
  private parse(item: unknown): Parsed {
    const bytes = receiptBytes(item);
    const receipt = parseReceipt(bytes);
    return {
      bytes,
      landmarkId: landmarkIdText(receipt.landmarkId),
      deviceId: hex(receipt.deviceId),
      keyId: receipt.keyId,
      trustMode: receipt.trustMode,
      measuredAt: Number(receipt.wallClockMs),
      minRttNs: Number(minRttNs(receipt)),
    };
  }

  /** Everything but the signatures: which landmark, which chip, which key, how fresh. */
  private check(
    { bytes, landmarkId, deviceId, keyId, trustMode, measuredAt, minRttNs }: Parsed,
    known: Known,
    caller: IngestCaller,
    now: number,
  ): { row: NewReceipt; job: SignatureJob } {
    if (caller.landmarkId !== undefined && caller.landmarkId !== landmarkId)
      throw new GeoattestError(
        'LANDMARK_NOT_YOURS',
        `this token submits for landmark ${caller.landmarkId}, not ${landmarkId}`,
      );
    const landmark = known.landmarks.get(landmarkId) ?? null;
    if (landmark === null)
      throw new GeoattestError('LANDMARK_UNKNOWN', `no landmark ${JSON.stringify(landmarkId)}`);
    if (!landmark.active)
      throw new GeoattestError('LANDMARK_INACTIVE', `landmark ${landmarkId} is not active`);
    const chip = known.chips.get(deviceId) ?? null;
    if (chip === null)
      throw new GeoattestError('DEVICE_UNKNOWN', 'no chip is registered with this device id');
    if (!chip.active) throw new GeoattestError('CHIP_INACTIVE', `chip ${chip.id} is not active`);
    if (trustMode === 'gpu-evidence')
      throw new GeoattestError(
        'TRUST_MODE_UNSUPPORTED',
        'gpu-evidence receipts are not carried by protocol v1',
      );
    if (trustMode !== chip.mode)
      throw new GeoattestError(
        'KEY_MISMATCH',
        `chip ${chip.id} is registered in ${chip.mode} mode, not ${trustMode}`,
      );
    if (chip.mode === 'software' && hex(keyId) !== chip.keyId)
      throw new GeoattestError('KEY_MISMATCH', `the receipt's key is not chip ${chip.id}'s registered key`);
    if (measuredAt > now + this.maxSkewMs)
      throw new GeoattestError(
        'RECEIPT_FROM_FUTURE',
        `measured ${measuredAt - now} ms in the verifier's future`,
      );
    if (measuredAt < now - this.maxAgeMs) throw new GeoattestError('RECEIPT_STALE', 'measured too long ago');
    const row = {
      // The exact bytes: a receipt parses only in its one canonical encoding, so this is the
      // receiptHash of what was parsed, without encoding it again.
      hash: digest('sha256', bytes, 'hex'),
      chip_id: chip.id,
      landmark_id: landmarkId,
      measured_at: measuredAt,
      min_rtt_ns: minRttNs,
      trust_mode: trustMode,
      raw: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      received_at: now,
    };
    // A gpu-session receipt's device signature is made by a session key that only its evidence
    // bundle names: POST /v1/evidence checks it, and until then no verdict counts the receipt.
    return {
      row,
      job: {
        receipt: bytes,
        landmarkKey: landmark.raw,
        deviceKey: chip.mode === 'software' ? chip.raw : null,
      },
    };
  }

  /** The chips with these device ids (null: none), from the cache or in one query per 500. */
  private async lookUpChips(deviceIds: readonly string[]): Promise<Map<string, ChipEntry | null>> {
    // Bounded: past this many cached chips, start again rather than grow with the fleet.
    if (this.chips.size > 200_000) this.chips.clear();
    return lookUp(this.chips, deviceIds, async (part) => {
      const rows = await this.store.db
        .selectFrom('chips')
        .select(['id', 'key_id', 'public_key', 'status', 'device_id', 'identity_mode'])
        .where('device_id', 'in', part)
        .execute();
      return rows.map((r) => [r.device_id, chipEntry(r)]);
    });
  }

  private async lookUpLandmarks(ids: readonly string[]): Promise<Map<string, LandmarkEntry | null>> {
    return lookUp(this.landmarks, ids, async (part) => {
      const rows = await this.store.db
        .selectFrom('landmarks')
        .select(['id', 'public_key', 'status'])
        .where('id', 'in', part)
        .execute();
      return rows.map((r) => [
        r.id,
        { raw: new Uint8Array(Buffer.from(r.public_key, 'base64')), active: r.status === 'active' },
      ]);
    });
  }
}

/** Entries for `keys` from `cache`, the missing ones fetched 500 at a time and cached (null: none). */
async function lookUp<T>(
  cache: Map<string, T | null>,
  keys: readonly string[],
  fetch: (part: string[]) => Promise<[string, T][]>,
): Promise<Map<string, T | null>> {
  const out = new Map<string, T | null>();
  const missing: string[] = [];
  for (const k of keys) {
    if (out.has(k)) continue;
    const hit = cache.get(k);
    if (hit === undefined) missing.push(k);
    out.set(k, hit ?? null);
  }
  for (let i = 0; i < missing.length; i += 500) {
    const part = missing.slice(i, i + 500);
    for (const [k, v] of await fetch(part)) out.set(k, v);
    for (const k of part) cache.set(k, out.get(k) ?? null);
  }
  return out;
}

function chipEntry(r: {
  id: string;
  key_id: string;
  public_key: string;
  status: string;
  identity_mode: string;
}): ChipEntry {
  return {
    id: r.id,
    keyId: r.key_id,
    mode: r.identity_mode as ChipEntry['mode'],
    // Software chips: the raw Ed25519 key; GPU chips keep their PEM chain, which no job needs.
    raw:
      r.identity_mode === 'software'
        ? new Uint8Array(Buffer.from(r.public_key, 'base64'))
        : new Uint8Array(0),
    active: r.status === 'active',
  };
}
