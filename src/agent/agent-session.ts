// One check-in of a chip's agent with one landmark, without the socket: say hello, sign each
// challenge, check the receipt. It accepts nothing but challenges and receipts from the landmark it
// called: there is no message that asks it to do anything else, and nothing here can run code,
// change a setting or touch the chip (issue 3: no command channel by construction).

import type { KeyObject } from 'node:crypto';
import { GeoattestError } from '../errors.js';
import {
  encodePacket,
  parsePacket,
  type Receipt,
  signResponse,
  type TrustMode,
  verifyReceipt,
} from '../protocol/wire.js';

export interface LandmarkContact {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly landmarkId: Uint8Array;
  /** The landmark's receipt-signing key. */
  readonly publicKey: KeyObject;
}

export interface AgentIdentity {
  readonly deviceId: Uint8Array;
  readonly keyId: Uint8Array;
  readonly trustMode: TrustMode;
  /** The identity key (`software`) or this session's fresh key (`gpu-session`). */
  readonly privateKey: KeyObject;
  /** `gpu-session` only: the raw 32-byte session public key, sent in every RESPONSE. */
  readonly sessionKey?: Uint8Array;
}

/** What the agent disclosed in one message: logged so an operator sees exactly what left. */
export interface Disclosure {
  readonly to: string;
  readonly message: 'hello' | 'response';
  readonly deviceId: string;
  readonly keyId: string;
  readonly round?: number;
}

export interface SessionStep {
  readonly reply?: Uint8Array;
  readonly disclosure?: Disclosure;
  readonly receipt?: Receipt;
  readonly dropped?: GeoattestError;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

export class AgentSession {
  /** Nonce (hex) → the signature this agent sent for it and the round it answered. */
  private readonly answered = new Map<string, { signature: string; round: number }>();
  private finished = false;
  private readonly sessionKey: Uint8Array;

  constructor(
    private readonly me: AgentIdentity,
    readonly landmark: LandmarkContact,
  ) {
    this.sessionKey = me.trustMode === 'gpu-session' && me.sessionKey ? me.sessionKey : new Uint8Array(32);
  }

  get done(): boolean {
    return this.finished;
  }

  hello(): SessionStep {
    const reply = encodePacket({
      kind: 'hello',
      deviceId: this.me.deviceId,
      keyId: this.me.keyId,
      trustMode: this.me.trustMode,
    });
    return { reply, disclosure: this.disclose('hello') };
  }

  /** Handles a datagram from `from`; anything but this landmark's challenge or receipt is dropped. */
  handle(bytes: Uint8Array, from: { address: string; port: number }): SessionStep {
    try {
      if (from.port !== this.landmark.port)
        throw new GeoattestError('PACKET_BAD_FIELD', 'not from the landmark called');
      const p = parsePacket(bytes, { accept: ['challenge', 'receipt'] });
      if (p.kind !== 'challenge' && p.kind !== 'receipt')
        throw new GeoattestError('PACKET_UNKNOWN_TYPE', 'unexpected');
      if (hex(p.landmarkId) !== hex(this.landmark.landmarkId)) {
        throw new GeoattestError('PACKET_BAD_FIELD', 'names another landmark');
      }
      if (p.kind === 'challenge') {
        const fields = {
          landmarkId: p.landmarkId,
          nonce: p.nonce,
          deviceId: this.me.deviceId,
          round: p.round,
        };
        const signature = signResponse(this.me.privateKey, fields);
        const reply = encodePacket({
          kind: 'response',
          deviceId: this.me.deviceId,
          keyId: this.me.keyId,
          trustMode: this.me.trustMode,
          round: p.round,
          rounds: p.rounds,
          landmarkId: p.landmarkId,
          nonce: p.nonce,
          issuedAtNs: p.issuedAtNs,
          cookie: p.cookie,
          sessionKey: this.sessionKey,
          signature,
        });
        this.answered.set(hex(p.nonce), { signature: hex(signature), round: p.round });
        return { reply, disclosure: this.disclose('response', p.round) };
      }
      // A receipt must be signed by the landmark, about this device and key in this trust mode,
      // over the nonces it answered, carrying this device's own signature of the decisive round.
      verifyReceipt(this.landmark.publicKey, p);
      if (hex(p.deviceId) !== hex(this.me.deviceId) || p.trustMode !== this.me.trustMode)
        throw new GeoattestError('PACKET_BAD_FIELD', 'receipt for another device or trust mode');
      if (hex(p.keyId) !== hex(this.me.keyId))
        throw new GeoattestError('PACKET_BAD_FIELD', 'receipt names another key');
      if (p.rounds.some((r, i) => this.answered.get(hex(r.nonce))?.round !== i)) {
        throw new GeoattestError('PACKET_BAD_FIELD', 'receipt names a nonce this device did not answer');
      }
      // Ed25519 is deterministic (RFC 8032 §5.1.6): the decisive round's signature must be the very
      // bytes this agent sent, which is cheaper than, and as strong as, verifying it again.
      const decisive = this.answered.get(hex(p.rounds[p.decisiveRound].nonce));
      if (decisive?.signature !== hex(p.deviceSignature)) {
        throw new GeoattestError(
          'PACKET_BAD_SIGNATURE',
          'receipt carries a signature this device did not make',
        );
      }
      this.finished = true;
      return { receipt: p };
    } catch (e) {
      if (e instanceof GeoattestError) return { dropped: e };
      return {
        dropped: new GeoattestError('PACKET_BAD_FIELD', 'datagram could not be handled', { cause: e }),
      };
    }
  }

  private disclose(message: 'hello' | 'response', round?: number): Disclosure {
    return {
      to: this.landmark.id,
      message,
      deviceId: hex(this.me.deviceId),
      keyId: hex(this.me.keyId),
      ...(round === undefined ? {} : { round }),
    };
  }
}
