// Worker threads for the verifier's CPU-heavy jobs (verifier-jobs.ts): receipt signatures and
// verdicts. node:crypto's verify and the verdict search are synchronous, so without workers one
// core does all of ingestion while the others idle. With `size` 0 the jobs run on the calling
// thread: what tests use, and what a one-core machine should use.

import { Worker } from 'node:worker_threads';
import { GeoattestError } from '../errors.js';
import type { Atlas } from '../geo/atlas.js';
import { type JobKind, type JobKinds, runJobs } from './verifier-jobs.js';

/** Jobs per message: signature checks take ~0.3 ms each, verdicts up to tens of ms. */
const CHUNK: Readonly<Record<JobKind, number>> = { signatures: 100, verdicts: 8 };

/**
 * Messages a lane keeps in flight to its worker. A reply is read only when this thread's event
 * loop turns, and a caller that goes on with synchronous SQLite work (the simulator ingesting its
 * next batch while the verdicts of this one are decided) holds it for tens of milliseconds: with
 * one message in flight the worker then idles after every reply. Verdicts go out all at once (the
 * server's batches are a few hundred chips; the simulator's, up to 20,000, a few seconds of work,
 * with its ingestion running on this thread meanwhile); signature checks, which another caller's
 * ingestion may be waiting behind, a few messages at a time. (Capping verdicts at 24 messages was
 * tried: the simulator slowed.)
 */
const DEPTH: Readonly<Record<JobKind, number>> = { signatures: 4, verdicts: Number.POSITIVE_INFINITY };

interface Waiting {
  resolve(results: unknown[]): void;
  reject(e: Error): void;
}

export class WorkerPool {
  private readonly workers: Worker[] = [];
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;
  private turn = 0;

  /** `size` worker threads; the worker script is the compiled verifier-worker.js beside this file. */
  constructor(
    size: number,
    private readonly atlas: () => Atlas,
  ) {
    for (let i = 0; i < size; i++) {
      const w = new Worker(new URL('./verifier-worker.js', import.meta.url));
      w.on('message', (m: { id: number; results?: unknown[]; error?: string }) => {
        const p = this.waiting.get(m.id);
        this.waiting.delete(m.id);
        if (m.error !== undefined) p?.reject(new GeoattestError('INTERNAL', `worker failed: ${m.error}`));
        else p?.resolve(m.results ?? []);
      });
      // A worker that dies fails what it was doing rather than leaving it waiting forever.
      w.on('error', (e: unknown) => this.failAll(e instanceof Error ? e : new Error(String(e))));
      w.on('exit', (code) => {
        if (code !== 0) this.failAll(new Error(`worker exited with ${code}`));
      });
      w.unref();
      this.workers.push(w);
    }
  }

  get size(): number {
    return this.workers.length;
  }

  private readonly outstanding = new Map<Worker, number>();

  private busy(w: Worker, delta: number): void {
    const n = (this.outstanding.get(w) ?? 0) + delta;
    this.outstanding.set(w, n);
    if (delta > 0 && n === 1) w.ref();
    if (n === 0) w.unref();
  }

  private failAll(e: Error): void {
    for (const [id, p] of this.waiting) {
      this.waiting.delete(id);
      p.reject(new GeoattestError('INTERNAL', `worker failed: ${e.message}`));
    }
  }

  /**
   * Runs every job; results in order. Jobs go out in small chunks, a few in flight per worker
   * (DEPTH), so a batch uses every core yet a caller's signature checks never queue a long run of
   * work ahead of another caller's on the same worker.
   */
  async run<K extends JobKind>(
    kind: K,
    jobs: readonly JobKinds[K]['job'][],
  ): Promise<JobKinds[K]['result'][]> {
    if (this.workers.length === 0 || jobs.length === 0) return runJobs(kind, jobs, this.atlas);
    const chunk = CHUNK[kind];
    const results: unknown[] = new Array(jobs.length);
    let next = 0;
    let failure: unknown;
    const lanes = Math.min(this.workers.length, Math.ceil(jobs.length / chunk));
    await Promise.all(
      Array.from({ length: lanes }, async (_, lane) => {
        const w = this.workers[(this.turn + lane) % this.workers.length];
        const inFlight = new Set<Promise<void>>();
        while (next < jobs.length && failure === undefined) {
          const from = next;
          next = Math.min(jobs.length, next + chunk);
          const id = this.nextId++;
          // Referenced while it works for us, so a process waiting on it stays alive; unreferenced
          // when idle, so an idle pool never keeps a process from exiting.
          this.busy(w, +1);
          const sent: Promise<void> = new Promise<unknown[]>((resolve, reject) => {
            this.waiting.set(id, { resolve, reject });
            w.postMessage({ id, kind, jobs: jobs.slice(from, next) });
          })
            .then(
              (part) => {
                for (let i = 0; i < part.length; i++) results[from + i] = part[i];
              },
              (e: unknown) => {
                failure ??= e;
              },
            )
            .finally(() => {
              this.busy(w, -1);
              inFlight.delete(sent);
            });
          inFlight.add(sent);
          // Full: wait for a reply. Otherwise let the other lanes send too, so chunks alternate.
          await (inFlight.size >= DEPTH[kind] ? Promise.race(inFlight) : null);
        }
        await Promise.all(inFlight);
      }),
    );
    this.turn = (this.turn + lanes) % this.workers.length;
    if (failure !== undefined) throw failure;
    return results as JobKinds[K]['result'][];
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
