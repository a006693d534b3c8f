// A seeded verifier behind a real HTTP server for the browser tests (and for looking at the
// dashboard by hand: `npx vite-node test/web/serve-dashboard.ts`). The seeding follows
// test/server/verifier-storage.test.ts: organisations, landmarks at real data-centre sites, two
// licences, chips with really signed receipts, verdicts from the real engine, and the transparency
// log sequenced over them, its checkpoint cosigned by a witness.

import { generateKeyPairSync } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/server/app.js';
import type { Verifier } from '../../src/server/verifier.js';
import { cosignatureLine, ed25519Cosigner } from '../../src/tlog/cosignature.js';
import {
  type KeyPair,
  keyPair,
  openTestVerifier,
  signedReceipt,
  type TestDb,
} from '../helpers/verifier-world.js';

export const SITES = {
  KUL: { lat: 3.139, lon: 101.687 }, // Kuala Lumpur
  JHB: { lat: 1.492, lon: 103.741 }, // Johor Bahru
  SIN: { lat: 1.29, lon: 103.85 }, // Singapore
  SZX: { lat: 22.543, lon: 114.058 }, // Shenzhen
  HKG: { lat: 22.32, lon: 114.17 }, // Hong Kong
  PEK: { lat: 39.904, lon: 116.407 }, // Beijing
  FRA: { lat: 50.11, lon: 8.68 }, // Frankfurt
} as const;
export type Site = keyof typeof SITES;

const MINUTE = 60_000;
const DAY = 86_400_000;

/** Each chip's check-ins: minutes ago → RTT per landmark (ms). The last one decides its verdict. */
const CHECK_INS: Record<string, [number, Partial<Record<Site, number>>][]> = {
  'GPU-1': [
    [100, { KUL: 30 }],
    [70, { KUL: 0.2, JHB: 3.2, SIN: 3.5 }],
    [40, { KUL: 0.21, JHB: 3.25 }],
    [10, { KUL: 0.2, JHB: 3.2, SIN: 3.5 }],
  ],
  'GPU-2': [[12, { KUL: 0.25, JHB: 3.3 }]],
  'GPU-3': [[11, { SZX: 0.2, HKG: 0.4 }]], // diverted to Shenzhen: outside
  'GPU-4': [[9, { KUL: 30 }]], // too far from any landmark to prove anything: unverified
  'GPU-5': [[8, { KUL: 0.2, JHB: 3.2, PEK: 0.3 }]], // PEK is faster than light: inconsistent
  'SG-1': [[7, { SIN: 0.02 }]], // same facility: inside
};

/** Verdicts the seeded world must show (admin's view), including chips without one. */
export const EXPECTED_VERDICTS = { inside: 3, outside: 1, unverified: 1, inconsistent: 1, none: 2 } as const;

export interface DashboardWorld {
  readonly url: string;
  readonly verifier: Verifier;
  readonly tokens: Record<
    'admin' | 'auditor' | 'exporter' | 'operatorMy' | 'operatorSg' | 'landmarkSzx',
    string
  >;
  readonly landmarks: ReadonlyMap<Site, KeyPair>;
  readonly chipKeys: ReadonlyMap<string, KeyPair>;
  /** A receipt from `site` for `chip`, measured `rttMs`, signed now. */
  receipt(site: Site, chip: string, rttMs: number): string;
  /** Ingests receipts as a check-in, decides, and sequences the log (for a world without its loop). */
  checkIn(chip: string, rtts: Partial<Record<Site, number>>): Promise<void>;
  close(): Promise<void>;
}

export async function openDashboardWorld(opts: { startLoop?: boolean } = {}): Promise<DashboardWorld> {
  const db: TestDb = await openTestVerifier('sqlite', { verdictIntervalMs: 100, sweepIntervalMs: 3_600_000 });
  const v = db.verifier;
  const now = Date.now();
  const seedAt = now - 3 * 3_600_000;
  await v.ledger.addOrg({ id: 'nv', name: 'Exporter Inc', kind: 'exporter' }, 'seed', seedAt);
  await v.ledger.addOrg(
    { id: 'dc-my', name: 'KL Compute', kind: 'end-user', disclosure: 'estimate' },
    'seed',
    seedAt,
  );
  await v.ledger.addOrg({ id: 'dc-sg', name: 'SG Cloud', kind: 'end-user' }, 'seed', seedAt);
  await v.ledger.addOrg({ id: 'lmops', name: 'Landmark Ops', kind: 'landmark-operator' }, 'seed', seedAt);
  const landmarks = new Map<Site, KeyPair>();
  for (const [id, pos] of Object.entries(SITES)) {
    const k = keyPair();
    landmarks.set(id as Site, k);
    await v.ledger.addLandmark({ id, operatorId: 'lmops', ...pos, publicKey: k.base64 }, 'seed', seedAt);
  }
  const licence = (id: string, endUserId: string, country: string, models: string[], pct: number) =>
    v.ledger.addLicence(
      {
        id,
        exporterId: 'nv',
        endUserId,
        destinations: [{ country }],
        models,
        quantity: 10,
        validFrom: now - 200 * DAY,
        validTo: now + 365 * DAY,
        endUse: 'model training',
        revenueSharePct: pct,
      },
      'seed',
      seedAt,
    );
  await licence('L-MY-1', 'dc-my', 'MY', ['H100'], 15);
  await licence('L-SG-1', 'dc-sg', 'SG', ['H20'], 15);
  const chipKeys = new Map<string, KeyPair>();
  const chips: [string, string, string][] = [
    ['GPU-1', 'H100', 'L-MY-1'],
    ['GPU-2', 'H100', 'L-MY-1'],
    ['GPU-3', 'H100', 'L-MY-1'],
    ['GPU-4', 'H100', 'L-MY-1'],
    ['GPU-5', 'H100', 'L-MY-1'],
    ['SG-1', 'H20', 'L-SG-1'],
    ['SG-2', 'H20', 'L-SG-1'],
    ['SG-9', 'H20', 'L-SG-1'],
  ];
  for (const [id, model, licenceId] of chips) {
    const k = keyPair();
    chipKeys.set(id, k);
    await v.ledger.addChip({ id, model, publicKey: k.base64, licenceId }, 'seed', seedAt);
  }
  await v.ledger.addShipment(
    {
      id: 'S-1',
      licenceId: 'L-MY-1',
      chips: ['GPU-1', 'GPU-2', 'GPU-3', 'GPU-4', 'GPU-5'],
      invoiceValue: 125_000,
      currency: 'USD',
      shippedAt: new Date(now - 30 * DAY).toISOString(),
    },
    'seed',
    seedAt,
  );
  await v.ledger.addShipment(
    {
      id: 'S-2',
      licenceId: 'L-SG-1',
      chips: ['SG-1', 'SG-2', 'SG-9'],
      invoiceValue: 36_000,
      currency: 'USD',
      shippedAt: new Date(now - 20 * DAY).toISOString(),
    },
    'seed',
    seedAt,
  );
  v.ledgerChanged();

  const receiptAt = (site: Site, chip: string, rttMs: number, at: number) =>
    signedReceipt({
      landmarkId: site,
      landmark: landmarks.get(site)!,
      device: chipKeys.get(chip)!,
      rttsMs: [rttMs + 0.3, rttMs, rttMs + 0.1],
      wallMs: at,
    });
  // Check-ins in time order, each decided at its own time, so the history chart has a timeline.
  const events = Object.entries(CHECK_INS)
    .flatMap(([chip, list]) => list.map(([ago, rtts]) => ({ chip, at: now - ago * MINUTE, rtts })))
    .sort((a, b) => a.at - b.at);
  for (const e of events) {
    const batch = Object.entries(e.rtts).map(([site, rtt]) => receiptAt(site as Site, e.chip, rtt, e.at));
    const r = await v.ingestion.ingest(batch, { name: 'seed' }, e.at + 1000);
    if (r.rejected.length > 0) throw new Error(`seed receipts rejected: ${JSON.stringify(r.rejected)}`);
    await v.engine.drain(() => e.at + 2000);
  }
  // Every verdict in the log, and a witness's cosignature on the checkpoint, as a witness's
  // add-checkpoint would return it (the witness protocol itself is tested in test/server).
  while ((await v.log.sequence(now)) > 0) {
    // one batch after another
  }
  const witness = ed25519Cosigner('witness.example/w1', generateKeyPairSync('ed25519').privateKey);
  const size = await v.log.size();
  const note = (await v.log.checkpointAt(size))!;
  const cosig = witness.cosign(note.slice(0, note.indexOf('\n\n') + 1), BigInt(Math.floor(now / 1000)));
  await v.log.addCosignature(size, witness.name, cosignatureLine(cosig).trimEnd(), now);

  const token = async (name: string, role: string, scope?: string) =>
    (await v.tokens.create({ name, role, ...(scope ? { scope } : {}) }, 'seed', now)).secret;
  const tokens = {
    admin: await token('Ada Admin', 'admin'),
    auditor: await token('Audrey Auditor', 'auditor'),
    exporter: await token('Exporter compliance', 'exporter', 'nv'),
    operatorMy: await token('KL Compute ops', 'operator', 'dc-my'),
    operatorSg: await token('SG Cloud ops', 'operator', 'dc-sg'),
    landmarkSzx: await token('Shenzhen landmark', 'landmark', 'SZX'),
  };

  const app: FastifyInstance = await buildApp({ verifier: v, logger: false, rateLimitPerSecond: 10_000 });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  if (opts.startLoop) v.start();
  return {
    url,
    verifier: v,
    tokens,
    landmarks,
    chipKeys,
    receipt: (site, chip, rttMs) => receiptAt(site, chip, rttMs, Date.now() - 1000),
    async checkIn(chip, rtts) {
      const at = Date.now() - 1000;
      const batch = Object.entries(rtts).map(([site, rtt]) => receiptAt(site as Site, chip, rtt, at));
      const r = await v.ingestion.ingest(batch, { name: 'test' }, at + 500);
      if (r.rejected.length > 0) throw new Error(`receipts rejected: ${JSON.stringify(r.rejected)}`);
      await v.engine.drain(() => at + 1000);
      while ((await v.log.sequence(Date.now())) > 0) {
        // one batch after another
      }
    },
    async close() {
      await app.close();
      await db.cleanup();
    },
  };
}
