// The tables of the verifier's database, as Kysely sees them. One schema for SQLite and
// PostgreSQL: times are milliseconds since the Unix epoch in 64-bit integers, hashes are lower-case
// hex, raw receipts bytes, structured values JSON text. Portable types keep one query layer.

import type { Generated, Selectable } from 'kysely';

export interface OrgTable {
  id: string;
  name: string;
  kind: 'exporter' | 'end-user' | 'landmark-operator';
  /**
   * What leaves the verifier about this end user's chips beyond verdict and region, to roles other
   * than admin and the end user itself: 'verdict' (nothing more), 'radius' (+ the proof radius),
   * 'estimate' (+ the estimated position). Chosen by the operator.
   */
  disclosure: 'verdict' | 'radius' | 'estimate';
  created_at: number;
}

export interface LicenceTable {
  /** The licence number, e.g. "D-2026-000123". */
  id: string;
  exporter_id: string;
  end_user_id: string;
  /** JSON: Destination[] (see src/ledger/licence.ts). */
  destinations: string;
  /** JSON: string[] of chip models, e.g. ["H20"]. */
  models: string;
  quantity: number;
  valid_from: number;
  valid_to: number;
  end_use: string;
  revenue_share_pct: number;
  /** JSON: Partial<Policy>; defaults fill the rest. */
  policy: string;
  status: 'active' | 'revoked';
  created_at: number;
}

export interface ChipTable {
  /** The serial number. */
  id: string;
  model: string;
  identity_mode: 'software' | 'gpu-evidence' | 'gpu-session';
  /** Base64 raw Ed25519 public key (software) or the GPU identity key's DER SPKI. */
  public_key: string;
  /** Hex SHA-256 of the identity key: the wire device id (docs/protocol.md). */
  device_id: string;
  /** Hex of the 8-byte key id that signs responses in software mode. */
  key_id: string;
  licence_id: string | null;
  end_user_id: string | null;
  status: 'active' | 'suspended' | 'retired';
  created_at: number;
}

export interface ShipmentTable {
  id: string;
  licence_id: string;
  /** JSON: chip serials. */
  chips: string;
  /** Invoice value in minor units (cents), so sums are exact. */
  invoice_minor: number;
  currency: string;
  shipped_at: number;
  created_at: number;
}

export interface LandmarkTable {
  id: string;
  operator_id: string;
  lat: number;
  lon: number;
  /** Base64 raw Ed25519 public key. */
  public_key: string;
  status: 'active' | 'suspended' | 'retired';
  created_at: number;
}

export interface ChangeTable {
  id: Generated<number>;
  at: number;
  actor: string;
  entity: string;
  entity_id: string;
  action: string;
  /** JSON of the new values. */
  detail: string;
}

/**
 * A receipt as stored. Each chip's receipts form a chain, newest first, through `prev_id` (0008):
 * the store finds a chip's receipts by walking it from the chip's head (receipt-chains.ts), not
 * through an index keyed by chip, whose random pages cost every check-in a page write.
 */
export interface ReceiptTable {
  /** Arrival order: ids only grow, so a chip's newer receipts have larger ids. */
  id: number;
  /** The same chip's previous receipt (null: its first). */
  prev_id: number | null;
  /** Hex SHA-256 of the exact receipt bytes: the idempotency key. */
  hash: string;
  chip_id: string;
  landmark_id: string;
  /** Landmark's wall clock at signing. */
  measured_at: number;
  min_rtt_ns: number;
  trust_mode: string;
  /** The signed receipt bytes (BLOB on SQLite, bytea on PostgreSQL). */
  raw: Uint8Array;
  received_at: number;
}

export interface PendingVerdictTable {
  chip_id: string;
  since: number;
  /** The chip's newest receipt when it was queued (null: queued by evidence, not a receipt). */
  receipt_head: number | null;
}

/** The newest receipt of a chip no verdict could be made for (no licence), kept off the queue. */
export interface ReceiptHeadTable {
  chip_id: string;
  receipt_head: number;
}

export interface VerdictTable {
  id: Generated<number>;
  chip_id: string;
  /** The chip's previous verdict (null: its first): the chain chip_state.verdict_id heads (0008). */
  prev_id: number | null;
  /** The chip's newest receipt when the verdict was made: its evidence is walked from here. */
  receipt_head: number | null;
  licence_id: string;
  computed_at: number;
  verdict: 'inside' | 'outside' | 'unverified' | 'inconsistent';
  bound: string;
  where_policy: string;
  /** Comma-separated trust modes the caps rest on. */
  trust_modes: string;
  /** The destination as text: "MY", "MY,SG", "geofence:<sha256>". */
  region: string;
  window_from: number;
  window_to: number;
  proof_radius_km: number | null;
  /** Hex SHA-256 over the sorted receipt hashes the verdict rests on. */
  evidence_hash: string;
  /** JSON: receipt hashes. */
  evidence: string;
  /** JSON: reasons, suspects, landmarks used, margin, estimate. */
  detail: string;
}

/** Each chip's latest verdict and check-in, kept beside the history for the fleet view and alerts. */
export interface ChipStateTable {
  chip_id: string;
  verdict: VerdictTable['verdict'];
  verdict_id: number;
  /** When the chip's current run of this verdict began. */
  streak_since: number;
  last_receipt_at: number;
  computed_at: number;
  /** The newest receipt the verdict saw: the chip's receipt chain starts here or later. */
  receipt_head: number | null;
}

export interface AlertTable {
  id: Generated<number>;
  kind: 'diversion' | 'unverified' | 'missed-check-in' | 'cloned-identity' | 'landmark-integrity' | 'licence';
  chip_id: string | null;
  licence_id: string | null;
  /** JSON: landmark ids a landmark-integrity alert names. */
  landmarks: string;
  verdict_id: number | null;
  opened_at: number;
  message: string;
  /** JSON of what the alert rests on. */
  detail: string;
  acknowledged_at: number | null;
  acknowledged_by: string | null;
  ack_note: string | null;
}

export interface TokenTable {
  id: string;
  name: string;
  role: 'admin' | 'exporter' | 'operator' | 'auditor' | 'landmark';
  /** Hex SHA-256 of the secret; the secret itself is never stored. */
  secret_hash: string;
  /** exporter/operator: their organisation; landmark: the landmark id. */
  scope: string | null;
  created_at: number;
  revoked_at: number | null;
}

/** The transparency log (docs/transparency-log.md): tiles, leaves, checkpoints, cosignatures. */
export interface LogTileTable {
  /** The C2SP tlog-tiles path, e.g. "tile/0/x001/234.p/7" or "tile/entries/005". */
  path: string;
  /** Base64 of the tile's bytes. */
  data: string;
}

/** A verdict stored but not yet appended to the transparency log. */
export interface LogQueueTable {
  verdict_id: number;
}

export interface LogLeafTable {
  idx: number;
  verdict_id: number;
  /** Hex RFC 6962 leaf hash. */
  leaf_hash: string;
}

export interface LogCheckpointTable {
  size: number;
  root: string;
  /** The signed note, as served. */
  note: string;
  created_at: number;
}

export interface LogCosignatureTable {
  size: number;
  witness: string;
  /** The cosignature line (signed-note signature line). */
  line: string;
  received_at: number;
}

/** A gpu-session receipt's verified evidence: until it has one, no verdict counts the receipt. */
export interface SessionEvidenceTable {
  receipt_hash: string;
  /** The GPU's leaf certificate serial, hex. */
  gpu_serial: string;
  session_key_id: string;
  verified_at: number;
}

export interface Database {
  orgs: OrgTable;
  licences: LicenceTable;
  chips: ChipTable;
  shipments: ShipmentTable;
  landmarks: LandmarkTable;
  changes: ChangeTable;
  receipts: ReceiptTable;
  pending_verdicts: PendingVerdictTable;
  receipt_heads: ReceiptHeadTable;
  verdicts: VerdictTable;
  chip_state: ChipStateTable;
  alerts: AlertTable;
  tokens: TokenTable;
  session_evidence: SessionEvidenceTable;
  log_tiles: LogTileTable;
  log_leaves: LogLeafTable;
  log_queue: LogQueueTable;
  log_checkpoints: LogCheckpointTable;
  log_cosignatures: LogCosignatureTable;
}

export type VerdictRow = Selectable<VerdictTable>;
export type AlertRow = Selectable<AlertTable>;
export type ChipStateRow = Selectable<ChipStateTable>;
export type ChangeRow = Selectable<ChangeTable>;
