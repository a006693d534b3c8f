// One check-in over UDP: a fresh socket, a HELLO, answers to the landmark's challenges, and the
// receipt it signs (or a timeout). The socket is closed whatever happens.

import { createSocket } from 'node:dgram';
import { GeoattestError } from '../errors.js';
import type { Receipt } from '../protocol/wire.js';
import { type AgentIdentity, AgentSession, type Disclosure, type LandmarkContact } from './agent-session.js';

export interface CheckInResult {
  readonly landmark: string;
  readonly receipt?: Receipt;
  readonly error?: GeoattestError;
  /** Everything this check-in disclosed, in order. */
  readonly disclosures: readonly Disclosure[];
  /** Datagrams ignored (not this landmark's challenge or receipt), by error code. */
  readonly ignored: Readonly<Record<string, number>>;
}

export function checkIn(
  me: AgentIdentity,
  landmark: LandmarkContact,
  timeoutMs = 5000,
): Promise<CheckInResult> {
  const session = new AgentSession(me, landmark);
  const socket = createSocket('udp4');
  const disclosures: Disclosure[] = [];
  const ignored: Record<string, number> = {};
  return new Promise((resolve) => {
    let settled = false;
    const finish = (r: { receipt?: Receipt; error?: GeoattestError }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.close();
      resolve({ landmark: landmark.id, ...r, disclosures, ignored });
    };
    const timer = setTimeout(
      () =>
        finish({
          error: new GeoattestError('IO_ERROR', `no receipt from ${landmark.id} within ${timeoutMs} ms`),
        }),
      timeoutMs,
    );
    socket.on('error', (e) => finish({ error: new GeoattestError('IO_ERROR', e.message, { cause: e }) }));
    socket.on('message', (msg, from) => {
      const step = session.handle(msg, from);
      if (step.dropped) ignored[step.dropped.code] = (ignored[step.dropped.code] ?? 0) + 1;
      if (step.disclosure) disclosures.push(step.disclosure);
      if (step.reply) socket.send(step.reply, landmark.port, landmark.host);
      if (step.receipt) finish({ receipt: step.receipt });
    });
    const hello = session.hello();
    disclosures.push(hello.disclosure!);
    socket.send(hello.reply!, landmark.port, landmark.host);
  });
}
