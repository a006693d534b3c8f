// The verdict queue read in order and from a cursor (EvidenceStore.pending): a caller deciding one
// batch takes the next without taking the first's chips again, nothing queued is passed over, and
// a chip queued again after the cursor comes back.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BACKENDS, openTestVerifier, type TestDb } from '../helpers/verifier-world.js';

const T0 = Date.parse('2026-06-01T00:00:00Z');

for (const backend of BACKENDS) {
  describe(`the verdict queue on ${backend}`, () => {
    let t: TestDb;
    beforeEach(async () => {
      t = await openTestVerifier(backend, { now: () => T0 });
    });
    afterEach(async () => {
      await t.cleanup();
    });

    it('pages through the queue by time then chip, each queued chip once', async () => {
      const e = t.verifier.evidence;
      // Three ingestion batches: two share a time, as chips of one batch do.
      await e.queueChips(['c', 'a', 'b'], T0);
      await e.queueChips(['e', 'd'], T0 + 1000);
      await e.queueChips(['f'], T0 + 2000);
      const first = await e.pending(2);
      expect(first).toEqual([
        { chipId: 'a', since: T0 },
        { chipId: 'b', since: T0 },
      ]);
      // The cursor falls inside a group of one time: the rest of the group comes next.
      const second = await e.pending(3, Number.MAX_SAFE_INTEGER, first[1]);
      expect(second.map((q) => q.chipId)).toEqual(['c', 'd', 'e']);
      // Only what was queued by the given time.
      const third = await e.pending(10, T0 + 1000, second[2]);
      expect(third).toEqual([]);
      const last = await e.pending(10, T0 + 2000, second[2]);
      expect(last).toEqual([{ chipId: 'f', since: T0 + 2000 }]);
      // A chip queued again (later) is due again, after the cursor.
      await e.queueChips(['a'], T0 + 3000);
      expect(await e.pending(10, Number.MAX_SAFE_INTEGER, last[0])).toEqual([
        { chipId: 'a', since: T0 + 3000 },
      ]);
      expect(await e.queueLength()).toBe(6);
    });
  });
}
