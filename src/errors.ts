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
  // files and the atlas
  | 'IO_ERROR'
  | 'ATLAS_INVALID';

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
