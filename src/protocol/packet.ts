// The packets of wire protocol v1 as values, and their strict parsing. Every received byte is
// hostile: the parser checks the total length before reading anything, then magic, version, type,
// the exact length of that type, reserved bytes and field ranges, and throws only GeoattestErrors
// whose code starts with PACKET_.

import { GeoattestError } from '../errors.js';
import { checkRounds, isZero, packetError, readU64 } from './bytes.js';
import {
  HEADER,
  LAYOUTS,
  MAGIC,
  MAX_PACKET_LENGTH,
  MAX_ROUNDS,
  MIN_PACKET_LENGTH,
  messageTypeFromCode,
  type PacketKind,
  PROTOCOL_VERSION,
  RECEIPT_ROUND_SLOT,
  type TrustMode,
  trustModeFromCode,
} from './message-types.js';
import { decisiveRoundOf } from './receipt-rtt.js';

/** Device → landmark: "challenge me". Creates no state at the landmark. */
export interface Hello {
  readonly kind: 'hello';
  /** SHA-256 of the device's identity public key (docs/protocol.md, "Identifiers"). */
  readonly deviceId: Uint8Array;
  /** First 8 bytes of SHA-256 of the public key that signs this session's responses. */
  readonly keyId: Uint8Array;
  readonly trustMode: TrustMode;
}

/** Landmark → device: one round's fresh nonce, with a stateless cookie over what the landmark must not forget. */
export interface Challenge {
  readonly kind: 'challenge';
  readonly landmarkId: Uint8Array;
  readonly nonce: Uint8Array;
  /** 0-based; round < rounds. */
  readonly round: number;
  readonly rounds: number;
  /** The landmark's monotonic clock when it sent this challenge; opaque to the device, bound by the cookie. */
  readonly issuedAtNs: bigint;
  readonly cookie: Uint8Array;
}

/** Device → landmark: the challenge echoed, signed by the device. */
export interface Response {
  readonly kind: 'response';
  readonly deviceId: Uint8Array;
  readonly keyId: Uint8Array;
  readonly trustMode: TrustMode;
  readonly round: number;
  readonly rounds: number;
  readonly landmarkId: Uint8Array;
  readonly nonce: Uint8Array;
  readonly issuedAtNs: bigint;
  readonly cookie: Uint8Array;
  /**
   * gpu-session: the raw 32-byte Ed25519 session public key (SHA-256 of it starts with keyId).
   * All zero in the other trust modes; the parser refuses anything else there.
   */
  readonly sessionKey: Uint8Array;
  /** Ed25519 over responseSigningPayload(landmarkId, nonce, deviceId, round). */
  readonly signature: Uint8Array;
}

export interface ReceiptRound {
  readonly nonce: Uint8Array;
  readonly rttNs: bigint;
}

/** The landmark's signed statement of what it measured: the evidence verdicts rest on. */
export interface Receipt {
  readonly kind: 'receipt';
  readonly trustMode: TrustMode;
  readonly deviceId: Uint8Array;
  readonly keyId: Uint8Array;
  readonly landmarkId: Uint8Array;
  /** Landmark wall clock when it signed, ms since the Unix epoch. */
  readonly wallClockMs: bigint;
  /** Landmark's own processing time inside the measured rounds (monotonic clock), ns. */
  readonly overheadNs: bigint;
  /** 1..MAX_ROUNDS rounds, in round order: slot i is round i. */
  readonly rounds: readonly ReceiptRound[];
  /**
   * The round whose RTT is the measurement: the smallest RTT, the earliest on ties
   * (decisiveRoundOf). The parser and the encoder refuse any other value.
   */
  readonly decisiveRound: number;
  /**
   * The device's Ed25519 signature of the decisive round, over responseSigningPayload(landmarkId,
   * rounds[decisiveRound].nonce, deviceId, decisiveRound): checked by the landmark before it
   * signed, and re-checkable by anyone with verifyReceiptDevice.
   */
  readonly deviceSignature: Uint8Array;
  /** The landmark's Ed25519 signature over receiptSigningPayload. */
  readonly signature: Uint8Array;
}

export type Packet = Hello | Challenge | Response | Receipt;

export interface ParseOptions {
  /** Kinds the caller accepts; any other is PACKET_UNKNOWN_TYPE (the agent accepts challenge and receipt only). */
  readonly accept?: readonly PacketKind[];
}

/**
 * Parses one packet. Returns a frozen value whose byte fields are fresh copies, or throws a
 * GeoattestError with a PACKET_ code; it throws nothing else.
 */
export function parsePacket(bytes: Uint8Array, options: ParseOptions = {}): Packet {
  try {
    return parseUnchecked(bytes, options);
  } catch (e) {
    if (e instanceof GeoattestError && e.code.startsWith('PACKET_')) throw e;
    throw new GeoattestError('PACKET_BAD_FIELD', 'packet could not be parsed', { cause: e });
  }
}

function parseUnchecked(bytes: Uint8Array, options: ParseOptions): Packet {
  if (!(bytes instanceof Uint8Array)) throw packetError('PACKET_BAD_FIELD', 'packet is not a byte array');
  // Length first, before any byte is read.
  if (bytes.length < MIN_PACKET_LENGTH) {
    throw packetError(
      'PACKET_TOO_SHORT',
      `${bytes.length} bytes, the shortest message is ${MIN_PACKET_LENGTH}`,
    );
  }
  if (bytes.length > MAX_PACKET_LENGTH) {
    throw packetError(
      'PACKET_TOO_LONG',
      `${bytes.length} bytes, the longest message is ${MAX_PACKET_LENGTH}`,
    );
  }
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[HEADER.magic.offset + i] !== MAGIC[i])
      throw packetError('PACKET_BAD_MAGIC', 'not a geoattest packet');
  }
  const version = bytes[HEADER.version.offset];
  if (version !== PROTOCOL_VERSION) {
    throw packetError(
      'PACKET_UNSUPPORTED_VERSION',
      `version ${version}, this side speaks ${PROTOCOL_VERSION}`,
    );
  }
  const type = messageTypeFromCode(bytes[HEADER.type.offset]);
  if (type === undefined || (options.accept !== undefined && !options.accept.includes(type.kind))) {
    throw packetError(
      'PACKET_UNKNOWN_TYPE',
      `message type 0x${bytes[HEADER.type.offset].toString(16)} not accepted`,
    );
  }
  if (bytes.length !== type.length) {
    throw packetError('PACKET_BAD_LENGTH', `${type.kind} is ${type.length} bytes, got ${bytes.length}`);
  }
  const r = new Reader(bytes);
  r.zero(HEADER.headerReserved, 'header reserved bytes');
  switch (type.kind) {
    case 'hello': {
      const L = LAYOUTS.hello;
      r.zero(L.reserved, 'reserved bytes');
      r.zero(L.padding, 'padding');
      return Object.freeze({
        kind: 'hello',
        deviceId: r.bytes(L.deviceId),
        keyId: r.bytes(L.keyId),
        trustMode: r.trustMode(L.trustMode.offset),
      });
    }
    case 'challenge': {
      const L = LAYOUTS.challenge;
      r.zero(L.reserved, 'reserved bytes');
      const round = bytes[L.round.offset];
      const rounds = bytes[L.rounds.offset];
      checkRounds(round, rounds);
      return Object.freeze({
        kind: 'challenge',
        landmarkId: r.bytes(L.landmarkId),
        nonce: r.bytes(L.nonce),
        round,
        rounds,
        issuedAtNs: readU64(bytes, L.issuedAtNs.offset),
        cookie: r.bytes(L.cookie),
      });
    }
    case 'response': {
      const L = LAYOUTS.response;
      r.zero(L.reserved, 'reserved bytes');
      const round = bytes[L.round.offset];
      const rounds = bytes[L.rounds.offset];
      checkRounds(round, rounds);
      const trustMode = r.trustMode(L.trustMode.offset);
      if (trustMode !== 'gpu-session') r.zero(L.sessionKey, 'session key outside gpu-session mode');
      return Object.freeze({
        kind: 'response',
        deviceId: r.bytes(L.deviceId),
        keyId: r.bytes(L.keyId),
        trustMode,
        round,
        rounds,
        landmarkId: r.bytes(L.landmarkId),
        nonce: r.bytes(L.nonce),
        issuedAtNs: readU64(bytes, L.issuedAtNs.offset),
        cookie: r.bytes(L.cookie),
        sessionKey: r.bytes(L.sessionKey),
        signature: r.bytes(L.signature),
      });
    }
    case 'receipt':
      return parseReceiptBody(r);
  }
}

function parseReceiptBody(r: Reader): Receipt {
  const L = LAYOUTS.receipt;
  const b = r.b;
  r.zero(L.reserved, 'reserved bytes');
  const count = b[L.count.offset];
  if (count < 1 || count > MAX_ROUNDS)
    throw packetError('PACKET_BAD_FIELD', `round count ${count} not in 1..${MAX_ROUNDS}`);
  const rounds: ReceiptRound[] = [];
  for (let i = 0; i < MAX_ROUNDS; i++) {
    const at = L.rounds.offset + i * RECEIPT_ROUND_SLOT.size;
    if (i >= count) {
      r.zero({ offset: at, size: RECEIPT_ROUND_SLOT.size }, `unused round slot ${i}`);
      continue;
    }
    const nonce = r.bytes({ offset: at + RECEIPT_ROUND_SLOT.nonce, size: 32 });
    rounds.push(Object.freeze({ nonce, rttNs: readU64(b, at + RECEIPT_ROUND_SLOT.rttNs) }));
  }
  checkDistinctNonces(rounds);
  const decisiveRound = b[L.decisiveRound.offset];
  checkDecisiveRound(decisiveRound, rounds);
  return Object.freeze({
    kind: 'receipt',
    trustMode: r.trustMode(L.trustMode.offset),
    deviceId: r.bytes(L.deviceId),
    keyId: r.bytes(L.keyId),
    landmarkId: r.bytes(L.landmarkId),
    wallClockMs: readU64(b, L.wallClockMs.offset),
    overheadNs: readU64(b, L.overheadNs.offset),
    rounds: Object.freeze(rounds),
    decisiveRound,
    deviceSignature: r.bytes(L.deviceSignature),
    signature: r.bytes(L.signature),
  });
}

/** The decisive round must be the one decisiveRoundOf picks: one body, one encoding. */
export function checkDecisiveRound(decisiveRound: unknown, rounds: readonly ReceiptRound[]): void {
  if (decisiveRound !== decisiveRoundOf(rounds)) {
    throw packetError(
      'PACKET_BAD_FIELD',
      `decisive round ${String(decisiveRound)} is not the round with the smallest RTT`,
    );
  }
}

/** A receipt naming one nonce twice counts one measurement twice: refuse it. */
export function checkDistinctNonces(rounds: readonly ReceiptRound[]): void {
  // Pairwise, at most 28 pairs of 32 bytes, each pair told apart at its first differing byte: no
  // copies or strings, as keying a set by each nonce made (a receipt is parsed on every ingest).
  for (let i = 1; i < rounds.length; i++)
    for (let j = 0; j < i; j++)
      if (sameBytes(rounds[i].nonce, rounds[j].nonce))
        throw packetError('PACKET_BAD_FIELD', 'a receipt names one nonce twice');
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

class Reader {
  constructor(readonly b: Uint8Array) {}
  /** A fresh plain Uint8Array (a Buffer's slice() would share memory with the input). */
  bytes(f: { offset: number; size: number }): Uint8Array {
    return new Uint8Array(this.b.subarray(f.offset, f.offset + f.size));
  }
  zero(f: { offset: number; size: number }, what: string): void {
    if (!isZero(this.b, f.offset, f.size)) throw packetError('PACKET_BAD_FIELD', `${what} must be zero`);
  }
  trustMode(offset: number): TrustMode {
    const mode = trustModeFromCode(this.b[offset]);
    if (mode === undefined) throw packetError('PACKET_BAD_FIELD', `unknown trust mode ${this.b[offset]}`);
    return mode;
  }
}
