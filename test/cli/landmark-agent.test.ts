// The README's walk-through, as processes: keygen, a landmark, an agent checking in with it.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { gpuDeviceIdFromChain } from '../../src/attest/session-evidence.js';

const BIN = join(process.cwd(), 'bin/geoattest.js');
const cli = (args: string[]) => spawnSync('node', [BIN, ...args], { encoding: 'utf8' });

describe('geoattest landmark and geoattest agent, as processes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'geoattest-walk-'));
  const landmarkKey = JSON.parse(cli(['keygen', '--out', join(dir, 'landmark.key'), '--json']).stdout);
  const chipKey = JSON.parse(cli(['keygen', '--out', join(dir, 'chip.key'), '--json']).stdout);
  writeFileSync(
    join(dir, 'devices.jsonl'),
    `${JSON.stringify({ device: 'H100-0001', publicKey: chipKey.publicKey })}\n`,
  );
  const COLLECTOR = join(process.cwd(), 'test/agent/fixtures/sample-collector.mjs');
  const samples = JSON.parse(
    readFileSync(join(process.cwd(), 'test/vectors/nvidia/nvtrust/gpu_evidence_8xH100.json'), 'utf8'),
  ) as { certificate: string }[];
  const GPU2 = Buffer.from(
    gpuDeviceIdFromChain(Buffer.from(samples[2].certificate, 'base64').toString('latin1')),
  ).toString('hex');
  writeFileSync(join(dir, 'gpus.jsonl'), `${JSON.stringify({ device: 'H100-GPU2', deviceId: GPU2 })}\n`);
  let landmark: ChildProcess | undefined;
  afterAll(() => landmark?.kill('SIGKILL'));

  it('a landmark started from its key answers an agent, which exits 0 with a receipt', async () => {
    landmark = spawn(
      'node',
      [
        BIN,
        'landmark',
        '--key',
        join(dir, 'landmark.key'),
        '--id',
        'sg-1',
        '--lat',
        '1.29',
        '--lon',
        '103.85',
        '--devices',
        join(dir, 'devices.jsonl'),
        '--gpu-devices',
        join(dir, 'gpus.jsonl'),
        '--listen',
        '127.0.0.1:0',
        '--log',
        join(dir, 'receipts.log'),
        '--json',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const events = createInterface({ input: landmark.stdout! });
    const seen: Record<string, unknown>[] = [];
    const next = (event: string) =>
      new Promise<Record<string, unknown>>((resolve) => {
        const hit = seen.find((e) => e.event === event);
        if (hit) return resolve(hit);
        events.on('line', (l) => {
          const e = JSON.parse(l);
          seen.push(e);
          if (e.event === event) resolve(e);
        });
      });
    const listening = await next('listening');
    const port = Number(String(listening.udp).split(':')[1]);
    expect(listening.publicKey).toBe(landmarkKey.publicKey);
    writeFileSync(
      join(dir, 'landmarks.jsonl'),
      `${JSON.stringify({ id: 'sg-1', host: '127.0.0.1', port, publicKey: landmarkKey.publicKey })}\n`,
    );
    const agent = cli([
      'agent',
      '--key',
      join(dir, 'chip.key'),
      '--device-id',
      'H100-0001',
      '--landmarks',
      join(dir, 'landmarks.jsonl'),
      '--once',
      '--json',
    ]);
    expect(agent.status).toBe(0);
    const lines = agent.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.find((l) => l.event === 'receipt')).toMatchObject({ from: 'sg-1', rounds: 5 });
    expect(lines.find((l) => l.event === 'disclosed').messages).toEqual([
      'hello',
      'response#0',
      'response#1',
      'response#2',
      'response#3',
      'response#4',
    ]);
    expect(await next('receipt')).toMatchObject({ device: 'H100-0001', trustMode: 'software', rounds: 5 });

    // gpu-session: no key file; the agent finds its GPU through the evidence collector (here a
    // stand-in printing NVIDIA's real sample evidence of eight H100s, which answers one fixed
    // nonce), checks in with a fresh session key, and then refuses the sample evidence because it
    // does not answer sessionKeyNonce(session key, round 0's nonce).
    const agentGpu = cli([
      'agent',
      '--trust-mode',
      'gpu-session',
      '--evidence-command',
      `${process.execPath} ${COLLECTOR} --nonce {nonce}`,
      '--gpu-index',
      '2',
      '--device-id',
      'H100-GPU2',
      '--landmarks',
      join(dir, 'landmarks.jsonl'),
      '--evidence-log',
      join(dir, 'agent.evidence'),
      '--once',
      '--json',
    ]);
    const gpuLines = agentGpu.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(gpuLines.find((l) => l.event === 'disclosed')).toMatchObject({
      trustMode: 'gpu-session',
      deviceId: GPU2,
    });
    expect(gpuLines.find((l) => l.event === 'receipt')).toMatchObject({ from: 'sg-1', rounds: 5 });
    expect(gpuLines.find((l) => l.event === 'no-evidence')).toMatchObject({
      code: 'EVIDENCE_NONCE_MISMATCH',
    });
    expect(agentGpu.status).toBe(1); // a gpu-session receipt without its evidence proves nothing
    const gpuReceipt = await new Promise<Record<string, unknown>>((resolve) => {
      const hit = seen.find((e) => e.event === 'receipt' && e.trustMode === 'gpu-session');
      if (hit) return resolve(hit);
      events.on('line', (l) => {
        const e = JSON.parse(l);
        if (e.event === 'receipt' && e.trustMode === 'gpu-session') resolve(e);
      });
    });
    expect(gpuReceipt).toMatchObject({ device: 'H100-GPU2', rounds: 5 });

    const stopped = next('stopped');
    landmark.kill('SIGINT');
    expect(await stopped).toMatchObject({ receipts: 2 });
  }, 60_000);

  it('an agent refuses a world-readable key', () => {
    const open = join(dir, 'open.key');
    cli(['keygen', '--out', open]);
    spawnSync('chmod', ['644', open]);
    const r = cli([
      'agent',
      '--key',
      open,
      '--device-id',
      'x',
      '--landmarks',
      join(dir, 'devices.jsonl'),
      '--once',
    ]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/chmod 600/);
  });
});
