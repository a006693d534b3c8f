// npm run bench:relay — how precisely the user-space delaying relay (src/sim/udp-relay.ts) adds
// its configured delay: round trips to a loopback echo server, directly and through the relay,
// interleaved in the same run; the error is (relayed − direct) − (up + down). Target: < 0.1 ms.

import { createSocket } from 'node:dgram';
import { parseArgs } from 'node:util';
import { DelayRelay } from '../src/sim/udp-relay.js';
import { quantile, table } from './table.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '2000' },
    'up-ms': { type: 'string', default: '1' },
    'down-ms': { type: 'string', default: '1' },
    json: { type: 'boolean', default: false },
  },
});
const rounds = Number(values.rounds);
const upMs = Number(values['up-ms']);
const downMs = Number(values['down-ms']);

const echo = createSocket('udp4');
echo.on('message', (m, r) => echo.send(m, r.port, r.address));
await new Promise<void>((resolve) => echo.bind(0, '127.0.0.1', resolve));
const relay = new DelayRelay({
  listen: { host: '127.0.0.1', port: 0 },
  target: { host: '127.0.0.1', port: echo.address().port },
  upMs,
  downMs,
});
const relayPort = await relay.start();

const client = createSocket('udp4');
await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', resolve));
let waiting: ((t: bigint) => void) | undefined;
client.on('message', () => waiting?.(process.hrtime.bigint()));
const once = (port: number) =>
  new Promise<number>((resolve) => {
    const t0 = process.hrtime.bigint();
    waiting = (t) => resolve(Number(t - t0) / 1e6);
    client.send(Buffer.alloc(64), port, '127.0.0.1');
  });

const direct: number[] = [];
const relayed: number[] = [];
for (let i = 0; i < rounds; i++) {
  direct.push(await once(echo.address().port));
  relayed.push(await once(relayPort));
}
client.close();
relay.close();
echo.close();

direct.sort((a, b) => a - b);
relayed.sort((a, b) => a - b);
const directMedian = quantile(direct, 0.5);
const errors = relayed.map((r) => r - directMedian - (upMs + downMs)).sort((a, b) => a - b);
const result = {
  rounds,
  upMs,
  downMs,
  directMedianMs: +directMedian.toFixed(4),
  relayedMedianMs: +quantile(relayed, 0.5).toFixed(4),
  errorMedianMs: +quantile(errors, 0.5).toFixed(4),
  errorP99Ms: +quantile(errors, 0.99).toFixed(4),
  errorMinMs: +quantile(errors, 0).toFixed(4),
  meetsTarget: Math.abs(quantile(errors, 0.5)) < 0.1,
};
if (values.json) console.log(JSON.stringify(result));
else {
  console.log(`\ndelaying UDP relay — ${rounds} round trips each way, up ${upMs} ms, down ${downMs} ms\n`);
  console.log(
    table(
      ['measure', 'ms'],
      [
        ['direct round trip (median, baseline)', result.directMedianMs],
        ['relayed round trip (median)', result.relayedMedianMs],
        ['added error, median', result.errorMedianMs],
        ['added error, p99', result.errorP99Ms],
        ['added error, min', result.errorMinMs],
        ['target |median error| < 0.1 ms', result.meetsTarget ? 'met' : 'NOT met'],
      ],
    ),
  );
}
