// The receipt source's thread (check-in-source.ts): makes the plan's batches in order, one for each
// 'next' it is asked for, and hands each buffer over rather than copying it.

import { parentPort, workerData } from 'node:worker_threads';
import { type CheckInPlan, checkInBatches } from './check-in-source.js';

const batches = checkInBatches(workerData as CheckInPlan);

parentPort?.on('message', () => {
  const b = batches.next();
  if (b.done) return;
  parentPort!.postMessage(b.value, [b.value.bytes.buffer as ArrayBuffer]);
});
