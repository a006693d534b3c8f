// gpu-session evidence, verified purely. No GPU is here, and the real NVIDIA samples answer fixed
// nonces (test/vectors/nvidia/README.md), so no sample can answer sessionKeyNonce(session key,
// anchor) for a fresh session: the full positive path needs a real GPU. What these tests show with
// real evidence: every check before the last passes for a correctly bound bundle, the last (the
// evidence's nonce) refuses the sample with EVIDENCE_NONCE_MISMATCH, and the verifier asks exactly
// for sessionKeyNonce(session key, anchor) — which verifyNvidiaEvidence accepts for a sample when it
// is that sample's own nonce (test/attest/nvidia-spdm.test.ts).

import { generateKeyPairSync, type KeyObject, randomBytes, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sessionKeyNonce, verifyNvidiaEvidence } from '../../src/attest/nvidia-identity.js';
import {
  gpuDeviceIdFromChain,
  makeSessionEvidenceBundle,
  parseSessionEvidenceBundle,
  SESSION_EVIDENCE_FORMAT,
  type SessionEvidenceBundle,
  verifySessionEvidence,
} from '../../src/attest/session-evidence.js';
import { publicKeyToRaw } from '../../src/attest/software-identity.js';
import { GeoattestError } from '../../src/errors.js';
import {
  decisiveRoundOf,
  keyIdOfRaw,
  type Receipt,
  signReceipt,
  signResponse,
  type TrustMode,
} from '../../src/protocol/wire.js';
import { errorCodeOf } from '../helpers/error-code.js';

const VECTORS = new URL('../vectors/nvidia/', import.meta.url);
const text = (p: string) => readFileSync(new URL(p, VECTORS), 'utf8');
const hexFile = (p: string) => new Uint8Array(Buffer.from(text(p).trim(), 'hex'));
const ROOT = new X509Certificate(text('nvtrust/verifier_device_root.pem'));
const RIM_ROOT = new X509Certificate(text('nvtrust/verifier_RIM_root.pem'));
const EVIDENCE = hexFile('nvtrust/hopperAttestationReport.txt');
const CHAIN = text('nvtrust/hopperCertChain.txt');
const SAMPLE_NONCE = EVIDENCE.slice(4, 36);
const GPU_ID = gpuDeviceIdFromChain(CHAIN);
const LANDMARK = 'sg-1';
const AT = new Date('2026-01-01T00:00:10Z');

const landmarkKeys = generateKeyPairSync('ed25519');
const landmarkIdBytes = () => {
  const b = new Uint8Array(16);
  b.set(Buffer.from(LANDMARK, 'ascii'));
  return b;
};

/** A receipt as a landmark signs it after a gpu-session check-in with `session`. */
function sessionReceipt(
  session: { privateKey: KeyObject; publicKey: KeyObject },
  over: { trustMode?: TrustMode; deviceId?: Uint8Array } = {},
): Receipt {
  const rounds = [5, 3, 4].map((ms) => ({ nonce: new Uint8Array(randomBytes(32)), rttNs: BigInt(ms * 1e6) }));
  const d = decisiveRoundOf(rounds);
  const deviceId = over.deviceId ?? GPU_ID;
  return signReceipt(landmarkKeys.privateKey, {
    trustMode: over.trustMode ?? 'gpu-session',
    deviceId,
    keyId: keyIdOfRaw(publicKeyToRaw(session.publicKey)),
    landmarkId: landmarkIdBytes(),
    wallClockMs: BigInt(AT.getTime() - 5_000),
    overheadNs: 1000n,
    rounds,
    decisiveRound: d,
    deviceSignature: signResponse(session.privateKey, {
      landmarkId: landmarkIdBytes(),
      nonce: rounds[d].nonce,
      deviceId,
      round: d,
    }),
  });
}

const session = generateKeyPairSync('ed25519');
const receipt = sessionReceipt(session);
const bundleFor = (r: Receipt, over: Partial<Parameters<typeof makeSessionEvidenceBundle>[0]> = {}) =>
  makeSessionEvidenceBundle({
    receipt: r,
    landmarkId: LANDMARK,
    sessionPublicKey: publicKeyToRaw(session.publicKey),
    anchorNonce: r.rounds[0].nonce,
    evidence: EVIDENCE,
    certChainPem: CHAIN,
    ...over,
  });
const bundle = bundleFor(receipt);
const opts = { landmarkPublicKey: landmarkKeys.publicKey, roots: [ROOT], at: AT };
const verify = (b: unknown, r: Receipt = receipt, o: Partial<typeof opts & { maxDelayMs: number }> = {}) =>
  errorCodeOf(() => verifySessionEvidence(b, r, { ...opts, ...o }));

describe('a session evidence bundle', () => {
  it('is JSON with exactly the documented fields, binary ones in base64', () => {
    expect(Object.keys(bundle).sort()).toEqual(
      [
        'anchorNonce',
        'certChain',
        'deviceId',
        'evidence',
        'format',
        'landmarkId',
        'receiptHash',
        'sessionPublicKey',
      ].sort(),
    );
    expect(bundle.format).toBe(SESSION_EVIDENCE_FORMAT);
    const parsed = parseSessionEvidenceBundle(JSON.parse(JSON.stringify(bundle)));
    expect(parsed.certChainPem).toBe(CHAIN);
    expect(Buffer.from(parsed.evidence).equals(Buffer.from(EVIDENCE))).toBe(true);
  });

  it('names the GPU by SHA-256 of its leaf key (DER SubjectPublicKeyInfo)', () => {
    expect(Buffer.from(parseSessionEvidenceBundle(bundle).deviceId).equals(Buffer.from(GPU_ID))).toBe(true);
  });
});

describe('verifySessionEvidence with real GPU evidence', () => {
  it('passes every binding check and the GPU’s chain and signature, then refuses the sample’s fixed nonce (EVIDENCE_NONCE_MISMATCH)', () => {
    expect(verify(bundle)).toBe('EVIDENCE_NONCE_MISMATCH');
  });

  it('asks the GPU for exactly sessionKeyNonce(session key, anchor), which a sample answers only for its own nonce', () => {
    const asked = sessionKeyNonce(publicKeyToRaw(session.publicKey), receipt.rounds[0].nonce);
    expect(Buffer.from(asked).equals(Buffer.from(SAMPLE_NONCE))).toBe(false);
    const id = verifyNvidiaEvidence({
      evidence: EVIDENCE,
      certChainPem: CHAIN,
      expectedNonce: SAMPLE_NONCE,
      roots: [ROOT],
      at: AT,
    });
    expect(id.deviceKeyId).toBe('53c22ba15e5d68088282da074ed9fb37aa585771');
  });

  it('refuses a chain that does not end at the NVIDIA Device Identity CA (CERT_CHAIN_UNTRUSTED)', () => {
    expect(verify(bundle, receipt, { roots: [RIM_ROOT] })).toBe('CERT_CHAIN_UNTRUSTED');
  });

  it('refuses evidence the GPU did not sign (EVIDENCE_SIGNATURE_INVALID)', () => {
    const bad = hexFile('attestation-sdk/hopperAttestationReportInvalidSignature.txt');
    expect(verify(bundleFor(receipt, { evidence: bad }))).toBe('EVIDENCE_SIGNATURE_INVALID');
  });
});

describe('when the bundle does not belong to the receipt', () => {
  it('refuses a receipt in another trust mode (EVIDENCE_BINDING_MISMATCH)', () => {
    const software = sessionReceipt(session, { trustMode: 'software' });
    expect(verify(bundleFor(software), software)).toBe('EVIDENCE_BINDING_MISMATCH');
  });

  it('refuses a bundle naming another receipt, device or landmark (EVIDENCE_BINDING_MISMATCH)', () => {
    const other = sessionReceipt(session);
    expect(verify(bundleFor(other), receipt)).toBe('EVIDENCE_BINDING_MISMATCH');
    expect(verify({ ...bundle, deviceId: Buffer.alloc(32, 1).toString('base64') })).toBe(
      'EVIDENCE_BINDING_MISMATCH',
    );
    expect(verify({ ...bundle, landmarkId: 'sg-2' })).toBe('EVIDENCE_BINDING_MISMATCH');
  });

  it('refuses an anchor nonce that is none of the receipt’s rounds (EVIDENCE_BINDING_MISMATCH)', () => {
    expect(verify(bundleFor(receipt, { anchorNonce: new Uint8Array(32).fill(7) }))).toBe(
      'EVIDENCE_BINDING_MISMATCH',
    );
  });

  it('refuses a session key that is not the receipt’s key (RECEIPT_KEY_MISMATCH)', () => {
    const other = publicKeyToRaw(generateKeyPairSync('ed25519').publicKey);
    expect(verify(bundleFor(receipt, { sessionPublicKey: other }))).toBe('RECEIPT_KEY_MISMATCH');
  });

  it('refuses a receipt whose decisive round the session key did not sign (PACKET_BAD_SIGNATURE)', () => {
    const r = signReceipt(landmarkKeys.privateKey, { ...receipt, deviceSignature: new Uint8Array(64) });
    expect(verify(bundleFor(r), r)).toBe('PACKET_BAD_SIGNATURE');
  });

  it('refuses a receipt the landmark did not sign (PACKET_BAD_SIGNATURE)', () => {
    expect(verify(bundle, receipt, { landmarkPublicKey: session.publicKey })).toBe('PACKET_BAD_SIGNATURE');
  });

  it('refuses a receipt whose device id is not this GPU’s (EVIDENCE_BINDING_MISMATCH)', () => {
    const r = sessionReceipt(session, { deviceId: new Uint8Array(32).fill(3) });
    expect(verify(bundleFor(r), r)).toBe('EVIDENCE_BINDING_MISMATCH');
  });

  it('refuses a bundle judged later than maxDelayMs after the receipt (EVIDENCE_STALE)', () => {
    expect(verify(bundle, receipt, { maxDelayMs: 1_000 })).toBe('EVIDENCE_STALE');
    expect(verify(bundle, receipt, { maxDelayMs: 60_000 })).toBe('EVIDENCE_NONCE_MISMATCH');
  });
});

describe('parsing hostile bundles', () => {
  it('refuses unknown, missing and ill-typed fields, and non-canonical base64 (EVIDENCE_MALFORMED)', () => {
    const cases: unknown[] = [
      null,
      [],
      'bundle',
      { ...bundle, extra: 1 },
      { ...bundle, format: 'geoattest/v2' },
      Object.fromEntries(Object.entries(bundle).filter(([k]) => k !== 'anchorNonce')),
      { ...bundle, anchorNonce: bundle.anchorNonce.slice(0, -4) },
      { ...bundle, anchorNonce: `${bundle.anchorNonce.slice(0, -2)}B=` }, // non-zero padding bits
      { ...bundle, sessionPublicKey: 42 },
      { ...bundle, landmarkId: '' },
      { ...bundle, landmarkId: 'a-landmark-id-too-long' },
      { ...bundle, evidence: 'A'.repeat(200_000) },
      { ...bundle, certChain: Buffer.from('\u0000\u0001').toString('base64') },
    ];
    for (const c of cases)
      expect(errorCodeOf(() => parseSessionEvidenceBundle(c))).toBe('EVIDENCE_MALFORMED');
  });

  it('throws only coded errors for any JSON value or any mutated field (1000 runs)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const code = errorCodeOf(() => parseSessionEvidenceBundle(v));
        expect(code).toBe('EVIDENCE_MALFORMED');
      }),
      { numRuns: 1000 },
    );
    const keys = Object.keys(bundle) as (keyof SessionEvidenceBundle)[];
    fc.assert(
      fc.property(fc.constantFrom(...keys), fc.oneof(fc.string(), fc.jsonValue()), (k, v) => {
        const code = verify({ ...bundle, [k]: v });
        expect(code).not.toBe('not a GeoattestError');
        expect(code).not.toBe('no error');
      }),
      { numRuns: 300 },
    );
  });

  it('wraps anything unexpected as a coded error', () => {
    expect(verify(bundle, null as unknown as Receipt)).not.toBe('not a GeoattestError');
    let thrown: unknown;
    try {
      verifySessionEvidence(bundle, {} as Receipt, opts);
    } catch (x) {
      thrown = x;
    }
    expect(thrown).toBeInstanceOf(GeoattestError);
  });
});
