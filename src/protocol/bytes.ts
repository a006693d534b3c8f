// Small byte helpers and entry assertions shared by the wire protocol modules. All integers on
// the wire are big-endian (network byte order); every u64 is a bigint in the API, so no value is
// ever rounded.

import { type ErrorCode, GeoattestError } from '../errors.js';
import { MAX_ROUNDS } from './message-types.js';

export const U64_MAX = (1n << 64n) - 1n;

export function packetError(code: ErrorCode, message: string): GeoattestError {
  return new GeoattestError(code, message);
}

export function readU64(b: Uint8Array, offset: number): bigint {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(offset, false);
}

export function writeU64(b: Uint8Array, offset: number, v: bigint): void {
  new DataView(b.buffer, b.byteOffset, b.byteLength).setBigUint64(offset, v, false);
}

export function isZero(b: Uint8Array, offset: number, size: number): boolean {
  let acc = 0;
  for (let i = offset; i < offset + size; i++) acc |= b[i];
  return acc === 0;
}

/** Asserts `v` is a byte array of exactly `size` bytes (PACKET_BAD_FIELD otherwise). */
export function checkBytes(v: unknown, size: number, what: string): Uint8Array {
  if (!(v instanceof Uint8Array) || v.length !== size) {
    throw packetError('PACKET_BAD_FIELD', `${what} must be ${size} bytes`);
  }
  return v;
}

/** Asserts `v` is a bigint in 0..2^64-1 (PACKET_BAD_FIELD otherwise). */
export function checkU64(v: unknown, what: string): bigint {
  if (typeof v !== 'bigint' || v < 0n || v > U64_MAX) {
    throw packetError('PACKET_BAD_FIELD', `${what} must be a bigint in 0..2^64-1`);
  }
  return v;
}

/** A round is 0-based: 0 ≤ round < rounds ≤ MAX_ROUNDS. */
export function checkRounds(round: unknown, rounds: unknown): void {
  if (!Number.isInteger(rounds) || (rounds as number) < 1 || (rounds as number) > MAX_ROUNDS) {
    throw packetError('PACKET_BAD_FIELD', `rounds ${String(rounds)} not in 1..${MAX_ROUNDS}`);
  }
  if (!Number.isInteger(round) || (round as number) < 0 || (round as number) >= (rounds as number)) {
    throw packetError('PACKET_BAD_FIELD', `round ${String(round)} not in 0..${(rounds as number) - 1}`);
  }
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function ascii(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}
