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
  readonly privateKey: KeyObject;
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
  private readonly answered: string[] = [];
  private finished = false;

  constructor(
    private readonly me: AgentIdentity,
    readonly landmark: LandmarkContact,
  ) {}

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
          signature: signResponse(this.me.privateKey, fields),
        });
        this.answered.push(hex(p.nonce));
        return { reply, disclosure: this.disclose('response', p.round) };
      }
      // A receipt must be signed by the landmark, about this device, over the nonces it answered.
      verifyReceipt(this.landmark.publicKey, p);
      if (hex(p.deviceId) !== hex(this.me.deviceId))
        throw new GeoattestError('PACKET_BAD_FIELD', 'receipt for another device');
      if (p.rounds.some((r) => !this.answered.includes(hex(r.nonce)))) {
        throw new GeoattestError('PACKET_BAD_FIELD', 'receipt names a nonce this device did not answer');
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
