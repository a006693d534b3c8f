// The ledger in the database: organisations, licences, chips, shipments and landmarks, each change
// recorded with who made it and when. Rules come from src/ledger; this file makes them hold under
// concurrency (one transaction per change, the licence row locked while a chip joins it).

import { createHash } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { gpuDeviceIdFromChain } from '../attest/session-evidence.js';
import { deviceKeyId } from '../attest/software-identity.js';
import { GeoattestError } from '../errors.js';
import { checkLatitude, checkLongitude } from '../geo/verdict-record.js';
import { checkChipMayJoin, type LicenceInput, parseLicenceInput } from '../ledger/licence.js';
import type { Policy } from '../ledger/policy.js';
import { checkId, checkText, checkTime, invalid, isObject } from '../ledger/validate.js';
import type { Store } from './database.js';
import type { ChipTable, Database, LandmarkTable, LicenceTable, OrgTable, ShipmentTable } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export type OrgKind = OrgTable['kind'];
export type Disclosure = OrgTable['disclosure'];
export const ORG_KINDS: readonly OrgKind[] = ['exporter', 'end-user', 'landmark-operator'];
export const DISCLOSURES: readonly Disclosure[] = ['verdict', 'radius', 'estimate'];

export interface Org {
  readonly id: string;
  readonly name: string;
  readonly kind: OrgKind;
  readonly disclosure: Disclosure;
  readonly createdAt: string;
}

export interface Licence extends Omit<LicenceInput, 'validFrom' | 'validTo'> {
  readonly validFrom: string;
  readonly validTo: string;
  readonly status: 'active' | 'revoked';
  readonly chips: number;
  readonly createdAt: string;
}

export interface Chip {
  readonly id: string;
  readonly model: string;
  readonly identityMode: ChipTable['identity_mode'];
  readonly publicKey: string;
  readonly deviceId: string;
  readonly keyId: string;
  readonly licenceId: string | null;
  readonly endUserId: string | null;
  readonly status: ChipTable['status'];
  readonly createdAt: string;
}

export interface Shipment {
  readonly id: string;
  readonly licenceId: string;
  readonly chips: readonly string[];
  /** Invoice value in the currency's major unit, to the cent. */
  readonly invoiceValue: number;
  readonly currency: string;
  readonly shippedAt: string;
}

export interface LandmarkRecord {
  readonly id: string;
  readonly operatorId: string;
  readonly lat: number;
  readonly lon: number;
  readonly publicKey: string;
  readonly status: LandmarkTable['status'];
  readonly createdAt: string;
}

export interface ChipMove {
  readonly chip: Chip;
  /** Set when the chip changed end user (a licence alert). */
  readonly fromEndUser?: string | null;
}

const iso = (ms: number) => new Date(ms).toISOString();
const notFound = (what: string, id: string) =>
  new GeoattestError('NOT_FOUND', `no ${what} ${JSON.stringify(id)}`);

export function orgFromRow(r: OrgTable): Org {
  return { id: r.id, name: r.name, kind: r.kind, disclosure: r.disclosure, createdAt: iso(r.created_at) };
}

export function licenceFromRow(r: LicenceTable, chips: number): Licence {
  return {
    id: r.id,
    exporterId: r.exporter_id,
    endUserId: r.end_user_id,
    destinations: JSON.parse(r.destinations) as Record<string, unknown>[],
    models: JSON.parse(r.models) as string[],
    quantity: r.quantity,
    validFrom: iso(r.valid_from),
    validTo: iso(r.valid_to),
    endUse: r.end_use,
    revenueSharePct: r.revenue_share_pct,
    policy: JSON.parse(r.policy) as Partial<Policy>,
    status: r.status,
    chips,
    createdAt: iso(r.created_at),
  };
}

export function chipFromRow(r: ChipTable): Chip {
  return {
    id: r.id,
    model: r.model,
    identityMode: r.identity_mode,
    publicKey: r.public_key,
    deviceId: r.device_id,
    keyId: r.key_id,
    licenceId: r.licence_id,
    endUserId: r.end_user_id,
    status: r.status,
    createdAt: iso(r.created_at),
  };
}

function shipmentFromRow(r: ShipmentTable): Shipment {
  return {
    id: r.id,
    licenceId: r.licence_id,
    chips: JSON.parse(r.chips) as string[],
    invoiceValue: r.invoice_minor / 100,
    currency: r.currency,
    shippedAt: iso(r.shipped_at),
  };
}

export function landmarkFromRow(r: LandmarkTable): LandmarkRecord {
  return {
    id: r.id,
    operatorId: r.operator_id,
    lat: r.lat,
    lon: r.lon,
    publicKey: r.public_key,
    status: r.status,
    createdAt: iso(r.created_at),
  };
}

function only(v: Record<string, unknown>, fields: readonly string[], what: string): void {
  for (const k of Object.keys(v))
    if (!fields.includes(k)) invalid(`${what} has no field ${JSON.stringify(k)}`);
}

/** A base64 Ed25519 public key of exactly 32 bytes. */
function ed25519Key(v: unknown, what: string): Uint8Array {
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/]{43}=$/.test(v))
    invalid(`${what} must be a base64 Ed25519 public key (32 bytes)`);
  return new Uint8Array(Buffer.from(v, 'base64'));
}

export class LedgerStore {
  constructor(private readonly store: Store) {}

  private get db(): Kysely<Database> {
    return this.store.db;
  }

  private async record(
    db: Db,
    actor: string,
    now: number,
    entity: string,
    id: string,
    action: string,
    detail: unknown,
  ) {
    await db
      .insertInto('changes')
      .values({ at: now, actor, entity, entity_id: id, action, detail: JSON.stringify(detail) })
      .execute();
  }

  // ---- organisations

  async addOrg(body: unknown, actor: string, now: number): Promise<Org> {
    if (!isObject(body)) invalid('an organisation must be an object');
    only(body, ['id', 'name', 'kind', 'disclosure'], 'an organisation');
    const kind = body.kind as OrgKind;
    if (!ORG_KINDS.includes(kind)) invalid(`kind must be one of ${ORG_KINDS.join(', ')}`);
    const disclosure = (body.disclosure ?? 'verdict') as Disclosure;
    if (!DISCLOSURES.includes(disclosure)) invalid(`disclosure must be one of ${DISCLOSURES.join(', ')}`);
    const row: OrgTable = {
      id: checkId(body.id, 'id'),
      name: checkText(body.name, 'name', 200),
      kind,
      disclosure,
      created_at: now,
    };
    return this.db.transaction().execute(async (tx) => {
      if (await tx.selectFrom('orgs').select('id').where('id', '=', row.id).executeTakeFirst())
        throw new GeoattestError('ALREADY_EXISTS', `organisation ${row.id} exists`);
      await tx.insertInto('orgs').values(row).execute();
      await this.record(tx, actor, now, 'org', row.id, 'add', row);
      return orgFromRow(row);
    });
  }

  async listOrgs(): Promise<Org[]> {
    return (await this.db.selectFrom('orgs').selectAll().orderBy('id').execute()).map(orgFromRow);
  }

  async getOrg(id: string): Promise<Org> {
    const r = await this.db.selectFrom('orgs').selectAll().where('id', '=', id).executeTakeFirst();
    if (r === undefined) throw notFound('organisation', id);
    return orgFromRow(r);
  }

  /** The end user's own choice of what is disclosed about its chips. */
  async setDisclosure(id: string, disclosure: unknown, actor: string, now: number): Promise<Org> {
    if (!DISCLOSURES.includes(disclosure as Disclosure))
      invalid(`disclosure must be one of ${DISCLOSURES.join(', ')}`);
    return this.db.transaction().execute(async (tx) => {
      const r = await tx
        .updateTable('orgs')
        .set({ disclosure: disclosure as Disclosure })
        .where('id', '=', id)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) throw notFound('organisation', id);
      await this.record(tx, actor, now, 'org', id, 'disclosure', { disclosure });
      return orgFromRow(
        await tx.selectFrom('orgs').selectAll().where('id', '=', id).executeTakeFirstOrThrow(),
      );
    });
  }

  private async requireOrg(db: Db, id: string, kind: OrgKind): Promise<void> {
    const r = await db.selectFrom('orgs').select('kind').where('id', '=', id).executeTakeFirst();
    if (r === undefined) throw notFound('organisation', id);
    if (r.kind !== kind) invalid(`organisation ${id} is a ${r.kind}, not a ${kind}`);
  }

  // ---- licences

  async addLicence(body: unknown, actor: string, now: number): Promise<Licence> {
    const l = parseLicenceInput(body);
    return this.db.transaction().execute(async (tx) => {
      if (await tx.selectFrom('licences').select('id').where('id', '=', l.id).executeTakeFirst())
        throw new GeoattestError('ALREADY_EXISTS', `licence ${l.id} exists`);
      await this.requireOrg(tx, l.exporterId, 'exporter');
      await this.requireOrg(tx, l.endUserId, 'end-user');
      const row: LicenceTable = {
        id: l.id,
        exporter_id: l.exporterId,
        end_user_id: l.endUserId,
        destinations: JSON.stringify(l.destinations),
        models: JSON.stringify(l.models),
        quantity: l.quantity,
        valid_from: l.validFrom,
        valid_to: l.validTo,
        end_use: l.endUse,
        revenue_share_pct: l.revenueSharePct,
        policy: JSON.stringify(l.policy),
        status: 'active',
        created_at: now,
      };
      await tx.insertInto('licences').values(row).execute();
      await this.record(tx, actor, now, 'licence', l.id, 'add', l);
      return licenceFromRow(row, 0);
    });
  }

  async listLicences(filter: { exporterId?: string; endUserId?: string } = {}): Promise<Licence[]> {
    let q = this.db.selectFrom('licences').selectAll();
    if (filter.exporterId !== undefined) q = q.where('exporter_id', '=', filter.exporterId);
    if (filter.endUserId !== undefined) q = q.where('end_user_id', '=', filter.endUserId);
    const rows = await q.orderBy('id').execute();
    const counts = await this.chipCounts();
    return rows.map((r) => licenceFromRow(r, counts.get(r.id) ?? 0));
  }

  async getLicence(id: string): Promise<Licence> {
    const r = await this.db.selectFrom('licences').selectAll().where('id', '=', id).executeTakeFirst();
    if (r === undefined) throw notFound('licence', id);
    return licenceFromRow(r, await this.activeChips(this.db, id));
  }

  async licenceRow(id: string): Promise<LicenceTable | undefined> {
    return this.db.selectFrom('licences').selectAll().where('id', '=', id).executeTakeFirst();
  }

  private async chipCounts(): Promise<Map<string, number>> {
    const rows = await this.db
      .selectFrom('chips')
      .select(['licence_id', (eb) => eb.fn.countAll<number>().as('n')])
      .where('status', '!=', 'retired')
      .groupBy('licence_id')
      .execute();
    return new Map(rows.filter((r) => r.licence_id !== null).map((r) => [r.licence_id!, Number(r.n)]));
  }

  private async activeChips(db: Db, licenceId: string): Promise<number> {
    const r = await db
      .selectFrom('chips')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('licence_id', '=', licenceId)
      .where('status', '!=', 'retired')
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /** Locks the licence row (PostgreSQL) so two chips cannot both take its last place. */
  private async lockLicence(db: Db, id: string): Promise<LicenceTable> {
    let q = db.selectFrom('licences').selectAll().where('id', '=', id);
    if (this.store.dialect === 'postgres') q = q.forUpdate();
    const r = await q.executeTakeFirst();
    if (r === undefined) throw notFound('licence', id);
    return r;
  }

  private async checkJoin(db: Db, licenceId: string, model: string, now: number): Promise<LicenceTable> {
    const l = await this.lockLicence(db, licenceId);
    checkChipMayJoin(
      {
        id: l.id,
        models: JSON.parse(l.models) as string[],
        quantity: l.quantity,
        validFrom: l.valid_from,
        validTo: l.valid_to,
        status: l.status,
      },
      model,
      await this.activeChips(db, licenceId),
      now,
    );
    return l;
  }

  // ---- chips

  async addChip(body: unknown, actor: string, now: number): Promise<Chip> {
    if (!isObject(body)) invalid('a chip must be an object');
    only(body, ['id', 'model', 'identityMode', 'publicKey', 'certificateChain', 'licenceId'], 'a chip');
    const id = checkId(body.id, 'id');
    const model = checkId(body.model, 'model', 32);
    const identityMode = (body.identityMode ?? 'software') as ChipTable['identity_mode'];
    let deviceId: string;
    let keyId: string;
    let publicKey: string;
    if (identityMode === 'software') {
      const raw = ed25519Key(body.publicKey, 'publicKey');
      deviceId = createHash('sha256').update(raw).digest('hex');
      keyId = deviceKeyId(raw);
      publicKey = body.publicKey as string;
    } else if (identityMode === 'gpu-session') {
      // The GPU is named by its identity key (the leaf of its NVIDIA chain); session keys change
      // every check-in, so no key id is fixed: each receipt's comes with its evidence.
      const chain = body.certificateChain;
      if (typeof chain !== 'string' || chain.length > 64 * 1024)
        invalid('certificateChain must be the GPU’s PEM certificate chain (up to 64 KiB)');
      try {
        deviceId = Buffer.from(gpuDeviceIdFromChain(chain)).toString('hex');
      } catch (e) {
        invalid(`certificateChain: ${(e as Error).message}`);
      }
      keyId = '';
      publicKey = chain;
    } else {
      invalid('identityMode must be software or gpu-session (gpu-evidence is not carried on the wire)');
    }
    const licenceId =
      body.licenceId === undefined || body.licenceId === null ? null : checkId(body.licenceId, 'licenceId');
    return this.db.transaction().execute(async (tx) => {
      if (await tx.selectFrom('chips').select('id').where('id', '=', id).executeTakeFirst())
        throw new GeoattestError('ALREADY_EXISTS', `chip ${id} exists`);
      if (await tx.selectFrom('chips').select('id').where('device_id', '=', deviceId).executeTakeFirst())
        throw new GeoattestError('ALREADY_EXISTS', 'another chip has this public key');
      const licence = licenceId === null ? undefined : await this.checkJoin(tx, licenceId, model, now);
      const row: ChipTable = {
        id,
        model,
        identity_mode: identityMode,
        public_key: publicKey,
        device_id: deviceId,
        key_id: keyId,
        licence_id: licenceId,
        end_user_id: licence?.end_user_id ?? null,
        status: 'active',
        created_at: now,
      };
      await tx.insertInto('chips').values(row).execute();
      await this.record(tx, actor, now, 'chip', id, 'add', row);
      return chipFromRow(row);
    });
  }

  /**
   * Registers many software chips under one licence in one transaction (a shipment's worth, or a
   * simulator's million), with the same rules as addChip checked once for the whole batch.
   */
  async importChips(
    licenceId: string,
    chips: readonly { id: string; model: string; publicKey: string }[],
    actor: string,
    now: number,
  ): Promise<number> {
    return this.db.transaction().execute(async (tx) => {
      const l = await this.lockLicence(tx, licenceId);
      const models = new Set(chips.map((c) => c.model));
      for (const model of models) await this.checkJoin(tx, licenceId, model, now);
      const room = l.quantity - (await this.activeChips(tx, licenceId));
      if (chips.length > room)
        throw new GeoattestError(
          'LICENCE_EXHAUSTED',
          `licence ${licenceId} has room for ${room} more chips, not ${chips.length}`,
        );
      const rows: ChipTable[] = chips.map((c) => {
        const raw = ed25519Key(c.publicKey, `chip ${c.id} publicKey`);
        return {
          id: checkId(c.id, 'id'),
          model: checkId(c.model, 'model', 32),
          identity_mode: 'software',
          public_key: c.publicKey,
          device_id: createHash('sha256').update(raw).digest('hex'),
          key_id: deviceKeyId(raw),
          licence_id: licenceId,
          end_user_id: l.end_user_id,
          status: 'active',
          created_at: now,
        };
      });
      for (let i = 0; i < rows.length; i += 500)
        await tx
          .insertInto('chips')
          .values(rows.slice(i, i + 500))
          .execute();
      await this.record(tx, actor, now, 'licence', licenceId, 'import-chips', {
        count: rows.length,
        first: rows[0]?.id,
        last: rows.at(-1)?.id,
      });
      return rows.length;
    });
  }

  /** Moves a chip to another licence and/or changes its status. */
  async updateChip(id: string, body: unknown, actor: string, now: number): Promise<ChipMove> {
    if (!isObject(body)) invalid('a chip update must be an object');
    only(body, ['licenceId', 'status'], 'a chip update');
    const status = body.status as ChipTable['status'] | undefined;
    if (status !== undefined && !['active', 'suspended', 'retired'].includes(status))
      invalid('status must be active, suspended or retired');
    return this.db.transaction().execute(async (tx) => {
      const chip = await tx.selectFrom('chips').selectAll().where('id', '=', id).executeTakeFirst();
      if (chip === undefined) throw notFound('chip', id);
      const next: ChipTable = { ...chip, ...(status !== undefined ? { status } : {}) };
      let fromEndUser: string | null | undefined;
      if (body.licenceId !== undefined && body.licenceId !== chip.licence_id) {
        const licenceId = checkId(body.licenceId, 'licenceId');
        const l = await this.checkJoin(tx, licenceId, chip.model, now);
        next.licence_id = licenceId;
        next.end_user_id = l.end_user_id;
        if (l.end_user_id !== chip.end_user_id) fromEndUser = chip.end_user_id;
      }
      await tx
        .updateTable('chips')
        .set({ licence_id: next.licence_id, end_user_id: next.end_user_id, status: next.status })
        .where('id', '=', id)
        .execute();
      await this.record(tx, actor, now, 'chip', id, 'update', {
        licenceId: next.licence_id,
        status: next.status,
      });
      return { chip: chipFromRow(next), ...(fromEndUser !== undefined ? { fromEndUser } : {}) };
    });
  }

  async listChips(
    filter: { licenceId?: string; endUserId?: string; exporterId?: string } = {},
  ): Promise<Chip[]> {
    let q = this.db.selectFrom('chips').selectAll('chips');
    if (filter.licenceId !== undefined) q = q.where('chips.licence_id', '=', filter.licenceId);
    if (filter.endUserId !== undefined) q = q.where('chips.end_user_id', '=', filter.endUserId);
    if (filter.exporterId !== undefined)
      q = q
        .innerJoin('licences', 'licences.id', 'chips.licence_id')
        .where('licences.exporter_id', '=', filter.exporterId);
    return (await q.orderBy('chips.id').execute()).map(chipFromRow);
  }

  async getChip(id: string): Promise<Chip> {
    const r = await this.db.selectFrom('chips').selectAll().where('id', '=', id).executeTakeFirst();
    if (r === undefined) throw notFound('chip', id);
    return chipFromRow(r);
  }

  // ---- shipments

  async addShipment(body: unknown, actor: string, now: number): Promise<Shipment> {
    if (!isObject(body)) invalid('a shipment must be an object');
    only(body, ['id', 'licenceId', 'chips', 'invoiceValue', 'currency', 'shippedAt'], 'a shipment');
    const chips = body.chips;
    if (!Array.isArray(chips) || chips.length > 100_000)
      invalid('chips must be a list of up to 100,000 serials');
    for (const [i, c] of chips.entries()) checkId(c, `chips[${i}]`);
    const value = body.invoiceValue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1e13)
      invalid('invoiceValue must be a non-negative amount');
    const currency = body.currency;
    if (typeof currency !== 'string' || !/^[A-Z]{3}$/.test(currency))
      invalid('currency must be an ISO 4217 code such as USD');
    const row: ShipmentTable = {
      id: checkId(body.id, 'id'),
      licence_id: checkId(body.licenceId, 'licenceId'),
      chips: JSON.stringify(chips),
      invoice_minor: Math.round(value * 100),
      currency,
      shipped_at: checkTime(body.shippedAt, 'shippedAt'),
      created_at: now,
    };
    return this.db.transaction().execute(async (tx) => {
      if (await tx.selectFrom('shipments').select('id').where('id', '=', row.id).executeTakeFirst())
        throw new GeoattestError('ALREADY_EXISTS', `shipment ${row.id} exists`);
      if (!(await tx.selectFrom('licences').select('id').where('id', '=', row.licence_id).executeTakeFirst()))
        throw notFound('licence', row.licence_id);
      if (chips.length > 0) {
        const known = await tx
          .selectFrom('chips')
          .select(['id', 'licence_id'])
          .where('id', 'in', chips as string[])
          .execute();
        const byId = new Map(known.map((k) => [k.id, k.licence_id]));
        for (const c of chips as string[]) {
          if (!byId.has(c)) throw notFound('chip', c);
          if (byId.get(c) !== row.licence_id) invalid(`chip ${c} is not under licence ${row.licence_id}`);
        }
      }
      await tx.insertInto('shipments').values(row).execute();
      await this.record(tx, actor, now, 'shipment', row.id, 'add', row);
      return shipmentFromRow(row);
    });
  }

  async listShipments(
    filter: { licenceId?: string; exporterId?: string; endUserId?: string } = {},
  ): Promise<Shipment[]> {
    let q = this.db
      .selectFrom('shipments')
      .innerJoin('licences', 'licences.id', 'shipments.licence_id')
      .selectAll('shipments');
    if (filter.licenceId !== undefined) q = q.where('shipments.licence_id', '=', filter.licenceId);
    if (filter.exporterId !== undefined) q = q.where('licences.exporter_id', '=', filter.exporterId);
    if (filter.endUserId !== undefined) q = q.where('licences.end_user_id', '=', filter.endUserId);
    return (await q.orderBy('shipments.shipped_at').execute()).map(shipmentFromRow);
  }

  // ---- landmarks

  async addLandmark(body: unknown, actor: string, now: number): Promise<LandmarkRecord> {
    if (!isObject(body)) invalid('a landmark must be an object');
    only(body, ['id', 'operatorId', 'lat', 'lon', 'publicKey'], 'a landmark');
    if (typeof body.id !== 'string' || !/^[\x21-\x7e]{1,16}$/.test(body.id))
      invalid('id must be 1 to 16 printable ASCII characters (it travels in every receipt)');
    ed25519Key(body.publicKey, 'publicKey');
    let lat: number;
    let lon: number;
    try {
      lat = checkLatitude(body.lat, 'lat');
      lon = checkLongitude(body.lon, 'lon');
    } catch (e) {
      invalid((e as Error).message);
    }
    const row: LandmarkTable = {
      id: body.id,
      operator_id: checkId(body.operatorId, 'operatorId'),
      lat,
      lon,
      public_key: body.publicKey as string,
      status: 'active',
      created_at: now,
    };
    return this.db.transaction().execute(async (tx) => {
      if (await tx.selectFrom('landmarks').select('id').where('id', '=', row.id).executeTakeFirst())
        throw new GeoattestError('ALREADY_EXISTS', `landmark ${row.id} exists`);
      await this.requireOrg(tx, row.operator_id, 'landmark-operator');
      await tx.insertInto('landmarks').values(row).execute();
      await this.record(tx, actor, now, 'landmark', row.id, 'add', row);
      return landmarkFromRow(row);
    });
  }

  async setLandmarkStatus(id: string, body: unknown, actor: string, now: number): Promise<LandmarkRecord> {
    if (!isObject(body)) invalid('a landmark update must be an object');
    only(body, ['status'], 'a landmark update');
    const status = body.status as LandmarkTable['status'];
    if (!['active', 'suspended', 'retired'].includes(status))
      invalid('status must be active, suspended or retired');
    return this.db.transaction().execute(async (tx) => {
      const r = await tx.updateTable('landmarks').set({ status }).where('id', '=', id).executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) throw notFound('landmark', id);
      await this.record(tx, actor, now, 'landmark', id, 'status', { status });
      return landmarkFromRow(
        await tx.selectFrom('landmarks').selectAll().where('id', '=', id).executeTakeFirstOrThrow(),
      );
    });
  }

  async listLandmarks(): Promise<LandmarkRecord[]> {
    return (await this.db.selectFrom('landmarks').selectAll().orderBy('id').execute()).map(landmarkFromRow);
  }

  async getLandmark(id: string): Promise<LandmarkRecord> {
    const r = await this.db.selectFrom('landmarks').selectAll().where('id', '=', id).executeTakeFirst();
    if (r === undefined) throw notFound('landmark', id);
    return landmarkFromRow(r);
  }

  async changes(entity: string, id: string) {
    const rows = await this.db
      .selectFrom('changes')
      .selectAll()
      .where('entity', '=', entity)
      .where('entity_id', '=', id)
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      at: iso(r.at),
      actor: r.actor,
      action: r.action,
      detail: JSON.parse(r.detail) as unknown,
    }));
  }
}
