// Small checks shared by the ledger's rules. Every failure is INVALID_REQUEST with a message that
// names the field, so an API caller can fix the request without reading code.

import { GeoattestError } from '../errors.js';

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function invalid(message: string): never {
  throw new GeoattestError('INVALID_REQUEST', message);
}

/** Ids people type: letters, digits and . _ - / : (no spaces, no control characters). */
export function checkId(v: unknown, what: string, max = 64): string {
  if (typeof v !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._:/-]*$/.test(v) || v.length > max)
    invalid(`${what} must be 1 to ${max} characters of letters, digits and . _ : / -`);
  return v;
}

export function checkText(v: unknown, what: string, max = 500): string {
  if (
    typeof v !== 'string' ||
    v.length === 0 ||
    v.length > max ||
    [...v].some((ch) => ch.charCodeAt(0) < 0x20)
  )
    invalid(`${what} must be 1 to ${max} printable characters`);
  return v;
}

export function checkTime(v: unknown, what: string): number {
  const ms = typeof v === 'string' ? Date.parse(v) : v;
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0 || ms > 8.64e15)
    invalid(`${what} must be an ISO 8601 time or ms since the epoch`);
  return Math.trunc(ms);
}
