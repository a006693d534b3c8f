import { createSocket } from 'node:dgram';
import { afterAll, describe, expect, it } from 'vitest';
import { DelayRelay } from '../../src/sim/udp-relay.js';

/** A UDP echo server on loopback. */
async function echoServer() {
  const s = createSocket('udp4');
  s.on('message', (m, r) => s.send(m, r.port, r.address));
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  return { socket: s, port: s.address().port };
}

/** Sends one datagram and resolves with the reply and the round-trip time in ms. */
function roundTrip(port: number, payload: Buffer): Promise<{ reply: Buffer; ms: number }> {
  const c = createSocket('udp4');
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    c.on('message', (reply) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      c.close();
      resolve({ reply, ms });
    });
    c.send(payload, port, '127.0.0.1');
  });
}

describe('the delaying UDP relay', async () => {
  const echo = await echoServer();
  const relay = new DelayRelay({
    listen: { host: '127.0.0.1', port: 0 },
    target: { host: '127.0.0.1', port: echo.port },
    upMs: 3,
    downMs: 2,
  });
  const port = await relay.start();
  afterAll(() => {
    relay.close();
    echo.socket.close();
  });

  it('forwards both ways, unchanged, never sooner than the configured delays', async () => {
    for (let i = 0; i < 5; i++) {
      const payload = Buffer.from(`ping ${i}`);
      const { reply, ms } = await roundTrip(port, payload);
      expect(reply.equals(payload)).toBe(true);
      expect(ms).toBeGreaterThanOrEqual(5);
    }
  });

  it('keeps clients apart: each gets its own replies', async () => {
    const [a, b] = await Promise.all([
      roundTrip(port, Buffer.from('from a')),
      roundTrip(port, Buffer.from('from b')),
    ]);
    expect(a.reply.toString()).toBe('from a');
    expect(b.reply.toString()).toBe('from b');
  });
});
