// A worker thread of the verifier: runs batches of jobs (verifier-jobs.ts) for the pool in
// worker-pool.ts. The map is loaded on the first verdict job and kept.

import { parentPort } from 'node:worker_threads';
import type { Atlas } from '../geo/atlas.js';
import { loadAtlas } from '../io/atlas-file.js';
import { type JobKind, runJobs } from './verifier-jobs.js';

let atlas: Atlas | undefined;

parentPort?.on('message', (m: { id: number; kind: JobKind; jobs: never[] }) => {
  try {
    parentPort!.postMessage({
      id: m.id,
      results: runJobs(m.kind, m.jobs, () => (atlas ??= loadAtlas('10m'))),
    });
  } catch (e) {
    parentPort!.postMessage({ id: m.id, error: (e as Error).message });
  }
});
