// npm run bench:landmark — the landmark stack on loopback, each figure beside a baseline measured
// in the same run:
//  1. added time per round trip: a HELLO→CHALLENGE and a RESPONSE→CHALLENGE through the landmark,
//     against a bare UDP echo server (same client, same socket, interleaved);
//  2. sessions per second one landmark process sustains with signature checking (one Ed25519
//     verification of the decisive round and one receipt signature per session), while agents in
//     another process (the other core) check in as fast as they can;
//  3. memory under a flood of garbage and of valid HELLOs from another process (default 60 s).
// Options: --rounds N (2000) --sessions-seconds N (10) --flood-seconds N (60) --json

import { fork } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { AgentSession } from '../src/agent/agent-session.js';
import { checkIn } from '../src/agent/check-in.js';
import { deviceKeyId, publicKeyFromRaw, publicKeyToRaw } from '../src/attest/software-identity.js';
import { deviceIdOf, landmarkIdBytes } from '../src/landmark/landmark-core.js';
import { LandmarkServer } from '../src/landmark/landmark-server.js';
import { quantile, table } from './table.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '2000' },
    'sessions-seconds': { type: 'string', default: '10' },
    'flood-seconds': { type: 'string', default: '60' },
    role: { type: 'string' },
    port: { type: 'string' },
    device: { type: 'string' },
    landmark: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});

// ---- child roles -------------------------------------------------------------------------------

if (values.role === 'agents') {
  // Check in as fast as possible, 64 sessions in flight, until told to stop.
  const d = JSON.parse(values.device!);
  const me = {
    deviceId: Uint8Array.from(Buffer.from(d.deviceId, 'hex')),
    keyId: Uint8Array.from(Buffer.from(d.keyId, 'hex')),
    trustMode: 'software' as const,
    privateKey: (await import('node:crypto')).createPrivateKey(d.privateKeyPem),
  };
  const contact = {
    id: 'bench',
    host: '127.0.0.1',
    port: Number(values.port),
    landmarkId: landmarkIdBytes('bench'),
    publicKey: publicKeyFromRaw(Uint8Array.from(Buffer.from(values.landmark!, 'base64'))),
  };
  let stop = false;
  process.on('message', () => {
    stop = true;
  });
  const worker = async () => {
    while (!stop) await checkIn(me, contact, 2000);
  };
  await Promise.all(Array.from({ length: 64 }, worker));
  process.exit(0);
}

if (values.role === 'flood') {
  // Half garbage, half valid HELLOs from ever-changing device ids, as fast as the socket takes.
  const s = createSocket('udp4');
  const port = Number(values.port);
  const hello = Buffer.from(values.device!, 'base64');
  let stop = false;
  process.on('message', () => {
    stop = true;
  });
  let i = 0;
  const burst = () => {
    if (stop) return process.exit(0);
    for (let k = 0; k < 200; k++, i++) {
      const p = i % 2 === 0 ? randomBytes(1 + (i % 600)) : Buffer.from(hello);
      if (i % 2 === 1) p.writeUInt32BE(i, 8); // a fresh device id each time
      s.send(p, port, '127.0.0.1');
    }
    setImmediate(burst);
  };
  burst();
} else {
  await main();
}

// ---- the benchmark -----------------------------------------------------------------------------

async function main() {
  const landmarkKeys = generateKeyPairSync('ed25519');
  const device = generateKeyPairSync('ed25519');
  const raw = publicKeyToRaw(device.publicKey);
  const deviceId = deviceIdOf(raw);
  const keyId = Buffer.from(deviceKeyId(raw), 'hex');
  const dir = mkdtempSync(join(tmpdir(), 'geoattest-bench-'));
  const server = new LandmarkServer({
    id: 'bench',
    host: '127.0.0.1',
    port: 0,
    privateKey: landmarkKeys.privateKey,
    devices: () => device.publicKey,
    logPath: join(dir, 'receipts.log'),
    rounds: 5,
    perSourcePerSecond: 1e9,
    perDevicePerSecond: 1e9,
    // The agents' process runs 64 sessions at once from one address.
    maxSessionsPerSource: 1000,
  });
  const port = await server.start();
  const echo = createSocket('udp4');
  echo.on('message', (m, r) => echo.send(m, r.port, r.address));
  await new Promise<void>((resolve) => echo.bind(0, '127.0.0.1', resolve));

  // 1. Added time per round trip, interleaved with the echo baseline.
  const client = createSocket('udp4');
  await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', resolve));
  let waiting: ((m: Buffer, t: bigint) => void) | undefined;
  client.on('message', (m) => waiting?.(m, process.hrtime.bigint()));
  const exchange = (bytes: Uint8Array, to: number) =>
    new Promise<{ reply: Buffer; us: number }>((resolve) => {
      const t0 = process.hrtime.bigint();
      waiting = (reply, t) => resolve({ reply, us: Number(t - t0) / 1000 });
      client.send(bytes, to, '127.0.0.1');
    });
  const contact = {
    id: 'bench',
    host: '127.0.0.1',
    port,
    landmarkId: landmarkIdBytes('bench'),
    publicKey: landmarkKeys.publicKey,
  };
  const echoUs: number[] = [];
  const helloUs: number[] = [];
  const responseUs: number[] = [];
  const n = Number(values.rounds);
  for (let i = 0; i < n; i++) {
    const session = new AgentSession(
      { deviceId, keyId, trustMode: 'software', privateKey: device.privateKey },
      contact,
    );
    const hello = session.hello().reply!;
    echoUs.push((await exchange(hello, echo.address().port)).us);
    const c = await exchange(hello, port);
    helloUs.push(c.us);
    const response = session.handle(c.reply, { address: '127.0.0.1', port }).reply!;
    echoUs.push((await exchange(response, echo.address().port)).us);
    responseUs.push((await exchange(response, port)).us);
  }
  client.close();
  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  const echoMedian = quantile(sorted(echoUs), 0.5);
  const added = (xs: number[]) => sorted(xs).map((x) => x - echoMedian);

  // 2. Sessions per second, agents in another process.
  const self = fileURLToPath(import.meta.url);
  const deviceArg = JSON.stringify({
    deviceId: Buffer.from(deviceId).toString('hex'),
    keyId: keyId.toString('hex'),
    privateKeyPem: device.privateKey.export({ format: 'pem', type: 'pkcs8' }),
  });
  const landmarkArg = Buffer.from(publicKeyToRaw(landmarkKeys.publicKey)).toString('base64');
  const before = server.receipts;
  const agents = fork(self, [
    '--role',
    'agents',
    '--port',
    String(port),
    '--device',
    deviceArg,
    '--landmark',
    landmarkArg,
  ]);
  const sessionSecs = Number(values['sessions-seconds']);
  await new Promise((resolve) => setTimeout(resolve, 1000)); // warm up
  const start = server.receipts;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  await new Promise((resolve) => setTimeout(resolve, sessionSecs * 1000));
  const cpu = process.cpuUsage(cpu0);
  const wallSecs = (performance.now() - t0) / 1000;
  const sessions = server.receipts - start;
  const sessionsPerSecond = sessions / wallSecs;
  // The landmark's own CPU time per session: what one fully busy core would sustain, whether or
  // not the agents' process (signing every round) kept it busy.
  const cpuSecs = (cpu.user + cpu.system) / 1e6;
  const sessionsPerCpuSecond = sessions / cpuSecs;
  const landmarkCpuShare = cpuSecs / wallSecs;
  agents.send('stop');
  await new Promise((resolve) => agents.once('exit', resolve));

  // 3. Memory under a flood.
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  const floodSecs = Number(values['flood-seconds']);
  const hello = new AgentSession(
    { deviceId, keyId, trustMode: 'software', privateKey: device.privateKey },
    contact,
  ).hello().reply!;
  const flood = fork(self, [
    '--role',
    'flood',
    '--port',
    String(port),
    '--device',
    Buffer.from(hello).toString('base64'),
  ]);
  const samples: number[] = [];
  const receivedBefore = [...server.dropped.values()].reduce((a, b) => a + b, 0);
  for (let s = 0; s < floodSecs; s++) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    samples.push(process.memoryUsage().rss);
  }
  flood.send('stop');
  await new Promise((resolve) => flood.once('exit', resolve));
  const droppedDuringFlood = [...server.dropped.values()].reduce((a, b) => a + b, 0) - receivedBefore;
  await server.close();
  echo.close();

  const mb = (x: number) => Math.round(x / 2 ** 20);
  const half = Math.floor(samples.length / 2);
  const result = {
    roundTrips: n,
    echoMedianUs: +echoMedian.toFixed(1),
    helloAddedMedianUs: +quantile(added(helloUs), 0.5).toFixed(1),
    helloAddedP99Us: +quantile(added(helloUs), 0.99).toFixed(1),
    responseAddedMedianUs: +quantile(added(responseUs), 0.5).toFixed(1),
    responseAddedP99Us: +quantile(added(responseUs), 0.99).toFixed(1),
    helloRatioToEcho: +(quantile(sorted(helloUs), 0.5) / echoMedian).toFixed(2),
    sessionsPerSecond: Math.round(sessionsPerSecond),
    landmarkCpuShare: +landmarkCpuShare.toFixed(2),
    sessionsPerLandmarkCpuSecond: Math.round(sessionsPerCpuSecond),
    sessionsCompletedBeforeTiming: start - before,
    floodSeconds: floodSecs,
    floodDatagramsDropped: droppedDuringFlood,
    rssBeforeFloodMb: mb(rssBefore),
    rssFirstHalfMaxMb: mb(Math.max(...samples.slice(0, half))),
    rssSecondHalfMaxMb: mb(Math.max(...samples.slice(half))),
    sessionsInMemoryAfterFlood: server.core.sessionCount,
  };
  if (values.json) console.log(JSON.stringify(result));
  else {
    console.log(
      `\ngeoattest landmark benchmark — loopback, ${n} round trips per kind, 5 rounds per session\n`,
    );
    console.log(
      table(
        ['measure', 'value'],
        [
          ['bare UDP echo round trip, median (baseline)', `${result.echoMedianUs} µs`],
          ['HELLO→CHALLENGE, added over echo, median', `${result.helloAddedMedianUs} µs`],
          ['HELLO→CHALLENGE, added over echo, p99', `${result.helloAddedP99Us} µs`],
          ['HELLO→CHALLENGE / echo (median ratio)', `${result.helloRatioToEcho}x`],
          ['RESPONSE→CHALLENGE (cookie, nonce, next), added, median', `${result.responseAddedMedianUs} µs`],
          ['RESPONSE→CHALLENGE, added, p99', `${result.responseAddedP99Us} µs`],
          ['sessions/s achieved (5 rounds, decisive signature checked)', result.sessionsPerSecond],
          ['landmark CPU share meanwhile (1.0 = one core)', result.landmarkCpuShare],
          ['sessions per landmark CPU-second', result.sessionsPerLandmarkCpuSecond],
          [`flood: datagrams dropped in ${floodSecs} s`, result.floodDatagramsDropped],
          ['RSS before flood', `${result.rssBeforeFloodMb} MB`],
          [
            'RSS max, first / second half of flood',
            `${result.rssFirstHalfMaxMb} / ${result.rssSecondHalfMaxMb} MB`,
          ],
        ],
      ),
    );
  }
}
