// Strict parser of the SPDM 1.1 GET_MEASUREMENTS exchange that NVIDIA Hopper and Blackwell GPUs
// return as attestation evidence: the requester's GET_MEASUREMENTS request followed by the GPU's
// MEASUREMENTS response (DMTF DSP0274 1.1.x, §10.11). The bytes come from a host we do not trust,
// so every length is checked before it is read and the total length must come out exact.
// Pure: bytes in, a frozen value out, or GeoattestError('EVIDENCE_MALFORMED') and nothing else.

import { GeoattestError } from '../errors.js';

/** DSP0274 1.1: SPDMVersion byte, major 1 minor 1. */
export const SPDM_VERSION_1_1 = 0x11;
/** DSP0274 §10.11 request and response codes. */
export const SPDM_GET_MEASUREMENTS = 0xe0;
export const SPDM_MEASUREMENTS = 0x60;
/** Request Param1 bit 0: "signature requested"; the other bits are reserved in 1.1. */
const REQUEST_ATTRIBUTES_SIGNATURE = 0x01;
/** Request Param2 0xFF: all measurement blocks. geoattest always asks for all of them. */
const REQUEST_ALL_MEASUREMENTS = 0xff;
/** DSP0274: nonces are 32 bytes. */
export const SPDM_NONCE_BYTES = 32;
/** Header (4) + nonce (32) + SlotIDParam (1): the request when a signature is requested. */
export const SPDM_REQUEST_BYTES = 4 + SPDM_NONCE_BYTES + 1;
/** TPM_ALG_ECDSA_ECC_NIST_P384: raw r||s, 48 bytes each (DSP0274 §14 signature format). */
export const SPDM_P384_SIGNATURE_BYTES = 96;
/** The measurement hash NVIDIA GPUs negotiate: TPM_ALG_SHA_384. */
const SHA384_BYTES = 48;
/** DSP0274 1.1 §10.11.1: OpaqueLength shall be at most 1024. */
const MAX_OPAQUE_BYTES = 1024;
/** Real evidence is about 4 KiB; refuse to walk anything far larger. */
export const MAX_EVIDENCE_BYTES = 64 * 1024;
/** DMTF measurement: DMTFSpecMeasurementValueType, DMTFSpecMeasurementValueSize (u16). */
const DMTF_VALUE_HEADER_BYTES = 3;
/** MeasurementSpecification bit 0: DMTF. */
const MEASUREMENT_SPEC_DMTF = 0x01;
/** DMTFSpecMeasurementValueType bit 7 set means a raw bit stream rather than a digest. */
const DMTF_RAW_BIT_STREAM = 0x80;

/** NVIDIA opaque-data TLV types (NVIDIA's local GPU verifier, opaque_data.py). */
export const NVIDIA_OPAQUE_DRIVER_VERSION = 3;
export const NVIDIA_OPAQUE_VBIOS_VERSION = 6;
export const NVIDIA_OPAQUE_FWID = 20;
const NVIDIA_VBIOS_VERSION_BYTES = 8;
const NVIDIA_FWID_BYTES = 48;

export interface MeasurementBlock {
  /** Block index, 1..254. */
  readonly index: number;
  /** DMTFSpecMeasurementValueType, bits 0..6 (0 immutable ROM, 1 mutable firmware, …). */
  readonly type: number;
  /** SHA-384 digest, lower-case hex. */
  readonly digest: string;
}

export interface NvidiaOpaqueFields {
  /** e.g. "550.90.07". */
  readonly driverVersion: string;
  /** e.g. "96.00.9F.00.01", formatted as NVIDIA's tools print it. */
  readonly vbiosVersion: string;
  /** 48-byte firmware id, lower-case hex, when the GPU reports one. */
  readonly fwid: string | null;
}

export interface SpdmEvidence {
  readonly kind: 'spdm-measurements';
  /** SPDM version of request and response (0x11). */
  readonly version: number;
  readonly requesterNonce: Uint8Array;
  readonly responderNonce: Uint8Array;
  readonly slotId: number;
  readonly measurements: readonly MeasurementBlock[];
  readonly opaque: NvidiaOpaqueFields;
  /** Request + response minus the signature: what the GPU's key signed (with SHA-384). */
  readonly signedBytes: Uint8Array;
  /** 96 bytes, raw r||s. */
  readonly signature: Uint8Array;
}

function malformed(message: string): never {
  throw new GeoattestError('EVIDENCE_MALFORMED', message);
}

/** A cursor over attacker-controlled bytes: every read checks what is left first. */
class Reader {
  private offset = 0;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly end: number,
  ) {}

  get position(): number {
    return this.offset;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  need(n: number, what: string): void {
    if (n > this.remaining)
      malformed(`${what}: needs ${n} bytes at offset ${this.offset}, ${this.remaining} left`);
  }

  u8(what: string): number {
    this.need(1, what);
    return this.bytes[this.offset++];
  }

  u16le(what: string): number {
    this.need(2, what);
    const v = this.bytes[this.offset] | (this.bytes[this.offset + 1] << 8);
    this.offset += 2;
    return v;
  }

  u24le(what: string): number {
    this.need(3, what);
    const b = this.bytes;
    const v = b[this.offset] | (b[this.offset + 1] << 8) | (b[this.offset + 2] << 16);
    this.offset += 3;
    return v;
  }

  /** A copy, so that the caller's buffer can change without changing the parsed value. */
  take(n: number, what: string): Uint8Array {
    this.need(n, what);
    const out = this.bytes.slice(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  sub(n: number, what: string): Reader {
    this.need(n, what);
    const r = new Reader(this.bytes, this.offset + n);
    r.offset = this.offset;
    this.offset += n;
    return r;
  }
}

function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

function parseMeasurementBlocks(r: Reader, count: number): MeasurementBlock[] {
  const blocks: MeasurementBlock[] = [];
  const seen = new Set<number>();
  for (let i = 0; i < count; i++) {
    const index = r.u8('measurement block index');
    // DSP0274: index 0 is reserved and 0xFF means "all".
    if (index === 0 || index === 0xff) malformed(`measurement block index ${index} is reserved`);
    if (seen.has(index)) malformed(`measurement block index ${index} appears twice`);
    seen.add(index);
    const spec = r.u8('measurement specification');
    if (spec !== MEASUREMENT_SPEC_DMTF)
      malformed(`measurement block ${index}: specification ${spec}, not DMTF`);
    const size = r.u16le('measurement size');
    const value = r.sub(size, `measurement block ${index}`);
    const type = value.u8('DMTF value type');
    if ((type & DMTF_RAW_BIT_STREAM) !== 0)
      malformed(`measurement block ${index}: raw bit stream, not a digest`);
    const valueSize = value.u16le('DMTF value size');
    if (valueSize + DMTF_VALUE_HEADER_BYTES !== size) {
      malformed(`measurement block ${index}: value size ${valueSize} does not fill measurement size ${size}`);
    }
    if (valueSize !== SHA384_BYTES)
      malformed(`measurement block ${index}: digest of ${valueSize} bytes, not SHA-384`);
    const digest = value.take(valueSize, 'measurement digest');
    blocks.push(Object.freeze({ index, type, digest: toHex(digest) }));
  }
  if (r.remaining !== 0) malformed(`measurement record has ${r.remaining} bytes after its ${count} blocks`);
  return blocks;
}

/** A NUL-terminated printable-ASCII string, padded with NULs only. */
function asciiz(bytes: Uint8Array, what: string): string {
  let end = bytes.indexOf(0);
  if (end === -1) end = bytes.length;
  for (let i = end; i < bytes.length; i++)
    if (bytes[i] !== 0) malformed(`${what}: bytes after its terminator`);
  if (end === 0) malformed(`${what}: empty`);
  for (let i = 0; i < end; i++)
    if (bytes[i] < 0x20 || bytes[i] > 0x7e) malformed(`${what}: not printable ASCII`);
  return Buffer.from(bytes.subarray(0, end)).toString('latin1');
}

/**
 * NVIDIA's tools print the 8-byte VBIOS version as the low little-endian u32 in 8 hex digits, then
 * the high u32 in at least 2, split into pairs: bytes 00 9f 00 96 01 00 00 00 → "96.00.9F.00.01".
 */
function vbiosVersion(bytes: Uint8Array): string {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const low = view.getUint32(0, true).toString(16).padStart(8, '0');
  const high = view.getUint32(4, true).toString(16).padStart(2, '0');
  const digits = (low + high).toUpperCase();
  const pairs: string[] = [];
  for (let i = 0; i < digits.length; i += 2) pairs.push(digits.slice(i, i + 2));
  return pairs.join('.');
}

function parseOpaque(r: Reader): NvidiaOpaqueFields {
  // NVIDIA's opaque data: a sequence of TLVs (u16 LE type, u16 LE length, value) filling it exactly.
  const found = new Map<number, Uint8Array>();
  while (r.remaining > 0) {
    const type = r.u16le('opaque TLV type');
    const length = r.u16le('opaque TLV length');
    const value = r.take(length, `opaque TLV ${type}`);
    const interpreted =
      type === NVIDIA_OPAQUE_DRIVER_VERSION ||
      type === NVIDIA_OPAQUE_VBIOS_VERSION ||
      type === NVIDIA_OPAQUE_FWID;
    // Two values for a field we report would let the evidence say two things at once.
    if (interpreted && found.has(type)) malformed(`opaque TLV ${type} appears twice`);
    if (interpreted) found.set(type, value);
  }
  const driver = found.get(NVIDIA_OPAQUE_DRIVER_VERSION);
  if (driver === undefined) malformed('opaque data has no driver version');
  const vbios = found.get(NVIDIA_OPAQUE_VBIOS_VERSION);
  if (vbios === undefined) malformed('opaque data has no VBIOS version');
  if (vbios.length !== NVIDIA_VBIOS_VERSION_BYTES) malformed(`VBIOS version of ${vbios.length} bytes`);
  const fwid = found.get(NVIDIA_OPAQUE_FWID);
  if (fwid !== undefined && fwid.length !== NVIDIA_FWID_BYTES) malformed(`FWID of ${fwid.length} bytes`);
  return Object.freeze({
    driverVersion: asciiz(driver, 'driver version'),
    vbiosVersion: vbiosVersion(vbios),
    fwid: fwid === undefined ? null : toHex(fwid),
  });
}

/**
 * Parses GET_MEASUREMENTS request (37 bytes) || MEASUREMENTS response (…, P-384 signature).
 * Checks the structure only: the signature and the nonce are for the verifier.
 */
export function parseSpdmEvidence(evidence: Uint8Array): SpdmEvidence {
  if (!(evidence instanceof Uint8Array)) malformed('evidence must be bytes');
  if (evidence.length > MAX_EVIDENCE_BYTES) malformed(`evidence of ${evidence.length} bytes is too long`);
  // Everything after here reads from a private copy (Buffer#slice would be a view, not a copy).
  const bytes = new Uint8Array(evidence);
  if (bytes.length < SPDM_REQUEST_BYTES + SPDM_P384_SIGNATURE_BYTES) malformed('evidence too short');
  const signedLength = bytes.length - SPDM_P384_SIGNATURE_BYTES;
  // The reader stops before the signature, so the response fields cannot run into it.
  const r = new Reader(bytes, signedLength);

  const requestVersion = r.u8('request version');
  if (requestVersion !== SPDM_VERSION_1_1) malformed(`request version 0x${requestVersion.toString(16)}`);
  const requestCode = r.u8('request code');
  if (requestCode !== SPDM_GET_MEASUREMENTS) malformed(`request code 0x${requestCode.toString(16)}`);
  if (r.u8('request attributes') !== REQUEST_ATTRIBUTES_SIGNATURE)
    malformed('request did not ask for a signature');
  if (r.u8('request operation') !== REQUEST_ALL_MEASUREMENTS) malformed('request did not ask for all blocks');
  const requesterNonce = r.take(SPDM_NONCE_BYTES, 'requester nonce');
  const slotId = r.u8('slot id');
  if (slotId > 7) malformed(`slot id ${slotId}`); // DSP0274: slots 0..7

  const responseVersion = r.u8('response version');
  if (responseVersion !== SPDM_VERSION_1_1) malformed(`response version 0x${responseVersion.toString(16)}`);
  const responseCode = r.u8('response code');
  if (responseCode !== SPDM_MEASUREMENTS) malformed(`response code 0x${responseCode.toString(16)}`);
  r.u8('response param1');
  r.u8('response param2');
  const blockCount = r.u8('number of blocks');
  if (blockCount === 0) malformed('response has no measurement blocks');
  const recordLength = r.u24le('measurement record length');
  const measurements = parseMeasurementBlocks(r.sub(recordLength, 'measurement record'), blockCount);
  const responderNonce = r.take(SPDM_NONCE_BYTES, 'responder nonce');
  const opaqueLength = r.u16le('opaque length');
  if (opaqueLength > MAX_OPAQUE_BYTES) malformed(`opaque length ${opaqueLength} exceeds ${MAX_OPAQUE_BYTES}`);
  const opaque = parseOpaque(r.sub(opaqueLength, 'opaque data'));
  if (r.remaining !== 0) malformed(`${r.remaining} unexpected bytes before the signature`);

  return Object.freeze({
    kind: 'spdm-measurements',
    version: SPDM_VERSION_1_1,
    requesterNonce,
    responderNonce,
    slotId,
    measurements: Object.freeze(measurements),
    opaque,
    signedBytes: bytes.slice(0, signedLength),
    signature: bytes.slice(signedLength),
  });
}
