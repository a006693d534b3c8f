// Per-chip chains (src/store/chains.ts) in use: a receipt from a landmark's old backlog sent twice
// is still refused; a chip no verdict can be made for keeps its receipts reachable; concurrent
// ingestions of one chip leave one unbroken chain; a chip's verdicts chain from its state.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { diversionReport } from '../../src/server/report-builder.js';
import type { ReceiptTable } from '../../src/store/schema.js';
import {
  BACKENDS,
  keyPair,
  openTestVerifier,
  signedReceipt,
  type TestDb,
} from '../helpers/verifier-world.js';

const T0 = Date.parse('2026-06-01T00:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const KUL = { lat: 3.139, lon: 101.687 };
const SZX = { lat: 22.543, lon: 114.058 };

/** The chain from the head, newest first, by its links alone; throws if a link is missing. */
function linked(rows: readonly ReceiptTable[]): ReceiptTable[] {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const pointedTo = new Set(rows.map((r) => r.prev_id));
  const heads = rows.filter((r) => !pointedTo.has(r.id));
  expect(heads).toHaveLength(1);
  const out: ReceiptTable[] = [];
  for (let r: ReceiptTable | undefined = heads[0]; r !== undefined; r = byId.get(r.prev_id ?? -1))
    out.push(r);
  return out;
}

for (const backend of BACKENDS) {
  describe(`receipt and verdict chains on ${backend}`, () => {
    let t: TestDb;
    let now = T0;
    const landmark = keyPair();
    const shenzhen = keyPair();
    const licensed = keyPair();
    const unlicensed = keyPair();

    beforeEach(async () => {
      now = T0;
      t = await openTestVerifier(backend, { now: () => now });
      const l = t.verifier.ledger;
      await l.addOrg({ id: 'nv', name: 'Exporter', kind: 'exporter' }, 'test', now);
      await l.addOrg({ id: 'dc', name: 'KL Compute', kind: 'end-user' }, 'test', now);
      await l.addOrg({ id: 'ops', name: 'Ops', kind: 'landmark-operator' }, 'test', now);
      await l.addLandmark({ id: 'KUL', operatorId: 'ops', ...KUL, publicKey: landmark.base64 }, 'test', now);
      await l.addLandmark({ id: 'SZX', operatorId: 'ops', ...SZX, publicKey: shenzhen.base64 }, 'test', now);
      await l.addLicence(
        {
          id: 'L-MY',
          exporterId: 'nv',
          endUserId: 'dc',
          destinations: [{ country: 'MY' }],
          models: ['H100'],
          quantity: 1,
          validFrom: T0 - 30 * DAY,
          validTo: T0 + 365 * DAY,
          endUse: 'training',
          revenueSharePct: 0,
        },
        'test',
        now,
      );
      await l.addChip(
        { id: 'GPU-L', model: 'H100', publicKey: licensed.base64, licenceId: 'L-MY' },
        'test',
        now,
      );
      await l.addChip({ id: 'GPU-U', model: 'H100', publicKey: unlicensed.base64 }, 'test', now);
    });
    afterEach(async () => {
      await t.cleanup();
    });

    const receipt = (device = licensed, at = now, rttMs = 0.2) =>
      signedReceipt({ landmarkId: 'KUL', landmark, device, rttsMs: [rttMs + 0.1, rttMs], wallMs: at });
    const ingest = (items: string[]) => t.verifier.ingestion.ingest(items, { name: 'test' }, now);

    it('refuses a backlog receipt sent again after a day of newer ones', async () => {
      now = T0 + 3 * DAY;
      const old = receipt(licensed, T0 + 1000);
      expect(await ingest([old])).toMatchObject({ accepted: 1, duplicates: 0 });
      for (let h = 1; h <= 24; h++) {
        now = T0 + 3 * DAY + h * HOUR;
        expect(await ingest([receipt(), receipt(licensed, now - 5000)])).toMatchObject({ accepted: 2 });
      }
      expect(await ingest([old, receipt()])).toMatchObject({ accepted: 1, duplicates: 1 });
      const stored = await t.verifier.evidence.recentReceipts('GPU-L', 1000);
      expect(stored).toHaveLength(50);
      expect(linked(stored)).toHaveLength(50);
    });

    it('keeps the receipts of a chip no verdict can be made for, and chains later ones on', async () => {
      const v = t.verifier;
      expect(await ingest([receipt(unlicensed), receipt(unlicensed, now - 1)])).toMatchObject({
        accepted: 2,
      });
      expect(await v.engine.drain(() => now)).toBe(1);
      expect(await v.evidence.queueLength()).toBe(0);
      expect(await v.evidence.latestVerdict('GPU-U')).toBeUndefined();
      now += HOUR;
      expect(await ingest([receipt(unlicensed)])).toMatchObject({ accepted: 1 });
      expect(await v.engine.drain(() => now)).toBe(1);
      const stored = await v.evidence.recentReceipts('GPU-U', 10);
      // Arrival order, newest first: within one batch, the order it came in.
      expect(linked(stored).map((r) => Number(r.measured_at))).toEqual([T0 + HOUR, T0 - 1, T0]);
    });

    it('leaves one unbroken chain when one chip’s receipts arrive in concurrent batches', async () => {
      const batches = Array.from({ length: 4 }, (_, b) =>
        Array.from({ length: 25 }, (_, i) => receipt(licensed, now - (b * 25 + i))),
      );
      const results = await Promise.all(batches.map((b) => ingest(b)));
      expect(results.map((r) => r.accepted)).toEqual([25, 25, 25, 25]);
      const stored = await t.verifier.evidence.recentReceipts('GPU-L', 1000);
      expect(linked(stored)).toHaveLength(100);
    });

    it('chains a chip’s verdicts from its state, each after the one before', async () => {
      const v = t.verifier;
      const made: number[] = [];
      for (let h = 0; h < 3; h++) {
        now = T0 + h * HOUR;
        await ingest([receipt()]);
        await v.engine.drain(() => now);
        made.push(Number((await v.evidence.latestVerdict('GPU-L'))!.id));
      }
      const history = await v.evidence.verdictsOf('GPU-L');
      expect(history.map((x) => Number(x.id))).toEqual(made);
      expect(history.map((x) => (x.prev_id === null ? null : Number(x.prev_id)))).toEqual([
        null,
        made[0],
        made[1],
      ]);
      expect((await v.evidence.verdictsOf('GPU-L', 2)).map((x) => Number(x.id))).toEqual(made.slice(1));
      expect((await v.evidence.latestVerdicts()).map((x) => Number(x.id))).toEqual([made[2]]);
      // Each verdict finds the receipt it rests on from the head it saw.
      for (const x of history) expect(await v.evidence.receiptsOfVerdict(x)).toHaveLength(1);
    });

    it('reports a diverted chip with its verdicts in the period and its last proof inside', async () => {
      const v = t.verifier;
      const times: number[] = [];
      for (const [h, at] of [
        [0, 'KUL'],
        [1, 'KUL'],
        [2, 'SZX'],
      ] as const) {
        now = T0 + h * HOUR;
        times.push(now);
        const r =
          at === 'KUL'
            ? receipt()
            : signedReceipt({
                landmarkId: 'SZX',
                landmark: shenzhen,
                device: licensed,
                rttsMs: [0.3, 0.2],
                wallMs: now,
              });
        await ingest([r]);
        await v.engine.drain(() => now);
      }
      // From just after the first verdict: the second (inside) and third (outside) are in it.
      const rows = await diversionReport(v, T0 + 1, T0 + 3 * HOUR, {});
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        chipId: 'GPU-L',
        alerts: 'diversion×1',
        lastProvenInside: new Date(times[1]).toISOString(),
        lastProvenRegion: 'MY',
        verdictHistory: `${new Date(times[1]).toISOString()} inside; ${new Date(times[2]).toISOString()} outside`,
      });
      // A period after the last proof inside still finds it, further back along the chain.
      const later = await diversionReport(v, T0 + 2 * HOUR, T0 + 3 * HOUR, {});
      expect(later[0].lastProvenInside).toBe(new Date(times[1]).toISOString());
      expect(later[0].verdictHistory).toBe(`${new Date(times[2]).toISOString()} outside`);
    });
  });
}
