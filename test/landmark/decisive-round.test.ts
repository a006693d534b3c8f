// The landmark checks one device signature per session, the decisive round's, and the gpu-session
// trust mode on the wire (docs/protocol.md, "The decisive round", "Trust modes on the wire").

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type AgentIdentity, AgentSession } from '../../src/agent/agent-session.js';
import { newGpuSessionIdentity } from '../../src/agent/gpu-session.js';
import { publicKeyFromRaw, publicKeyToRaw } from '../../src/attest/software-identity.js';
import { deviceIdOf, LandmarkCore, landmarkIdBytes } from '../../src/landmark/landmark-core.js';
import {
  encodePacket,
  keyIdOfRaw,
  LAYOUTS,
  parsePacket,
  type Response,
  signReceipt,
  verifyReceipt,
  verifyReceiptDevice,
} from '../../src/protocol/wire.js';

const GPU_ID = new Uint8Array(32).fill(0x9a);

function world(o: { gpu?: boolean; me?: AgentIdentity; maxSessionsPerSource?: number } = {}) {
  const landmarkKeys = generateKeyPairSync('ed25519');
  const device = generateKeyPairSync('ed25519');
  const raw = publicKeyToRaw(device.publicKey);
  const software: AgentIdentity = {
    deviceId: deviceIdOf(raw),
    keyId: keyIdOfRaw(raw),
    trustMode: 'software',
    privateKey: device.privateKey,
  };
  let mono = 1_000_000_000n;
  const core = new LandmarkCore({
    id: 'lm-1',
    privateKey: landmarkKeys.privateKey,
    cookieSecret: randomBytes(32),
    devices: (id, kid) =>
      Buffer.from(id).equals(Buffer.from(software.deviceId)) && Buffer.from(kid).equals(software.keyId)
        ? device.publicKey
        : undefined,
    ...(o.gpu ? { gpuDevices: (id: Uint8Array) => Buffer.from(id).equals(GPU_ID) } : {}),
    monoNs: () => mono,
    wallMs: () => 1_700_000_000_000,
    randomBytes: (n) => randomBytes(n),
    perSourcePerSecond: 1e6,
    maxSessionsPerSource: o.maxSessionsPerSource,
  });
  const me = o.me ?? software;
  const contact = {
    id: 'lm-1',
    host: '127.0.0.1',
    port: 4500,
    landmarkId: landmarkIdBytes('lm-1'),
    publicKey: landmarkKeys.publicKey,
  };
  const agent = new AgentSession(me, contact);
  const chip = { address: '10.0.0.7', port: 40000 };
  const lm = { address: '127.0.0.1', port: 4500 };
  const advance = (ns: bigint) => (mono += ns);
  /** Plays a session; round i's response leg takes legs[i] ns; `edit` may rewrite a response. */
  const play = (legs: bigint[], edit?: (round: number, r: Response) => Response) => {
    let toLandmark = agent.hello().reply!;
    for (let round = -1; round < legs.length; round++) {
      const out = core.handle(toLandmark, chip, advance(round < 0 ? 1000n : legs[round]));
      if (out.reply === undefined || out.receipt)
        return { out, step: out.reply && agent.handle(out.reply, lm) };
      const step = agent.handle(out.reply, lm);
      toLandmark = step.reply!;
      const next = round + 1;
      if (edit) toLandmark = encodePacket(edit(next, parsePacket(toLandmark) as Response));
    }
    throw new Error('the session did not end');
  };
  return { core, agent, me, play, landmarkKeys, device, advance, chip };
}

const LEGS = [300_000n, 250_000n, 120_000n, 400_000n, 200_000n]; // round 2 is the fastest

describe('one signature check per session: the decisive round', () => {
  it('records every round, names the fastest as decisive and carries its device signature', () => {
    const w = world();
    const { out, step } = w.play(LEGS);
    const r = out.receipt!.value;
    expect(step?.receipt).toBeDefined(); // the agent accepts it
    expect(r.rounds.map((x) => x.rttNs)).toEqual(LEGS);
    expect(r.decisiveRound).toBe(2);
    verifyReceipt(w.landmarkKeys.publicKey, r);
    verifyReceiptDevice(r, w.device.publicKey);
  });

  describe('when the fastest round carries a forged signature', () => {
    it('drops the session with PACKET_BAD_SIGNATURE and signs no receipt', () => {
      const w = world();
      const { out } = w.play(LEGS, (round, r) => {
        if (round !== 2) return r;
        const signature = r.signature.slice();
        signature[0] ^= 1;
        return { ...r, signature };
      });
      expect(out.dropped?.code).toBe('PACKET_BAD_SIGNATURE');
      expect(out.receipt).toBeUndefined();
      expect(out.reply).toBeUndefined();
      expect(w.core.sessionCount).toBe(0);
    });
  });

  describe('when a slower round carries a forged signature', () => {
    it('still issues the receipt: the measurement never rests on that round', () => {
      // What makes this sound: the receipt's measurement is round 2, whose signature is checked
      // and carried; the forged round 3 is slower, so it can only loosen nothing.
      const w = world();
      const { out } = w.play(LEGS, (round, r) => (round === 3 ? { ...r, signature: new Uint8Array(64) } : r));
      expect(out.receipt?.value.decisiveRound).toBe(2);
      verifyReceiptDevice(out.receipt!.value, w.device.publicKey);
    });
  });

  describe('when one source opens more sessions than its cap', () => {
    it('refuses the next one (RATE_LIMITED) and keeps the table bounded', () => {
      const w = world({ maxSessionsPerSource: 3 });
      const codes: (string | undefined)[] = [];
      for (let i = 0; i < 5; i++) {
        const a = new AgentSession(w.me, w.agent.landmark);
        const chip = { address: '10.0.0.7', port: 41000 + i };
        const c = w.core.handle(a.hello().reply!, chip, w.advance(1000n)).reply!;
        const resp = a.handle(c, { address: '127.0.0.1', port: 4500 }).reply!;
        codes.push(w.core.handle(resp, chip, w.advance(1000n)).dropped?.code);
      }
      expect(codes).toEqual([undefined, undefined, undefined, 'RATE_LIMITED', 'RATE_LIMITED']);
      expect(w.core.sessionCount).toBe(3);
    });
  });
});

describe('gpu-session on the wire', () => {
  it('a fresh session key answers; the receipt records gpu-session and names the session key', () => {
    const me = newGpuSessionIdentity(GPU_ID);
    const w = world({ gpu: true, me });
    const { out, step } = w.play(LEGS);
    const r = out.receipt!.value;
    expect(step?.receipt).toBeDefined();
    expect(r.trustMode).toBe('gpu-session');
    expect(Buffer.from(r.deviceId).equals(Buffer.from(GPU_ID))).toBe(true);
    expect(Buffer.from(r.keyId).equals(Buffer.from(keyIdOfRaw(me.sessionKey)))).toBe(true);
    verifyReceiptDevice(r, publicKeyFromRaw(me.sessionKey));
    // Every RESPONSE of this session carried the session key.
    const hello = w.agent.hello().reply!;
    expect(hello.length).toBe(84);
  });

  it('two sessions use two different keys', () => {
    expect(Buffer.from(newGpuSessionIdentity(GPU_ID).sessionKey)).not.toEqual(
      Buffer.from(newGpuSessionIdentity(GPU_ID).sessionKey),
    );
  });

  describe('when the landmark admits no GPU devices', () => {
    it('refuses the HELLO with TRUST_MODE_UNSUPPORTED and answers nothing', () => {
      const w = world({ me: newGpuSessionIdentity(GPU_ID) });
      const out = w.core.handle(w.agent.hello().reply!, w.chip, w.advance(1000n));
      expect(out.dropped?.code).toBe('TRUST_MODE_UNSUPPORTED');
      expect(out.reply).toBeUndefined();
    });
  });

  describe('when a HELLO asks for gpu-evidence', () => {
    it('is refused with TRUST_MODE_UNSUPPORTED: that mode is not on the wire', () => {
      const w = world({ gpu: true });
      const hello = encodePacket({
        kind: 'hello',
        deviceId: GPU_ID,
        keyId: new Uint8Array(8),
        trustMode: 'gpu-evidence',
      });
      const out = w.core.handle(hello, w.chip, w.advance(1000n));
      expect(out.dropped?.code).toBe('TRUST_MODE_UNSUPPORTED');
      expect(out.reply).toBeUndefined();
    });
  });

  describe('when the GPU device is not registered', () => {
    it('is refused at round 0 (DEVICE_UNKNOWN)', () => {
      const w = world({ gpu: true, me: newGpuSessionIdentity(new Uint8Array(32).fill(1)) });
      expect(w.play(LEGS).out.dropped?.code).toBe('DEVICE_UNKNOWN');
      expect(w.core.sessionCount).toBe(0);
    });
  });

  describe('when the session key does not hash to the key id', () => {
    it('is refused at round 0 (PACKET_BAD_FIELD)', () => {
      const w = world({ gpu: true, me: newGpuSessionIdentity(GPU_ID) });
      const other = newGpuSessionIdentity(GPU_ID).sessionKey;
      const { out } = w.play(LEGS, (round, r) => (round === 0 ? { ...r, sessionKey: other } : r));
      expect(out.dropped?.code).toBe('PACKET_BAD_FIELD');
      expect(w.core.sessionCount).toBe(0);
    });
  });

  describe('when a later round changes the session key', () => {
    it('is refused (PACKET_BAD_FIELD)', () => {
      const w = world({ gpu: true, me: newGpuSessionIdentity(GPU_ID) });
      const other = newGpuSessionIdentity(GPU_ID).sessionKey;
      const { out } = w.play(LEGS, (round, r) => (round === 2 ? { ...r, sessionKey: other } : r));
      expect(out.dropped?.code).toBe('PACKET_BAD_FIELD');
    });
  });

  it('keeps the response layout: the session key sits before the signature', () => {
    expect(LAYOUTS.response.sessionKey.offset + 32).toBe(LAYOUTS.response.signature.offset);
  });
});

describe('the agent checks the device signature its receipt carries', () => {
  it('refuses a receipt whose deviceSignature is not the bytes it signed (PACKET_BAD_SIGNATURE)', () => {
    const w = world();
    const { out } = w.play(LEGS);
    const honest = out.receipt!.value;
    // A landmark that signs a receipt with some other device signature in it.
    const forged = signReceipt(w.landmarkKeys.privateKey, {
      ...honest,
      deviceSignature: new Uint8Array(64).fill(1),
    });
    const agent = new AgentSession(w.me, w.agent.landmark);
    // A fresh agent session never answered these nonces: it refuses for that first.
    expect(agent.handle(encodePacket(forged), { address: '127.0.0.1', port: 4500 }).dropped?.code).toBe(
      'PACKET_BAD_FIELD',
    );
    // The agent that did answer them refuses the forged signature.
    const w2 = world();
    let toLandmark = w2.agent.hello().reply!;
    let last: ReturnType<typeof w2.core.handle> | undefined;
    for (let round = -1; round < LEGS.length; round++) {
      last = w2.core.handle(toLandmark, w2.chip, w2.advance(round < 0 ? 1000n : LEGS[round]));
      if (last.receipt) break;
      toLandmark = w2.agent.handle(last.reply!, { address: '127.0.0.1', port: 4500 }).reply!;
    }
    const r = last!.receipt!.value;
    const tampered = signReceipt(w2.landmarkKeys.privateKey, {
      ...r,
      deviceSignature: new Uint8Array(64).fill(2),
    });
    expect(w2.agent.handle(encodePacket(tampered), { address: '127.0.0.1', port: 4500 }).dropped?.code).toBe(
      'PACKET_BAD_SIGNATURE',
    );
    expect(w2.agent.handle(encodePacket(r), { address: '127.0.0.1', port: 4500 }).receipt).toBeDefined();
  });
});
