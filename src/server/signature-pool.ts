// A pool of signature-checking worker threads (signature-worker.ts). With `size` 0 the checks run
// inline, on this thread: what tests use, and what a one-core machine should use.

import { Worker } from 'node:worker_threads';
import { checkSignatures, type SignatureJob } from './signature-worker.js';

export class SignaturePool {
  private readonly workers: Worker[] = [];
  private readonly waiting = new Map<number, (r: (string | null)[]) => void>();
  private nextId = 1;
  private turn = 0;

  /** `size` worker threads; the worker script must be compiled JavaScript beside this file. */
  constructor(size: number) {
    for (let i = 0; i < size; i++) {
      const w = new Worker(new URL('./signature-worker.js', import.meta.url));
      w.on('message', (m: { id: number; results: (string | null)[] }) => {
        this.waiting.get(m.id)?.(m.results);
        this.waiting.delete(m.id);
      });
      w.unref();
      this.workers.push(w);
    }
  }

  get size(): number {
    return this.workers.length;
  }

  /** Checks every job; each result is null (both signatures hold) or an error code. */
  async check(jobs: readonly SignatureJob[]): Promise<(string | null)[]> {
    if (this.workers.length === 0 || jobs.length === 0) return jobs.map(checkSignatures);
    // Split the batch across the workers, so one batch uses every core.
    const n = Math.min(this.workers.length, jobs.length);
    const per = Math.ceil(jobs.length / n);
    const parts = await Promise.all(
      Array.from({ length: n }, (_, i) => {
        const id = this.nextId++;
        const w = this.workers[(this.turn + i) % this.workers.length];
        return new Promise<(string | null)[]>((resolve) => {
          this.waiting.set(id, resolve);
          w.postMessage({ id, items: jobs.slice(i * per, (i + 1) * per) });
        });
      }),
    );
    this.turn = (this.turn + n) % this.workers.length;
    return parts.flat();
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
