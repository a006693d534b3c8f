// GPU chips at the verifier, in gpu-session mode: registered by their NVIDIA certificate chain,
// their receipts stored but counted by no verdict until an evidence bundle binds the session key
// to the GPU. No GPU is here and NVIDIA's samples answer fixed nonces (test/vectors/nvidia), so
// the positive path needs a real GPU; these tests show every refusal on the way to it.

import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { gpuDeviceIdFromChain, makeSessionEvidenceBundle } from '../../src/attest/session-evidence.js';
import { publicKeyToRaw } from '../../src/attest/software-identity.js';
import { parseReceipt } from '../../src/protocol/wire.js';
import { buildApp } from '../../src/server/app.js';
import { makeReceipt } from '../../src/sim/receipt-factory.js';
import { keyPair, openTestVerifier, type TestDb } from '../helpers/verifier-world.js';

const VECTORS = new URL('../vectors/nvidia/nvtrust/', import.meta.url);
const text = (p: string) => readFileSync(new URL(p, VECTORS), 'utf8');
const CHAIN = text('hopperCertChain.txt');
const EVIDENCE = new Uint8Array(Buffer.from(text('hopperAttestationReport.txt').trim(), 'hex'));
const ROOT = new X509Certificate(text('verifier_device_root.pem'));
const GPU_ID = gpuDeviceIdFromChain(CHAIN);
// Inside the sample chain's validity, so the evidence is judged on its nonce.
const T0 = Date.parse('2026-01-01T00:00:00Z');

describe('gpu-session chips at the verifier', () => {
  let t: TestDb;
  const clock = { now: T0 };
  const landmark = keyPair();
  const session = generateKeyPairSync('ed25519');
  const sessionRaw = publicKeyToRaw(session.publicKey);
  const gpuReceipt = () =>
    makeReceipt({
      landmarkId: 'HKG',
      landmark,
      device: { privateKey: session.privateKey, raw: sessionRaw },
      deviceId: GPU_ID,
      trustMode: 'gpu-session',
      rttsMs: [0.3, 0.2],
      wallMs: clock.now,
    });

  beforeEach(async () => {
    clock.now = T0;
    t = await openTestVerifier('sqlite', { now: () => clock.now, nvidiaRoots: [ROOT] });
    const v = t.verifier;
    await v.ledger.addOrg({ id: 'nv', name: 'Exporter', kind: 'exporter' }, 't', clock.now);
    await v.ledger.addOrg({ id: 'eu', name: 'End user', kind: 'end-user' }, 't', clock.now);
    await v.ledger.addOrg({ id: 'ops', name: 'Ops', kind: 'landmark-operator' }, 't', clock.now);
    await v.ledger.addLandmark(
      { id: 'HKG', operatorId: 'ops', lat: 22.32, lon: 114.17, publicKey: landmark.base64 },
      't',
      clock.now,
    );
    await v.ledger.addLicence(
      {
        id: 'L-HK',
        exporterId: 'nv',
        endUserId: 'eu',
        destinations: [{ country: 'HK' }],
        models: ['H100'],
        quantity: 5,
        validFrom: T0 - 1,
        validTo: T0 + 1e10,
      },
      't',
      clock.now,
    );
  });
  /** The sample GPU, registered by its NVIDIA chain under the Hong Kong licence. */
  const registerGpu = (v: TestDb['verifier']) =>
    v.ledger.addChip(
      {
        id: 'GPU-H100',
        model: 'H100',
        identityMode: 'gpu-session',
        certificateChain: CHAIN,
        licenceId: 'L-HK',
      },
      't',
      clock.now,
    );
  afterEach(async () => {
    await t.cleanup();
  });

  it('registers a GPU by its certificate chain: its device id is the SHA-256 of its identity key', async () => {
    const chip = await registerGpu(t.verifier);
    expect(chip).toMatchObject({
      identityMode: 'gpu-session',
      deviceId: Buffer.from(GPU_ID).toString('hex'),
      keyId: '',
    });
    await expect(
      t.verifier.ledger.addChip(
        {
          id: 'GPU-BAD',
          model: 'H100',
          identityMode: 'gpu-session',
          certificateChain: 'not a chain',
          licenceId: 'L-HK',
        },
        't',
        clock.now,
      ),
    ).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  });

  it('stores a gpu-session receipt but counts it in no verdict until its evidence is verified', async () => {
    const v = t.verifier;
    await registerGpu(v);
    const res = await v.ingestion.ingest(
      [Buffer.from(gpuReceipt()).toString('base64')],
      { name: 't' },
      clock.now,
    );
    expect(res).toMatchObject({ accepted: 1, rejected: [] });
    await v.engine.drain(() => clock.now);
    const verdict = await v.evidence.latestVerdict('GPU-H100');
    expect(verdict?.verdict).toBe('unverified');
    expect(JSON.parse(verdict!.evidence)).toEqual([]);
  });

  it('refuses a receipt in the other mode than the chip’s', async () => {
    const v = t.verifier;
    await registerGpu(v);
    const soft = keyPair();
    await v.ledger.addChip(
      { id: 'SOFT-1', model: 'H100', publicKey: soft.base64, licenceId: 'L-HK' },
      't',
      clock.now,
    );
    const softwareForGpu = makeReceipt({
      landmarkId: 'HKG',
      landmark,
      device: { privateKey: session.privateKey, raw: sessionRaw },
      deviceId: GPU_ID,
      rttsMs: [0.2],
      wallMs: clock.now,
    });
    const gpuForSoftware = makeReceipt({
      landmarkId: 'HKG',
      landmark,
      device: soft,
      trustMode: 'gpu-session',
      rttsMs: [0.2],
      wallMs: clock.now,
    });
    const res = await v.ingestion.ingest(
      [softwareForGpu, gpuForSoftware].map((b) => Buffer.from(b).toString('base64')),
      { name: 't' },
      clock.now,
    );
    expect(res.rejected.map((x) => x.code)).toEqual(['KEY_MISMATCH', 'KEY_MISMATCH']);
  });

  it('refuses evidence that does not answer the session’s nonce, and stores nothing', async () => {
    const v = t.verifier;
    await registerGpu(v);
    const bytes = gpuReceipt();
    await v.ingestion.ingest([Buffer.from(bytes).toString('base64')], { name: 't' }, clock.now);
    const receipt = parseReceipt(bytes);
    const bundle = makeSessionEvidenceBundle({
      receipt,
      landmarkId: 'HKG',
      sessionPublicKey: sessionRaw,
      anchorNonce: receipt.rounds[0].nonce,
      evidence: EVIDENCE,
      certChainPem: CHAIN,
    });
    const app = await buildApp({ verifier: v, logger: false });
    try {
      const post = (body: unknown) =>
        app.inject({ method: 'POST', url: '/v1/evidence', payload: body as object });
      const res = await post(bundle);
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('EVIDENCE_NONCE_MISMATCH');
      const unknown = await post({ ...bundle, receiptHash: Buffer.alloc(32, 9).toString('base64') });
      expect(unknown.statusCode).toBe(404);
      expect(await v.store.db.selectFrom('session_evidence').selectAll().execute()).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('refuses all GPU evidence when no NVIDIA root is configured', async () => {
    const v2 = await openTestVerifier('sqlite', { now: () => clock.now });
    try {
      const app = await buildApp({ verifier: v2.verifier, logger: false });
      const res = await app.inject({
        method: 'POST',
        url: '/v1/evidence',
        payload: {
          format: 'x',
          deviceId: 'AAAA',
          landmarkId: 'HKG',
          receiptHash: 'AAAA',
          sessionPublicKey: 'AAAA',
          anchorNonce: 'AAAA',
          evidence: 'AAAA',
          certChain: 'AAAA',
        },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('CERT_CHAIN_UNTRUSTED');
      await app.close();
    } finally {
      await v2.cleanup();
    }
  });
});
