import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GeoattestError } from '../../src/errors.js';
import {
  type Challenge,
  checkCookie,
  cookieBucket,
  decisiveRoundOf,
  encodePacket,
  encodeReceipt,
  type Hello,
  keyIdOfRaw,
  LAYOUTS,
  MAX_PACKET_LENGTH,
  MAX_ROUNDS,
  MESSAGE_TYPES,
  makeCookie,
  minRttNs,
  NonceBook,
  type Packet,
  type PacketKind,
  parsePacket,
  parseReceipt,
  type Receipt,
  type ReceiptBody,
  type Response,
  receiptHash,
  receiptSigningPayload,
  requireCookie,
  responseSigningPayload,
  signReceipt,
  signResponse,
  TRUST_MODES,
  type TrustMode,
  verifyReceipt,
  verifyReceiptDevice,
  verifyResponse,
} from '../../src/protocol/wire.js';
import { errorCodeOf } from '../helpers/error-code.js';

const RUNS = { numRuns: 1000 };

/** An Ed25519 key from a fixed 32-byte seed (RFC 8410 PKCS#8 wrapping), so signatures are reproducible. */
function keyFromSeed(seedByte: number): { privateKey: KeyObject; publicKey: KeyObject } {
  const der = Buffer.concat([
    Buffer.from('302e020100300506032b657004220420', 'hex'),
    Buffer.alloc(32, seedByte),
  ]);
  const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

const landmarkKey = keyFromSeed(1);
const deviceKey = keyFromSeed(2);
const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

const hello: Hello = {
  kind: 'hello',
  deviceId: bytes(32, 0xd1),
  keyId: bytes(8, 0x4b),
  trustMode: 'software',
};
const challenge: Challenge = {
  kind: 'challenge',
  landmarkId: bytes(16, 0x1a),
  nonce: bytes(32, 0x0e),
  round: 2,
  rounds: 5,
  issuedAtNs: 0x0102030405060708n,
  cookie: bytes(16, 0xc0),
};
const response: Response = {
  kind: 'response',
  deviceId: hello.deviceId,
  keyId: hello.keyId,
  trustMode: 'software',
  round: challenge.round,
  rounds: challenge.rounds,
  landmarkId: challenge.landmarkId,
  nonce: challenge.nonce,
  issuedAtNs: challenge.issuedAtNs,
  cookie: challenge.cookie,
  sessionKey: new Uint8Array(32),
  signature: signResponse(deviceKey.privateKey, { ...challenge, deviceId: hello.deviceId }),
};
const deviceKeyRaw = new Uint8Array(
  Buffer.from(deviceKey.publicKey.export({ format: 'jwk' }).x!, 'base64url'),
);
const receiptRounds = [1, 2, 3, 4, 5].map((i) => ({
  nonce: bytes(32, i),
  // Round 2 (0-based) is the fastest: the decisive round.
  rttNs: BigInt(180_000 + (i === 3 ? 0 : i * 1000)),
}));
const receiptBody: ReceiptBody = {
  trustMode: 'software',
  deviceId: hello.deviceId,
  keyId: keyIdOfRaw(deviceKeyRaw),
  landmarkId: challenge.landmarkId,
  wallClockMs: 1_767_225_600_000n,
  overheadNs: 4_200n,
  rounds: receiptRounds,
  decisiveRound: 2,
  deviceSignature: signResponse(deviceKey.privateKey, {
    landmarkId: challenge.landmarkId,
    nonce: receiptRounds[2].nonce,
    deviceId: hello.deviceId,
    round: 2,
  }),
};
const receipt = signReceipt(landmarkKey.privateKey, receiptBody);
const VALID: readonly Packet[] = [hello, challenge, response, receipt];

// --- arbitraries -----------------------------------------------------------------------------

const arbBytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const arbTrust = fc.constantFrom<TrustMode>('software', 'gpu-evidence', 'gpu-session');
const arbU64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const arbRound = fc
  .integer({ min: 1, max: MAX_ROUNDS })
  .chain((rounds) =>
    fc.record({ rounds: fc.constant(rounds), round: fc.integer({ min: 0, max: rounds - 1 }) }),
  );

const arbHello: fc.Arbitrary<Hello> = fc.record({
  kind: fc.constant('hello' as const),
  deviceId: arbBytes(32),
  keyId: arbBytes(8),
  trustMode: arbTrust,
});
const arbChallenge: fc.Arbitrary<Challenge> = fc
  .tuple(arbRound, arbBytes(16), arbBytes(32), arbU64, arbBytes(16))
  .map(([r, landmarkId, nonce, issuedAtNs, cookie]) => ({
    kind: 'challenge',
    ...r,
    landmarkId,
    nonce,
    issuedAtNs,
    cookie,
  }));
const arbResponse: fc.Arbitrary<Response> = fc
  .tuple(arbChallenge, arbHello, arbBytes(32), arbBytes(64))
  .map(([c, h, key, signature]) => ({
    ...c,
    ...h,
    kind: 'response',
    // The session key field is the key in gpu-session mode and zero otherwise.
    sessionKey: h.trustMode === 'gpu-session' ? key : new Uint8Array(32),
    signature,
  }));
const arbReceiptBody: fc.Arbitrary<ReceiptBody> = fc
  .record({
    trustMode: arbTrust,
    deviceId: arbBytes(32),
    keyId: arbBytes(8),
    landmarkId: arbBytes(16),
    wallClockMs: arbU64,
    overheadNs: arbU64,
    rounds: fc.uniqueArray(
      // Small RTTs too, so ties between rounds happen and the earliest-on-ties rule is exercised.
      fc.record({ nonce: arbBytes(32), rttNs: fc.oneof(arbU64, fc.bigInt({ min: 0n, max: 3n })) }),
      { minLength: 1, maxLength: MAX_ROUNDS, selector: (r) => hex(r.nonce) },
    ),
    deviceSignature: arbBytes(64),
  })
  .map((b) => ({ ...b, decisiveRound: decisiveRoundOf(b.rounds) }));
const arbReceipt: fc.Arbitrary<Receipt> = fc
  .tuple(arbReceiptBody, arbBytes(64))
  .map(([b, signature]) => ({ ...b, kind: 'receipt', signature }));
const arbPacket: fc.Arbitrary<Packet> = fc.oneof(arbHello, arbChallenge, arbResponse, arbReceipt);

/**
 * Parses and demands either a value that re-encodes to the very same bytes, or a PACKET_ error.
 * Returns 'ok' or the code, so fuzz tests can show they reached every check.
 */
function parsesCanonicallyOrFailsCoded(input: Uint8Array): string {
  let parsed: Packet;
  try {
    parsed = parsePacket(input);
  } catch (e) {
    expect(e).toBeInstanceOf(GeoattestError);
    const { code } = e as GeoattestError;
    expect(code.startsWith('PACKET_')).toBe(true);
    return code;
  }
  expect(Object.isFrozen(parsed)).toBe(true);
  expect(hex(encodePacket(parsed))).toBe(hex(input));
  return 'ok';
}

// --- the byte table --------------------------------------------------------------------------

describe('the message table', () => {
  it('gives every message its exact length', () => {
    expect(Object.fromEntries(Object.values(MESSAGE_TYPES).map((t) => [t.kind, [t.code, t.length]]))).toEqual(
      {
        hello: [0x01, 84],
        challenge: [0x02, 84],
        response: [0x03, 220],
        receipt: [0x04, 536],
      },
    );
    for (const p of VALID) expect(encodePacket(p).length).toBe(MESSAGE_TYPES[p.kind].length);
    expect(MAX_PACKET_LENGTH).toBe(536);
  });

  it('puts the fields at the documented offsets (docs/protocol.md)', () => {
    expect(LAYOUTS.hello.deviceId).toEqual({ offset: 8, size: 32 });
    expect(LAYOUTS.hello.trustMode).toEqual({ offset: 48, size: 1 });
    expect(LAYOUTS.hello.padding).toEqual({ offset: 52, size: 32 });
    expect(LAYOUTS.challenge.nonce).toEqual({ offset: 24, size: 32 });
    expect(LAYOUTS.challenge.issuedAtNs).toEqual({ offset: 60, size: 8 });
    expect(LAYOUTS.challenge.cookie).toEqual({ offset: 68, size: 16 });
    expect(LAYOUTS.response.nonce).toEqual({ offset: 68, size: 32 });
    expect(LAYOUTS.response.sessionKey).toEqual({ offset: 124, size: 32 });
    expect(LAYOUTS.response.signature).toEqual({ offset: 156, size: 64 });
    expect(LAYOUTS.receipt.count).toEqual({ offset: 9, size: 1 });
    expect(LAYOUTS.receipt.decisiveRound).toEqual({ offset: 10, size: 1 });
    expect(LAYOUTS.receipt.reserved).toEqual({ offset: 11, size: 5 });
    expect(LAYOUTS.receipt.rounds).toEqual({ offset: 88, size: 320 });
    expect(LAYOUTS.receipt.deviceSignature).toEqual({ offset: 408, size: 64 });
    expect(LAYOUTS.receipt.signature).toEqual({ offset: 472, size: 64 });
  });

  it('writes the header and integers in network byte order', () => {
    const b = encodePacket(challenge);
    expect(hex(b.subarray(0, 8))).toBe('4741545401020000'); // "GATT", v1, CHALLENGE, reserved
    expect(hex(b.subarray(56, 58))).toBe('0205'); // round 2 of 5
    expect(hex(b.subarray(60, 68))).toBe('0102030405060708');
    const r = encodePacket(receipt);
    expect(hex(r.subarray(88 + 32, 88 + 40))).toBe('000000000002c308'); // round 0: 181,000 ns
    expect(r[10]).toBe(2); // the decisive round
  });

  it('never lets a landmark answer a HELLO with more bytes than it received (anti-amplification)', () => {
    expect(MESSAGE_TYPES.hello.length).toBeGreaterThanOrEqual(MESSAGE_TYPES.challenge.length);
    // Nor a RESPONSE: every later round's CHALLENGE is shorter than the RESPONSE that asked for it.
    expect(MESSAGE_TYPES.response.length).toBeGreaterThanOrEqual(MESSAGE_TYPES.challenge.length);
    expect(encodePacket(hello).length).toBeGreaterThanOrEqual(encodePacket(challenge).length);
  });

  it('codes trust modes as software=1, gpu-evidence=2, gpu-session=3', () => {
    expect(TRUST_MODES).toEqual({ software: 1, 'gpu-evidence': 2, 'gpu-session': 3 });
  });
});

// --- round trips -----------------------------------------------------------------------------

describe('round trips', () => {
  for (const p of VALID) {
    it(`encodes and parses a ${p.kind}`, () => {
      const parsed = parsePacket(encodePacket(p));
      expect(parsed).toEqual(p);
      expect(Object.isFrozen(parsed)).toBe(true);
    });
  }

  it('round-trips every valid packet, and the encoding is canonical', () => {
    fc.assert(
      fc.property(arbPacket, (p) => {
        const b = encodePacket(p);
        expect(parsePacket(b)).toEqual(p);
        expect(hex(encodePacket(parsePacket(b)))).toBe(hex(b));
      }),
      RUNS,
    );
  });

  it('reads a packet that sits inside a larger buffer (Node pools small Buffers)', () => {
    const big = Buffer.alloc(1000, 0xee);
    const b = encodePacket(challenge);
    big.set(b, 333);
    expect(parsePacket(big.subarray(333, 333 + b.length))).toEqual(challenge);
  });

  it('copies byte fields, so later changes to the input do not reach the parsed value', () => {
    const b = encodePacket(hello);
    const parsed = parsePacket(b) as Hello;
    b[10] ^= 0xff;
    expect(parsed.deviceId).toEqual(hello.deviceId);
    const buf = Buffer.from(encodePacket(hello));
    const fromBuffer = parsePacket(buf) as Hello;
    buf[10] ^= 0xff;
    expect(fromBuffer.deviceId).toEqual(hello.deviceId);
  });
});

// --- signatures ------------------------------------------------------------------------------

describe('signing payloads', () => {
  it('separates domains: a response payload starts "geoattest/v1 response\\0", a receipt one "geoattest/v1 receipt\\0"', () => {
    const rp = responseSigningPayload({ ...challenge, deviceId: hello.deviceId });
    expect(Buffer.from(rp.subarray(0, 22)).toString('latin1')).toBe('geoattest/v1 response\0');
    expect(rp.length).toBe(22 + 16 + 32 + 32 + 1);
    expect(rp[rp.length - 1]).toBe(challenge.round);
    const cp = receiptSigningPayload(receiptBody);
    expect(Buffer.from(cp.subarray(0, 21)).toString('latin1')).toBe('geoattest/v1 receipt\0');
    // Everything but the landmark's signature: the device's signature is signed by the landmark too.
    expect(cp.length).toBe(21 + 472);
    expect(hex(cp.subarray(21))).toBe(hex(encodeReceipt(receipt).subarray(0, 472)));
  });

  it('verifies a response signed by the device, and not one from another key or round', () => {
    verifyResponse(deviceKey.publicKey, response);
    expect(errorCodeOf(() => verifyResponse(landmarkKey.publicKey, response))).toBe('PACKET_BAD_SIGNATURE');
    expect(errorCodeOf(() => verifyResponse(deviceKey.publicKey, { ...response, round: 3 }))).toBe(
      'PACKET_BAD_SIGNATURE',
    );
    // A receipt signature is no response signature, even over the same key.
    expect(
      errorCodeOf(() => verifyResponse(deviceKey.publicKey, { ...response, signature: receipt.signature })),
    ).toBe('PACKET_BAD_SIGNATURE');
  });

  it('verifies a receipt signed by the landmark', () => {
    verifyReceipt(landmarkKey.publicKey, receipt);
    verifyReceipt(landmarkKey.publicKey, parseReceipt(encodeReceipt(receipt)));
    expect(errorCodeOf(() => verifyReceipt(deviceKey.publicKey, receipt))).toBe('PACKET_BAD_SIGNATURE');
  });

  it('refuses keys that are not Ed25519 of the right kind', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(errorCodeOf(() => verifyReceipt(publicKey, receipt))).toBe('KEY_INVALID');
    expect(errorCodeOf(() => signReceipt(landmarkKey.publicKey, receiptBody))).toBe('KEY_INVALID');
  });

  it('fails for any flipped bit of a signed receipt (1000 runs)', () => {
    fc.assert(
      fc.property(arbReceiptBody, fc.nat(), (body, bitSeed) => {
        const signed = signReceipt(landmarkKey.privateKey, body);
        verifyReceipt(landmarkKey.publicKey, signed);
        const b = encodeReceipt(signed);
        const bit = bitSeed % (b.length * 8); // body and signature alike
        b[bit >> 3] ^= 1 << (bit & 7);
        let tampered: Receipt;
        try {
          tampered = parseReceipt(b);
        } catch (e) {
          expect((e as GeoattestError).code.startsWith('PACKET_')).toBe(true);
          return;
        }
        expect(errorCodeOf(() => verifyReceipt(landmarkKey.publicKey, tampered))).toBe(
          'PACKET_BAD_SIGNATURE',
        );
      }),
      RUNS,
    );
  });

  it('gives a receipt one stable hash: SHA-256 of its exact bytes', () => {
    const h = receiptHash(receipt);
    expect(hex(h)).toBe(createHash('sha256').update(encodeReceipt(receipt)).digest('hex'));
    expect(hex(receiptHash(parseReceipt(encodeReceipt(receipt))))).toBe(hex(h));
    // Ed25519 is deterministic (RFC 8032 §5.1.6), so this fixed key and body always give this hash.
    expect(hex(h)).toBe(GOLDEN_RECEIPT_HASH);
  });
});

const GOLDEN_RECEIPT_HASH = '99fd3dfdc7470c127f31d194d0e5ca49a9383446043dd51fff554cae1c6d694b';

// --- cookies ---------------------------------------------------------------------------------

describe('the stateless cookie', () => {
  const secret = bytes(32, 0x5e);
  const fields = { ...response, address: '203.0.113.7', port: 40123 };
  const made = 1_000;
  const cookie = makeCookie(secret, { ...fields, bucket: made });

  it('is 16 bytes and accepted in its own bucket and the next one', () => {
    expect(cookie.length).toBe(16);
    expect(checkCookie(secret, fields, cookie, made)).toBe(true);
    expect(checkCookie(secret, fields, cookie, made + 1)).toBe(true);
    requireCookie(secret, fields, cookie, made + 1);
  });

  it('turns time into buckets of 10 s by default', () => {
    expect(cookieBucket(10_000_000)).toBe(1_000);
    expect(cookieBucket(10_009_999)).toBe(1_000);
    expect(cookieBucket(10_010_000)).toBe(1_001);
  });

  describe('when the cookie is older than the previous bucket', () => {
    it('is rejected with PACKET_BAD_COOKIE', () => {
      expect(checkCookie(secret, fields, cookie, made + 2)).toBe(false);
      expect(checkCookie(secret, fields, cookie, made - 1)).toBe(false);
      expect(errorCodeOf(() => requireCookie(secret, fields, cookie, made + 2))).toBe('PACKET_BAD_COOKIE');
    });
  });

  describe('when any bound field differs', () => {
    it('is rejected', () => {
      const changed: Record<string, unknown> = {
        address: '203.0.113.8',
        port: 40124,
        deviceId: bytes(32, 1),
        keyId: bytes(8, 1),
        trustMode: 'gpu-session',
        landmarkId: bytes(16, 1),
        nonce: bytes(32, 1),
        round: 1,
        rounds: 6,
        issuedAtNs: challenge.issuedAtNs - 1n,
      };
      for (const [k, v] of Object.entries(changed)) {
        expect(checkCookie(secret, { ...fields, [k]: v }, cookie, made), k).toBe(false);
      }
      expect(checkCookie(bytes(32, 0x5f), fields, cookie, made)).toBe(false);
    });
  });

  describe('when the cookie has the wrong length or bit', () => {
    it('is rejected without throwing', () => {
      expect(checkCookie(secret, fields, cookie.subarray(0, 15), made)).toBe(false);
      const flipped = cookie.slice();
      flipped[0] ^= 1;
      expect(checkCookie(secret, fields, flipped, made)).toBe(false);
    });
  });

  describe('when the secret is too short', () => {
    it('refuses it with KEY_INVALID', () => {
      expect(errorCodeOf(() => makeCookie(bytes(16, 1), { ...fields, bucket: made }))).toBe('KEY_INVALID');
    });
  });
});

// --- the nonce book --------------------------------------------------------------------------

describe('the nonce book', () => {
  const n = (i: number) => {
    const b = new Uint8Array(32);
    new DataView(b.buffer).setUint32(0, i);
    return b;
  };

  it('redeems a fresh nonce once', () => {
    const book = new NonceBook({ ttl: 20_000, maxEntries: 10 });
    book.redeem(n(1), 1000, 1500);
    expect(book.size).toBe(1);
  });

  describe('when a nonce is redeemed twice', () => {
    it('throws NONCE_REPLAYED', () => {
      const book = new NonceBook({ ttl: 20_000, maxEntries: 10 });
      book.redeem(n(1), 1000, 1500);
      expect(errorCodeOf(() => book.redeem(n(1), 1000, 1600))).toBe('NONCE_REPLAYED');
    });
  });

  describe('when a nonce is older than the ttl, or from the future', () => {
    it('throws NONCE_EXPIRED', () => {
      const book = new NonceBook({ ttl: 20_000, maxEntries: 10 });
      book.redeem(n(1), 1000, 21_000); // exactly ttl: still fresh
      expect(errorCodeOf(() => book.redeem(n(2), 1000, 21_001))).toBe('NONCE_EXPIRED');
      expect(errorCodeOf(() => book.redeem(n(3), 30_000, 29_999))).toBe('NONCE_EXPIRED');
    });
  });

  describe('when the book is full', () => {
    it('evicts the oldest and refuses it afterwards as expired, never accepting a replay', () => {
      const book = new NonceBook({ ttl: 1_000_000, maxEntries: 3 });
      for (let i = 1; i <= 5; i++) book.redeem(n(i), i, 10);
      expect(book.size).toBe(3);
      expect(errorCodeOf(() => book.redeem(n(1), 1, 11))).toBe('NONCE_EXPIRED');
      expect(errorCodeOf(() => book.redeem(n(5), 5, 11))).toBe('NONCE_REPLAYED');
    });

    it('stays bounded and never accepts a nonce twice, whatever the sequence (1000 runs)', () => {
      fc.assert(
        fc.property(
          fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 31, maxLength: 31 }),
          fc.array(fc.tuple(fc.integer({ min: 0, max: 30 }), fc.nat({ max: 20 })), { maxLength: 80 }),
          (issuedAt, ops) => {
            // Each nonce has one issue time, as the cookie guarantees in the landmark.
            const book = new NonceBook({ ttl: 40, maxEntries: 5 });
            const accepted = new Set<number>();
            let now = 0;
            for (const [id, step] of ops) {
              now += step;
              try {
                book.redeem(n(id), issuedAt[id], now);
                expect(accepted.has(id)).toBe(false);
                accepted.add(id);
              } catch (e) {
                expect(['NONCE_REPLAYED', 'NONCE_EXPIRED']).toContain((e as GeoattestError).code);
              }
              expect(book.size).toBeLessThanOrEqual(5);
            }
          },
        ),
        RUNS,
      );
    });
  });
});

// --- fuzzing ---------------------------------------------------------------------------------

describe('parsing hostile bytes', () => {
  it('returns a value or throws a PACKET_ error for random bytes of length 0..600 (1000 runs)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 600 }), (b) => {
        parsesCanonicallyOrFailsCoded(b);
      }),
      RUNS,
    );
  });

  it('does the same for random bodies behind a valid header, so the field checks are reached (1000 runs)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...VALID), fc.uint8Array({ minLength: 0, maxLength: 600 }), (p, body) => {
        const b = new Uint8Array(MESSAGE_TYPES[p.kind].length);
        b.set(encodePacket(p).subarray(0, 8));
        b.set(body.subarray(0, b.length - 8), 8);
        parsesCanonicallyOrFailsCoded(b);
      }),
      RUNS,
    );
  });

  type Mutation =
    | { op: 'flip'; at: number; bit: number }
    | { op: 'truncate'; to: number }
    | { op: 'extend'; extra: Uint8Array }
    | { op: 'set'; at: number; value: number };
  const arbMutation: fc.Arbitrary<Mutation> = fc.oneof(
    fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ op: fc.constant('truncate' as const), to: fc.nat() }),
    fc.record({ op: fc.constant('extend' as const), extra: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
    // Header bytes: magic (0-3), version (4), type (5), reserved (6-7); or anywhere.
    fc.record({
      op: fc.constant('set' as const),
      at: fc.integer({ min: 0, max: 7 }),
      value: fc.nat({ max: 255 }),
    }),
    fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: fc.nat({ max: 255 }) }),
  );
  function mutate(b: Uint8Array, m: Mutation): Uint8Array {
    switch (m.op) {
      case 'flip': {
        const c = b.slice();
        c[m.at % c.length] ^= 1 << m.bit;
        return c;
      }
      case 'truncate':
        return b.slice(0, m.to % b.length);
      case 'extend': {
        const c = new Uint8Array(b.length + m.extra.length);
        c.set(b);
        c.set(m.extra, b.length);
        return c;
      }
      case 'set': {
        const c = b.slice();
        c[m.at % c.length] = m.value;
        return c;
      }
    }
  }

  it('returns a value or throws a PACKET_ error for mutated valid packets (1000 runs)', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(arbPacket, fc.array(arbMutation, { minLength: 1, maxLength: 4 }), (p, ms) => {
        let b = encodePacket(p);
        for (const m of ms) b = b.length === 0 ? b : mutate(b, m);
        seen.add(parsesCanonicallyOrFailsCoded(b));
      }),
      RUNS,
    );
    // Not vacuous: the mutations reach every check, and some still parse.
    expect([...seen].sort()).toEqual([
      'PACKET_BAD_FIELD',
      'PACKET_BAD_LENGTH',
      'PACKET_BAD_MAGIC',
      'PACKET_TOO_LONG',
      'PACKET_TOO_SHORT',
      'PACKET_UNKNOWN_TYPE',
      'PACKET_UNSUPPORTED_VERSION',
      'ok',
    ]);
  });

  it('throws only PACKET_ errors even for values that are not byte arrays', () => {
    for (const v of [null, undefined, 'GATT', 42, {}, [0x47, 0x41, 0x54, 0x54], new Uint16Array(100)]) {
      expect(errorCodeOf(() => parsePacket(v as unknown as Uint8Array))).toMatch(/^PACKET_/);
    }
  });
});

// --- one failure mode each -------------------------------------------------------------------

/** A valid encoding of `kind` with `edit` applied to a copy. */
function edited(kind: PacketKind, edit: (b: Uint8Array) => void): Uint8Array {
  const b = encodePacket(VALID.find((p) => p.kind === kind)!);
  edit(b);
  return b;
}

describe('when the packet is shorter than the shortest message', () => {
  it('throws PACKET_TOO_SHORT before reading a byte', () => {
    expect(errorCodeOf(() => parsePacket(new Uint8Array(0)))).toBe('PACKET_TOO_SHORT');
    expect(errorCodeOf(() => parsePacket(encodePacket(hello).subarray(0, 83)))).toBe('PACKET_TOO_SHORT');
    expect(errorCodeOf(() => parsePacket(bytes(10, 0xff)))).toBe('PACKET_TOO_SHORT'); // length before magic
  });
});

describe('when the packet is longer than the longest message', () => {
  it('throws PACKET_TOO_LONG', () => {
    const b = new Uint8Array(537);
    b.set(encodePacket(receipt));
    expect(errorCodeOf(() => parsePacket(b))).toBe('PACKET_TOO_LONG');
    expect(errorCodeOf(() => parsePacket(new Uint8Array(65_507)))).toBe('PACKET_TOO_LONG');
  });
});

describe('when the magic is not "GATT"', () => {
  it('throws PACKET_BAD_MAGIC', () => {
    for (let i = 0; i < 4; i++) {
      expect(errorCodeOf(() => parsePacket(edited('hello', (b) => (b[i] ^= 0x20))))).toBe('PACKET_BAD_MAGIC');
    }
  });
});

describe('when the version is not 1', () => {
  it('throws PACKET_UNSUPPORTED_VERSION', () => {
    for (const v of [0, 2, 255]) {
      expect(errorCodeOf(() => parsePacket(edited('challenge', (b) => (b[4] = v))))).toBe(
        'PACKET_UNSUPPORTED_VERSION',
      );
    }
  });
});

describe('when the message type is unknown, e.g. a would-be command', () => {
  it('throws PACKET_UNKNOWN_TYPE for every type byte outside the table', () => {
    const known = new Set(Object.values(MESSAGE_TYPES).map((t) => t.code));
    for (let t = 0; t < 256; t++) {
      if (known.has(t)) continue;
      for (const kind of ['hello', 'response', 'receipt'] as const) {
        expect(errorCodeOf(() => parsePacket(edited(kind, (b) => (b[5] = t))))).toBe('PACKET_UNKNOWN_TYPE');
      }
    }
  });

  it('throws PACKET_UNKNOWN_TYPE for a known type the caller does not accept (the agent takes challenges and receipts only)', () => {
    const agent = { accept: ['challenge', 'receipt'] as const };
    expect(parsePacket(encodePacket(challenge), agent).kind).toBe('challenge');
    expect(parsePacket(encodePacket(receipt), agent).kind).toBe('receipt');
    expect(errorCodeOf(() => parsePacket(encodePacket(hello), agent))).toBe('PACKET_UNKNOWN_TYPE');
    expect(errorCodeOf(() => parsePacket(encodePacket(response), agent))).toBe('PACKET_UNKNOWN_TYPE');
    expect(errorCodeOf(() => parseReceipt(encodePacket(challenge)))).toBe('PACKET_UNKNOWN_TYPE');
  });
});

describe('when the length does not match the type', () => {
  it('throws PACKET_BAD_LENGTH', () => {
    // A HELLO header on a RESPONSE-sized packet, and one byte short or long.
    expect(errorCodeOf(() => parsePacket(edited('response', (b) => (b[5] = 0x01))))).toBe(
      'PACKET_BAD_LENGTH',
    );
    const longHello = new Uint8Array(85);
    longHello.set(encodePacket(hello));
    expect(errorCodeOf(() => parsePacket(longHello))).toBe('PACKET_BAD_LENGTH');
    expect(errorCodeOf(() => parsePacket(encodePacket(response).subarray(0, 219)))).toBe('PACKET_BAD_LENGTH');
  });
});

describe('when a field is out of range or a reserved byte is set', () => {
  const cases: [string, PacketKind, (b: Uint8Array) => void][] = [
    ['header reserved byte', 'hello', (b) => (b[7] = 1)],
    ['hello reserved byte', 'hello', (b) => (b[49] = 1)],
    ['hello padding', 'hello', (b) => (b[83] = 1)],
    ['trust mode 0', 'hello', (b) => (b[48] = 0)],
    ['trust mode 4', 'response', (b) => (b[48] = 4)],
    ['round equal to rounds', 'challenge', (b) => (b[56] = b[57])],
    ['zero rounds', 'challenge', (b) => b.fill(0, 56, 58)],
    ['more rounds than the maximum', 'response', (b) => (b[50] = MAX_ROUNDS + 1)],
    ['challenge reserved byte', 'challenge', (b) => (b[59] = 1)],
    ['response reserved byte', 'response', (b) => (b[51] = 1)],
    ['receipt with no rounds', 'receipt', (b) => (b[9] = 0)],
    ['receipt with more rounds than slots', 'receipt', (b) => (b[9] = MAX_ROUNDS + 1)],
    ['receipt reserved byte', 'receipt', (b) => (b[15] = 1)],
    ['a decisive round past the count', 'receipt', (b) => (b[10] = 5)],
    ['a decisive round that is not the fastest', 'receipt', (b) => (b[10] = 0)],
    ['a session key in software mode', 'response', (b) => (b[130] = 1)],
    ['a byte in an unused round slot', 'receipt', (b) => (b[88 + 5 * 40 + 39] = 1)],
    ['a nonce named twice', 'receipt', (b) => b.copyWithin(88 + 40, 88, 88 + 32)],
    [
      'a nonce named twice, in the first and last rounds',
      'receipt',
      (b) => b.copyWithin(88 + 4 * 40, 88, 88 + 32),
    ],
  ];
  for (const [what, kind, edit] of cases) {
    it(`throws PACKET_BAD_FIELD for ${what}`, () => {
      expect(errorCodeOf(() => parsePacket(edited(kind, edit)))).toBe('PACKET_BAD_FIELD');
    });
  }

  it('takes nonces that differ only in their last byte as two nonces', () => {
    const near = edited('receipt', (b) => {
      b.copyWithin(88 + 4 * 40, 88, 88 + 32);
      b[88 + 4 * 40 + 31] ^= 1;
    });
    expect(parseReceipt(near).rounds).toHaveLength(5);
  });

  it('refuses to encode what it would not parse, with PACKET_BAD_FIELD', () => {
    const bad: Packet[] = [
      { ...hello, deviceId: bytes(31, 0) },
      { ...hello, trustMode: 'hardware' as TrustMode },
      { ...challenge, round: 5 },
      { ...challenge, issuedAtNs: -1n },
      { ...challenge, issuedAtNs: 1n << 64n },
      { ...response, signature: bytes(63, 0) },
      { ...receipt, rounds: [] },
      { ...receipt, rounds: Array.from({ length: 9 }, (_, i) => ({ nonce: bytes(32, i), rttNs: 1n })) },
      { ...receipt, rounds: [receipt.rounds[0], receipt.rounds[0]] },
      { ...receipt, decisiveRound: 0 },
      { ...receipt, deviceSignature: bytes(63, 0) },
      { ...response, sessionKey: bytes(32, 1) },
    ];
    for (const p of bad) expect(errorCodeOf(() => encodePacket(p))).toBe('PACKET_BAD_FIELD');
    expect(errorCodeOf(() => encodePacket({ kind: 'command' } as unknown as Packet))).toBe(
      'PACKET_UNKNOWN_TYPE',
    );
  });
});

describe('when a signature does not verify', () => {
  it('throws PACKET_BAD_SIGNATURE, also for a signature of the wrong length', () => {
    const wrong = { ...receipt, signature: receipt.signature.slice(0, 63) };
    expect(errorCodeOf(() => verifyReceipt(landmarkKey.publicKey, wrong))).toBe('PACKET_BAD_SIGNATURE');
    const flipped = receipt.signature.slice();
    flipped[63] ^= 0x80;
    expect(errorCodeOf(() => verifyReceipt(landmarkKey.publicKey, { ...receipt, signature: flipped }))).toBe(
      'PACKET_BAD_SIGNATURE',
    );
  });
});

// --- the decisive round ----------------------------------------------------------------------

describe('the decisive round', () => {
  it('is the round with the smallest RTT, the earliest on ties', () => {
    expect(decisiveRoundOf([{ rttNs: 5n }, { rttNs: 3n }, { rttNs: 3n }, { rttNs: 4n }])).toBe(1);
    expect(decisiveRoundOf([{ rttNs: 7n }])).toBe(0);
    fc.assert(
      fc.property(arbReceiptBody, (b) => {
        const d = decisiveRoundOf(b.rounds);
        expect(
          b.rounds.every((r, i) => r.rttNs > b.rounds[d].rttNs || (r.rttNs === b.rounds[d].rttNs && i >= d)),
        ).toBe(true);
      }),
      RUNS,
    );
  });

  it('gives the measurement: minRttNs is the decisive round’s RTT', () => {
    expect(minRttNs(receipt)).toBe(180_000n);
    expect(receipt.decisiveRound).toBe(2);
  });
});

describe('verifyReceiptDevice: the device’s own signature, from the receipt alone', () => {
  const wrongSignature = (sig: Uint8Array) =>
    signReceipt(landmarkKey.privateKey, { ...receiptBody, deviceSignature: sig });

  it('verifies the decisive round’s signature by the key the receipt names', () => {
    verifyReceiptDevice(receipt, deviceKey.publicKey);
    verifyReceiptDevice(parseReceipt(encodeReceipt(receipt)), deviceKey.publicKey);
  });

  describe('when the key is not the one the receipt names', () => {
    it('throws RECEIPT_KEY_MISMATCH before any signature check', () => {
      expect(errorCodeOf(() => verifyReceiptDevice(receipt, landmarkKey.publicKey))).toBe(
        'RECEIPT_KEY_MISMATCH',
      );
    });
  });

  describe('when the device signature is of another round, another nonce, or flipped', () => {
    it('throws PACKET_BAD_SIGNATURE', () => {
      const otherRound = signResponse(deviceKey.privateKey, {
        landmarkId: challenge.landmarkId,
        nonce: receiptRounds[0].nonce,
        deviceId: hello.deviceId,
        round: 0,
      });
      expect(errorCodeOf(() => verifyReceiptDevice(wrongSignature(otherRound), deviceKey.publicKey))).toBe(
        'PACKET_BAD_SIGNATURE',
      );
      const sameNonceOtherRound = signResponse(deviceKey.privateKey, {
        landmarkId: challenge.landmarkId,
        nonce: receiptRounds[2].nonce,
        deviceId: hello.deviceId,
        round: 3,
      });
      expect(
        errorCodeOf(() => verifyReceiptDevice(wrongSignature(sameNonceOtherRound), deviceKey.publicKey)),
      ).toBe('PACKET_BAD_SIGNATURE');
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 511 }), (bit) => {
          const flipped = receipt.deviceSignature.slice();
          flipped[bit >> 3] ^= 1 << (bit & 7);
          expect(
            errorCodeOf(() =>
              verifyReceiptDevice({ ...receipt, deviceSignature: flipped }, deviceKey.publicKey),
            ),
          ).toBe('PACKET_BAD_SIGNATURE');
        }),
        { numRuns: 200 },
      );
    });
  });

  describe('when the key is not an Ed25519 public key', () => {
    it('throws KEY_INVALID', () => {
      const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      expect(errorCodeOf(() => verifyReceiptDevice(receipt, publicKey))).toBe('KEY_INVALID');
      expect(errorCodeOf(() => verifyReceiptDevice(receipt, deviceKey.privateKey))).toBe('KEY_INVALID');
    });
  });

  it('throws only coded errors for a hostile receipt value', () => {
    for (const bad of [
      null,
      {},
      { ...receipt, decisiveRound: 9 },
      { ...receipt, rounds: [] },
      { ...receipt, deviceSignature: 'x' },
      { ...receipt, landmarkId: bytes(3, 0) },
    ]) {
      expect(errorCodeOf(() => verifyReceiptDevice(bad as unknown as Receipt, deviceKey.publicKey))).toMatch(
        /^(PACKET_|RECEIPT_)/,
      );
    }
  });

  it('is covered by the landmark’s signature: changing the device signature breaks verifyReceipt', () => {
    const b = encodeReceipt(receipt);
    b[408] ^= 1;
    expect(errorCodeOf(() => verifyReceipt(landmarkKey.publicKey, parseReceipt(b)))).toBe(
      'PACKET_BAD_SIGNATURE',
    );
  });
});
