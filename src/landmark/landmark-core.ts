// What a landmark does with each datagram, without the socket: clocks, randomness and the device
// directory are passed in, so the rules can be tested packet by packet. The socket adapter is
// landmark-server.ts.
//
// Defences (issue 3): a HELLO gets one CHALLENGE of the same length and leaves no state (the
// cookie carries what the landmark must remember, including when it sent the challenge); state is
// kept only for a device that has signed a response; each nonce answers once, while fresh; rate
// limits per source address and per device; sessions are capped and expire.

import { createHash, type KeyObject } from 'node:crypto';
import { GeoattestError } from '../errors.js';
import {
  type Challenge,
  cookieBucket,
  encodePacket,
  encodeReceipt,
  LAYOUTS,
  makeCookie,
  NonceBook,
  type Packet,
  parsePacket,
  type Receipt,
  type ReceiptRound,
  type Response,
  requireCookie,
  signReceipt,
  type TrustMode,
  verifyResponse,
} from '../protocol/wire.js';
import { RateLimiter } from './rate-limiter.js';

export interface Peer {
  readonly address: string;
  readonly port: number;
}

/** Looks up the key that signs a device's responses; undefined for devices it does not know. */
export type DeviceDirectory = (deviceId: Uint8Array, keyId: Uint8Array) => KeyObject | undefined;

export interface LandmarkCoreOptions {
  /** Up to 16 ASCII characters; carried zero-padded in every challenge and receipt. */
  readonly id: string;
  readonly privateKey: KeyObject;
  /** At least 32 random bytes, kept in memory only: a restart invalidates outstanding cookies. */
  readonly cookieSecret: Uint8Array;
  readonly devices: DeviceDirectory;
  /** Rounds per session (1..8, default 5); the smallest RTT is the measurement. */
  readonly rounds?: number;
  /** Monotonic clock in ns and wall clock in ms. */
  readonly monoNs: () => bigint;
  readonly wallMs: () => number;
  readonly randomBytes: (n: number) => Uint8Array;
  /** A challenge not answered within this many ms is refused (default 2,000). */
  readonly nonceTtlMs?: number;
  readonly maxSessions?: number;
  readonly perSourcePerSecond?: number;
  readonly perDevicePerSecond?: number;
}

/** What to do after a datagram: packets to send back, and a receipt when a session completed. */
export interface Outcome {
  readonly reply?: Uint8Array;
  readonly receipt?: { readonly bytes: Uint8Array; readonly value: Receipt };
  /** Why the datagram was dropped (a coded error), for counters and logs; nothing is sent. */
  readonly dropped?: GeoattestError;
}

interface Session {
  readonly rounds: ReceiptRound[];
  overheadNs: bigint;
  readonly trustMode: TrustMode;
  readonly startedMs: number;
}

/** Zero-padded ASCII id of 16 bytes. */
export function landmarkIdBytes(id: string): Uint8Array {
  if (!/^[\x21-\x7e]{1,16}$/.test(id)) {
    throw new GeoattestError('PACKET_BAD_FIELD', 'a landmark id is 1 to 16 printable ASCII characters');
  }
  const out = new Uint8Array(LAYOUTS.challenge.landmarkId.size);
  out.set(Buffer.from(id, 'ascii'));
  return out;
}

/** The wire device id: SHA-256 of the device's raw identity public key (docs/protocol.md). */
export function deviceIdOf(identityPublicKeyRaw: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(identityPublicKeyRaw).digest());
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

export class LandmarkCore {
  readonly landmarkId: Uint8Array;
  private readonly rounds: number;
  private readonly nonces: NonceBook;
  private readonly bySource: RateLimiter;
  private readonly byDevice: RateLimiter;
  private readonly sessions = new Map<string, Session>();
  private readonly maxSessions: number;

  constructor(private readonly o: LandmarkCoreOptions) {
    this.landmarkId = landmarkIdBytes(o.id);
    this.rounds = o.rounds ?? 5;
    if (!Number.isInteger(this.rounds) || this.rounds < 1 || this.rounds > 8)
      throw new Error('rounds must be 1..8');
    this.nonces = new NonceBook({ ttl: o.nonceTtlMs ?? 2000, maxEntries: 100_000 });
    this.bySource = new RateLimiter({ perSecond: o.perSourcePerSecond ?? 50, burst: 20, maxKeys: 50_000 });
    this.byDevice = new RateLimiter({ perSecond: o.perDevicePerSecond ?? 20, burst: 16, maxKeys: 50_000 });
    this.maxSessions = o.maxSessions ?? 10_000;
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Handles one datagram received at `receivedAtNs` (monotonic, taken on arrival). */
  handle(bytes: Uint8Array, from: Peer, receivedAtNs: bigint): Outcome {
    try {
      const nowMs = this.o.wallMs();
      if (!this.bySource.take(from.address, nowMs)) {
        throw new GeoattestError('RATE_LIMITED', `source ${from.address} over its rate`);
      }
      const packet: Packet = parsePacket(bytes, { accept: ['hello', 'response'] });
      if (packet.kind === 'hello') {
        return { reply: this.challenge(packet.deviceId, packet.keyId, packet.trustMode, 0, from) };
      }
      if (packet.kind !== 'response') throw new GeoattestError('PACKET_UNKNOWN_TYPE', 'not for a landmark');
      return this.respond(packet, from, receivedAtNs, nowMs);
    } catch (e) {
      if (e instanceof GeoattestError) return { dropped: e };
      return {
        dropped: new GeoattestError('PACKET_BAD_FIELD', 'datagram could not be handled', { cause: e }),
      };
    }
  }

  private challenge(deviceId: Uint8Array, keyId: Uint8Array, trustMode: TrustMode, round: number, to: Peer) {
    const nonce = this.o.randomBytes(32);
    const issuedAtNs = this.o.monoNs();
    const fields = {
      address: to.address,
      port: to.port,
      deviceId,
      keyId,
      trustMode,
      landmarkId: this.landmarkId,
      nonce,
      round,
      rounds: this.rounds,
      issuedAtNs,
    };
    const cookie = makeCookie(this.o.cookieSecret, { ...fields, bucket: cookieBucket(this.o.wallMs()) });
    const c: Challenge = {
      kind: 'challenge',
      landmarkId: this.landmarkId,
      nonce,
      round,
      rounds: this.rounds,
      issuedAtNs,
      cookie,
    };
    return encodePacket(c);
  }

  private respond(r: Response, from: Peer, receivedAtNs: bigint, nowMs: number): Outcome {
    if (hex(r.landmarkId) !== hex(this.landmarkId)) {
      throw new GeoattestError('PACKET_BAD_FIELD', 'response names another landmark');
    }
    if (r.rounds !== this.rounds)
      throw new GeoattestError('PACKET_BAD_FIELD', 'response has the wrong round count');
    // Cheap checks before the signature: the cookie proves the landmark issued this challenge to
    // this address; the nonce book that it is fresh and answered once.
    requireCookie(
      this.o.cookieSecret,
      { ...r, address: from.address, port: from.port },
      r.cookie,
      cookieBucket(this.o.wallMs()),
    );
    const key = this.o.devices(r.deviceId, r.keyId);
    if (key === undefined) throw new GeoattestError('DEVICE_UNKNOWN', 'no registered key for this device');
    verifyResponse(key, r);
    const issuedMs = Number(r.issuedAtNs / 1_000_000n);
    this.nonces.redeem(r.nonce, issuedMs, Number(receivedAtNs / 1_000_000n));
    const sessionKey = `${hex(r.deviceId)}:${hex(r.keyId)}:${from.address}:${from.port}`;
    if (r.round === 0 && !this.byDevice.take(hex(r.deviceId), nowMs)) {
      throw new GeoattestError('RATE_LIMITED', 'device over its rate');
    }
    let session = this.sessions.get(sessionKey);
    if (r.round === 0) {
      session = { rounds: [], overheadNs: 0n, trustMode: r.trustMode, startedMs: nowMs };
      this.remember(sessionKey, session);
    } else if (session === undefined || session.rounds.length !== r.round) {
      throw new GeoattestError('PACKET_BAD_FIELD', 'response out of order for its session');
    }
    session.rounds.push({ nonce: r.nonce, rttNs: receivedAtNs - r.issuedAtNs });
    if (r.round + 1 < this.rounds) {
      const reply = this.challenge(r.deviceId, r.keyId, r.trustMode, r.round + 1, from);
      session.overheadNs += this.o.monoNs() - receivedAtNs;
      return { reply };
    }
    this.sessions.delete(sessionKey);
    const receipt = signReceipt(this.o.privateKey, {
      trustMode: session.trustMode,
      deviceId: r.deviceId,
      keyId: r.keyId,
      landmarkId: this.landmarkId,
      wallClockMs: BigInt(Math.floor(this.o.wallMs())),
      overheadNs: session.overheadNs,
      rounds: session.rounds,
    });
    const bytes = encodeReceipt(receipt);
    return { reply: bytes, receipt: { bytes, value: receipt } };
  }

  /** Keeps a session, forgetting expired ones and, past the cap, the oldest. */
  private remember(key: string, s: Session): void {
    const ttlMs = 4 * (this.o.nonceTtlMs ?? 2000);
    for (const [k, old] of this.sessions) {
      if (s.startedMs - old.startedMs <= ttlMs && this.sessions.size < this.maxSessions) break;
      this.sessions.delete(k);
    }
    this.sessions.set(key, s);
  }
}
