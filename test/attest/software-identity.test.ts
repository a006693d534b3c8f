// The `software-ed25519` identity, checked against RFC 8032 §7.1 and by properties.

import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  deviceKeyId,
  newEd25519KeyPair,
  publicKeyFromRaw,
  publicKeyToRaw,
  signWithDeviceKey,
  verifyDeviceSignature,
} from '../../src/attest/software-identity.js';
import { errorCodeOf } from '../helpers/error-code.js';

const hex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

// RFC 8032 §7.1, TEST 2 (one-byte message 0x72).
const RFC8032_TEST2 = {
  secret: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
  public: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
  message: '72',
  signature:
    '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
};

function rfcPrivateKey(): KeyObject {
  // PKCS#8 for Ed25519 (RFC 8410 §7): fixed prefix then the 32-byte seed.
  const der = Buffer.concat([
    Buffer.from('302e020100300506032b657004220420', 'hex'),
    hex(RFC8032_TEST2.secret),
  ]);
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
}

describe('the software-ed25519 identity (RFC 8032 §7.1 TEST 2)', () => {
  const priv = rfcPrivateKey();
  const pub = publicKeyFromRaw(hex(RFC8032_TEST2.public));

  it('signs as the RFC does (Ed25519 is deterministic)', () => {
    expect(toHex(signWithDeviceKey(priv, hex(RFC8032_TEST2.message)))).toBe(RFC8032_TEST2.signature);
  });

  it('verifies the RFC signature with the raw key and with the KeyObject', () => {
    const msg = hex(RFC8032_TEST2.message);
    const sig = hex(RFC8032_TEST2.signature);
    expect(verifyDeviceSignature(pub, msg, sig)).toBe(true);
    expect(verifyDeviceSignature(hex(RFC8032_TEST2.public), msg, sig)).toBe(true);
  });

  it('round-trips the raw public key', () => {
    expect(toHex(publicKeyToRaw(pub))).toBe(RFC8032_TEST2.public);
  });

  it('names the key by the first 8 bytes of SHA-256 of its raw public key', () => {
    const expected = createHash('sha256').update(hex(RFC8032_TEST2.public)).digest('hex').slice(0, 16);
    expect(deviceKeyId(hex(RFC8032_TEST2.public))).toBe(expected);
    expect(deviceKeyId(hex(RFC8032_TEST2.public))).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('signatures of fresh keys', () => {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');

  it('verify for any payload, and fail for any flipped bit of payload or signature (1000 runs)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), fc.nat(), fc.nat(7), (payload, where, bit) => {
        const sig = signWithDeviceKey(privateKey, payload);
        expect(sig).toHaveLength(64);
        expect(verifyDeviceSignature(publicKey, payload, sig)).toBe(true);
        const badSig = sig.slice();
        badSig[where % 64] ^= 1 << bit;
        expect(verifyDeviceSignature(publicKey, payload, badSig)).toBe(false);
        if (payload.length > 0) {
          const badPayload = payload.slice();
          badPayload[where % payload.length] ^= 1 << bit;
          expect(verifyDeviceSignature(publicKey, badPayload, sig)).toBe(false);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('do not verify under another key', () => {
    const other = generateKeyPairSync('ed25519').publicKey;
    const payload = new Uint8Array([1, 2, 3]);
    expect(verifyDeviceSignature(other, payload, signWithDeviceKey(privateKey, payload))).toBe(false);
  });
});

describe('when a signature has the wrong length', () => {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const payload = new Uint8Array([1, 2, 3]);
  const sig = signWithDeviceKey(privateKey, payload);

  it('is false, for a byte short, a byte long and empty', () => {
    expect(verifyDeviceSignature(publicKey, payload, sig.subarray(0, 63))).toBe(false);
    expect(verifyDeviceSignature(publicKey, payload, Buffer.concat([sig, Buffer.from([0])]))).toBe(false);
    expect(verifyDeviceSignature(publicKey, payload, new Uint8Array(0))).toBe(false);
  });
});

describe('when a key is not an Ed25519 key of the right kind', () => {
  const ed = generateKeyPairSync('ed25519');
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const payload = new Uint8Array([1]);

  it('rejects raw public keys that are not 32 bytes with KEY_INVALID', () => {
    for (const n of [0, 31, 33, 64]) {
      expect(errorCodeOf(() => publicKeyFromRaw(new Uint8Array(n)))).toBe('KEY_INVALID');
      expect(errorCodeOf(() => deviceKeyId(new Uint8Array(n)))).toBe('KEY_INVALID');
    }
    expect(errorCodeOf(() => deviceKeyId('00' as unknown as Uint8Array))).toBe('KEY_INVALID');
  });

  it('refuses to export a private key or a non-Ed25519 key as a raw public key', () => {
    expect(errorCodeOf(() => publicKeyToRaw(ed.privateKey))).toBe('KEY_INVALID');
    expect(errorCodeOf(() => publicKeyToRaw(ec.publicKey))).toBe('KEY_INVALID');
  });

  it('refuses to sign with a public key or an ECDSA key', () => {
    expect(errorCodeOf(() => signWithDeviceKey(ed.publicKey, payload))).toBe('KEY_INVALID');
    expect(errorCodeOf(() => signWithDeviceKey(ec.privateKey, payload))).toBe('KEY_INVALID');
  });

  it('refuses to verify with a private key or an ECDSA key', () => {
    const sig = signWithDeviceKey(ed.privateKey, payload);
    expect(errorCodeOf(() => verifyDeviceSignature(ed.privateKey, payload, sig))).toBe('KEY_INVALID');
    expect(errorCodeOf(() => verifyDeviceSignature(ec.publicKey, payload, sig))).toBe('KEY_INVALID');
    expect(errorCodeOf(() => verifyDeviceSignature(new Uint8Array(31), payload, sig))).toBe('KEY_INVALID');
  });
});

describe('raw public keys', () => {
  it('round-trip through KeyObjects for fresh keys', () => {
    for (let i = 0; i < 20; i++) {
      const { publicKey } = generateKeyPairSync('ed25519');
      const raw = publicKeyToRaw(publicKey);
      expect(raw).toHaveLength(32);
      expect(publicKeyFromRaw(raw).equals(publicKey)).toBe(true);
    }
  });
});

describe('newEd25519KeyPair', () => {
  it('gives the raw public key of its private key, which signs what that key verifies', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const { privateKey, raw } = newEd25519KeyPair();
      expect(raw).toHaveLength(32);
      expect(toHex(publicKeyToRaw(createPublicKey(privateKey)))).toBe(toHex(raw));
      const message = new Uint8Array([i & 0xff, 7]);
      expect(verifyDeviceSignature(raw, message, signWithDeviceKey(privateKey, message))).toBe(true);
      seen.add(toHex(raw));
    }
    expect(seen.size).toBe(200);
  });
});
