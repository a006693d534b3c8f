// Signing payloads with domain separation, and Ed25519 signing and verification of responses and
// receipts. Each payload starts with a fixed ASCII context string ending in NUL, so a signature
// made for one purpose (a response, a receipt, anything else a key may ever sign) can never be
// replayed as another: no two context strings are prefixes of each other.

import { createHash, type KeyObject, sign, verify } from 'node:crypto';
import { GeoattestError } from '../errors.js';
import { ascii, checkBytes, checkRounds, concatBytes, packetError } from './bytes.js';
import { encodePacket } from './encode-packet.js';
import { LAYOUTS } from './message-types.js';
import { parsePacket, type Receipt, type Response } from './packet.js';

export const RESPONSE_CONTEXT = 'geoattest/v1 response\0';
export const RECEIPT_CONTEXT = 'geoattest/v1 receipt\0';
const RESPONSE_CONTEXT_BYTES = ascii(RESPONSE_CONTEXT);
const RECEIPT_CONTEXT_BYTES = ascii(RECEIPT_CONTEXT);
const SIGNATURE_SIZE = 64;
const KEY_ID_SIZE = LAYOUTS.hello.keyId.size;

export interface ResponseSigningFields {
  readonly landmarkId: Uint8Array;
  readonly nonce: Uint8Array;
  readonly deviceId: Uint8Array;
  readonly round: number;
}

/** "geoattest/v1 response\0" || landmark id (16) || nonce (32) || device id (32) || round (1): 103 bytes. */
export function responseSigningPayload(f: ResponseSigningFields): Uint8Array {
  if (!Number.isInteger(f.round) || f.round < 0 || f.round > 255) {
    throw packetError('PACKET_BAD_FIELD', 'round must be a byte');
  }
  return concatBytes([
    RESPONSE_CONTEXT_BYTES,
    checkBytes(f.landmarkId, LAYOUTS.response.landmarkId.size, 'landmarkId'),
    checkBytes(f.nonce, LAYOUTS.response.nonce.size, 'nonce'),
    checkBytes(f.deviceId, LAYOUTS.response.deviceId.size, 'deviceId'),
    Uint8Array.of(f.round),
  ]);
}

/** The device's Ed25519 signature over a challenge it answers. */
export function signResponse(privateKey: KeyObject, f: ResponseSigningFields): Uint8Array {
  checkKey(privateKey, 'private');
  return new Uint8Array(sign(null, responseSigningPayload(f), privateKey));
}

/** Throws PACKET_BAD_SIGNATURE unless `publicKey` signed this response. */
export function verifyResponse(publicKey: KeyObject, response: Response): void {
  checkKey(publicKey, 'public');
  checkRounds(response.round, response.rounds);
  checkSignature(publicKey, responseSigningPayload(response), response.signature, 'response');
}

/**
 * Throws PACKET_BAD_SIGNATURE unless `signature` is `publicKey`'s response signature over these
 * fields: what the landmark checks, once per session, for the decisive round only.
 */
export function verifyRoundSignature(
  publicKey: KeyObject,
  fields: ResponseSigningFields,
  signature: Uint8Array,
): void {
  checkKey(publicKey, 'public');
  checkSignature(publicKey, responseSigningPayload(fields), signature, 'response');
}

/** A receipt before it is signed. */
export type ReceiptBody = Omit<Receipt, 'kind' | 'signature'>;

/**
 * "geoattest/v1 receipt\0" || the encoded receipt without its trailing 64-byte signature. The
 * encoded bytes start with the header, so magic, protocol version and type are signed too.
 */
export function receiptSigningPayload(body: ReceiptBody): Uint8Array {
  const encoded = encodeReceipt({ ...body, kind: 'receipt', signature: new Uint8Array(SIGNATURE_SIZE) });
  // Everything but the landmark's own signature, the device's signature included.
  return concatBytes([RECEIPT_CONTEXT_BYTES, encoded.subarray(0, encoded.length - SIGNATURE_SIZE)]);
}

/** The landmark signs what it measured. Returns the frozen, signed receipt. */
export function signReceipt(privateKey: KeyObject, body: ReceiptBody): Receipt {
  return parseReceipt(signReceiptBytes(privateKey, body));
}

/**
 * signReceipt's encoding: the signed receipt's exact bytes, encoded once (the landmark's hot path
 * sends and logs these). `parseReceipt` of them is signReceipt's value.
 */
export function signReceiptBytes(privateKey: KeyObject, body: ReceiptBody): Uint8Array {
  checkKey(privateKey, 'private');
  const encoded = encodeReceipt({ ...body, kind: 'receipt', signature: new Uint8Array(SIGNATURE_SIZE) });
  const unsigned = encoded.subarray(0, encoded.length - SIGNATURE_SIZE);
  const signature = sign(null, concatBytes([RECEIPT_CONTEXT_BYTES, unsigned]), privateKey);
  encoded.set(signature, encoded.length - SIGNATURE_SIZE);
  return encoded;
}

/** Throws PACKET_BAD_SIGNATURE unless the landmark holding `publicKey` signed this receipt. */
export function verifyReceipt(publicKey: KeyObject, receipt: Receipt): void {
  checkKey(publicKey, 'public');
  checkSignature(publicKey, receiptSigningPayload(receipt), receipt.signature, 'receipt');
}

/**
 * Re-checks, from the receipt alone, that the device key answered the measured round: throws
 * RECEIPT_KEY_MISMATCH unless `devicePublicKey` is the key the receipt names (its keyId is the
 * first 8 bytes of SHA-256 of the raw key), and PACKET_BAD_SIGNATURE unless its deviceSignature
 * verifies over the response signing payload of the decisive round. Pure; pair it with
 * verifyReceipt (the landmark's signature) — each checks a different party.
 *
 * The key is the registered identity key in `software` mode and the session key in
 * `gpu-session` mode (whose binding to the GPU is src/attest/session-evidence.ts's job).
 */
export function verifyReceiptDevice(receipt: Receipt, devicePublicKey: KeyObject): void {
  checkKey(devicePublicKey, 'public');
  if (receipt?.kind !== 'receipt') throw packetError('PACKET_UNKNOWN_TYPE', 'not a receipt');
  const keyId = keyIdOf(devicePublicKey);
  if (!(receipt.keyId instanceof Uint8Array) || !Buffer.from(keyId).equals(receipt.keyId)) {
    throw new GeoattestError('RECEIPT_KEY_MISMATCH', 'the receipt names another device key');
  }
  const d = receipt.decisiveRound;
  const round = Number.isInteger(d) ? receipt.rounds?.[d] : undefined;
  if (round === undefined) throw packetError('PACKET_BAD_FIELD', 'the receipt has no decisive round');
  verifyRoundSignature(
    devicePublicKey,
    { landmarkId: receipt.landmarkId, nonce: round.nonce, deviceId: receipt.deviceId, round: d },
    receipt.deviceSignature,
  );
}

/** A key id: the first 8 bytes of SHA-256 of the raw 32-byte Ed25519 public key (docs/protocol.md). */
export function keyIdOfRaw(publicKeyRaw: Uint8Array): Uint8Array {
  checkBytes(publicKeyRaw, 32, 'Ed25519 public key');
  return new Uint8Array(createHash('sha256').update(publicKeyRaw).digest().subarray(0, KEY_ID_SIZE));
}

/** keyIdOfRaw of an Ed25519 public KeyObject. */
export function keyIdOf(publicKey: KeyObject): Uint8Array {
  checkKey(publicKey, 'public');
  // RFC 8037 §2: the JWK "x" of an OKP key is the raw public key, base64url.
  const { x } = publicKey.export({ format: 'jwk' });
  return keyIdOfRaw(new Uint8Array(Buffer.from(typeof x === 'string' ? x : '', 'base64url')));
}

export function encodeReceipt(receipt: Receipt): Uint8Array {
  if (receipt?.kind !== 'receipt') throw packetError('PACKET_UNKNOWN_TYPE', 'not a receipt');
  return encodePacket(receipt);
}

/** Parses a receipt; any other message type is PACKET_UNKNOWN_TYPE. */
export function parseReceipt(bytes: Uint8Array): Receipt {
  return parsePacket(bytes, { accept: ['receipt'] }) as Receipt;
}

/**
 * SHA-256 over the exact encoded bytes, signature included. The encoding is canonical (reserved
 * bytes and unused slots must be zero), so one receipt has one hash: the verifier's idempotency key.
 */
export function receiptHash(receipt: Receipt): Uint8Array {
  return new Uint8Array(createHash('sha256').update(encodeReceipt(receipt)).digest());
}

function checkKey(key: KeyObject, type: 'public' | 'private'): void {
  if (typeof key !== 'object' || key === null || key.type !== type || key.asymmetricKeyType !== 'ed25519') {
    throw new GeoattestError('KEY_INVALID', `expected an Ed25519 ${type} key`);
  }
}

function checkSignature(
  publicKey: KeyObject,
  payload: Uint8Array,
  signature: Uint8Array,
  what: string,
): void {
  let ok = false;
  try {
    ok =
      signature instanceof Uint8Array &&
      signature.length === SIGNATURE_SIZE &&
      verify(null, payload, publicKey, signature);
  } catch (e) {
    throw new GeoattestError('PACKET_BAD_SIGNATURE', `${what} signature could not be checked`, { cause: e });
  }
  if (!ok) throw new GeoattestError('PACKET_BAD_SIGNATURE', `${what} signature does not verify`);
}
