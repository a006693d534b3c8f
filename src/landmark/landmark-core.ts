// What a landmark does with each datagram, without the socket: clocks, randomness and the device
// directory are passed in, so the rules can be tested packet by packet. The socket adapter is
// landmark-server.ts.
//
// Defences (issue 3): a HELLO gets one CHALLENGE of the same length and leaves no state (the
// cookie carries what the landmark must remember, including when it sent the challenge); state is
// kept only for a source that has proved, by echoing a cookie, that it receives at its address,
// and only while sessions per source and in all stay under their caps; each nonce answers once,
// while fresh; rate limits per source address and per device; sessions expire.
//
// One signature check per session: only the round with the smallest RTT is the measurement, so
// only that *decisive* round's device signature matters, and the landmark checks it once, after
// the last round and before it signs a receipt (docs/protocol.md, "The decisive round"). A forged
// answer to any round can therefore never become the measurement: if it is the fastest, it is the
// one checked, and the session ends with PACKET_BAD_SIGNATURE and no receipt.

import { createHash, type KeyObject } from 'node:crypto';
import { publicKeyFromRaw } from '../attest/software-identity.js';
import { GeoattestError } from '../errors.js';
import {
  type Challenge,
  cookieBucket,
  decisiveRoundOf,
  encodePacket,
  keyIdOfRaw,
  LAYOUTS,
  makeCookie,
  NonceBook,
  type Packet,
  parsePacket,
  parseReceipt,
  type Receipt,
  type ReceiptRound,
  type Response,
  requireCookie,
  signReceiptBytes,
  type TrustMode,
  verifyRoundSignature,
} from '../protocol/wire.js';
import { RateLimiter } from './rate-limiter.js';

export interface Peer {
  readonly address: string;
  readonly port: number;
}

/** Looks up the key that signs a device's responses; undefined for devices it does not know. */
export type DeviceDirectory = (deviceId: Uint8Array, keyId: Uint8Array) => KeyObject | undefined;

/**
 * Whether a GPU device id (SHA-256 of the GPU identity key's DER SubjectPublicKeyInfo) may check
 * in with a session key (`gpu-session`). The landmark cannot judge GPU evidence (the verifier
 * does, from the evidence bundle): this only keeps strangers from using it as a timing service.
 */
export type GpuDeviceDirectory = (deviceId: Uint8Array) => boolean;

export interface LandmarkCoreOptions {
  /** Up to 16 ASCII characters; carried zero-padded in every challenge and receipt. */
  readonly id: string;
  readonly privateKey: KeyObject;
  /** At least 32 random bytes, kept in memory only: a restart invalidates outstanding cookies. */
  readonly cookieSecret: Uint8Array;
  readonly devices: DeviceDirectory;
  /** GPU devices admitted in `gpu-session` mode; without it that mode is TRUST_MODE_UNSUPPORTED. */
  readonly gpuDevices?: GpuDeviceDirectory;
  /** Rounds per session (1..8, default 5); the smallest RTT is the measurement. */
  readonly rounds?: number;
  /** Monotonic clock in ns and wall clock in ms. */
  readonly monoNs: () => bigint;
  readonly wallMs: () => number;
  readonly randomBytes: (n: number) => Uint8Array;
  /** A challenge not answered within this many ms is refused (default 2,000). */
  readonly nonceTtlMs?: number;
  readonly maxSessions?: number;
  /** Open sessions one source address may hold (default 16): one address cannot fill the table. */
  readonly maxSessionsPerSource?: number;
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
  /** Each round's device signature, unchecked until the decisive round is known. */
  readonly signatures: Uint8Array[];
  /** The key that must have signed: the registered one, or the gpu-session key of round 0. */
  readonly key: KeyObject;
  /** gpu-session: the raw session key of round 0, which every later round must repeat. */
  readonly sessionKeyHex: string;
  overheadNs: bigint;
  readonly trustMode: TrustMode;
  readonly startedMs: number;
  readonly source: string;
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

/** The landmark id as typed: a receipt's or challenge's 16 bytes without their zero padding. */
export function landmarkIdText(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return Buffer.from(bytes.subarray(0, end === -1 ? bytes.length : end)).toString('ascii');
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
  private readonly openBySource = new Map<string, number>();
  private readonly maxSessions: number;
  private readonly maxSessionsPerSource: number;

  constructor(private readonly o: LandmarkCoreOptions) {
    this.landmarkId = landmarkIdBytes(o.id);
    this.rounds = o.rounds ?? 5;
    if (!Number.isInteger(this.rounds) || this.rounds < 1 || this.rounds > 8)
      throw new Error('rounds must be 1..8');
    this.nonces = new NonceBook({ ttl: o.nonceTtlMs ?? 2000, maxEntries: 100_000 });
    this.bySource = new RateLimiter({ perSecond: o.perSourcePerSecond ?? 50, burst: 20, maxKeys: 50_000 });
    this.byDevice = new RateLimiter({ perSecond: o.perDevicePerSecond ?? 20, burst: 16, maxKeys: 50_000 });
    this.maxSessions = o.maxSessions ?? 10_000;
    this.maxSessionsPerSource = o.maxSessionsPerSource ?? 16;
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
        this.checkTrustMode(packet.trustMode);
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

  /**
   * `gpu-evidence` is refused: its evidence does not fit a v1 datagram and its out-of-band design
   * is not built (docs/protocol.md, "gpu-evidence: not on the wire yet"). `gpu-session` needs a
   * directory of GPU devices.
   */
  private checkTrustMode(mode: TrustMode): void {
    if (mode === 'gpu-evidence') {
      throw new GeoattestError('TRUST_MODE_UNSUPPORTED', 'gpu-evidence is not carried by protocol v1');
    }
    if (mode === 'gpu-session' && this.o.gpuDevices === undefined) {
      throw new GeoattestError('TRUST_MODE_UNSUPPORTED', 'this landmark admits no gpu-session devices');
    }
  }

  /** The key round 0 of a session must be signed with, by trust mode. */
  private keyFor(r: Response): KeyObject {
    this.checkTrustMode(r.trustMode);
    if (r.trustMode === 'gpu-session') {
      if (!this.o.gpuDevices!(r.deviceId)) {
        throw new GeoattestError('DEVICE_UNKNOWN', 'no registered GPU device with this id');
      }
      if (hex(keyIdOfRaw(r.sessionKey)) !== hex(r.keyId)) {
        throw new GeoattestError('PACKET_BAD_FIELD', 'the session key does not match the key id');
      }
      return publicKeyFromRaw(r.sessionKey);
    }
    const key = this.o.devices(r.deviceId, r.keyId);
    if (key === undefined) throw new GeoattestError('DEVICE_UNKNOWN', 'no registered key for this device');
    return key;
  }

  private respond(r: Response, from: Peer, receivedAtNs: bigint, nowMs: number): Outcome {
    if (hex(r.landmarkId) !== hex(this.landmarkId)) {
      throw new GeoattestError('PACKET_BAD_FIELD', 'response names another landmark');
    }
    if (r.rounds !== this.rounds)
      throw new GeoattestError('PACKET_BAD_FIELD', 'response has the wrong round count');
    // The cookie proves the landmark issued this challenge to this address and port (so the
    // sender receives there: no spoofed source gets this far); the nonce book that it is fresh and
    // answered once. No signature yet: that is checked once, for the decisive round.
    requireCookie(
      this.o.cookieSecret,
      { ...r, address: from.address, port: from.port },
      r.cookie,
      cookieBucket(this.o.wallMs()),
    );
    const sessionKey = `${hex(r.deviceId)}:${hex(r.keyId)}:${from.address}:${from.port}`;
    let session = this.sessions.get(sessionKey);
    let key: KeyObject | undefined;
    if (r.round === 0) key = this.keyFor(r);
    else if (session === undefined || session.rounds.length !== r.round) {
      throw new GeoattestError('PACKET_BAD_FIELD', 'response out of order for its session');
    } else if (hex(r.sessionKey) !== session.sessionKeyHex) {
      throw new GeoattestError('PACKET_BAD_FIELD', 'response changes the session key');
    }
    const issuedMs = Number(r.issuedAtNs / 1_000_000n);
    this.nonces.redeem(r.nonce, issuedMs, Number(receivedAtNs / 1_000_000n));
    if (r.round === 0) {
      if (session !== undefined) this.forget(sessionKey);
      this.expire(nowMs);
      if ((this.openBySource.get(from.address) ?? 0) >= this.maxSessionsPerSource) {
        throw new GeoattestError('RATE_LIMITED', `source ${from.address} has too many open sessions`);
      }
      session = {
        rounds: [],
        signatures: [],
        key: key!,
        sessionKeyHex: hex(r.sessionKey),
        overheadNs: 0n,
        trustMode: r.trustMode,
        startedMs: nowMs,
        source: from.address,
      };
      this.remember(sessionKey, session);
    }
    const s = session!;
    s.rounds.push({ nonce: r.nonce, rttNs: receivedAtNs - r.issuedAtNs });
    s.signatures.push(r.signature);
    if (r.round + 1 < this.rounds) {
      const reply = this.challenge(r.deviceId, r.keyId, r.trustMode, r.round + 1, from);
      s.overheadNs += this.o.monoNs() - receivedAtNs;
      return { reply };
    }
    this.forget(sessionKey);
    // The one signature check of the session, after the last round has been timed: it adds
    // nothing to any measured RTT.
    const d = decisiveRoundOf(s.rounds);
    verifyRoundSignature(
      s.key,
      { landmarkId: this.landmarkId, nonce: s.rounds[d].nonce, deviceId: r.deviceId, round: d },
      s.signatures[d],
    );
    // Charged only for proved sessions, so nobody can spend another device's budget by naming it.
    if (!this.byDevice.take(hex(r.deviceId), nowMs)) {
      throw new GeoattestError('RATE_LIMITED', 'device over its rate');
    }
    const bytes = signReceiptBytes(this.o.privateKey, {
      trustMode: s.trustMode,
      deviceId: r.deviceId,
      keyId: r.keyId,
      landmarkId: this.landmarkId,
      wallClockMs: BigInt(Math.floor(this.o.wallMs())),
      overheadNs: s.overheadNs,
      rounds: s.rounds,
      decisiveRound: d,
      deviceSignature: s.signatures[d],
    });
    return { reply: bytes, receipt: { bytes, value: parseReceipt(bytes) } };
  }

  private forget(key: string): void {
    const s = this.sessions.get(key);
    if (s === undefined) return;
    this.sessions.delete(key);
    const open = (this.openBySource.get(s.source) ?? 1) - 1;
    if (open <= 0) this.openBySource.delete(s.source);
    else this.openBySource.set(s.source, open);
  }

  /** Forgets sessions older than four nonce lifetimes; Map order is start order, oldest first. */
  private expire(nowMs: number): void {
    const ttlMs = 4 * (this.o.nonceTtlMs ?? 2000);
    for (const [k, old] of this.sessions) {
      if (nowMs - old.startedMs <= ttlMs) break;
      this.forget(k);
    }
  }

  /** Keeps a session, forgetting the oldest ones past the cap. */
  private remember(key: string, s: Session): void {
    for (const k of this.sessions.keys()) {
      if (this.sessions.size < this.maxSessions) break;
      this.forget(k);
    }
    this.sessions.set(key, s);
    this.openBySource.set(s.source, (this.openBySource.get(s.source) ?? 0) + 1);
  }
}
