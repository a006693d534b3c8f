// Alerts: raised from drafts (src/ledger/alert-rules.ts), acknowledged with a note, never deleted.

import type { Kysely, Transaction } from 'kysely';
import { GeoattestError } from '../errors.js';
import type { AlertDraft, AlertKind } from '../ledger/alert-rules.js';
import type { Store } from './database.js';
import type { AlertRow, Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface Alert {
  readonly id: number;
  readonly kind: AlertKind;
  readonly chipId: string | null;
  readonly licenceId: string | null;
  readonly landmarks: readonly string[];
  readonly verdictId: number | null;
  readonly openedAt: string;
  readonly message: string;
  readonly detail: Record<string, unknown>;
  readonly acknowledged: null | { readonly at: string; readonly by: string; readonly note: string };
}

export function alertFromRow(r: AlertRow): Alert {
  return {
    id: Number(r.id),
    kind: r.kind,
    chipId: r.chip_id,
    licenceId: r.licence_id,
    landmarks: JSON.parse(r.landmarks) as string[],
    verdictId: r.verdict_id === null ? null : Number(r.verdict_id),
    openedAt: new Date(Number(r.opened_at)).toISOString(),
    message: r.message,
    detail: JSON.parse(r.detail) as Record<string, unknown>,
    acknowledged:
      r.acknowledged_at === null
        ? null
        : {
            at: new Date(Number(r.acknowledged_at)).toISOString(),
            by: r.acknowledged_by ?? '',
            note: r.ack_note ?? '',
          },
  };
}

export interface AlertFilter {
  readonly kinds?: readonly AlertKind[];
  readonly chipIds?: readonly string[];
  /** Alerts on chips or licences of this end user / exporter. */
  readonly endUserId?: string;
  readonly exporterId?: string;
  readonly open?: boolean;
  readonly since?: number;
  readonly afterId?: number;
  readonly limit?: number;
}

export class AlertStore {
  private readonly listeners = new Set<(a: Alert) => void>();

  constructor(private readonly store: Store) {}

  /** Called after each raised alert is committed (the live feed). */
  onRaised(listener: (a: Alert) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Raises the drafts not already covered by an alert of the same kind (for the same chip, or the
   * same licence for licence-wide alerts) opened at or after the draft's `coveredFrom`. Inside `tx`
   * when given; call `announce` with the result once that transaction has committed.
   */
  async raise(
    db: Db,
    drafts: readonly AlertDraft[],
    now: number,
    verdictId: number | null = null,
  ): Promise<Alert[]> {
    const raised: Alert[] = [];
    for (const d of drafts) {
      let q = db
        .selectFrom('alerts')
        .select('id')
        .where('kind', '=', d.kind)
        .where('opened_at', '>=', d.coveredFrom);
      q =
        d.chipId !== null
          ? q.where('chip_id', '=', d.chipId)
          : q.where('chip_id', 'is', null).where('licence_id', '=', d.licenceId);
      if (await q.limit(1).executeTakeFirst()) continue;
      const row = {
        kind: d.kind,
        chip_id: d.chipId,
        licence_id: d.licenceId,
        landmarks: JSON.stringify(d.landmarks),
        verdict_id: verdictId,
        opened_at: now,
        message: d.message,
        detail: JSON.stringify(d.detail),
        acknowledged_at: null,
        acknowledged_by: null,
        ack_note: null,
      };
      const r = await db.insertInto('alerts').values(row).returning('id').executeTakeFirstOrThrow();
      raised.push(alertFromRow({ ...row, id: Number(r.id) }));
    }
    return raised;
  }

  announce(alerts: readonly Alert[]): void {
    for (const a of alerts) for (const l of this.listeners) l(a);
  }

  async raiseNow(drafts: readonly AlertDraft[], now: number): Promise<Alert[]> {
    const raised = await this.store.db.transaction().execute((tx) => this.raise(tx, drafts, now));
    this.announce(raised);
    return raised;
  }

  async list(f: AlertFilter = {}): Promise<Alert[]> {
    let q = this.store.db.selectFrom('alerts').selectAll('alerts');
    if (f.kinds !== undefined && f.kinds.length > 0) q = q.where('alerts.kind', 'in', f.kinds);
    if (f.chipIds !== undefined) {
      if (f.chipIds.length === 0) return [];
      q = q.where('alerts.chip_id', 'in', f.chipIds);
    }
    const licences = this.store.db.selectFrom('licences').select('id');
    if (f.endUserId !== undefined)
      q = q.where('alerts.licence_id', 'in', licences.where('end_user_id', '=', f.endUserId));
    if (f.exporterId !== undefined)
      q = q.where('alerts.licence_id', 'in', licences.where('exporter_id', '=', f.exporterId));
    if (f.open === true) q = q.where('alerts.acknowledged_at', 'is', null);
    if (f.open === false) q = q.where('alerts.acknowledged_at', 'is not', null);
    if (f.since !== undefined) q = q.where('alerts.opened_at', '>=', f.since);
    if (f.afterId !== undefined) q = q.where('alerts.id', '>', f.afterId);
    const rows = await q
      .orderBy('alerts.id', 'desc')
      .limit(f.limit ?? 500)
      .execute();
    return rows.map(alertFromRow);
  }

  async get(id: number): Promise<Alert> {
    const r = await this.store.db.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirst();
    if (r === undefined) throw new GeoattestError('NOT_FOUND', `no alert ${id}`);
    return alertFromRow(r);
  }

  /** Acknowledges once; the first acknowledgement and its note are kept. */
  async acknowledge(id: number, by: string, note: string, now: number): Promise<Alert> {
    return this.store.db.transaction().execute(async (tx) => {
      const r = await tx.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirst();
      if (r === undefined) throw new GeoattestError('NOT_FOUND', `no alert ${id}`);
      if (r.acknowledged_at !== null)
        throw new GeoattestError('ALREADY_EXISTS', `alert ${id} was acknowledged by ${r.acknowledged_by}`);
      await tx
        .updateTable('alerts')
        .set({ acknowledged_at: now, acknowledged_by: by, ack_note: note })
        .where('id', '=', id)
        .execute();
      await tx
        .insertInto('changes')
        .values({
          at: now,
          actor: by,
          entity: 'alert',
          entity_id: String(id),
          action: 'acknowledge',
          detail: JSON.stringify({ note }),
        })
        .execute();
      return alertFromRow({ ...r, acknowledged_at: now, acknowledged_by: by, ack_note: note });
    });
  }
}
