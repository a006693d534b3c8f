// The agent's evidence collector, against a stand-in collector that prints NVIDIA's real sample
// evidence of eight H100s (test/agent/fixtures/sample-collector.mjs): it has no GPU, so its
// evidence answers one fixed nonce only, and every request for another nonce must be refused.

import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  collectSessionEvidence,
  discoverGpuDeviceId,
  type EvidenceCommand,
  parseCollectorOutput,
  parseEvidenceCommand,
  postEvidence,
  runEvidenceCommand,
  selectEvidence,
} from '../../src/agent/evidence-collector.js';
import { gpuDeviceIdFromChain, makeSessionEvidenceBundle } from '../../src/attest/session-evidence.js';
import { errorCodeOf } from '../helpers/error-code.js';

const COLLECTOR = fileURLToPath(new URL('./fixtures/sample-collector.mjs', import.meta.url));
const SAMPLES = JSON.parse(
  readFileSync(new URL('../vectors/nvidia/nvtrust/gpu_evidence_8xH100.json', import.meta.url), 'utf8'),
) as { evidence: string; certificate: string; nonce: string }[];
const SAMPLE_NONCE = Buffer.from(SAMPLES[0].nonce, 'hex');
const chainOf = (i: number) => Buffer.from(SAMPLES[i].certificate, 'base64').toString('latin1');
const collector = (extra = ''): EvidenceCommand =>
  parseEvidenceCommand(`${process.execPath} ${COLLECTOR} --nonce {nonce} ${extra}`);
const codeOf = async (p: Promise<unknown>) =>
  p.then(
    () => 'no error',
    (e) => (e as { code?: string }).code ?? 'not a GeoattestError',
  );

describe('the evidence command', () => {
  it('is split into a program and arguments, with quotes, and must pass {nonce}', () => {
    expect(parseEvidenceCommand('nvattest collect-evidence --nonce {nonce} --format json')).toEqual({
      file: 'nvattest',
      args: ['collect-evidence', '--nonce', '{nonce}', '--format', 'json'],
    });
    expect(parseEvidenceCommand(`"/opt/nv tools/nvattest" --x 'a b' --nonce={nonce}`).args).toEqual([
      '--x',
      'a b',
      '--nonce={nonce}',
    ]);
    expect(errorCodeOf(() => parseEvidenceCommand('nvattest collect-evidence'))).toBe('USAGE');
    expect(errorCodeOf(() => parseEvidenceCommand('   '))).toBe('USAGE');
    expect(errorCodeOf(() => parseEvidenceCommand(`nvattest --nonce {nonce} "unbalanced`))).toBe('USAGE');
  });

  it('runs without a shell, the nonce substituted as hex', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'geoattest-collector-')), 'args.json');
    process.env.COLLECTOR_ARGS_OUT = out;
    try {
      await runEvidenceCommand(
        parseEvidenceCommand(`${process.execPath} ${COLLECTOR} --nonce {nonce} ';' $(id)`),
        new Uint8Array(32).fill(0xab),
        10_000,
      );
    } finally {
      delete process.env.COLLECTOR_ARGS_OUT;
    }
    // Shell syntax arrives as plain arguments: nothing interpreted it.
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(['--nonce', 'ab'.repeat(32), ';', '$(id)']);
  });

  describe('when the collector fails, hangs or prints garbage', () => {
    it('is EVIDENCE_COLLECTOR_FAILED', async () => {
      const nonce = new Uint8Array(32);
      expect(await codeOf(runEvidenceCommand(collector('--exit 3'), nonce, 10_000))).toBe(
        'EVIDENCE_COLLECTOR_FAILED',
      );
      expect(await codeOf(runEvidenceCommand(collector('--sleep 5000'), nonce, 300))).toBe(
        'EVIDENCE_COLLECTOR_FAILED',
      );
      expect(
        await codeOf(
          runEvidenceCommand(parseEvidenceCommand('/nonexistent/nvattest --nonce {nonce}'), nonce, 1000),
        ),
      ).toBe('EVIDENCE_COLLECTOR_FAILED');
      const garbage = await runEvidenceCommand(collector('--garbage'), nonce, 10_000);
      expect(errorCodeOf(() => parseCollectorOutput(garbage))).toBe('EVIDENCE_COLLECTOR_FAILED');
      const sdkError = await runEvidenceCommand(collector('--result-code 5'), nonce, 10_000);
      expect(errorCodeOf(() => parseCollectorOutput(sdkError))).toBe('EVIDENCE_COLLECTOR_FAILED');
    });
  });
});

describe('the collector output', () => {
  it('is nvattest’s {"evidences": [...]} or a bare array of the same entries', async () => {
    const out = await runEvidenceCommand(collector(), new Uint8Array(32), 10_000);
    const entries = parseCollectorOutput(out);
    expect(entries).toHaveLength(8);
    expect(entries[0].nonce).toBe(SAMPLES[0].nonce);
    expect(parseCollectorOutput(JSON.stringify(SAMPLES))).toHaveLength(8);
  });

  it('gives only EVIDENCE_COLLECTOR_FAILED for anything malformed (1000 runs)', () => {
    const good = SAMPLES[0];
    const cases = [
      '{}',
      '[]',
      JSON.stringify({ evidences: [{ ...good, evidence: 'not base64!' }] }),
      JSON.stringify({ evidences: [{ ...good, certificate: Buffer.from('hello').toString('base64') }] }),
      JSON.stringify({ evidences: [{ ...good, nonce: 'xyz' }] }),
      JSON.stringify({ evidences: Array(65).fill(good) }),
    ];
    for (const c of cases)
      expect(errorCodeOf(() => parseCollectorOutput(c))).toBe('EVIDENCE_COLLECTOR_FAILED');
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (s) => {
        expect(['no error', 'EVIDENCE_COLLECTOR_FAILED']).toContain(
          errorCodeOf(() => parseCollectorOutput(s)),
        );
      }),
      { numRuns: 1000 },
    );
  });
});

describe('choosing this GPU’s evidence', () => {
  const entries = parseCollectorOutput(JSON.stringify(SAMPLES));

  it('finds the entry whose leaf key is this device, and accepts it for the nonce it really answers', () => {
    const id = gpuDeviceIdFromChain(chainOf(5));
    expect(selectEvidence(entries, id, SAMPLE_NONCE).certChainPem).toBe(chainOf(5));
  });

  describe('when the evidence answers another nonce than the one asked', () => {
    it('is refused before anything is sent (EVIDENCE_NONCE_MISMATCH)', () => {
      const id = gpuDeviceIdFromChain(chainOf(5));
      expect(errorCodeOf(() => selectEvidence(entries, id, new Uint8Array(32).fill(1)))).toBe(
        'EVIDENCE_NONCE_MISMATCH',
      );
    });
  });

  describe('when no entry is this GPU', () => {
    it('is EVIDENCE_COLLECTOR_FAILED', () => {
      expect(errorCodeOf(() => selectEvidence(entries, new Uint8Array(32), SAMPLE_NONCE))).toBe(
        'EVIDENCE_COLLECTOR_FAILED',
      );
    });
  });

  it('discovers the device id of the GPU at an index at start-up', async () => {
    const id = await discoverGpuDeviceId(collector(), 3, new Uint8Array(32).fill(9), 10_000);
    expect(Buffer.from(id).equals(Buffer.from(gpuDeviceIdFromChain(chainOf(3))))).toBe(true);
    expect(await codeOf(discoverGpuDeviceId(collector(), 8, new Uint8Array(32), 10_000))).toBe(
      'EVIDENCE_COLLECTOR_FAILED',
    );
  });

  it('collectSessionEvidence asks for sessionKeyNonce and refuses the sample’s fixed nonce', async () => {
    const { gpuSessionReceipt } = await import('./gpu-session-receipt.js');
    const { receipt, sessionPublicKey } = gpuSessionReceipt(gpuDeviceIdFromChain(chainOf(2)), 'sg-1');
    const p = collectSessionEvidence({
      command: collector(),
      timeoutMs: 10_000,
      receipt,
      landmarkId: 'sg-1',
      sessionPublicKey,
    });
    expect(await codeOf(p)).toBe('EVIDENCE_NONCE_MISMATCH');
  });
});

describe('posting a bundle', () => {
  it('sends it as JSON and reads nothing but the status', async () => {
    const { gpuSessionReceipt } = await import('./gpu-session-receipt.js');
    const { receipt, sessionPublicKey } = gpuSessionReceipt(gpuDeviceIdFromChain(chainOf(0)), 'sg-1');
    const bundle = makeSessionEvidenceBundle({
      receipt,
      landmarkId: 'sg-1',
      sessionPublicKey,
      anchorNonce: receipt.rounds[0].nonce,
      evidence: new Uint8Array(Buffer.from(SAMPLES[0].evidence, 'base64')),
      certChainPem: chainOf(0),
    });
    const got: string[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        got.push(`${req.method} ${req.headers['content-type']} ${body}`);
        if (req.url === '/redirect') res.writeHead(302, { location: '/elsewhere' }).end();
        // A body that looks like a command: the agent must not read it.
        else res.writeHead(202, { 'content-type': 'application/json' }).end('{"command":"stop the GPU"}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      expect(await postEvidence(`${base}/v1/evidence`, bundle)).toBe(202);
      expect(got[0]).toBe(`POST application/json ${JSON.stringify(bundle)}`);
      expect(await codeOf(postEvidence(`${base}/redirect`, bundle))).toBe('IO_ERROR');
    } finally {
      server.close();
    }
  });
});
