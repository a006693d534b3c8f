// The one table of wire protocol v1: every message type, its code, its exact length and the byte
// layout of its fields. The encoder and the parser both read their offsets from here, and
// docs/protocol.md is this table written out. Change a length here and the anti-amplification
// check at the bottom of this file, the tests and the doc must all agree again.

/** "GATT": the first four bytes of every geoattest packet. */
export const MAGIC: Readonly<Uint8Array> = new Uint8Array([0x47, 0x41, 0x54, 0x54]);
export const PROTOCOL_VERSION = 1;
/** Rounds one session may hold; the receipt has this many fixed slots. */
export const MAX_ROUNDS = 8;

/** Trust modes: which identity signed the responses (DESIGN.md "Trust and identity"). */
export const TRUST_MODES = Object.freeze({ software: 1, 'gpu-evidence': 2, 'gpu-session': 3 } as const);
export type TrustMode = keyof typeof TRUST_MODES;

export function trustModeFromCode(code: number): TrustMode | undefined {
  for (const [name, c] of Object.entries(TRUST_MODES)) if (c === code) return name as TrustMode;
  return undefined;
}

type FieldList = readonly (readonly [name: string, size: number])[];
export interface FieldSpan {
  readonly offset: number;
  readonly size: number;
}
type Layout<F extends FieldList> = { readonly [K in F[number][0]]: FieldSpan };

/** Lays fields out back to back and returns each one's offset and size. */
function layout<const F extends FieldList>(fields: F): Layout<F> & { readonly $length: number } {
  const out: Record<string, FieldSpan | number> = {};
  let offset = 0;
  for (const [name, size] of fields) {
    out[name] = Object.freeze({ offset, size });
    offset += size;
  }
  out.$length = offset;
  return Object.freeze(out) as Layout<F> & { readonly $length: number };
}

/** Every message starts with the same 8 bytes. */
export const HEADER = layout(headerFields());

const RECEIPT_ROUND = 32 + 8; // nonce + RTT in ns

export const LAYOUTS = Object.freeze({
  hello: layout([
    ...headerFields(),
    ['deviceId', 32],
    ['keyId', 8],
    ['trustMode', 1],
    ['reserved', 3],
    // Zero padding: makes the HELLO as long as the CHALLENGE it triggers (no amplification).
    ['padding', 32],
  ] as const),
  challenge: layout([
    ...headerFields(),
    ['landmarkId', 16],
    ['nonce', 32],
    ['round', 1],
    ['rounds', 1],
    ['reserved', 2],
    ['issuedAtNs', 8],
    ['cookie', 16],
  ] as const),
  response: layout([
    ...headerFields(),
    ['deviceId', 32],
    ['keyId', 8],
    ['trustMode', 1],
    ['round', 1],
    ['rounds', 1],
    ['reserved', 1],
    ['landmarkId', 16],
    ['nonce', 32],
    ['issuedAtNs', 8],
    ['cookie', 16],
    // gpu-session: the raw Ed25519 session public key whose SHA-256 starts with keyId, so the
    // landmark can check the decisive round without any directory entry for a fresh key. Zero in
    // the other modes (docs/protocol.md, "Trust modes on the wire").
    ['sessionKey', 32],
    ['signature', 64],
  ] as const),
  receipt: layout([
    ...headerFields(),
    ['trustMode', 1],
    ['count', 1],
    // The round whose RTT is the measurement: the smallest RTT, the earliest on ties.
    ['decisiveRound', 1],
    ['reserved', 5],
    ['deviceId', 32],
    ['keyId', 8],
    ['landmarkId', 16],
    ['wallClockMs', 8],
    ['overheadNs', 8],
    ['rounds', MAX_ROUNDS * RECEIPT_ROUND],
    // The device's signature of the decisive round (response signing payload), so anyone can
    // re-check from the receipt alone that the key named by keyId answered the measured round.
    ['deviceSignature', 64],
    ['signature', 64],
  ] as const),
});

/** The 8-byte header every message starts with; `headerReserved` is zero. */
function headerFields() {
  return [
    ['magic', 4],
    ['version', 1],
    ['type', 1],
    ['headerReserved', 2],
  ] as const;
}

/** Offsets of one round's slot inside the receipt's `rounds` field. */
export const RECEIPT_ROUND_SLOT = Object.freeze({ size: RECEIPT_ROUND, nonce: 0, rttNs: 32 });

export type PacketKind = keyof typeof LAYOUTS;

export interface MessageType {
  readonly kind: PacketKind;
  readonly code: number;
  /** Exact length in bytes, header included. */
  readonly length: number;
  readonly direction: 'device → landmark' | 'landmark → device' | 'landmark → device and verifier';
}

/**
 * The message types. Any other type byte is PACKET_UNKNOWN_TYPE: there is deliberately no type
 * a landmark or verifier could use to tell the agent to do anything (no command channel).
 */
export const MESSAGE_TYPES: Readonly<Record<PacketKind, MessageType>> = Object.freeze({
  hello: Object.freeze({ kind: 'hello', code: 0x01, length: 84, direction: 'device → landmark' }),
  challenge: Object.freeze({ kind: 'challenge', code: 0x02, length: 84, direction: 'landmark → device' }),
  response: Object.freeze({ kind: 'response', code: 0x03, length: 220, direction: 'device → landmark' }),
  receipt: Object.freeze({
    kind: 'receipt',
    code: 0x04,
    length: 536,
    direction: 'landmark → device and verifier',
  }),
});

export const PACKET_KINDS: readonly PacketKind[] = Object.freeze([
  'hello',
  'challenge',
  'response',
  'receipt',
]);

export function messageTypeFromCode(code: number): MessageType | undefined {
  for (const kind of PACKET_KINDS) if (MESSAGE_TYPES[kind].code === code) return MESSAGE_TYPES[kind];
  return undefined;
}

export const MIN_PACKET_LENGTH = Math.min(...PACKET_KINDS.map((k) => MESSAGE_TYPES[k].length));
export const MAX_PACKET_LENGTH = Math.max(...PACKET_KINDS.map((k) => MESSAGE_TYPES[k].length));

// Self-checks at load: the literal lengths above are the sums of the layouts, and a landmark never
// answers an unauthenticated HELLO with more bytes than it received (anti-amplification).
for (const kind of PACKET_KINDS) {
  if (LAYOUTS[kind].$length !== MESSAGE_TYPES[kind].length) {
    throw new Error(`protocol table: ${kind} layout is ${LAYOUTS[kind].$length} bytes`);
  }
}
if (MESSAGE_TYPES.hello.length < MESSAGE_TYPES.challenge.length) {
  throw new Error('protocol table: a HELLO must be at least as long as the CHALLENGE it triggers');
}
// Every later CHALLENGE answers a RESPONSE, which is longer: no round ever amplifies.
if (MESSAGE_TYPES.response.length < MESSAGE_TYPES.challenge.length) {
  throw new Error('protocol table: a RESPONSE must be at least as long as the CHALLENGE it triggers');
}
