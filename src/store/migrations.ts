// Schema migrations, run at start in order; each runs once per database (Kysely's migrator keeps
// the ledger of applied ones). Column types are chosen to mean the same on SQLite and PostgreSQL.

import {
  type CreateTableBuilder,
  type Kysely,
  type Migration,
  type MigrationProvider,
  type RawBuilder,
  sql,
} from 'kysely';
import type { Dialect } from './database.js';

type Db = Kysely<unknown>;

/** Adds an auto-numbered primary key `id` in either dialect. */
function withSerialId<T extends string>(t: CreateTableBuilder<T, never>, dialect: Dialect) {
  return dialect === 'postgres'
    ? t.addColumn('id', 'bigserial', (c) => c.primaryKey())
    : t.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
}

function ledger(dialect: Dialect): Migration {
  return {
    async up(db: Db) {
      await db.schema
        .createTable('orgs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('disclosure', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('licences')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('exporter_id', 'text', (c) => c.notNull().references('orgs.id'))
        .addColumn('end_user_id', 'text', (c) => c.notNull().references('orgs.id'))
        .addColumn('destinations', 'text', (c) => c.notNull())
        .addColumn('models', 'text', (c) => c.notNull())
        .addColumn('quantity', 'integer', (c) => c.notNull())
        .addColumn('valid_from', 'bigint', (c) => c.notNull())
        .addColumn('valid_to', 'bigint', (c) => c.notNull())
        .addColumn('end_use', 'text', (c) => c.notNull())
        .addColumn('revenue_share_pct', 'double precision', (c) => c.notNull())
        .addColumn('policy', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('chips')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('model', 'text', (c) => c.notNull())
        .addColumn('identity_mode', 'text', (c) => c.notNull())
        .addColumn('public_key', 'text', (c) => c.notNull())
        .addColumn('device_id', 'text', (c) => c.notNull().unique())
        .addColumn('key_id', 'text', (c) => c.notNull())
        .addColumn('licence_id', 'text', (c) => c.references('licences.id'))
        .addColumn('end_user_id', 'text', (c) => c.references('orgs.id'))
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('chips_licence').on('chips').column('licence_id').execute();
      await db.schema.createIndex('chips_end_user').on('chips').column('end_user_id').execute();
      await db.schema
        .createTable('shipments')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('licence_id', 'text', (c) => c.notNull().references('licences.id'))
        .addColumn('chips', 'text', (c) => c.notNull())
        .addColumn('invoice_minor', 'bigint', (c) => c.notNull())
        .addColumn('currency', 'text', (c) => c.notNull())
        .addColumn('shipped_at', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('landmarks')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('operator_id', 'text', (c) => c.notNull().references('orgs.id'))
        .addColumn('lat', 'double precision', (c) => c.notNull())
        .addColumn('lon', 'double precision', (c) => c.notNull())
        .addColumn('public_key', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await withSerialId(db.schema.createTable('changes'), dialect)
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('entity', 'text', (c) => c.notNull())
        .addColumn('entity_id', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('detail', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('changes_entity').on('changes').columns(['entity', 'entity_id']).execute();
      await db.schema
        .createTable('tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('secret_hash', 'text', (c) => c.notNull().unique())
        .addColumn('scope', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('revoked_at', 'bigint')
        .execute();
    },
  };
}

/**
 * A SQLite schema change that ALTER TABLE cannot make (sqlite.org/lang_altertable.html, "making
 * other kinds of table schema changes"): foreign keys off outside a transaction, the rebuild in one
 * transaction that checks them before it commits, foreign keys on again.
 */
async function rebuildSqlite(db: Db, what: string, rebuild: (tx: Db) => Promise<void>): Promise<void> {
  await sql`pragma foreign_keys = off`.execute(db);
  try {
    await db.transaction().execute(async (tx) => {
      await rebuild(tx);
      const broken = await sql`pragma foreign_key_check`.execute(tx);
      if (broken.rows.length > 0) throw new Error(`${what} rebuilt with broken foreign keys`);
    });
  } finally {
    await sql`pragma foreign_keys = on`.execute(db);
  }
}

/**
 * Inside rebuildSqlite: `table` made anew by `create` under a temporary name, its rows copied
 * (same columns, same order, unless `columns` selects others) and `fill`ed in place if need be,
 * then put in the old one's place.
 * Indexes go with the old table; the caller makes them again.
 */
async function replaceTable(
  tx: Db,
  table: string,
  create: (name: string) => Promise<void>,
  fill: (name: string) => Promise<void> = async () => {},
  columns: RawBuilder<unknown> = sql`*`,
): Promise<void> {
  const next = `${table}_rebuilt`;
  await sql`drop table if exists ${sql.table(next)}`.execute(tx);
  await create(next);
  await sql`insert into ${sql.table(next)} select ${columns} from ${sql.table(table)}`.execute(tx);
  await fill(next);
  await sql`drop table ${sql.table(table)}`.execute(tx);
  await sql`alter table ${sql.table(next)} rename to ${sql.table(table)}`.execute(tx);
}

/**
 * The receipts table: as 0002 made it, with `raw` as text (0002) or as bytes (0006 on SQLite), the
 * hash its primary key until 0007 (`hashKey: false`).
 */
async function receiptsTable(
  db: Db,
  name: string,
  { raw, hashKey }: { raw: 'text' | 'blob'; hashKey: boolean },
): Promise<void> {
  await db.schema
    .createTable(name)
    .addColumn('hash', 'text', (c) => (hashKey ? c.primaryKey() : c.notNull()))
    .addColumn('chip_id', 'text', (c) => c.notNull().references('chips.id'))
    .addColumn('landmark_id', 'text', (c) => c.notNull().references('landmarks.id'))
    .addColumn('measured_at', 'bigint', (c) => c.notNull())
    .addColumn('min_rtt_ns', 'bigint', (c) => c.notNull())
    .addColumn('trust_mode', 'text', (c) => c.notNull())
    .addColumn('raw', raw, (c) => c.notNull())
    .addColumn('received_at', 'bigint', (c) => c.notNull())
    .execute();
}

async function receiptsIndex(db: Db): Promise<void> {
  await db.schema
    .createIndex('receipts_chip_time')
    .on('receipts')
    .columns(['chip_id', 'measured_at'])
    .execute();
}

function evidence(dialect: Dialect): Migration {
  return {
    async up(db: Db) {
      await receiptsTable(db, 'receipts', { raw: 'text', hashKey: true });
      await receiptsIndex(db);
      await db.schema
        .createTable('pending_verdicts')
        .addColumn('chip_id', 'text', (c) => c.primaryKey())
        .addColumn('since', 'bigint', (c) => c.notNull())
        .execute();
      await withSerialId(db.schema.createTable('verdicts'), dialect)
        .addColumn('chip_id', 'text', (c) => c.notNull().references('chips.id'))
        .addColumn('licence_id', 'text', (c) => c.notNull())
        .addColumn('computed_at', 'bigint', (c) => c.notNull())
        .addColumn('verdict', 'text', (c) => c.notNull())
        .addColumn('bound', 'text', (c) => c.notNull())
        .addColumn('where_policy', 'text', (c) => c.notNull())
        .addColumn('trust_modes', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('window_from', 'bigint', (c) => c.notNull())
        .addColumn('window_to', 'bigint', (c) => c.notNull())
        .addColumn('proof_radius_km', 'double precision')
        .addColumn('evidence_hash', 'text', (c) => c.notNull())
        .addColumn('evidence', 'text', (c) => c.notNull())
        .addColumn('detail', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('verdicts_chip').on('verdicts').columns(['chip_id', 'id']).execute();
      await db.schema
        .createTable('chip_state')
        .addColumn('chip_id', 'text', (c) => c.primaryKey().references('chips.id'))
        .addColumn('verdict', 'text', (c) => c.notNull())
        .addColumn('verdict_id', 'bigint', (c) => c.notNull())
        .addColumn('streak_since', 'bigint', (c) => c.notNull())
        .addColumn('last_receipt_at', 'bigint', (c) => c.notNull())
        .addColumn('computed_at', 'bigint', (c) => c.notNull())
        .execute();
      await withSerialId(db.schema.createTable('alerts'), dialect)
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('chip_id', 'text')
        .addColumn('licence_id', 'text')
        .addColumn('landmarks', 'text', (c) => c.notNull())
        .addColumn('verdict_id', 'bigint')
        .addColumn('opened_at', 'bigint', (c) => c.notNull())
        .addColumn('message', 'text', (c) => c.notNull())
        .addColumn('detail', 'text', (c) => c.notNull())
        .addColumn('acknowledged_at', 'bigint')
        .addColumn('acknowledged_by', 'text')
        .addColumn('ack_note', 'text')
        .execute();
      await db.schema.createIndex('alerts_chip').on('alerts').columns(['chip_id', 'kind']).execute();
      await db.schema.createIndex('alerts_opened').on('alerts').column('opened_at').execute();
    },
  };
}

function transparencyLog(): Migration {
  return {
    async up(db: Db) {
      await db.schema
        .createTable('log_tiles')
        .addColumn('path', 'text', (c) => c.primaryKey())
        .addColumn('data', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('log_leaves')
        .addColumn('idx', 'bigint', (c) => c.primaryKey())
        .addColumn('verdict_id', 'bigint', (c) => c.notNull().unique())
        .addColumn('leaf_hash', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('log_leaves_hash').on('log_leaves').column('leaf_hash').execute();
      await db.schema
        .createTable('log_checkpoints')
        .addColumn('size', 'bigint', (c) => c.primaryKey())
        .addColumn('root', 'text', (c) => c.notNull())
        .addColumn('note', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('log_cosignatures')
        .addColumn('size', 'bigint', (c) => c.notNull())
        .addColumn('witness', 'text', (c) => c.notNull())
        .addColumn('line', 'text', (c) => c.notNull())
        .addColumn('received_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('log_cosignatures_pk', ['size', 'witness'])
        .execute();
    },
  };
}

function sessionEvidence(): Migration {
  return {
    async up(db: Db) {
      await sessionEvidenceTable(db, 'session_evidence', true);
    },
  };
}

/** session_evidence, with the foreign key to receipts.hash it had until 0007. */
async function sessionEvidenceTable(db: Db, name: string, foreignKey: boolean): Promise<void> {
  await db.schema
    .createTable(name)
    .addColumn('receipt_hash', 'text', (c) =>
      foreignKey ? c.primaryKey().references('receipts.hash') : c.primaryKey(),
    )
    .addColumn('gpu_serial', 'text', (c) => c.notNull())
    .addColumn('session_key_id', 'text', (c) => c.notNull())
    .addColumn('verified_at', 'bigint', (c) => c.notNull())
    .execute();
}

/**
 * The verdicts the log has still to take, as a queue written with each verdict: finding them by a
 * join of verdicts against log_leaves reads every verdict ever logged, each batch (quadratic in the
 * life of the log), and a watermark on verdict ids would miss, on PostgreSQL, a verdict that
 * commits after a larger id was logged.
 */
function logQueue(): Migration {
  return {
    async up(db: Db) {
      // Idempotent: Kysely runs SQLite migrations outside a transaction, so a crash between these
      // two statements leaves this one to run again.
      await db.schema
        .createTable('log_queue')
        .ifNotExists()
        .addColumn('verdict_id', 'bigint', (c) => c.primaryKey())
        .execute();
      await sql`insert into log_queue (verdict_id)
        select v.id from verdicts v left join log_leaves l on l.verdict_id = v.id
        where l.verdict_id is null
        on conflict (verdict_id) do nothing`.execute(db);
    },
  };
}

/**
 * Receipts keep their signed bytes as bytes (BLOB / bytea), not base64 text: a third fewer bytes
 * for the largest column of the largest table, and no encoding on the way in or out.
 */
function receiptBytes(dialect: Dialect): Migration {
  return {
    async up(db: Db) {
      if (dialect === 'postgres') {
        // PostgreSQL runs migrations in a transaction, and converts in place (once).
        const column = await sql<{ data_type: string }>`select data_type from information_schema.columns
          where table_schema = current_schema() and table_name = 'receipts' and column_name = 'raw'`.execute(
          db,
        );
        if (column.rows[0]?.data_type !== 'bytea')
          await sql`alter table receipts alter column raw type bytea using decode(raw, 'base64')`.execute(db);
        return;
      }
      // SQLite cannot change a column's type: the table is rebuilt.
      const column = await sql<{
        type: string;
      }>`select type from pragma_table_info('receipts') where name = 'raw'`.execute(db);
      if (column.rows[0]?.type.toLowerCase() === 'blob') return; // rebuilt before a crash
      await rebuildSqlite(db, 'receipts', async (tx) => {
        await replaceTable(
          tx,
          'receipts',
          (name) => receiptsTable(tx, name, { raw: 'blob', hashKey: true }),
          // Copied as they are (same columns, same order; a BLOB column keeps text as text), then
          // decoded in place.
          async (name) => {
            for (;;) {
              const rows = await sql<{ hash: string; raw: string }>`select hash, raw from ${sql.table(name)}
                where typeof(raw) = 'text' limit 500`.execute(tx);
              if (rows.rows.length === 0) break;
              for (const r of rows.rows)
                await sql`update ${sql.table(name)} set raw = ${Buffer.from(r.raw, 'base64')} where hash = ${r.hash}`.execute(
                  tx,
                );
            }
          },
        );
        await receiptsIndex(tx);
      });
    },
  };
}

/**
 * Keys that keep their place as the tables grow. A receipt hash is random, so an index on it alone
 * takes each new receipt to a random page: once that index outgrows the page cache (6 M receipts
 * in a 1 M-chip simulation), every receipt of a batch dirties a page of its own, and the commit
 * writes them all. Receipts stay unique by hash through a unique index on (chip, time, hash), which
 * the verdict queries read anyway and which a batch writes in runs: the same bytes always name the
 * same chip (a device id is registered to one chip) and the same time, so it refuses exactly the
 * duplicates the hash did. Lookups by hash alone remain for gpu-session receipts (their evidence
 * names only the hash), through a partial index; session_evidence loses its foreign key, which
 * needs a unique index on the hash alone, and POST /v1/evidence finds the receipt before it writes.
 * The log's index on leaf hashes, random in the same way, goes: proofs are asked by leaf index.
 */
function scalingKeys(dialect: Dialect): Migration {
  return {
    async up(db: Db) {
      if (dialect === 'postgres') {
        await sql`alter table session_evidence drop constraint if exists session_evidence_receipt_hash_fkey`.execute(
          db,
        );
        await sql`alter table receipts drop constraint if exists receipts_pkey`.execute(db);
      } else {
        // SQLite cannot drop a primary key: both tables are rebuilt, in one transaction, so a crash
        // leaves either the old tables or the new ones.
        const key = await sql<{
          pk: number;
        }>`select pk from pragma_table_info('receipts') where name = 'hash'`.execute(db);
        if (key.rows[0]?.pk !== 0)
          await rebuildSqlite(db, 'receipts and session_evidence', async (tx) => {
            await replaceTable(tx, 'receipts', (name) =>
              receiptsTable(tx, name, { raw: 'blob', hashKey: false }),
            );
            await replaceTable(tx, 'session_evidence', (name) => sessionEvidenceTable(tx, name, false));
            await receiptKeys(tx);
          });
      }
      await receiptKeys(db);
      await sql`drop index if exists receipts_chip_time`.execute(db);
      await sql`drop index if exists log_leaves_hash`.execute(db);
    },
  };
}

/** The receipts' indexes from 0007 on (idempotent). */
async function receiptKeys(db: Db): Promise<void> {
  await db.schema
    .createIndex('receipts_chip_time_hash')
    .ifNotExists()
    .unique()
    .on('receipts')
    .columns(['chip_id', 'measured_at', 'hash'])
    .execute();
  await db.schema
    .createIndex('receipts_gpu_session_hash')
    .ifNotExists()
    .on('receipts')
    .column('hash')
    .where(sql.ref('trust_mode'), '=', 'gpu-session')
    .execute();
}

/**
 * Chains instead of chip-keyed indexes (store/chains.ts): receipts get an id in arrival order and
 * the id of their chip's previous receipt, verdicts the id of their chip's previous verdict and of
 * the newest receipt they saw; each chip's receipt head is kept with its per-check-in state; the
 * indexes on (chip, time, hash) and (chip, id) go, and chip_state gets the sweep's two. Existing rows are chained in the order they
 * arrived. A verdict's newest receipt is the chip's last received by the time it was computed
 * (found through the old index, before it goes: a lookup per verdict, which a verifier of demo
 * size does in moments). On SQLite it is one transaction; on PostgreSQL, so is every
 * migration.
 */
function chains(dialect: Dialect): Migration {
  const up = async (db: Db) => {
    if (dialect === 'sqlite')
      await replaceTable(
        db,
        'receipts',
        async (name) => {
          await sql`create table ${sql.table(name)} (
            id integer primary key, prev_id integer,
            hash text not null, chip_id text not null references chips (id),
            landmark_id text not null references landmarks (id), measured_at bigint not null,
            min_rtt_ns bigint not null, trust_mode text not null, raw blob not null,
            received_at bigint not null)`.execute(db);
        },
        undefined,
        sql`rowid, lag(rowid) over (partition by chip_id order by received_at, rowid),
          hash, chip_id, landmark_id, measured_at, min_rtt_ns, trust_mode, raw, received_at`,
      );
    else {
      await sql`alter table receipts add column id bigserial primary key`.execute(db);
      await sql`alter table receipts add column prev_id bigint`.execute(db);
      await sql`update receipts set prev_id = x.p from (select id, lag(id) over
        (partition by chip_id order by received_at, id) as p from receipts) x
        where x.id = receipts.id and x.p is not null`.execute(db);
    }
    await receiptKeys(db);
    await sql`alter table verdicts add column prev_id bigint`.execute(db);
    await sql`alter table verdicts add column receipt_head bigint`.execute(db);
    await sql`update verdicts set prev_id = x.p from (select id, lag(id) over
      (partition by chip_id order by id) as p from verdicts) x
      where x.id = verdicts.id and x.p is not null`.execute(db);
    // Chain order is arrival order (received_at, then id), not id order, for rows made before.
    await sql`update verdicts set receipt_head = (select r.id from receipts r
      where r.chip_id = verdicts.chip_id and r.received_at <= verdicts.computed_at
      order by r.received_at desc, r.id desc limit 1)`.execute(db);
    await sql`alter table chip_state add column receipt_head bigint`.execute(db);
    await sql`alter table pending_verdicts add column receipt_head bigint`.execute(db);
    await db.schema
      .createTable('receipt_heads')
      .addColumn('chip_id', 'text', (c) => c.primaryKey().references('chips.id'))
      .addColumn('receipt_head', 'bigint', (c) => c.notNull())
      .execute();
    // Every chip's last receipt to arrive. Receipts from now on get larger ids, so the largest id
    // of the places a head is kept stays the head.
    await sql`insert into receipt_heads (chip_id, receipt_head)
      select chip_id, id from (select chip_id, id, row_number() over
        (partition by chip_id order by received_at desc, id desc) as n from receipts) x
      where n = 1`.execute(db);
    await sql`drop index if exists receipts_chip_time_hash`.execute(db);
    await sql`drop index if exists verdicts_chip`.execute(db);
    // The sweep's: chips by last check-in (a batch's chips move together, from one run of times
    // to the next) and chips in an unverified streak (a partial index: only they are in it).
    await db.schema
      .createIndex('chip_state_last_receipt')
      .on('chip_state')
      .column('last_receipt_at')
      .execute();
    await db.schema
      .createIndex('chip_state_unverified')
      .on('chip_state')
      .column('streak_since')
      .where(sql.ref('verdict'), '=', 'unverified')
      .execute();
  };
  return {
    async up(db: Db) {
      // Once: a rerun (after a crash, or of every migration from an earlier one) finds it done.
      const done =
        dialect === 'postgres'
          ? await sql<{ n: number }>`select count(*) as n from information_schema.columns
              where table_schema = current_schema() and table_name = 'receipts' and column_name = 'prev_id'`.execute(
              db,
            )
          : await sql<{ n: number }>`select count(*) as n from pragma_table_info('receipts')
              where name = 'prev_id'`.execute(db);
      if (Number(done.rows[0]?.n) > 0) return;
      if (dialect === 'postgres') await up(db);
      else await rebuildSqlite(db, 'receipts for chains', up);
    },
  };
}

export function migrations(dialect: Dialect): MigrationProvider {
  return {
    async getMigrations() {
      return {
        '0001-ledger': ledger(dialect),
        '0002-evidence': evidence(dialect),
        '0003-transparency-log': transparencyLog(),
        '0004-session-evidence': sessionEvidence(),
        '0005-log-queue': logQueue(),
        '0006-receipt-bytes': receiptBytes(dialect),
        '0007-scaling-keys': scalingKeys(dialect),
        '0008-chains': chains(dialect),
      };
    },
  };
}
