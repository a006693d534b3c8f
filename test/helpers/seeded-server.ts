// A verifier seeded with a small world, served over real HTTP on 127.0.0.1, with a token per role:
// two end users (one in Malaysia, one in Singapore), landmarks, licences, chips, verdicts and
// alerts. Used by the API tests (and a starting point for anything that needs a live server).

import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/server/app.js';
import type { Role } from '../../src/store/token-store.js';
import {
  type Backend,
  type KeyPair,
  keyPair,
  openTestVerifier,
  signedReceipt,
  type TestDb,
} from './verifier-world.js';

export const T0 = Date.parse('2026-06-01T00:00:00Z');
const DAY = 86_400_000;

export const SITES = {
  KUL: { lat: 3.139, lon: 101.687 },
  JHB: { lat: 1.492, lon: 103.741 },
  SIN: { lat: 1.29, lon: 103.85 },
  SZX: { lat: 22.543, lon: 114.058 },
  HKG: { lat: 22.32, lon: 114.17 },
} as const;
export type Site = keyof typeof SITES;

export interface SeededServer {
  readonly db: TestDb;
  readonly app: FastifyInstance;
  readonly url: string;
  /** Tokens: admin, exporter (nv), operator (dc-my), operator-sg (dc-sg), auditor, landmark (KUL). */
  readonly tokens: Record<Role | 'operator-sg', string>;
  readonly landmarks: ReadonlyMap<Site, KeyPair>;
  readonly chips: ReadonlyMap<string, KeyPair>;
  clock: { now: number };
  receipt(chip: string, site: Site, rttMs: number): string;
  request(
    method: string,
    path: string,
    token?: string,
    body?: unknown,
  ): Promise<{ status: number; json: any; text: string }>;
  close(): Promise<void>;
}

export async function seededServer(
  backend: Backend = 'sqlite',
  opts: { rateLimitPerSecond?: number } = {},
): Promise<SeededServer> {
  const clock = { now: T0 };
  const db = await openTestVerifier(backend, { now: () => clock.now });
  const v = db.verifier;
  const now = clock.now;
  await v.ledger.addOrg({ id: 'nv', name: 'Exporter Inc', kind: 'exporter' }, 'seed', now);
  await v.ledger.addOrg({ id: 'dc-my', name: 'KL Compute', kind: 'end-user' }, 'seed', now);
  await v.ledger.addOrg({ id: 'dc-sg', name: 'Lion City AI', kind: 'end-user' }, 'seed', now);
  await v.ledger.addOrg({ id: 'lmops', name: 'Landmark Ops', kind: 'landmark-operator' }, 'seed', now);
  const landmarks = new Map<Site, KeyPair>();
  for (const [id, pos] of Object.entries(SITES)) {
    const k = keyPair();
    landmarks.set(id as Site, k);
    await v.ledger.addLandmark({ id, operatorId: 'lmops', ...pos, publicKey: k.base64 }, 'seed', now);
  }
  const licence = (id: string, endUserId: string, country: string) =>
    v.ledger.addLicence(
      {
        id,
        exporterId: 'nv',
        endUserId,
        destinations: [{ country }],
        models: ['H100', 'H20'],
        quantity: 100,
        validFrom: T0 - DAY,
        validTo: T0 + 365 * DAY,
        endUse: 'training',
        revenueSharePct: 15,
      },
      'seed',
      now,
    );
  await licence('L-MY-1', 'dc-my', 'MY');
  await licence('L-SG-1', 'dc-sg', 'SG');
  const chips = new Map<string, KeyPair>();
  for (const [id, lic] of [
    ['GPU-MY-1', 'L-MY-1'],
    ['GPU-MY-2', 'L-MY-1'],
    ['GPU-SG-1', 'L-SG-1'],
  ] as const) {
    const k = keyPair();
    chips.set(id, k);
    await v.ledger.addChip({ id, model: 'H100', publicKey: k.base64, licenceId: lic }, 'seed', now);
  }
  const receipt = (chip: string, site: Site, rttMs: number) =>
    signedReceipt({
      landmarkId: site,
      landmark: landmarks.get(site)!,
      device: chips.get(chip)!,
      rttsMs: [rttMs + 0.2, rttMs],
      wallMs: clock.now,
    });
  // GPU-MY-1 honest in Kuala Lumpur; GPU-MY-2 proven in Shenzhen (a diversion alert).
  await v.ingestion.ingest(
    [receipt('GPU-MY-1', 'KUL', 0.2), receipt('GPU-MY-2', 'SZX', 0.2), receipt('GPU-SG-1', 'SIN', 0.05)],
    { name: 'seed' },
    now,
  );
  await v.engine.drain(() => clock.now);
  await v.log.sequence(clock.now);
  const token = async (role: Role, scope?: string) =>
    (
      await v.tokens.create(
        { name: `${role} ${scope ?? ''}`.trim(), role, ...(scope ? { scope } : {}) },
        'seed',
        now,
      )
    ).secret;
  const tokens = {
    admin: await token('admin'),
    exporter: await token('exporter', 'nv'),
    operator: await token('operator', 'dc-my'),
    'operator-sg': await token('operator', 'dc-sg'),
    auditor: await token('auditor'),
    landmark: await token('landmark', 'KUL'),
  };
  const app = await buildApp({
    verifier: v,
    logger: false,
    rateLimitPerSecond: opts.rateLimitPerSecond ?? 10_000,
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const request = async (method: string, path: string, tok?: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: {
        ...(tok ? { authorization: `Bearer ${tok}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text };
  };
  return {
    db,
    app,
    url,
    tokens,
    landmarks,
    chips,
    clock,
    receipt,
    request,
    async close() {
      await app.close();
      await db.cleanup();
    },
  };
}
