// One error class for the whole project: a stable machine-readable `code` (tests assert codes, not
// messages) and a message for people. Failures from outside (files, JSON) are wrapped once, at the
// edge, keeping the original as `cause`.

export type ErrorCode =
  // input records of `geoattest verdict`
  | 'INPUT_NOT_JSON'
  | 'INPUT_LINE_TOO_LONG'
  | 'INPUT_NOT_OBJECT'
  | 'INVALID_ID'
  | 'INVALID_CLAIM'
  | 'UNKNOWN_COUNTRY'
  | 'COUNTRY_NOT_MAPPED'
  | 'INVALID_GEOFENCE'
  | 'INVALID_CIRCLE'
  | 'INVALID_LANDMARKS'
  | 'INVALID_LANDMARK'
  | 'DUPLICATE_LANDMARK'
  | 'INVALID_LATITUDE'
  | 'INVALID_LONGITUDE'
  | 'INVALID_MEASUREMENTS'
  | 'INVALID_RTT'
  | 'UNKNOWN_LANDMARK'
  | 'TOO_MANY_ITEMS'
  // calibration file
  | 'INVALID_CALIBRATION'
  // options and usage
  | 'USAGE'
  | 'INVALID_OPTION_FILE'
  // files and the atlas
  | 'IO_ERROR'
  | 'ATLAS_INVALID'
  // wire protocol (src/protocol): every packet is hostile until parsed
  | 'PACKET_TOO_SHORT'
  | 'PACKET_TOO_LONG'
  | 'PACKET_BAD_MAGIC'
  | 'PACKET_UNSUPPORTED_VERSION'
  | 'PACKET_UNKNOWN_TYPE'
  | 'PACKET_BAD_LENGTH'
  | 'PACKET_BAD_FIELD'
  | 'PACKET_BAD_SIGNATURE'
  | 'PACKET_BAD_COOKIE'
  | 'NONCE_REPLAYED'
  | 'NONCE_EXPIRED'
  | 'RATE_LIMITED'
  | 'DEVICE_UNKNOWN'
  // device identities and attestation evidence (src/attest)
  | 'KEY_INVALID'
  | 'KEY_FILE_INSECURE'
  | 'EVIDENCE_MALFORMED'
  | 'EVIDENCE_SIGNATURE_INVALID'
  | 'EVIDENCE_NONCE_MISMATCH'
  | 'CERT_CHAIN_INVALID'
  | 'CERT_CHAIN_UNTRUSTED'
  | 'CERT_EXPIRED'
  // trust modes on the wire and GPU session evidence (src/protocol, src/landmark, src/agent,
  // src/attest/session-evidence.ts; docs/protocol.md "Trust modes on the wire")
  | 'TRUST_MODE_UNSUPPORTED'
  | 'RECEIPT_KEY_MISMATCH'
  | 'EVIDENCE_BINDING_MISMATCH'
  | 'EVIDENCE_STALE'
  | 'EVIDENCE_COLLECTOR_FAILED'
  // transparency log (src/tlog, src/tlog-adapters): proofs, notes, tiles, leaves, witness, audit.
  // Every proof, note, tile and leaf comes from someone who may lie; each check has its own code.
  | 'TLOG_HASH_LENGTH'
  | 'TLOG_SIZE_INVALID'
  | 'TLOG_INDEX_OUT_OF_RANGE'
  | 'TLOG_PROOF_LENGTH'
  | 'TLOG_INCLUSION_PROOF_INVALID'
  | 'TLOG_CONSISTENCY_PROOF_INVALID'
  | 'TLOG_HASH_UNAVAILABLE'
  | 'TLOG_TILE_PATH_INVALID'
  | 'TLOG_TILE_MALFORMED'
  | 'TLOG_ENTRY_BUNDLE_MALFORMED'
  | 'TLOG_ENTRY_TOO_LARGE'
  | 'TLOG_ENTRIES_MISMATCH'
  | 'TLOG_FORK'
  | 'TLOG_FETCH_FAILED'
  | 'TLOG_STATE_INVALID'
  | 'NOTE_MALFORMED'
  | 'NOTE_TOO_LARGE'
  | 'NOTE_KEY_INVALID'
  | 'NOTE_SIGNATURE_INVALID'
  | 'NOTE_UNVERIFIED'
  | 'CHECKPOINT_MALFORMED'
  | 'CHECKPOINT_ORIGIN_MISMATCH'
  | 'COSIGNATURE_INVALID'
  | 'LEAF_MALFORMED'
  | 'LEAF_UNSUPPORTED_VERSION'
  | 'WITNESS_BAD_REQUEST'
  | 'WITNESS_UNKNOWN_LOG'
  | 'WITNESS_FORBIDDEN'
  | 'WITNESS_CONFLICT'
  | 'WITNESS_PROOF_INVALID'
  // the verifier service: storage, ledger rules, ingestion and the HTTP API (src/store, src/ledger,
  // src/server)
  | 'STORE_UNAVAILABLE'
  | 'STORE_MIGRATION_FAILED'
  | 'STORE_CORRUPT'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'INVALID_REQUEST'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'LICENCE_NOT_VALID'
  | 'LICENCE_EXHAUSTED'
  | 'LICENCE_MODEL'
  | 'LANDMARK_UNKNOWN'
  | 'LANDMARK_INACTIVE'
  | 'LANDMARK_NOT_YOURS'
  | 'CHIP_INACTIVE'
  | 'KEY_MISMATCH'
  | 'RECEIPT_STALE'
  | 'RECEIPT_FROM_FUTURE'
  | 'PAYLOAD_TOO_LARGE'
  | 'INTERNAL'
  // the demo world and the scale simulator (src/sim/demo-world.ts, src/sim/simulate*.ts)
  | 'DEMO_WORLD_MISMATCH'
  | 'SIMULATION_INVALID';

export class GeoattestError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GeoattestError';
    this.code = code;
  }
}

export function isGeoattestError(e: unknown): e is GeoattestError {
  return e instanceof GeoattestError;
}
