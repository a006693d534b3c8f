// Routes of evidence and its consequences: receipts in, verdicts and evidence out, alerts (with a
// live feed) and the two reports.

import { SESSION_EVIDENCE_FIELDS, verifySessionEvidence } from '../../attest/session-evidence.js';
import { publicKeyFromRaw } from '../../attest/software-identity.js';
import { GeoattestError } from '../../errors.js';
import { landmarkIdText } from '../../landmark/landmark-core.js';
import { ALERT_KINDS, type AlertKind } from '../../ledger/alert-rules.js';
import { toCsv } from '../../ledger/reports.js';
import { checkTime, invalid } from '../../ledger/validate.js';
import { parseReceipt } from '../../protocol/wire.js';
import { forbidden, mayReadEvidence, READERS, requireLicence, scopeFilter } from '../access.js';
import type { JsonSchema, Router } from '../http.js';
import { MAX_BATCH } from '../ingestion.js';
import type { Metrics } from '../metrics.js';
import {
  DIVERSION_COLUMNS,
  diversionReport,
  REVENUE_COLUMNS,
  revenueShareReport,
} from '../report-builder.js';
import type { Verifier } from '../verifier.js';
import { chipDisclosure, endUserDisclosure, readableChip, verdictView } from '../views.js';

const idParam: JsonSchema = {
  type: 'object',
  properties: { id: { type: 'string', maxLength: 64 } },
  required: ['id'],
};
const period: JsonSchema = {
  type: 'object',
  properties: {
    from: { type: 'string', maxLength: 40, description: 'ISO 8601 or ms; default 90 days ago' },
    to: { type: 'string', maxLength: 40, description: 'ISO 8601 or ms; default now' },
    format: { enum: ['json', 'csv'] },
  },
  additionalProperties: false,
};

function parsePeriod(q: { from?: string; to?: string }, now: number): { from: number; to: number } {
  const asTime = (s: string, what: string) => checkTime(/^\d+$/.test(s) ? Number(s) : s, what);
  const to = q.to === undefined ? now : asTime(q.to, 'to');
  const from = q.from === undefined ? to - 90 * 86_400_000 : asTime(q.from, 'from');
  if (from >= to) invalid('from must be before to');
  return { from, to };
}

export function evidenceRoutes(r: Router, v: Verifier, metrics: Metrics): void {
  const receiptsCounted = metrics.counter('geoattest_receipts_total', 'Receipts submitted, by outcome');
  r.add({
    method: 'POST',
    url: '/v1/receipts',
    tag: 'evidence',
    summary: 'Submit a batch of signed landmark receipts',
    roles: ['admin', 'landmark'],
    bodyLimit: 8 * 1024 * 1024,
    body: {
      type: 'object',
      additionalProperties: false,
      properties: {
        receipts: {
          type: 'array',
          minItems: 1,
          maxItems: MAX_BATCH,
          items: { type: 'string', maxLength: 1024 },
        },
      },
      required: ['receipts'],
    },
    handler: async ({ req, principal, now }) => {
      const { receipts } = req.body as { receipts: string[] };
      const result = await v.ingestion.ingest(
        receipts,
        {
          name: principal.name,
          ...(principal.role === 'landmark' ? { landmarkId: principal.scope ?? '' } : {}),
        },
        now,
      );
      receiptsCounted({ outcome: 'accepted' }, result.accepted);
      receiptsCounted({ outcome: 'duplicate' }, result.duplicates);
      for (const x of result.rejected) receiptsCounted({ outcome: 'rejected', code: x.code });
      return result;
    },
  });

  r.add({
    method: 'POST',
    url: '/v1/evidence',
    tag: 'evidence',
    summary: 'Submit a gpu-session evidence bundle (an agent sends it after its check-in)',
    // Public: the bundle carries its own proof (NVIDIA evidence, the landmark-signed receipt it
    // completes), so the agent needs no token and the verifier trusts no sender.
    roles: 'public',
    bodyLimit: 256 * 1024,
    body: {
      type: 'object',
      additionalProperties: false,
      properties: Object.fromEntries(
        SESSION_EVIDENCE_FIELDS.map((k) => [k, { type: 'string', maxLength: 128 * 1024 }]),
      ),
      required: [...SESSION_EVIDENCE_FIELDS],
    },
    handler: async ({ req, now }) => {
      if (v.nvidiaRoots.length === 0)
        throw new GeoattestError(
          'CERT_CHAIN_UNTRUSTED',
          'this verifier has no NVIDIA root configured (geoattest serve --nvidia-root)',
        );
      const bundle = req.body as { receiptHash: string };
      const hash = Buffer.from(bundle.receiptHash, 'base64').toString('hex');
      const row = await v.evidence.gpuSessionReceipt(hash);
      if (row === undefined)
        throw new GeoattestError(
          'NOT_FOUND',
          'no gpu-session receipt with this hash has reached the verifier yet; send it again later',
        );
      const receipt = parseReceipt(new Uint8Array(row.raw));
      const landmark = await v.ledger.getLandmark(row.landmark_id);
      const result = verifySessionEvidence(req.body, receipt, {
        landmarkPublicKey: publicKeyFromRaw(Buffer.from(landmark.publicKey, 'base64')),
        roots: v.nvidiaRoots,
        at: new Date(now),
        maxDelayMs: 24 * 3_600_000,
      });
      await v.store.db
        .insertInto('session_evidence')
        .values({
          receipt_hash: hash,
          gpu_serial: result.gpuSerial,
          session_key_id: result.sessionKeyId,
          verified_at: now,
        })
        .onConflict((oc) => oc.column('receipt_hash').doNothing())
        .execute();
      await v.evidence.queueChips([row.chip_id], now);
      return { accepted: true, receiptHash: hash, gpuSerial: result.gpuSerial, model: result.model };
    },
  });
  r.add({
    method: 'GET',
    url: '/v1/chips/:id/verdicts',
    tag: 'evidence',
    summary: 'A chip’s verdict history',
    roles: READERS,
    params: idParam,
    handler: async ({ req, principal }) => {
      const c = await readableChip(v, principal, (req.params as { id: string }).id);
      const disclosure = await chipDisclosure(v, principal, c);
      const rows = await v.evidence.verdictsOf(c.id);
      const leaves = await v.log.leavesOfVerdicts(rows.map((x) => Number(x.id)));
      return {
        verdicts: rows.map((x) => ({
          ...verdictView(x, disclosure),
          logIndex: leaves.get(Number(x.id)) ?? null,
        })),
      };
    },
  });
  r.add({
    method: 'GET',
    url: '/v1/chips/:id/evidence',
    tag: 'evidence',
    summary: 'The signed receipts behind a chip’s latest verdicts, or behind one verdict (?verdict=ID)',
    roles: READERS,
    params: idParam,
    querystring: {
      type: 'object',
      properties: { verdict: { type: 'integer', minimum: 1 } },
      additionalProperties: false,
    },
    handler: async ({ req, principal }) => {
      const c = await readableChip(v, principal, (req.params as { id: string }).id);
      if (!mayReadEvidence(principal, c, await endUserDisclosure(v, c)))
        throw forbidden(`the end user of chip ${c.id} does not disclose its round-trip times`);
      const one = (req.query as { verdict?: number }).verdict;
      let rows: Awaited<ReturnType<typeof v.evidence.recentReceipts>>;
      if (one === undefined) rows = await v.evidence.recentReceipts(c.id, 200);
      else {
        const verdict = await v.evidence.verdictById(one);
        if (verdict === undefined || verdict.chip_id !== c.id)
          throw new GeoattestError('NOT_FOUND', `chip ${c.id} has no verdict ${one}`);
        rows = await v.evidence.receiptsOfVerdict(verdict);
      }
      return {
        receipts: rows.map((x) => {
          const receipt = parseReceipt(new Uint8Array(x.raw));
          return {
            hash: x.hash,
            landmarkId: landmarkIdText(receipt.landmarkId),
            measuredAt: new Date(Number(x.measured_at)).toISOString(),
            trustMode: x.trust_mode,
            minRttMs: Number(x.min_rtt_ns) / 1e6,
            roundsRttMs: receipt.rounds.map((rd) => Number(rd.rttNs) / 1e6),
            raw: Buffer.from(x.raw).toString('base64'),
          };
        }),
      };
    },
  });

  const alertQuery: JsonSchema = {
    type: 'object',
    properties: {
      kind: { type: 'string', maxLength: 200, description: `comma-separated: ${ALERT_KINDS.join(', ')}` },
      chip: { type: 'string', maxLength: 64 },
      open: { enum: ['true', 'false'] },
      after: { type: 'integer', minimum: 0 },
      limit: { type: 'integer', minimum: 1, maximum: 5000 },
    },
    additionalProperties: false,
  };
  const alertFilter = async (
    q: { kind?: string; chip?: string; open?: string; after?: number; limit?: number },
    principal: Parameters<typeof scopeFilter>[0],
  ) => {
    const kinds = q.kind === undefined ? undefined : q.kind.split(',');
    for (const k of kinds ?? [])
      if (!ALERT_KINDS.includes(k as AlertKind)) invalid(`unknown alert kind ${JSON.stringify(k)}`);
    if (q.chip !== undefined) await readableChip(v, principal, q.chip);
    return {
      ...(kinds ? { kinds: kinds as AlertKind[] } : {}),
      ...(q.chip ? { chipIds: [q.chip] } : {}),
      ...(q.open ? { open: q.open === 'true' } : {}),
      ...(q.after !== undefined ? { afterId: q.after } : {}),
      ...(q.limit !== undefined ? { limit: q.limit } : {}),
      ...scopeFilter(principal),
    };
  };
  r.add({
    method: 'GET',
    url: '/v1/alerts',
    tag: 'alerts',
    summary: 'List alerts, newest first',
    roles: READERS,
    querystring: alertQuery,
    handler: async ({ req, principal }) => ({
      alerts: await v.alerts.list(await alertFilter(req.query as never, principal)),
    }),
  });
  r.add({
    method: 'POST',
    url: '/v1/alerts/:id/ack',
    tag: 'alerts',
    summary: 'Acknowledge an alert with a note',
    roles: ['admin', 'exporter'],
    params: { type: 'object', properties: { id: { type: 'integer', minimum: 1 } }, required: ['id'] },
    body: {
      type: 'object',
      additionalProperties: false,
      properties: { note: { type: 'string', minLength: 1, maxLength: 2000 } },
      required: ['note'],
    },
    handler: async ({ req, principal, now }) => {
      const alertId = (req.params as { id: number }).id;
      const a = await v.alerts.get(alertId);
      if (principal.role === 'exporter') {
        if (a.licenceId === null) throw forbidden('this alert is not on a licence of yours');
        requireLicence(principal, await v.ledger.getLicence(a.licenceId));
      }
      return v.alerts.acknowledge(alertId, principal.name, (req.body as { note: string }).note, now);
    },
  });
  r.add({
    method: 'GET',
    url: '/v1/alerts/stream',
    tag: 'alerts',
    summary: 'A live feed of new alerts (server-sent events)',
    roles: READERS,
    produces: 'text/event-stream',
    handler: async ({ req, reply, principal }) => {
      const scope = scopeFilter(principal);
      reply.raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      reply.raw.write(': geoattest alerts\n\n');
      // Scope each alert with the same query the list uses, so the feed shows exactly what GET would.
      const off = v.alerts.onRaised((a) => {
        void (async () => {
          if (scope.exporterId !== undefined || scope.endUserId !== undefined) {
            const visible = await v.alerts.list({ ...scope, afterId: a.id - 1, limit: 1 });
            if (visible[0]?.id !== a.id) return;
          }
          reply.raw.write(`id: ${a.id}\nevent: alert\ndata: ${JSON.stringify(a)}\n\n`);
        })().catch(() => {});
      });
      const ping = setInterval(() => reply.raw.write(': ping\n\n'), 15_000);
      req.raw.on('close', () => {
        off();
        clearInterval(ping);
      });
      reply.hijack();
    },
  });

  reportRoute(
    r,
    v,
    '/v1/reports/diversion',
    'Diversion and tamper report for a period (JSON or CSV)',
    diversionReport,
    DIVERSION_COLUMNS,
  );
  reportRoute(
    r,
    v,
    '/v1/reports/revenue-share',
    'Revenue share owed per licence and quarter (JSON or CSV)',
    revenueShareReport,
    REVENUE_COLUMNS,
  );
}

/** A report over a period, JSON or RFC 4180 CSV, scoped to the caller's organisation. */
function reportRoute<T extends object>(
  r: Router,
  v: Verifier,
  url: string,
  summary: string,
  build: (v: Verifier, from: number, to: number, scope: ReturnType<typeof scopeFilter>) => Promise<T[]>,
  columns: readonly (keyof T & string)[],
): void {
  r.add({
    method: 'GET',
    url,
    tag: 'reports',
    summary,
    roles: ['admin', 'auditor', 'exporter'],
    querystring: period,
    produces: 'application/json, text/csv',
    handler: async ({ req, reply, principal, now }) => {
      const q = req.query as { from?: string; to?: string; format?: string };
      const { from, to } = parsePeriod(q, now);
      const rows = await build(v, from, to, scopeFilter(principal));
      if (q.format === 'csv') return reply.type('text/csv; charset=utf-8').send(toCsv(rows, columns));
      return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), rows };
    },
  });
}
