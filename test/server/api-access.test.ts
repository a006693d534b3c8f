// Every route × every role: who gets 2xx, who 401, who 403. The expectations are written out here,
// independently of the routes' own declarations, and the test fails if a route is added without
// being listed.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_EVIDENCE_FIELDS } from '../../src/attest/session-evidence.js';
import { type SeededServer, seededServer } from '../helpers/seeded-server.js';
import { keyPair } from '../helpers/verifier-world.js';

type Caller = 'none' | 'admin' | 'exporter' | 'operator' | 'auditor' | 'landmark';
const CALLERS: Caller[] = ['none', 'admin', 'exporter', 'operator', 'auditor', 'landmark'];

interface Case {
  readonly method: string;
  readonly route: string;
  /** The concrete path and body for one caller (ids differ per caller where a request creates). */
  readonly request: (
    c: Caller,
    s: SeededServer,
  ) => { path: string; body?: unknown } | Promise<{ path: string; body?: unknown }>;
  /** Callers that succeed; every other authenticated caller gets 403, and no token 401. */
  readonly ok: readonly Caller[] | 'public';
  /** Public routes whose request here cannot succeed: only asserted to refuse no one (no 401/403). */
  readonly admitsAll?: true;
}

const READERS: Caller[] = ['admin', 'exporter', 'operator', 'auditor'];
const ALL: Caller[] = ['admin', 'exporter', 'operator', 'auditor', 'landmark'];

const CASES: Case[] = [
  { method: 'GET', route: '/healthz', request: () => ({ path: '/healthz' }), ok: 'public' },
  { method: 'GET', route: '/metrics', request: () => ({ path: '/metrics' }), ok: 'public' },
  { method: 'GET', route: '/openapi.json', request: () => ({ path: '/openapi.json' }), ok: 'public' },
  { method: 'GET', route: '/', request: () => ({ path: '/' }), ok: 'public' },
  { method: 'GET', route: '/assets/:name', request: () => ({ path: '/assets/app.css' }), ok: 'public' },
  { method: 'GET', route: '/v1/coverage', request: () => ({ path: '/v1/coverage?step=5' }), ok: READERS },
  {
    method: 'POST',
    route: '/v1/evidence',
    // No GPU here: a well-formed bundle for an unknown receipt, which every caller may send.
    request: () => ({
      path: '/v1/evidence',
      body: Object.fromEntries(SESSION_EVIDENCE_FIELDS.map((k) => [k, 'AAAA'])),
    }),
    ok: 'public',
    admitsAll: true,
  },
  { method: 'GET', route: '/checkpoint', request: () => ({ path: '/checkpoint' }), ok: 'public' },
  { method: 'GET', route: '/tile/*', request: () => ({ path: '/tile/0/000.p/3' }), ok: 'public' },
  { method: 'GET', route: '/v1/log', request: () => ({ path: '/v1/log' }), ok: 'public' },
  {
    method: 'GET',
    route: '/v1/log/leaves/:index',
    request: () => ({ path: '/v1/log/leaves/0' }),
    ok: 'public',
  },
  {
    method: 'GET',
    route: '/v1/log/inclusion',
    request: () => ({ path: '/v1/log/inclusion?index=1' }),
    ok: 'public',
  },
  {
    method: 'GET',
    route: '/v1/log/consistency',
    request: () => ({ path: '/v1/log/consistency?from=1&to=3' }),
    ok: 'public',
  },
  {
    method: 'GET',
    route: '/v1/log/verdicts/:id',
    request: () => ({ path: '/v1/log/verdicts/1' }),
    ok: READERS,
  },
  {
    method: 'GET',
    route: '/v1/log/evidence/:index',
    request: () => ({ path: '/v1/log/evidence/0' }),
    ok: ['admin', 'auditor'],
  },
  {
    method: 'POST',
    route: '/v1/orgs',
    request: (c) => ({ path: '/v1/orgs', body: { id: `org-${c}`, name: 'New org', kind: 'end-user' } }),
    ok: ['admin'],
  },
  {
    method: 'GET',
    route: '/v1/orgs',
    request: () => ({ path: '/v1/orgs' }),
    ok: ['admin', 'exporter', 'auditor'],
  },
  {
    method: 'PUT',
    route: '/v1/orgs/:id/disclosure',
    request: () => ({ path: '/v1/orgs/dc-my/disclosure', body: { disclosure: 'verdict' } }),
    ok: ['admin', 'operator'],
  },
  {
    method: 'POST',
    route: '/v1/licences',
    request: (c) => ({
      path: '/v1/licences',
      body: {
        id: `L-${c}`,
        exporterId: 'nv',
        endUserId: 'dc-my',
        destinations: [{ country: 'MY' }],
        models: ['H20'],
        quantity: 5,
        validFrom: '2026-01-01T00:00:00Z',
        validTo: '2027-01-01T00:00:00Z',
      },
    }),
    ok: ['admin', 'exporter'],
  },
  { method: 'GET', route: '/v1/licences', request: () => ({ path: '/v1/licences' }), ok: READERS },
  { method: 'GET', route: '/v1/licences/:id', request: () => ({ path: '/v1/licences/L-MY-1' }), ok: READERS },
  {
    method: 'POST',
    route: '/v1/chips',
    request: (c) => ({
      path: '/v1/chips',
      body: { id: `GPU-${c}`, model: 'H20', publicKey: keyPair().base64, licenceId: 'L-MY-1' },
    }),
    ok: ['admin', 'exporter'],
  },
  {
    method: 'PATCH',
    route: '/v1/chips/:id',
    request: () => ({ path: '/v1/chips/GPU-MY-1', body: { status: 'active' } }),
    ok: ['admin', 'exporter'],
  },
  { method: 'GET', route: '/v1/chips', request: () => ({ path: '/v1/chips' }), ok: READERS },
  { method: 'GET', route: '/v1/chips/:id', request: () => ({ path: '/v1/chips/GPU-MY-1' }), ok: READERS },
  {
    method: 'GET',
    route: '/v1/chips/:id/verdicts',
    request: () => ({ path: '/v1/chips/GPU-MY-1/verdicts' }),
    ok: READERS,
  },
  // The exporter sees receipts only when the end user discloses at least the proof radius (default: no).
  {
    method: 'GET',
    route: '/v1/chips/:id/evidence',
    request: () => ({ path: '/v1/chips/GPU-MY-1/evidence' }),
    ok: ['admin', 'operator', 'auditor'],
  },
  {
    method: 'POST',
    route: '/v1/shipments',
    request: (c) => ({
      path: '/v1/shipments',
      body: {
        id: `S-${c}`,
        licenceId: 'L-MY-1',
        chips: [],
        invoiceValue: 1000,
        currency: 'USD',
        shippedAt: '2026-05-01T00:00:00Z',
      },
    }),
    ok: ['admin', 'exporter'],
  },
  { method: 'GET', route: '/v1/shipments', request: () => ({ path: '/v1/shipments' }), ok: READERS },
  {
    method: 'POST',
    route: '/v1/landmarks',
    request: (c) => ({
      path: '/v1/landmarks',
      body: { id: `LM-${c}`.slice(0, 16), operatorId: 'lmops', lat: 1, lon: 2, publicKey: keyPair().base64 },
    }),
    ok: ['admin'],
  },
  {
    method: 'PATCH',
    route: '/v1/landmarks/:id',
    request: () => ({ path: '/v1/landmarks/KUL', body: { status: 'active' } }),
    ok: ['admin'],
  },
  { method: 'GET', route: '/v1/landmarks', request: () => ({ path: '/v1/landmarks' }), ok: ALL },
  {
    method: 'POST',
    route: '/v1/tokens',
    request: (c) => ({ path: '/v1/tokens', body: { name: `t-${c}`, role: 'auditor' } }),
    ok: ['admin'],
  },
  { method: 'GET', route: '/v1/tokens', request: () => ({ path: '/v1/tokens' }), ok: ['admin'] },
  { method: 'GET', route: '/v1/me', request: () => ({ path: '/v1/me' }), ok: ALL },
  {
    method: 'POST',
    route: '/v1/receipts',
    request: (_c, s) => ({ path: '/v1/receipts', body: { receipts: [s.receipt('GPU-MY-1', 'KUL', 0.2)] } }),
    ok: ['admin', 'landmark'],
  },
  { method: 'GET', route: '/v1/alerts', request: () => ({ path: '/v1/alerts' }), ok: READERS },
  {
    method: 'POST',
    route: '/v1/alerts/:id/ack',
    // One alert per caller, so each allowed caller acknowledges a fresh one.
    request: async (c, s) => {
      const [a] = await s.db.verifier.alerts.raiseNow(
        [
          {
            kind: 'licence',
            chipId: 'GPU-MY-1',
            licenceId: 'L-MY-1',
            landmarks: [],
            coveredFrom: s.clock.now + CALLERS.indexOf(c),
            message: `test alert for ${c}`,
            detail: {},
          },
        ],
        s.clock.now + CALLERS.indexOf(c),
      );
      return { path: `/v1/alerts/${a.id}/ack`, body: { note: 'seen' } };
    },
    ok: ['admin', 'exporter'],
  },
  { method: 'GET', route: '/v1/alerts/stream', request: () => ({ path: '/v1/alerts/stream' }), ok: READERS },
  {
    method: 'GET',
    route: '/v1/reports/diversion',
    request: () => ({ path: '/v1/reports/diversion' }),
    ok: ['admin', 'auditor', 'exporter'],
  },
  {
    method: 'GET',
    route: '/v1/reports/revenue-share',
    request: () => ({ path: '/v1/reports/revenue-share?format=csv' }),
    ok: ['admin', 'auditor', 'exporter'],
  },
];

describe('access: every route × every role', () => {
  let s: SeededServer;
  beforeAll(async () => {
    s = await seededServer();
  });
  afterAll(async () => {
    await s.close();
  });

  it('lists every route of the OpenAPI document', async () => {
    const { json } = await s.request('GET', '/openapi.json');
    const missing: string[] = [];
    for (const [path, ops] of Object.entries(json.paths as Record<string, Record<string, unknown>>)) {
      for (const method of Object.keys(ops)) {
        const route = path.replace(/\{(\w+)\}/g, ':$1');
        if (!CASES.some((c) => c.route === route && c.method === method.toUpperCase()))
          missing.push(`${method.toUpperCase()} ${route}`);
      }
    }
    expect(missing).toEqual([]);
  });

  for (const c of CASES) {
    it(`${c.method} ${c.route}`, async () => {
      const got: Record<string, number> = {};
      const want: Record<string, number | string> = {};
      for (const caller of CALLERS) {
        const { path, body } = await c.request(caller, s);
        const token = caller === 'none' ? undefined : s.tokens[caller];
        let status: number;
        if (c.route === '/v1/alerts/stream') {
          // A live stream: read the status line, then hang up.
          const ac = new AbortController();
          const res = await fetch(`${s.url}${path}`, {
            headers: token ? { authorization: `Bearer ${token}` } : {},
            signal: ac.signal,
          });
          status = res.status;
          ac.abort();
        } else {
          status = (await s.request(c.method, path, token, body)).status;
        }
        got[caller] =
          (status < 300 && status >= 200) || (c.admitsAll && status !== 401 && status !== 403) ? 200 : status;
        want[caller] = c.ok === 'public' || c.ok.includes(caller) ? 200 : caller === 'none' ? 401 : 403;
      }
      expect(got).toEqual(want);
    });
  }

  it('shows an operator only its own chips, and refuses another end user’s chip', async () => {
    const mine = await s.request('GET', '/v1/chips', s.tokens.operator);
    const ids = mine.json.chips.map((c: { id: string }) => c.id);
    expect(ids).toEqual(expect.arrayContaining(['GPU-MY-1', 'GPU-MY-2']));
    expect(ids).not.toContain('GPU-SG-1');
    expect(mine.json.chips.every((c: { endUserId: string }) => c.endUserId === 'dc-my')).toBe(true);
    const other = await s.request('GET', '/v1/chips/GPU-SG-1', s.tokens.operator);
    expect(other.status).toBe(403);
    expect(other.json.error.code).toBe('FORBIDDEN');
    const alerts = await s.request('GET', '/v1/alerts', s.tokens['operator-sg']);
    expect(alerts.json.alerts.every((a: { licenceId: string }) => a.licenceId === 'L-SG-1')).toBe(true);
  });

  it('discloses the estimate only to whom the end user allows', async () => {
    const exporterView = await s.request('GET', '/v1/chips/GPU-MY-1', s.tokens.exporter);
    expect(exporterView.json.verdict.verdict).toBe('inside');
    expect(exporterView.json.verdict).not.toHaveProperty('estimate');
    expect(exporterView.json.verdict).not.toHaveProperty('proofRadiusKm');
    const ownerView = await s.request('GET', '/v1/chips/GPU-MY-1', s.tokens.operator);
    expect(ownerView.json.verdict.estimate).toMatchObject({
      lat: expect.any(Number),
      lon: expect.any(Number),
    });
    await s.request('PUT', '/v1/orgs/dc-my/disclosure', s.tokens.operator, { disclosure: 'estimate' });
    const after = await s.request('GET', '/v1/chips/GPU-MY-1', s.tokens.exporter);
    expect(after.json.verdict.estimate).toMatchObject({ lat: expect.any(Number) });
    await s.request('PUT', '/v1/orgs/dc-my/disclosure', s.tokens.operator, { disclosure: 'verdict' });
  });

  it('lets a landmark token submit only its own receipts', async () => {
    const res = await s.request('POST', '/v1/receipts', s.tokens.landmark, {
      receipts: [s.receipt('GPU-MY-1', 'SIN', 3)],
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ accepted: 0, rejected: [{ index: 0, code: 'LANDMARK_NOT_YOURS' }] });
  });
});
