// Encoding of wire protocol v1 packets. It checks every field against the rules the parser
// applies (packet.ts), so a packet this side sends is a packet it would accept.

import { checkBytes, checkRounds, checkU64, isZero, packetError, writeU64 } from './bytes.js';
import {
  HEADER,
  LAYOUTS,
  MAGIC,
  MAX_ROUNDS,
  MESSAGE_TYPES,
  PACKET_KINDS,
  PROTOCOL_VERSION,
  RECEIPT_ROUND_SLOT,
  TRUST_MODES,
  type TrustMode,
} from './message-types.js';
import { checkDecisiveRound, checkDistinctNonces, type Packet } from './packet.js';

/**
 * Encodes a packet. Checks every field against the same rules the parser applies and throws
 * PACKET_BAD_FIELD otherwise, so a packet we send is a packet we would accept.
 */
export function encodePacket(p: Packet): Uint8Array {
  if (typeof p !== 'object' || p === null || !PACKET_KINDS.includes(p.kind)) {
    throw packetError('PACKET_UNKNOWN_TYPE', 'not a packet of a known kind');
  }
  const type = MESSAGE_TYPES[p.kind];
  const out = new Uint8Array(type.length);
  out.set(MAGIC, HEADER.magic.offset);
  out[HEADER.version.offset] = PROTOCOL_VERSION;
  out[HEADER.type.offset] = type.code;
  const put = (f: { offset: number; size: number }, v: Uint8Array, what: string) =>
    out.set(checkBytes(v, f.size, what), f.offset);
  switch (p.kind) {
    case 'hello': {
      const L = LAYOUTS.hello;
      put(L.deviceId, p.deviceId, 'deviceId');
      put(L.keyId, p.keyId, 'keyId');
      out[L.trustMode.offset] = trustModeCode(p.trustMode);
      break;
    }
    case 'challenge': {
      const L = LAYOUTS.challenge;
      checkRounds(p.round, p.rounds);
      put(L.landmarkId, p.landmarkId, 'landmarkId');
      put(L.nonce, p.nonce, 'nonce');
      out[L.round.offset] = p.round;
      out[L.rounds.offset] = p.rounds;
      writeU64(out, L.issuedAtNs.offset, checkU64(p.issuedAtNs, 'issuedAtNs'));
      put(L.cookie, p.cookie, 'cookie');
      break;
    }
    case 'response': {
      const L = LAYOUTS.response;
      checkRounds(p.round, p.rounds);
      put(L.deviceId, p.deviceId, 'deviceId');
      put(L.keyId, p.keyId, 'keyId');
      out[L.trustMode.offset] = trustModeCode(p.trustMode);
      out[L.round.offset] = p.round;
      out[L.rounds.offset] = p.rounds;
      put(L.landmarkId, p.landmarkId, 'landmarkId');
      put(L.nonce, p.nonce, 'nonce');
      writeU64(out, L.issuedAtNs.offset, checkU64(p.issuedAtNs, 'issuedAtNs'));
      put(L.cookie, p.cookie, 'cookie');
      put(L.sessionKey, p.sessionKey, 'sessionKey');
      if (p.trustMode !== 'gpu-session' && !isZero(out, L.sessionKey.offset, L.sessionKey.size)) {
        throw packetError('PACKET_BAD_FIELD', 'sessionKey must be zero outside gpu-session mode');
      }
      put(L.signature, p.signature, 'signature');
      break;
    }
    case 'receipt': {
      const L = LAYOUTS.receipt;
      out[L.trustMode.offset] = trustModeCode(p.trustMode);
      if (!Array.isArray(p.rounds) || p.rounds.length < 1 || p.rounds.length > MAX_ROUNDS) {
        throw packetError('PACKET_BAD_FIELD', `a receipt holds 1..${MAX_ROUNDS} rounds`);
      }
      out[L.count.offset] = p.rounds.length;
      put(L.deviceId, p.deviceId, 'deviceId');
      put(L.keyId, p.keyId, 'keyId');
      put(L.landmarkId, p.landmarkId, 'landmarkId');
      writeU64(out, L.wallClockMs.offset, checkU64(p.wallClockMs, 'wallClockMs'));
      writeU64(out, L.overheadNs.offset, checkU64(p.overheadNs, 'overheadNs'));
      p.rounds.forEach((round, i) => {
        const at = L.rounds.offset + i * RECEIPT_ROUND_SLOT.size;
        put({ offset: at + RECEIPT_ROUND_SLOT.nonce, size: 32 }, round?.nonce, `rounds[${i}].nonce`);
        writeU64(out, at + RECEIPT_ROUND_SLOT.rttNs, checkU64(round?.rttNs, `rounds[${i}].rttNs`));
      });
      checkDistinctNonces(p.rounds);
      checkDecisiveRound(p.decisiveRound, p.rounds);
      out[L.decisiveRound.offset] = p.decisiveRound;
      put(L.deviceSignature, p.deviceSignature, 'deviceSignature');
      put(L.signature, p.signature, 'signature');
      break;
    }
  }
  return out;
}

function trustModeCode(mode: TrustMode): number {
  if (!Object.hasOwn(TRUST_MODES, mode))
    throw packetError('PACKET_BAD_FIELD', `unknown trust mode ${String(mode)}`);
  return TRUST_MODES[mode];
}
