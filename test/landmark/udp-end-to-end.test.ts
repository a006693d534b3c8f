import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkIn } from '../../src/agent/check-in.js';
import { newGpuSessionIdentity } from '../../src/agent/gpu-session.js';
import {
  gpuDeviceIdFromChain,
  makeSessionEvidenceBundle,
  verifySessionEvidence,
} from '../../src/attest/session-evidence.js';
import { deviceKeyId, publicKeyFromRaw, publicKeyToRaw } from '../../src/attest/software-identity.js';
import { AppendLog } from '../../src/io/append-log.js';
import { deviceIdOf, landmarkIdBytes } from '../../src/landmark/landmark-core.js';
import { LandmarkServer } from '../../src/landmark/landmark-server.js';
import { parseReceipt, verifyReceipt, verifyReceiptDevice } from '../../src/protocol/wire.js';
import { DelayRelay } from '../../src/sim/udp-relay.js';
import { errorCodeOf } from '../helpers/error-code.js';

function identity() {
  const keys = generateKeyPairSync('ed25519');
  const raw = publicKeyToRaw(keys.publicKey);
  return {
    keys,
    me: {
      deviceId: deviceIdOf(raw),
      keyId: Buffer.from(deviceKeyId(raw), 'hex'),
      trustMode: 'software' as const,
      privateKey: keys.privateKey,
    },
  };
}

describe('a landmark and an agent over real UDP on loopback', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'geoattest-udp-'));
  const chip = identity();
  const impostor = identity();
  const landmarkKeys = generateKeyPairSync('ed25519');
  const accepted: string[] = [];
  const verifier = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      accepted.push(...(JSON.parse(body).receipts as string[]));
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => verifier.listen(0, '127.0.0.1', resolve));
  const logPath = join(dir, 'receipts.log');
  const server = new LandmarkServer({
    id: 'lo-1',
    host: '127.0.0.1',
    port: 0,
    privateKey: landmarkKeys.privateKey,
    // The impostor claims the chip's device id and key id but signs with its own key.
    devices: (id, kid) =>
      Buffer.from(id).equals(Buffer.from(chip.me.deviceId)) &&
      Buffer.from(kid).equals(Buffer.from(chip.me.keyId))
        ? chip.keys.publicKey
        : undefined,
    logPath,
    submitUrl: `http://127.0.0.1:${(verifier.address() as { port: number }).port}/v1/receipts`,
  });
  const port = await server.start();
  const contact = (p: number) => ({
    id: 'lo-1',
    host: '127.0.0.1',
    port: p,
    landmarkId: landmarkIdBytes('lo-1'),
    publicKey: landmarkKeys.publicKey,
  });
  afterAll(async () => {
    await server.close();
    verifier.close();
  });

  it('checks in: five timed rounds, a receipt both sides verify, logged and submitted', async () => {
    const r = await checkIn(chip.me, contact(port));
    expect(r.error).toBeUndefined();
    expect(r.receipt!.rounds).toHaveLength(5);
    verifyReceipt(landmarkKeys.publicKey, r.receipt!);
    for (const round of r.receipt!.rounds) {
      expect(round.rttNs).toBeGreaterThan(0n);
      expect(round.rttNs).toBeLessThan(200_000_000n);
    }
    expect(r.disclosures.map((d) => d.message)).toEqual([
      'hello',
      'response',
      'response',
      'response',
      'response',
      'response',
    ]);
    // The landmark makes the receipt durable off the event loop, right after replying.
    for (let i = 0; i < 100 && AppendLog.read(logPath).length === 0; i++)
      await new Promise((r) => setTimeout(r, 20));
    const logged = AppendLog.read(logPath);
    expect(logged).toHaveLength(1);
    expect(Buffer.from(parseReceipt(logged[0]).signature).equals(Buffer.from(r.receipt!.signature))).toBe(
      true,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(accepted).toHaveLength(1);
  });

  it('an agent whose key does not match its registration gets no receipt', async () => {
    const r = await checkIn(
      { ...impostor.me, deviceId: chip.me.deviceId, keyId: chip.me.keyId },
      contact(port),
      800,
    );
    expect(r.receipt).toBeUndefined();
    expect(server.dropped.get('PACKET_BAD_SIGNATURE')).toBe(1);
  });

  it('a relay that adds 2 ms each way shows in every round: relays only add time', async () => {
    const relay = new DelayRelay({
      listen: { host: '127.0.0.1', port: 0 },
      target: { host: '127.0.0.1', port },
      upMs: 2,
      downMs: 2,
    });
    const relayPort = await relay.start();
    const r = await checkIn(chip.me, contact(relayPort));
    relay.close();
    expect(r.receipt).toBeDefined();
    for (const round of r.receipt!.rounds) expect(round.rttNs).toBeGreaterThanOrEqual(4_000_000n);
  });
});

describe('gpu-session over real UDP on loopback, with a real session key', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'geoattest-gpu-udp-'));
  const SAMPLES = JSON.parse(
    readFileSync(new URL('../vectors/nvidia/nvtrust/gpu_evidence_8xH100.json', import.meta.url), 'utf8'),
  ) as { evidence: string; certificate: string }[];
  const chain = Buffer.from(SAMPLES[0].certificate, 'base64').toString('latin1');
  const gpuId = gpuDeviceIdFromChain(chain);
  const landmarkKeys = generateKeyPairSync('ed25519');
  const server = new LandmarkServer({
    id: 'lo-gpu',
    host: '127.0.0.1',
    port: 0,
    privateKey: landmarkKeys.privateKey,
    devices: () => undefined,
    gpuDevices: (id) => Buffer.from(id).equals(Buffer.from(gpuId)),
    logPath: join(dir, 'receipts.log'),
  });
  const port = await server.start();
  const contact = {
    id: 'lo-gpu',
    host: '127.0.0.1',
    port,
    landmarkId: landmarkIdBytes('lo-gpu'),
    publicKey: landmarkKeys.publicKey,
  };
  afterAll(() => server.close());

  it('checks in with a fresh session key: the receipt records gpu-session and re-verifies from itself alone', async () => {
    const me = newGpuSessionIdentity(gpuId);
    const r = await checkIn(me, contact);
    expect(r.error).toBeUndefined();
    const receipt = r.receipt!;
    expect(receipt.trustMode).toBe('gpu-session');
    expect(Buffer.from(receipt.deviceId).equals(Buffer.from(gpuId))).toBe(true);
    verifyReceipt(landmarkKeys.publicKey, receipt);
    verifyReceiptDevice(receipt, publicKeyFromRaw(me.sessionKey));
    // Another session key cannot claim this receipt.
    expect(errorCodeOf(() => verifyReceiptDevice(receipt, generateKeyPairSync('ed25519').publicKey))).toBe(
      'RECEIPT_KEY_MISMATCH',
    );

    // The evidence part, purely: a bundle bound to this very receipt passes every binding check and
    // the GPU's chain and signature; the sample GPU evidence answers its own fixed nonce, not this
    // session's, so it is refused. A real GPU asked for sessionKeyNonce(...) is needed to pass.
    const bundle = makeSessionEvidenceBundle({
      receipt,
      landmarkId: 'lo-gpu',
      sessionPublicKey: me.sessionKey,
      anchorNonce: receipt.rounds[0].nonce,
      evidence: new Uint8Array(Buffer.from(SAMPLES[0].evidence, 'base64')),
      certChainPem: chain,
    });
    const root = new X509Certificate(
      readFileSync(new URL('../vectors/nvidia/nvtrust/verifier_device_root.pem', import.meta.url)),
    );
    expect(
      errorCodeOf(() =>
        verifySessionEvidence(bundle, receipt, {
          landmarkPublicKey: landmarkKeys.publicKey,
          roots: [root],
          at: new Date(),
        }),
      ),
    ).toBe('EVIDENCE_NONCE_MISMATCH');
  });

  it('refuses gpu-evidence HELLOs with TRUST_MODE_UNSUPPORTED and answers nothing', async () => {
    const r = await checkIn({ ...newGpuSessionIdentity(gpuId), trustMode: 'gpu-evidence' }, contact, 500);
    expect(r.receipt).toBeUndefined();
    expect(server.dropped.get('TRUST_MODE_UNSUPPORTED')).toBe(1);
  });
});
