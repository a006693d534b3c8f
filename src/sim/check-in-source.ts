// The scale simulator's receipts, made on a thread of their own. In the world they are made by the
// landmarks, on their own machines; made on the verifier's thread they took a twentieth of it
// (1 M chips × 1 h: 10.9 of 211 s, plus the garbage), and that thread is the simulator's limit.
// The source thread makes each ingestion batch of receipts into one buffer (a receipt is always
// RECEIPT_LENGTH bytes), hands it over without a copy, and keeps a few batches ahead.

import type { KeyObject } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { GeoattestError } from '../errors.js';
import { MESSAGE_TYPES } from '../protocol/message-types.js';
import { minRttOverKMs, type Site } from './latency-model.js';
import { seededRandom } from './random.js';
import { makeReceipt, unsignedReceipt } from './receipt-factory.js';
import { type FleetColumns, ScaleFleet } from './scale-fleet.js';

const RECEIPT_LENGTH = MESSAGE_TYPES.receipt.length;
const HOUR = 3_600_000;

export interface SourceLandmark {
  readonly id: string;
  readonly idBytes: Uint8Array;
  readonly site: Site;
  readonly privateKey: KeyObject;
}

/**
 * Everything the source needs: the same plan gives the same measurements on any thread (only the
 * nonces differ, drawn from node:crypto).
 */
export interface CheckInPlan {
  readonly fleet: FleetColumns;
  readonly landmarks: readonly SourceLandmark[];
  /** Position in the hour → chip index. */
  readonly order: Uint32Array;
  readonly hours: number;
  /** Chips to an ingestion batch. */
  readonly perBatch: number;
  readonly startMs: number;
  readonly seed: number;
}

/** One batch as made: its chips' positions in the hour, `from` (inclusive) to `end`, and their receipts end to end. */
export interface MadeBatch {
  readonly hour: number;
  readonly from: number;
  readonly end: number;
  readonly bytes: Uint8Array;
}

/** One batch as ingestion takes it: a receipt each. */
export interface CheckInBatch extends Omit<MadeBatch, 'bytes'> {
  readonly receipts: readonly Uint8Array[];
}

/**
 * The batches of a plan in order, hour by hour, computed on the calling thread. Each chip checks in
 * once an hour, at its position spread evenly over the hour, with every landmark it is set to use:
 * five pings over one drawn path (latency-model.ts), the smallest the measurement.
 */
export function* checkInBatches(plan: CheckInPlan): Generator<MadeBatch> {
  const chips = ScaleFleet.fromColumns(plan.fleet);
  const n = chips.length;
  // A stream of its own: the fleet's placement drew from another.
  const rng = seededRandom(plan.seed ^ 0x5eed);
  for (let hour = 0; hour < plan.hours; hour++) {
    const hourStart = plan.startMs + hour * HOUR;
    for (let from = 0; from < n; from += plan.perBatch) {
      const end = Math.min(n, from + plan.perBatch);
      const bytes = new Uint8Array((end - from) * chips.perChip * RECEIPT_LENGTH);
      let at = 0;
      for (let p = from; p < end; p++) {
        const c = plan.order[p];
        const wallMs = hourStart + (p / n) * HOUR;
        const site = chips.site(c);
        const privateKey = chips.privateKey(c);
        for (const j of chips.landmarks(c)) {
          const l = plan.landmarks[j];
          const best = minRttOverKMs(site, l.site, 5, rng);
          const rttsMs = [best + 0.05, best, best + 0.02, best + 0.11, best + 0.03];
          bytes.set(
            privateKey === undefined
              ? unsignedReceipt({
                  deviceId: chips.deviceId(c),
                  keyId: chips.keyId(c),
                  landmarkId: l.idBytes,
                  rttsMs,
                  wallMs,
                })
              : makeReceipt({
                  landmarkId: l.id,
                  landmark: l,
                  device: { privateKey, raw: chips.raw(c) },
                  rttsMs,
                  wallMs,
                }),
            at,
          );
          at += RECEIPT_LENGTH;
        }
      }
      yield { hour, from, end, bytes };
    }
  }
}

/** Batches this far ahead of the one being ingested: enough to ride out the verifier's pauses. */
const AHEAD = 3;

/** A batch's buffer as the receipts ingestion takes: views into it, no copies. */
function asBatch(m: MadeBatch): CheckInBatch {
  const receipts: Uint8Array[] = [];
  for (let at = 0; at < m.bytes.length; at += RECEIPT_LENGTH)
    receipts.push(m.bytes.subarray(at, at + RECEIPT_LENGTH));
  return { hour: m.hour, from: m.from, end: m.end, receipts };
}

/**
 * The plan's batches, made on a worker thread (check-in-worker.js, compiled beside this file) a
 * few ahead of the caller, or with `thread: false` on the caller's thread when asked for (as the
 * verifier's jobs run when it has no workers). `close` when done, or after an error.
 */
export class CheckInSource {
  private readonly worker: Worker | undefined;
  private readonly local: ReturnType<typeof checkInBatches> | undefined;
  private readonly ready: (CheckInBatch | Error)[] = [];
  private wanting: ((b: CheckInBatch | Error) => void) | undefined;
  private asked = 0;
  private taken = 0;
  private readonly total: number;
  private failure: Error | undefined;

  constructor(plan: CheckInPlan, opts: { thread?: boolean } = {}) {
    this.total = plan.hours * Math.ceil(plan.fleet.filled / plan.perBatch);
    if (opts.thread === false) {
      this.local = checkInBatches(plan);
      return;
    }
    const worker = new Worker(new URL('./check-in-worker.js', import.meta.url), { workerData: plan });
    this.worker = worker;
    worker.on('message', (m: MadeBatch) => this.deliver(asBatch(m)));
    const fail = (e: Error) => {
      this.failure ??= new GeoattestError('INTERNAL', `the receipt source failed: ${e.message}`, {
        cause: e,
      });
      this.deliver(this.failure);
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (code !== 0 && this.taken < this.total) fail(new Error(`exited with ${code}`));
    });
    this.ask();
  }

  /** The next batch in order: hour by hour, positions ascending. */
  async next(): Promise<CheckInBatch> {
    if (this.taken >= this.total) throw new RangeError('the plan has no more batches');
    if (this.local !== undefined) {
      this.taken++;
      return asBatch(this.local.next().value!);
    }
    const got = this.ready.shift() ?? (await new Promise<CheckInBatch | Error>((r) => (this.wanting = r)));
    if (got instanceof Error) throw got;
    this.taken++;
    this.ask();
    return got;
  }

  async close(): Promise<void> {
    await this.worker?.terminate();
  }

  private ask(): void {
    while (this.asked < Math.min(this.total, this.taken + AHEAD)) {
      this.worker!.postMessage('next');
      this.asked++;
    }
  }

  private deliver(b: CheckInBatch | Error): void {
    const w = this.wanting;
    this.wanting = undefined;
    if (w !== undefined) w(b);
    else this.ready.push(b);
  }
}
