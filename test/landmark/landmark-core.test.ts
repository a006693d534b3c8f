import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AgentSession } from '../../src/agent/agent-session.js';
import { deviceKeyId, publicKeyToRaw } from '../../src/attest/software-identity.js';
import { deviceIdOf, LandmarkCore, landmarkIdBytes } from '../../src/landmark/landmark-core.js';
import { encodePacket, MESSAGE_TYPES, verifyReceipt } from '../../src/protocol/wire.js';

function world(opts: { rounds?: number; registerOtherKey?: boolean } = {}) {
  const landmarkKeys = generateKeyPairSync('ed25519');
  const device = generateKeyPairSync('ed25519');
  const raw = publicKeyToRaw(device.publicKey);
  const deviceId = deviceIdOf(raw);
  const keyId = Buffer.from(deviceKeyId(raw), 'hex');
  const registered = opts.registerOtherKey ? generateKeyPairSync('ed25519').publicKey : device.publicKey;
  let mono = 1_000_000_000n;
  const core = new LandmarkCore({
    id: 'sg-jurong-1',
    privateKey: landmarkKeys.privateKey,
    cookieSecret: randomBytes(32),
    devices: (id, kid) =>
      Buffer.from(id).equals(Buffer.from(deviceId)) && Buffer.from(kid).equals(keyId)
        ? registered
        : undefined,
    rounds: opts.rounds ?? 5,
    monoNs: () => mono,
    wallMs: () => 1_700_000_000_000,
    randomBytes: (n) => randomBytes(n),
  });
  const agent = new AgentSession(
    { deviceId, keyId, trustMode: 'software', privateKey: device.privateKey },
    {
      id: 'sg-jurong-1',
      host: '127.0.0.1',
      port: 4500,
      landmarkId: landmarkIdBytes('sg-jurong-1'),
      publicKey: landmarkKeys.publicKey,
    },
  );
  const chip = { address: '10.0.0.7', port: 40000 };
  const lm = { address: '127.0.0.1', port: 4500 };
  const advance = (ns: bigint) => {
    mono += ns;
    return mono;
  };
  return { core, agent, chip, lm, advance, landmarkKeys, deviceId, keyId };
}

/** Plays a session to its end, each leg taking `legNs`; returns the last landmark outcome. */
function play(w: ReturnType<typeof world>, legNs = 100_000n) {
  let toLandmark = w.agent.hello().reply!;
  const sent: Uint8Array[] = [];
  for (let i = 0; i < 20; i++) {
    sent.push(toLandmark);
    const out = w.core.handle(toLandmark, w.chip, w.advance(legNs));
    expect(out.dropped).toBeUndefined();
    const step = w.agent.handle(out.reply!, w.lm);
    w.advance(legNs);
    if (out.receipt) return { out, step, sent };
    toLandmark = step.reply!;
  }
  throw new Error('no receipt');
}

describe('a landmark and an agent, packet by packet', () => {
  it('measure five rounds and end with a receipt both sides trust', () => {
    const w = world();
    const { out, step } = play(w);
    expect(step.receipt).toBeDefined();
    verifyReceipt(w.landmarkKeys.publicKey, out.receipt!.value);
    expect(out.receipt!.value.rounds).toHaveLength(5);
    // Each round: the challenge leg plus the response leg of the injected clock.
    for (const r of out.receipt!.value.rounds) expect(r.rttNs).toBe(200_000n);
    expect(w.core.sessionCount).toBe(0);
  });

  it('a HELLO earns one challenge no longer than itself and leaves no state', () => {
    const w = world();
    for (let i = 0; i < 10; i++) {
      const hello = w.agent.hello().reply!;
      const out = w.core.handle(hello, { address: `10.0.1.${i}`, port: 1000 + i }, w.advance(1000n));
      expect(out.reply!.length).toBeLessThanOrEqual(hello.length);
    }
    expect(w.core.sessionCount).toBe(0);
  });
});

describe('when a response is replayed', () => {
  it('is refused (NONCE_REPLAYED)', () => {
    const w = world({ rounds: 2 });
    const challenge = w.core.handle(w.agent.hello().reply!, w.chip, w.advance(1000n)).reply!;
    const response = w.agent.handle(challenge, w.lm).reply!;
    expect(w.core.handle(response, w.chip, w.advance(1000n)).dropped).toBeUndefined();
    expect(w.core.handle(response, w.chip, w.advance(1000n)).dropped?.code).toBe('NONCE_REPLAYED');
  });
});

describe('when a response comes from another address than its challenge went to', () => {
  it('is refused (PACKET_BAD_COOKIE)', () => {
    const w = world();
    const challenge = w.core.handle(w.agent.hello().reply!, w.chip, w.advance(1000n)).reply!;
    const response = w.agent.handle(challenge, w.lm).reply!;
    expect(
      w.core.handle(response, { address: '10.9.9.9', port: 40000 }, w.advance(1000n)).dropped?.code,
    ).toBe('PACKET_BAD_COOKIE');
  });
});

describe('when the agent key does not match its registration', () => {
  it('is refused at the decisive round (PACKET_BAD_SIGNATURE): no receipt, no session left', () => {
    const w = world({ registerOtherKey: true });
    let toLandmark = w.agent.hello().reply!;
    let last: ReturnType<typeof w.core.handle> | undefined;
    for (let round = 0; round <= 5; round++) {
      last = w.core.handle(toLandmark, w.chip, w.advance(100_000n));
      if (last.reply === undefined) break;
      toLandmark = w.agent.handle(last.reply, w.lm).reply!;
    }
    expect(last?.dropped?.code).toBe('PACKET_BAD_SIGNATURE');
    expect(last?.receipt).toBeUndefined();
    expect(last?.reply).toBeUndefined();
    expect(w.core.sessionCount).toBe(0);
  });
});

describe('when the device is not registered', () => {
  it('is refused (DEVICE_UNKNOWN)', () => {
    const w = world();
    const stranger = new AgentSession(
      {
        deviceId: new Uint8Array(32).fill(7),
        keyId: new Uint8Array(8).fill(7),
        trustMode: 'software',
        privateKey: generateKeyPairSync('ed25519').privateKey,
      },
      w.agent.landmark,
    );
    const challenge = w.core.handle(stranger.hello().reply!, w.chip, w.advance(1000n)).reply!;
    const response = stranger.handle(challenge, w.lm).reply!;
    expect(w.core.handle(response, w.chip, w.advance(1000n)).dropped?.code).toBe('DEVICE_UNKNOWN');
  });
});

describe('when a response arrives too late', () => {
  it('is refused (NONCE_EXPIRED)', () => {
    const w = world();
    const challenge = w.core.handle(w.agent.hello().reply!, w.chip, w.advance(1000n)).reply!;
    const response = w.agent.handle(challenge, w.lm).reply!;
    expect(w.core.handle(response, w.chip, w.advance(5_000_000_000n)).dropped?.code).toBe('NONCE_EXPIRED');
  });
});

describe('when packets are malformed', () => {
  it('drops truncated, oversized and wrong-version packets with coded errors and keeps no state', () => {
    const w = world();
    const hello = w.agent.hello().reply!;
    const wrongVersion = Uint8Array.from(hello);
    wrongVersion[4] = 9;
    const cases: [Uint8Array, string][] = [
      [hello.subarray(0, 40), 'PACKET_TOO_SHORT'],
      [new Uint8Array(2000), 'PACKET_TOO_LONG'],
      [wrongVersion, 'PACKET_UNSUPPORTED_VERSION'],
    ];
    for (const [bytes, code] of cases) {
      const out = w.core.handle(bytes, w.chip, w.advance(1000n));
      expect(out.reply).toBeUndefined();
      expect(out.dropped?.code).toBe(code);
    }
    expect(w.core.sessionCount).toBe(0);
  });

  it('rate-limits a flooding source (RATE_LIMITED)', () => {
    const w = world();
    const hello = w.agent.hello().reply!;
    const codes = Array.from(
      { length: 100 },
      () => w.core.handle(hello, w.chip, w.advance(1000n)).dropped?.code,
    );
    expect(codes).toContain('RATE_LIMITED');
  });
});

describe('the agent has no command channel', () => {
  it('rejects every message type but a challenge or a receipt, and never answers them', () => {
    const w = world();
    w.agent.hello();
    const hello = w.agent.hello().reply!;
    for (let code = 0; code <= 0xff; code++) {
      if (code === MESSAGE_TYPES.challenge.code || code === MESSAGE_TYPES.receipt.code) continue;
      const bytes = new Uint8Array(code === MESSAGE_TYPES.response.code ? 220 : hello.length);
      bytes.set(hello.subarray(0, 8));
      bytes[5] = code;
      const step = w.agent.handle(bytes, w.lm);
      expect(step.reply).toBeUndefined();
      expect(step.dropped?.code).toMatch(/^PACKET_/);
    }
    // A well-formed response (a message landmarks receive) sent to the agent is refused by type.
    const response = encodePacket({
      kind: 'response',
      deviceId: w.deviceId,
      keyId: w.keyId,
      trustMode: 'software',
      round: 0,
      rounds: 1,
      landmarkId: landmarkIdBytes('sg-jurong-1'),
      nonce: new Uint8Array(32),
      issuedAtNs: 0n,
      cookie: new Uint8Array(16),
      sessionKey: new Uint8Array(32),
      signature: new Uint8Array(64),
    });
    expect(w.agent.handle(response, w.lm).dropped?.code).toBe('PACKET_UNKNOWN_TYPE');
    expect(w.agent.handle(w.agent.hello().reply!, w.lm).dropped?.code).toBe('PACKET_UNKNOWN_TYPE');
  });

  it('ignores a challenge from anyone but the landmark it called', () => {
    const w = world();
    const challenge = w.core.handle(w.agent.hello().reply!, w.chip, w.advance(1000n)).reply!;
    expect(w.agent.handle(challenge, { address: '127.0.0.1', port: 9999 }).dropped?.code).toBe(
      'PACKET_BAD_FIELD',
    );
  });
});
