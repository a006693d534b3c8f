// The simulator's columnar fleet must hand back, chip by chip, exactly what was put in, and the
// keys it is given must be real pairs whose ids follow from the public half.

import { sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newEd25519KeyPairAsync, publicKeyFromRaw } from '../../src/attest/software-identity.js';
import { deviceIdOf } from '../../src/landmark/landmark-core.js';
import { keyIdOfRaw } from '../../src/protocol/wire.js';
import { ScaleFleet } from '../../src/sim/scale-fleet.js';

describe('ScaleFleet', () => {
  it('keeps each chip’s site, keys, ids and landmarks apart from its neighbours’', async () => {
    const fleet = new ScaleFleet(3, 2, true);
    const keys = await Promise.all([0, 1, 2].map(() => newEd25519KeyPairAsync()));
    for (const [i, k] of keys.entries()) fleet.add({ lat: i + 0.5, lon: -i - 0.25 }, [i, 10 + i], k);
    expect(fleet.length).toBe(3);
    for (let i = 0; i < 3; i++) {
      expect(fleet.id(i)).toBe(`SIM-GPU-0000000${i + 1}`);
      expect(fleet.site(i)).toEqual({ lat: i + 0.5, lon: -i - 0.25 });
      expect([...fleet.landmarks(i)]).toEqual([i, 10 + i]);
      expect(Buffer.from(fleet.raw(i))).toEqual(Buffer.from(keys[i].raw));
      expect(Buffer.from(fleet.deviceId(i))).toEqual(Buffer.from(deviceIdOf(keys[i].raw)));
      expect(Buffer.from(fleet.keyId(i))).toEqual(Buffer.from(keyIdOfRaw(keys[i].raw)));
      expect(fleet.privateKey(i)).toBe(keys[i].privateKey);
    }
  });

  it('keeps no private keys when it is made for unsigned runs, and refuses a chip too many', async () => {
    const fleet = new ScaleFleet(1, 1, false);
    const k = await newEd25519KeyPairAsync();
    expect(() => fleet.add({ lat: 0, lon: 0 }, [0, 1], k)).toThrow(RangeError);
    fleet.add({ lat: 0, lon: 0 }, [0], k);
    expect(fleet.privateKey(0)).toBeUndefined();
    expect(() => fleet.add({ lat: 0, lon: 0 }, [0], k)).toThrow(RangeError);
  });
});

describe('newEd25519KeyPairAsync', () => {
  it('gives a private key whose signatures verify under the raw public key it returns', async () => {
    const { privateKey, raw } = await newEd25519KeyPairAsync();
    expect(raw.length).toBe(32);
    const pub = publicKeyFromRaw(raw);
    const message = Buffer.from('geoattest');
    expect(verify(null, message, pub, sign(null, message, privateKey))).toBe(true);
    const other = await newEd25519KeyPairAsync();
    expect(Buffer.from(other.raw)).not.toEqual(Buffer.from(raw));
  });
});
