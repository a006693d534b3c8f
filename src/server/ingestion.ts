// Ingestion: a batch of landmark receipts in, each checked, the new ones stored durably and their
// chips queued for a verdict. Checks, in order of cost: the bytes parse (strict, canonical); the
// landmark is registered, active, and the caller may speak for it; the landmark signed it; the
// device is a registered, active chip whose key signed the decisive round; the receipt is fresh.
// A bad receipt is rejected with its code and never touches the store; the others still land.

import { createHash, type KeyObject } from 'node:crypto';
import { publicKeyFromRaw } from '../attest/software-identity.js';
import { GeoattestError, isGeoattestError } from '../errors.js';
import {
  minRttNs,
  parseReceipt,
  type Receipt,
  receiptHash,
  verifyReceipt,
  verifyReceiptDevice,
} from '../protocol/wire.js';
import type { Store } from '../store/database.js';
import type { EvidenceStore } from '../store/evidence-store.js';
import type { ReceiptTable } from '../store/schema.js';

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
}

interface LandmarkEntry {
  readonly key: KeyObject;
  readonly active: boolean;
}

interface ChipEntry {
  readonly id: string;
  readonly keyId: string;
  readonly key: KeyObject;
  readonly active: boolean;
}

export const MAX_BATCH = 5000;

/** The landmark id as typed: the receipt's 16 bytes without their zero padding. */
export function landmarkIdText(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return Buffer.from(bytes.subarray(0, end === -1 ? bytes.length : end)).toString('ascii');
}

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

export class Ingestion {
  private landmarks = new Map<string, LandmarkEntry | null>();
  private chips = new Map<string, ChipEntry | null>();
  private cachedAt = 0;
  private readonly maxAgeMs: number;
  private readonly maxSkewMs: number;
  private readonly cacheMs: number;

  constructor(
    private readonly store: Store,
    private readonly evidence: EvidenceStore,
    opts: IngestionOptions = {},
  ) {
    this.maxAgeMs = opts.maxAgeMs ?? 7 * 24 * 3_600_000;
    this.maxSkewMs = opts.maxSkewMs ?? 5 * 60_000;
    this.cacheMs = opts.cacheMs ?? 5000;
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
    const rows: ReceiptTable[] = [];
    const hashes: (string | null)[] = new Array(batch.length).fill(null);
    const seen = new Set<string>();
    let duplicates = 0;
    for (let index = 0; index < batch.length; index++) {
      try {
        const { row } = await this.check(batch[index], caller, now);
        hashes[index] = row.hash;
        if (seen.has(row.hash)) {
          duplicates++;
          continue;
        }
        seen.add(row.hash);
        rows.push(row);
      } catch (e) {
        if (!isGeoattestError(e)) throw e;
        rejected.push({ index, code: e.code, message: e.message });
      }
    }
    const fresh = await this.evidence.append(rows, now);
    duplicates += rows.length - fresh.size;
    return { accepted: fresh.size, duplicates, rejected, hashes };
  }

  private async check(
    item: unknown,
    caller: IngestCaller,
    now: number,
  ): Promise<{ row: ReceiptTable; receipt: Receipt }> {
    if (typeof item !== 'string' || item.length > 1024 || !/^[A-Za-z0-9+/]*={0,2}$/.test(item))
      throw new GeoattestError('INVALID_REQUEST', 'a receipt must be a base64 string');
    const bytes = new Uint8Array(Buffer.from(item, 'base64'));
    const receipt = parseReceipt(bytes);
    const landmarkId = landmarkIdText(receipt.landmarkId);
    if (caller.landmarkId !== undefined && caller.landmarkId !== landmarkId)
      throw new GeoattestError(
        'LANDMARK_NOT_YOURS',
        `this token submits for landmark ${caller.landmarkId}, not ${landmarkId}`,
      );
    const landmark = await this.landmark(landmarkId);
    if (landmark === null)
      throw new GeoattestError('LANDMARK_UNKNOWN', `no landmark ${JSON.stringify(landmarkId)}`);
    if (!landmark.active)
      throw new GeoattestError('LANDMARK_INACTIVE', `landmark ${landmarkId} is not active`);
    verifyReceipt(landmark.key, receipt);
    const chip = await this.chip(hex(receipt.deviceId));
    if (chip === null)
      throw new GeoattestError('DEVICE_UNKNOWN', 'no chip is registered with this device id');
    if (!chip.active) throw new GeoattestError('CHIP_INACTIVE', `chip ${chip.id} is not active`);
    if (receipt.trustMode !== 'software' || hex(receipt.keyId) !== chip.keyId)
      throw new GeoattestError('KEY_MISMATCH', `the receipt's key is not chip ${chip.id}'s registered key`);
    verifyReceiptDevice(receipt, chip.key);
    const measuredAt = Number(receipt.wallClockMs);
    if (measuredAt > now + this.maxSkewMs)
      throw new GeoattestError(
        'RECEIPT_FROM_FUTURE',
        `measured ${measuredAt - now} ms in the verifier's future`,
      );
    if (measuredAt < now - this.maxAgeMs) throw new GeoattestError('RECEIPT_STALE', 'measured too long ago');
    const row: ReceiptTable = {
      hash: hex(receiptHash(receipt)),
      chip_id: chip.id,
      landmark_id: landmarkId,
      measured_at: measuredAt,
      min_rtt_ns: Number(minRttNs(receipt)),
      trust_mode: receipt.trustMode,
      raw: Buffer.from(bytes).toString('base64'),
      received_at: now,
    };
    return { row, receipt };
  }

  private async landmark(id: string): Promise<LandmarkEntry | null> {
    let e = this.landmarks.get(id);
    if (e === undefined) {
      const r = await this.store.db
        .selectFrom('landmarks')
        .select(['public_key', 'status'])
        .where('id', '=', id)
        .executeTakeFirst();
      e =
        r === undefined
          ? null
          : { key: publicKeyFromRaw(Buffer.from(r.public_key, 'base64')), active: r.status === 'active' };
      this.landmarks.set(id, e);
    }
    return e;
  }

  private async chip(deviceId: string): Promise<ChipEntry | null> {
    let e = this.chips.get(deviceId);
    if (e === undefined) {
      const r = await this.store.db
        .selectFrom('chips')
        .select(['id', 'key_id', 'public_key', 'status', 'licence_id'])
        .where('device_id', '=', deviceId)
        .executeTakeFirst();
      e =
        r === undefined
          ? null
          : {
              id: r.id,
              keyId: r.key_id,
              key: publicKeyFromRaw(Buffer.from(r.public_key, 'base64')),
              active: r.status === 'active',
            };
      this.chips.set(deviceId, e);
    }
    return e;
  }
}

/** SHA-256 over the sorted hex receipt hashes, newline-separated: what a verdict rests on. */
export function evidenceHash(receiptHashes: readonly string[]): string {
  return createHash('sha256')
    .update([...receiptHashes].sort().join('\n'))
    .digest('hex');
}
