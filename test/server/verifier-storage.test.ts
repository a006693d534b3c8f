// The storage suite: the ledger's rules, ingestion, verdicts, alerts and reports against a real
// database — SQLite always, PostgreSQL too when DATABASE_URL is set (.ci/run sets it).

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BACKENDS,
  type KeyPair,
  keyPair,
  openTestVerifier,
  signedReceipt,
  type TestDb,
} from '../helpers/verifier-world.js';

const T0 = Date.parse('2026-06-01T00:00:00Z');
const DAY = 86_400_000;

const SITES = {
  KUL: { lat: 3.139, lon: 101.687 }, // Kuala Lumpur
  JHB: { lat: 1.492, lon: 103.741 }, // Johor Bahru
  SIN: { lat: 1.29, lon: 103.85 }, // Singapore
  SZX: { lat: 22.543, lon: 114.058 }, // Shenzhen
  HKG: { lat: 22.32, lon: 114.17 }, // Hong Kong
  PEK: { lat: 39.904, lon: 116.407 }, // Beijing
};
type Site = keyof typeof SITES;

async function rejectsWith(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'no error';
  } catch (e) {
    return (e as { code?: string }).code ?? 'uncoded';
  }
}

for (const backend of BACKENDS) {
  describe(`verifier storage on ${backend}`, () => {
    let t: TestDb;
    let now = T0;
    const landmarks = new Map<Site, KeyPair>();
    const chipKey = keyPair();

    beforeEach(async () => {
      now = T0;
      t = await openTestVerifier(backend, { now: () => now });
      const v = t.verifier;
      await v.ledger.addOrg({ id: 'nv', name: 'Exporter Inc', kind: 'exporter' }, 'test', now);
      await v.ledger.addOrg({ id: 'dc-my', name: 'KL Compute', kind: 'end-user' }, 'test', now);
      await v.ledger.addOrg({ id: 'lmops', name: 'Landmark Ops', kind: 'landmark-operator' }, 'test', now);
      for (const [id, pos] of Object.entries(SITES)) {
        const k = keyPair();
        landmarks.set(id as Site, k);
        await v.ledger.addLandmark({ id, operatorId: 'lmops', ...pos, publicKey: k.base64 }, 'test', now);
      }
      await v.ledger.addLicence(
        {
          id: 'L-MY-1',
          exporterId: 'nv',
          endUserId: 'dc-my',
          destinations: [{ country: 'MY' }],
          models: ['H100'],
          quantity: 2,
          validFrom: T0 - DAY,
          validTo: T0 + 365 * DAY,
          endUse: 'model training',
          revenueSharePct: 15,
        },
        'test',
        now,
      );
      await v.ledger.addChip(
        { id: 'GPU-1', model: 'H100', publicKey: chipKey.base64, licenceId: 'L-MY-1' },
        'alice',
        now,
      );
    });
    afterEach(async () => {
      await t.cleanup();
    });

    const receipt = (site: Site, rttMs: number, at = now, device = chipKey) =>
      signedReceipt({
        landmarkId: site,
        landmark: landmarks.get(site)!,
        device,
        rttsMs: [rttMs + 0.3, rttMs, rttMs + 0.1],
        wallMs: at,
      });
    const ingest = (items: string[]) => t.verifier.ingestion.ingest(items, { name: 'test' }, now);

    it('records who changed what and when', async () => {
      const changes = await t.verifier.ledger.changes('chip', 'GPU-1');
      expect(changes).toHaveLength(1);
      expect(changes[0]).toMatchObject({ actor: 'alice', action: 'add', at: new Date(T0).toISOString() });
    });

    it('refuses a chip beyond the licence quantity, of another model, or on an expired licence', async () => {
      const v = t.verifier;
      await v.ledger.addChip(
        { id: 'GPU-2', model: 'H100', publicKey: keyPair().base64, licenceId: 'L-MY-1' },
        'a',
        now,
      );
      expect(
        await rejectsWith(
          v.ledger.addChip(
            { id: 'GPU-3', model: 'H100', publicKey: keyPair().base64, licenceId: 'L-MY-1' },
            'a',
            now,
          ),
        ),
      ).toBe('LICENCE_EXHAUSTED');
      await v.ledger.updateChip('GPU-2', { status: 'retired' }, 'a', now);
      expect(
        await rejectsWith(
          v.ledger.addChip(
            { id: 'GPU-4', model: 'B200', publicKey: keyPair().base64, licenceId: 'L-MY-1' },
            'a',
            now,
          ),
        ),
      ).toBe('LICENCE_MODEL');
      now = T0 + 400 * DAY;
      expect(
        await rejectsWith(
          v.ledger.addChip(
            { id: 'GPU-5', model: 'H100', publicKey: keyPair().base64, licenceId: 'L-MY-1' },
            'a',
            now,
          ),
        ),
      ).toBe('LICENCE_NOT_VALID');
      expect((await v.ledger.getLicence('L-MY-1')).chips).toBe(1);
    });

    it('refuses hostile ledger input with INVALID_REQUEST and stores nothing', async () => {
      const v = t.verifier;
      for (const body of [
        null,
        [],
        'x',
        { id: "x'; DROP TABLE chips; --", model: 'H100', publicKey: keyPair().base64 },
        { id: 'ok', model: 'H100', publicKey: 'AAAA' },
        { id: 'ok', model: 'H100', publicKey: keyPair().base64, extra: 1 },
      ]) {
        expect(await rejectsWith(v.ledger.addChip(body, 'a', now))).toBe('INVALID_REQUEST');
      }
      expect(await v.ledger.listChips()).toHaveLength(1);
    });

    it('accepts a receipt once, however often it is submitted', async () => {
      const r = receipt('KUL', 0.2);
      expect(await ingest([r, r])).toMatchObject({ accepted: 1, duplicates: 1, rejected: [] });
      expect(await ingest([r])).toMatchObject({ accepted: 0, duplicates: 1 });
      const stored = await t.verifier.evidence.recentReceipts('GPU-1', 10);
      expect(stored).toHaveLength(1);
      expect(stored[0].min_rtt_ns).toBe(200_000);
    });

    it('rejects forged, foreign, unknown, stale and future receipts with codes, keeping the good ones', async () => {
      const stranger = keyPair();
      const forged = signedReceipt({
        landmarkId: 'KUL',
        landmark: keyPair(),
        device: chipKey,
        rttsMs: [0.1],
        wallMs: now,
      });
      const unknownDevice = receipt('KUL', 0.2, now, stranger);
      const stale = receipt('KUL', 0.2, now - 8 * DAY);
      const future = receipt('KUL', 0.2, now + 3_600_000);
      const good = receipt('KUL', 0.2);
      const flipped = Buffer.from(good, 'base64');
      flipped[200] ^= 1;
      const res = await ingest([
        forged,
        unknownDevice,
        stale,
        future,
        flipped.toString('base64'),
        'not base64!',
        good,
      ]);
      expect(res.accepted).toBe(1);
      expect(res.rejected.map((x) => x.code)).toEqual([
        'PACKET_BAD_SIGNATURE',
        'DEVICE_UNKNOWN',
        'RECEIPT_STALE',
        'RECEIPT_FROM_FUTURE',
        'PACKET_BAD_SIGNATURE',
        'INVALID_REQUEST',
      ]);
      const other = await t.verifier.ingestion.ingest(
        [receipt('SIN', 0.2)],
        { name: 'lm', landmarkId: 'KUL' },
        now,
      );
      expect(other.rejected[0].code).toBe('LANDMARK_NOT_YOURS');
    });

    it('proves an honest chip inside, raises nothing, and records bound, policy and evidence', async () => {
      await ingest([receipt('KUL', 0.2), receipt('JHB', 3.2), receipt('SIN', 3.5)]);
      await t.verifier.engine.drain(() => now);
      const v = await t.verifier.evidence.latestVerdict('GPU-1');
      expect(v).toMatchObject({
        verdict: 'inside',
        bound: 'vacuum',
        where_policy: 'territorial',
        trust_modes: 'software',
        region: 'MY',
      });
      expect(JSON.parse(v!.evidence)).toHaveLength(3);
      expect(await t.verifier.alerts.list()).toEqual([]);
    });

    it('raises a diversion alert once when the chip is proven in Shenzhen', async () => {
      await ingest([receipt('KUL', 0.2)]);
      await t.verifier.engine.drain(() => now);
      now += 3_600_000;
      await ingest([receipt('SZX', 0.2), receipt('HKG', 0.4)]);
      await t.verifier.engine.drain(() => now);
      now += 3_600_000;
      await ingest([receipt('SZX', 0.21), receipt('HKG', 0.41)]);
      await t.verifier.engine.drain(() => now);
      const alerts = await t.verifier.alerts.list();
      expect(alerts.map((a) => a.kind)).toEqual(['diversion']);
      expect(alerts[0].chipId).toBe('GPU-1');
      expect((await t.verifier.evidence.latestVerdict('GPU-1'))!.verdict).toBe('outside');
    });

    it('names a landmark that reports a round trip faster than light allows', async () => {
      // KUL and JHB agree the chip is in Malaysia; PEK claims 0.3 ms from 4,300 km away.
      await ingest([receipt('KUL', 0.2), receipt('JHB', 3.2), receipt('PEK', 0.3)]);
      await t.verifier.engine.drain(() => now);
      expect((await t.verifier.evidence.latestVerdict('GPU-1'))!.verdict).toBe('inconsistent');
      const [a] = await t.verifier.alerts.list();
      expect(a).toMatchObject({ kind: 'landmark-integrity', landmarks: ['PEK'] });
    });

    it('calls two groups of landmarks that each agree a cloned identity', async () => {
      await ingest([
        receipt('KUL', 0.2),
        receipt('JHB', 3.2),
        receipt('SIN', 3.4),
        receipt('SZX', 0.2),
        receipt('HKG', 0.4),
        receipt('PEK', 20),
      ]);
      await t.verifier.engine.drain(() => now);
      const kinds = (await t.verifier.alerts.list()).map((a) => a.kind);
      expect(kinds).toEqual(['cloned-identity']);
    });

    it('raises missed check-in and unverified-past-grace alerts from the sweep, once per episode', async () => {
      // A receipt too loose to prove anything: the chip is unverified.
      await ingest([receipt('KUL', 30)]);
      await t.verifier.engine.drain(() => now);
      expect((await t.verifier.evidence.latestVerdict('GPU-1'))!.verdict).toBe('unverified');
      now += 60 * 60_000;
      expect(await t.verifier.engine.sweep(now)).toEqual([]);
      now += 7 * 3_600_000;
      const raised = await t.verifier.engine.sweep(now);
      expect(raised.map((a) => a.kind).sort()).toEqual(['missed-check-in', 'unverified']);
      now += 60_000;
      expect(await t.verifier.engine.sweep(now)).toEqual([]);
    });

    it('holds each chip to its own licence’s missed check-in time, checked in or never', async () => {
      const v = t.verifier;
      await v.ledger.addLicence(
        {
          id: 'L-MY-LONG',
          exporterId: 'nv',
          endUserId: 'dc-my',
          destinations: [{ country: 'MY' }],
          models: ['H100'],
          quantity: 2,
          validFrom: T0 - DAY,
          validTo: T0 + 365 * DAY,
          endUse: 'inference',
          revenueSharePct: 0,
          policy: { missedCheckInAfterMs: 12 * 3_600_000 },
        },
        'test',
        now,
      );
      const longKey = keyPair();
      await v.ledger.addChip(
        { id: 'GPU-LONG', model: 'H100', publicKey: longKey.base64, licenceId: 'L-MY-LONG' },
        'test',
        now,
      );
      await v.ledger.addChip(
        { id: 'GPU-NEVER', model: 'H100', publicKey: keyPair().base64, licenceId: 'L-MY-LONG' },
        'test',
        now,
      );
      await ingest([receipt('KUL', 0.2), receipt('KUL', 0.2, now, longKey)]);
      await v.engine.drain(() => now);
      // Past the default 2 h, within the long licence's 12 h: only GPU-1 is late.
      now += 3 * 3_600_000;
      expect((await v.engine.sweep(now)).map((a) => [a.kind, a.chipId])).toEqual([
        ['missed-check-in', 'GPU-1'],
      ]);
      // Past 12 h: the long licence's chips too, the one that never checked in from its registration.
      now += 10 * 3_600_000;
      expect((await v.engine.sweep(now)).map((a) => [a.kind, a.chipId]).sort()).toEqual([
        ['missed-check-in', 'GPU-LONG'],
        ['missed-check-in', 'GPU-NEVER'],
      ]);
    });

    it('keeps every alert and lets it be acknowledged once, with a note', async () => {
      await ingest([receipt('SZX', 0.2)]);
      await t.verifier.engine.drain(() => now);
      const [a] = await t.verifier.alerts.list({ open: true });
      const acked = await t.verifier.alerts.acknowledge(a.id, 'compliance', 'called the end user', now);
      expect(acked.acknowledged).toMatchObject({ by: 'compliance', note: 'called the end user' });
      expect(await rejectsWith(t.verifier.alerts.acknowledge(a.id, 'x', 'y', now))).toBe('ALREADY_EXISTS');
      expect(await t.verifier.alerts.list({ open: true })).toEqual([]);
      expect(await t.verifier.alerts.list()).toHaveLength(1);
    });

    it('computes the revenue share per licence and quarter to the cent', async () => {
      const v = t.verifier;
      await v.ledger.addShipment(
        {
          id: 'S1',
          licenceId: 'L-MY-1',
          chips: ['GPU-1'],
          invoiceValue: 25_000.1,
          currency: 'USD',
          shippedAt: '2026-05-02T00:00:00Z',
        },
        'a',
        now,
      );
      await v.ledger.addShipment(
        {
          id: 'S2',
          licenceId: 'L-MY-1',
          chips: [],
          invoiceValue: 10_000,
          currency: 'USD',
          shippedAt: '2026-06-30T23:59:59Z',
        },
        'a',
        now,
      );
      await v.ledger.addShipment(
        {
          id: 'S3',
          licenceId: 'L-MY-1',
          chips: [],
          invoiceValue: 1,
          currency: 'USD',
          shippedAt: '2026-07-01T00:00:00Z',
        },
        'a',
        now,
      );
      const { revenueShareReport } = await import('../../src/server/report-builder.js');
      const rows = await revenueShareReport(v, Date.parse('2026-01-01'), Date.parse('2027-01-01'), {});
      expect(rows).toEqual([
        {
          licenceId: 'L-MY-1',
          quarter: '2026-Q2',
          currency: 'USD',
          shipments: 2,
          invoiceTotal: 35_000.1,
          sharePct: 15,
          shareDue: 5250.02,
        },
        {
          licenceId: 'L-MY-1',
          quarter: '2026-Q3',
          currency: 'USD',
          shipments: 1,
          invoiceTotal: 1,
          sharePct: 15,
          shareDue: 0.15,
        },
      ]);
    });
  });
}
