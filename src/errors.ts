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
  | 'CERT_EXPIRED';

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
