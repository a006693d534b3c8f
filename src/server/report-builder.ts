// Builds the reports from the database (the shaping rules are pure, in src/ledger/reports.ts).

import { type DiversionRow, type RevenueShareRow, revenueShare } from '../ledger/reports.js';
import { walkVerdicts } from '../store/chains.js';
import type { Verifier } from './verifier.js';

export interface ReportScope {
  readonly exporterId?: string;
  readonly endUserId?: string;
}

const TAMPER_KINDS = [
  'diversion',
  'unverified',
  'missed-check-in',
  'cloned-identity',
  'landmark-integrity',
] as const;

/**
 * The diversion and tamper report of [from, to): one row per chip that had such an alert in the
 * period, with its licence, end user, last proven location (the last `inside` verdict and its
 * region), its verdicts in the period and the hashes of the evidence they rest on.
 */
export async function diversionReport(
  v: Verifier,
  from: number,
  to: number,
  scope: ReportScope,
): Promise<DiversionRow[]> {
  const db = v.store.db;
  let q = db
    .selectFrom('alerts')
    .innerJoin('chips', 'chips.id', 'alerts.chip_id')
    .innerJoin('licences', 'licences.id', 'alerts.licence_id')
    .select([
      'alerts.chip_id',
      'alerts.kind',
      'chips.model',
      'licences.id as licence_id',
      'licences.end_user_id',
    ])
    .where('alerts.kind', 'in', TAMPER_KINDS)
    .where('alerts.opened_at', '>=', from)
    .where('alerts.opened_at', '<', to);
  if (scope.exporterId !== undefined) q = q.where('licences.exporter_id', '=', scope.exporterId);
  if (scope.endUserId !== undefined) q = q.where('licences.end_user_id', '=', scope.endUserId);
  const alerts = await q.orderBy('alerts.chip_id').orderBy('alerts.id').execute();
  const byChip = new Map<string, { model: string; licenceId: string; endUserId: string; kinds: string[] }>();
  for (const a of alerts) {
    const e = byChip.get(a.chip_id!) ?? {
      model: a.model,
      licenceId: a.licence_id,
      endUserId: a.end_user_id,
      kinds: [],
    };
    e.kinds.push(a.kind);
    byChip.set(a.chip_id!, e);
  }
  const rows: DiversionRow[] = [];
  for (const [chipId, e] of byChip) {
    // The chip's chain back through the period and on to its last `inside` before the end.
    const walked = await walkVerdicts(db, chipId, {
      limit: Number.MAX_SAFE_INTEGER,
      since: from,
      insideBefore: to,
    });
    const verdicts = walked
      .filter((x) => Number(x.computed_at) >= from && Number(x.computed_at) < to)
      .reverse();
    const inside = walked.find((x) => x.verdict === 'inside' && Number(x.computed_at) < to);
    const counts = new Map<string, number>();
    for (const k of e.kinds) counts.set(k, (counts.get(k) ?? 0) + 1);
    rows.push({
      chipId,
      model: e.model,
      licenceId: e.licenceId,
      endUserId: e.endUserId,
      region: verdicts.at(-1)?.region ?? inside?.region ?? '',
      alerts: [...counts].map(([k, n]) => `${k}×${n}`).join(' '),
      lastProvenInside: inside === undefined ? '' : new Date(Number(inside.computed_at)).toISOString(),
      lastProvenRegion: inside?.region ?? '',
      verdictHistory: verdicts
        .map((x) => `${new Date(Number(x.computed_at)).toISOString()} ${x.verdict}`)
        .join('; '),
      evidenceHashes: verdicts.map((x) => x.evidence_hash).join(' '),
    });
  }
  return rows;
}

export const DIVERSION_COLUMNS = [
  'chipId',
  'model',
  'licenceId',
  'endUserId',
  'region',
  'alerts',
  'lastProvenInside',
  'lastProvenRegion',
  'verdictHistory',
  'evidenceHashes',
] as const;

export const REVENUE_COLUMNS = [
  'licenceId',
  'quarter',
  'currency',
  'shipments',
  'invoiceTotal',
  'sharePct',
  'shareDue',
] as const;

/** Revenue share per licence and quarter for shipments in [from, to). */
export async function revenueShareReport(
  v: Verifier,
  from: number,
  to: number,
  scope: ReportScope,
): Promise<RevenueShareRow[]> {
  let q = v.store.db
    .selectFrom('shipments')
    .innerJoin('licences', 'licences.id', 'shipments.licence_id')
    .select([
      'shipments.licence_id',
      'shipments.invoice_minor',
      'shipments.currency',
      'shipments.shipped_at',
      'licences.revenue_share_pct',
    ])
    .where('shipments.shipped_at', '>=', from)
    .where('shipments.shipped_at', '<', to);
  if (scope.exporterId !== undefined) q = q.where('licences.exporter_id', '=', scope.exporterId);
  if (scope.endUserId !== undefined) q = q.where('licences.end_user_id', '=', scope.endUserId);
  const rows = await q.execute();
  return revenueShare(
    rows.map((r) => ({
      licenceId: r.licence_id,
      invoiceMinor: Number(r.invoice_minor),
      currency: r.currency,
      shippedAt: Number(r.shipped_at),
    })),
    new Map(rows.map((r) => [r.licence_id, r.revenue_share_pct])),
  );
}
