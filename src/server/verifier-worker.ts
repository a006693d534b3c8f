// A worker thread of the verifier: runs batches of jobs (verifier-jobs.ts) for the pool in
// worker-pool.ts. The map is loaded as the worker starts (about a second and a half, which would
// otherwise hold up the first verdicts) and kept.

import { parentPort } from 'node:worker_threads';
import type { Atlas } from '../geo/atlas.js';
import { loadAtlas } from '../io/atlas-file.js';
import { type JobKind, runJobs } from './verifier-jobs.js';

let atlas: Atlas | undefined;
const map = () => (atlas ??= loadAtlas('10m'));
// After the message handler below is in place; jobs that arrive meanwhile wait in the port.
setImmediate(map);

parentPort?.on('message', (m: { id: number; kind: JobKind; jobs: never[] }) => {
  try {
    parentPort!.postMessage({
      id: m.id,
      results: runJobs(m.kind, m.jobs, map),
    });
  } catch (e) {
    parentPort!.postMessage({ id: m.id, error: (e as Error).message });
  }
});
