// The stateless cookie: how a landmark answers an unauthenticated HELLO without remembering
// anything. The CHALLENGE carries a MAC, under a secret only the landmark knows, over everything
// the landmark would otherwise have had to store; the RESPONSE echoes those fields and the cookie,
// and the landmark re-derives it. Same idea as DTLS's HelloVerifyRequest cookie (RFC 6347 §4.2.1)
// and QUIC's Retry token (RFC 9000 §8.1), bound to a coarse time bucket so it expires.

import { createHmac, timingSafeEqual } from 'node:crypto';
import { GeoattestError } from '../errors.js';
import { ascii, checkBytes, checkRounds, checkU64, packetError, writeU64 } from './bytes.js';
import { LAYOUTS, PROTOCOL_VERSION, TRUST_MODES, type TrustMode } from './message-types.js';

export const COOKIE_CONTEXT = 'geoattest/v1 cookie\0';
const COOKIE_CONTEXT_BYTES = ascii(COOKIE_CONTEXT);
export const COOKIE_SIZE = LAYOUTS.challenge.cookie.size;
/** Shortest landmark cookie secret accepted. */
export const COOKIE_SECRET_MIN_BYTES = 32;
/** Default bucket width: a cookie lives between one and two of these. */
export const DEFAULT_COOKIE_BUCKET_MS = 10_000;
const MAX_ADDRESS_LENGTH = 64;
/** version, address length, port, ids, trust mode, nonce, round, rounds, issuedAtNs, bucket. */
const COOKIE_FIXED_BYTES = 2 + 2 + 32 + 8 + 1 + 16 + 32 + 2 + 8 + 8;

/** What the cookie binds: the challenge, who it was sent to, and when. */
export interface CookieFields {
  /** Source IP address of the HELLO, as the landmark's socket reports it. */
  readonly address: string;
  readonly port: number;
  readonly deviceId: Uint8Array;
  readonly keyId: Uint8Array;
  readonly trustMode: TrustMode;
  readonly landmarkId: Uint8Array;
  readonly nonce: Uint8Array;
  readonly round: number;
  readonly rounds: number;
  readonly issuedAtNs: bigint;
  /** Coarse time bucket, e.g. cookieBucket(Date.now()). */
  readonly bucket: number;
}

/** The time bucket of `nowMs`: floor(nowMs / bucketMs). */
export function cookieBucket(nowMs: number, bucketMs: number = DEFAULT_COOKIE_BUCKET_MS): number {
  if (!Number.isFinite(nowMs) || !Number.isFinite(bucketMs) || bucketMs <= 0) {
    throw packetError('PACKET_BAD_FIELD', 'time and bucket width must be finite, the width positive');
  }
  return Math.floor(nowMs / bucketMs);
}

/**
 * HMAC-SHA-256(secret, "geoattest/v1 cookie\0" || version (1) || address length (1) || address
 * (UTF-8) || port (2) || device id (32) || key id (8) || trust mode (1) || landmark id (16) ||
 * nonce (32) || round (1) || rounds (1) || issuedAtNs (8) || bucket (8)), first 16 bytes.
 */
export function makeCookie(secret: Uint8Array, f: CookieFields): Uint8Array {
  checkSecret(secret);
  const address = ascii(typeof f.address === 'string' ? f.address : '');
  if (address.length < 1 || address.length > MAX_ADDRESS_LENGTH) {
    throw packetError('PACKET_BAD_FIELD', `address must be 1..${MAX_ADDRESS_LENGTH} bytes`);
  }
  if (!Number.isInteger(f.port) || f.port < 0 || f.port > 0xffff) {
    throw packetError('PACKET_BAD_FIELD', 'port must be in 0..65535');
  }
  if (!Object.hasOwn(TRUST_MODES, f.trustMode)) throw packetError('PACKET_BAD_FIELD', 'unknown trust mode');
  checkRounds(f.round, f.rounds);
  if (!Number.isSafeInteger(f.bucket) || f.bucket < 0) {
    throw packetError('PACKET_BAD_FIELD', 'bucket must be a non-negative integer');
  }
  const L = LAYOUTS.challenge;
  // One buffer, written in place: this runs for every CHALLENGE sent and every RESPONSE checked.
  const message = new Uint8Array(COOKIE_CONTEXT_BYTES.length + address.length + COOKIE_FIXED_BYTES);
  let at = 0;
  const put = (b: Uint8Array) => {
    message.set(b, at);
    at += b.length;
  };
  put(COOKIE_CONTEXT_BYTES);
  put(Uint8Array.of(PROTOCOL_VERSION, address.length));
  put(address);
  put(Uint8Array.of(f.port >> 8, f.port & 0xff));
  put(checkBytes(f.deviceId, LAYOUTS.hello.deviceId.size, 'deviceId'));
  put(checkBytes(f.keyId, LAYOUTS.hello.keyId.size, 'keyId'));
  put(Uint8Array.of(TRUST_MODES[f.trustMode]));
  put(checkBytes(f.landmarkId, L.landmarkId.size, 'landmarkId'));
  put(checkBytes(f.nonce, L.nonce.size, 'nonce'));
  put(Uint8Array.of(f.round, f.rounds));
  writeU64(message, at, checkU64(f.issuedAtNs, 'issuedAtNs'));
  writeU64(message, at + 8, BigInt(f.bucket));
  return new Uint8Array(createHmac('sha256', secret).update(message).digest().subarray(0, COOKIE_SIZE));
}

/**
 * True when `cookie` was made by `secret` over these fields in `currentBucket` or the one before
 * (so a cookie lives at least one and at most two bucket widths). Compares in constant time.
 */
export function checkCookie(
  secret: Uint8Array,
  f: Omit<CookieFields, 'bucket'>,
  cookie: Uint8Array,
  currentBucket: number,
): boolean {
  if (!(cookie instanceof Uint8Array) || cookie.length !== COOKIE_SIZE) return false;
  if (!Number.isSafeInteger(currentBucket) || currentBucket < 0) return false;
  // Each comparison is constant-time. The previous bucket is tried only when the current one
  // fails: that reveals, by timing, which bucket a valid cookie came from, which is public (the
  // landmark's coarse clock), and it halves the MACs of a landmark's busiest path.
  if (timingSafeEqual(makeCookie(secret, { ...f, bucket: currentBucket }), cookie)) return true;
  return (
    currentBucket >= 1 && timingSafeEqual(makeCookie(secret, { ...f, bucket: currentBucket - 1 }), cookie)
  );
}

/** checkCookie, throwing PACKET_BAD_COOKIE when it fails. */
export function requireCookie(
  secret: Uint8Array,
  f: Omit<CookieFields, 'bucket'>,
  cookie: Uint8Array,
  currentBucket: number,
): void {
  if (!checkCookie(secret, f, cookie, currentBucket)) {
    throw new GeoattestError('PACKET_BAD_COOKIE', 'cookie invalid or expired');
  }
}

function checkSecret(secret: Uint8Array): void {
  if (!(secret instanceof Uint8Array) || secret.length < COOKIE_SECRET_MIN_BYTES) {
    throw new GeoattestError(
      'KEY_INVALID',
      `cookie secret must be at least ${COOKIE_SECRET_MIN_BYTES} bytes`,
    );
  }
}
