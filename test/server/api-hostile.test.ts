// Hostile API bodies: wrong types, huge arrays, deep nesting, SQL-looking strings, broken JSON,
// wrong content types, oversized bodies. Each gets a 4xx with a code, and nothing changes.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SeededServer, seededServer } from '../helpers/seeded-server.js';
import { keyPair } from '../helpers/verifier-world.js';

async function snapshot(s: SeededServer) {
  const db = s.db.verifier.store.db;
  const count = async (
    t: 'orgs' | 'licences' | 'chips' | 'shipments' | 'landmarks' | 'receipts' | 'tokens' | 'alerts',
  ) =>
    Number(
      (
        await db
          .selectFrom(t)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  return {
    orgs: await count('orgs'),
    licences: await count('licences'),
    chips: await count('chips'),
    shipments: await count('shipments'),
    landmarks: await count('landmarks'),
    receipts: await count('receipts'),
    tokens: await count('tokens'),
    alerts: await count('alerts'),
  };
}

const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
const deepObject = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;

describe('hostile API bodies', () => {
  let s: SeededServer;
  beforeAll(async () => {
    s = await seededServer();
  });
  afterAll(async () => {
    await s.close();
  });

  const cases: [string, string, string | unknown][] = [
    ['wrong types', '/v1/chips', { id: 42, model: ['H100'], publicKey: true, licenceId: {} }],
    [
      'sql in an id',
      '/v1/chips',
      { id: "x'); DROP TABLE chips;--", model: 'H100', publicKey: keyPair().base64, licenceId: 'L-MY-1' },
    ],
    [
      'sql in a licence',
      '/v1/chips',
      { id: 'ok-1', model: 'H100', publicKey: keyPair().base64, licenceId: "L' OR '1'='1" },
    ],
    ['unknown fields', '/v1/orgs', { id: 'x', name: 'x', kind: 'exporter', admin: true }],
    ['prototype pollution', '/v1/orgs', '{"id":"p","name":"p","kind":"exporter","__proto__":{"admin":true}}'],
    ['broken JSON', '/v1/orgs', '{"id": "x", '],
    ['deep array nesting', '/v1/orgs', deep(100_000)],
    ['deep object nesting', '/v1/licences', deepObject(50_000)],
    ['huge array', '/v1/receipts', { receipts: new Array(6000).fill('AAAA') }],
    [
      'huge destinations',
      '/v1/licences',
      {
        id: 'L-X',
        exporterId: 'nv',
        endUserId: 'dc-my',
        destinations: new Array(1000).fill({ country: 'MY' }),
        models: ['H20'],
        quantity: 1,
        validFrom: 0,
        validTo: 1,
      },
    ],
    [
      'a geofence that is not one',
      '/v1/licences',
      {
        id: 'L-Y',
        exporterId: 'nv',
        endUserId: 'dc-my',
        destinations: [
          {
            geofence: {
              type: 'Polygon',
              coordinates: [
                [
                  [0, 0],
                  [1e9, 0],
                ],
              ],
            },
          },
        ],
        models: ['H20'],
        quantity: 1,
        validFrom: 0,
        validTo: 1,
      },
    ],
    ['receipts not strings', '/v1/receipts', { receipts: [1, null, {}] }],
    ['a number body', '/v1/shipments', '12345'],
    [
      'negative invoice',
      '/v1/shipments',
      { id: 'S-x', licenceId: 'L-MY-1', chips: [], invoiceValue: -5, currency: 'USD', shippedAt: 0 },
    ],
    [
      'NaN-like quantity',
      '/v1/licences',
      {
        id: 'L-Z',
        exporterId: 'nv',
        endUserId: 'dc-my',
        destinations: [{ country: 'MY' }],
        models: ['H20'],
        quantity: 1e308,
        validFrom: 0,
        validTo: 1,
      },
    ],
  ];

  for (const [name, path, body] of cases) {
    it(`${name}: 4xx with a code, nothing stored`, async () => {
      const before = await snapshot(s);
      const res = await s.request('POST', path, s.tokens.admin, body);
      expect(res.status, res.text).toBeGreaterThanOrEqual(400);
      expect(res.status, res.text).toBeLessThan(500);
      expect(res.json?.error?.code, res.text).toMatch(/^[A-Z_]+$/);
      expect(await snapshot(s)).toEqual(before);
    });
  }

  it('refuses an oversized body with 413 PAYLOAD_TOO_LARGE', async () => {
    const res = await s.request('POST', '/v1/orgs', s.tokens.admin, {
      id: 'big',
      name: 'x'.repeat(300_000),
      kind: 'exporter',
    });
    expect(res.status).toBe(413);
    expect(res.json.error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('refuses a non-JSON content type', async () => {
    const res = await fetch(`${s.url}/v1/orgs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${s.tokens.admin}`, 'content-type': 'text/plain' },
      body: 'id=x',
    });
    expect(res.status).toBe(415);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('INVALID_REQUEST');
  });

  it('answers garbage tokens and paths with coded errors', async () => {
    expect((await s.request('GET', '/v1/chips', 'ga_' + 'x'.repeat(43))).json.error.code).toBe(
      'UNAUTHORIZED',
    );
    expect((await s.request('GET', '/v1/chips', "' OR 1=1 --")).status).toBe(401);
    expect((await s.request('GET', '/v1/chips/%00%ff', s.tokens.admin)).status).toBeLessThan(500);
    expect((await s.request('GET', '/v1/nope', s.tokens.admin)).json.error.code).toBe('NOT_FOUND');
    expect((await s.request('GET', '/v1/alerts?limit=abc', s.tokens.admin)).json.error.code).toBe(
      'INVALID_REQUEST',
    );
  });

  it('keeps working after all of it', async () => {
    const res = await s.request('GET', '/v1/chips', s.tokens.admin);
    expect(res.status).toBe(200);
    expect(res.json.chips.length).toBeGreaterThanOrEqual(3);
  });
});

describe('rate limits', () => {
  it('answers 429 RATE_LIMITED past a token’s rate', async () => {
    const s = await seededServer('sqlite', { rateLimitPerSecond: 5 });
    try {
      const statuses = await Promise.all(
        Array.from({ length: 30 }, () => s.request('GET', '/v1/me', s.tokens.auditor)),
      );
      const limited = statuses.filter((r) => r.status === 429);
      expect(limited.length).toBeGreaterThan(0);
      expect(limited[0].json.error.code).toBe('RATE_LIMITED');
    } finally {
      await s.close();
    }
  });
});
