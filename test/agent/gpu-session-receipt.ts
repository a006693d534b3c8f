// A gpu-session receipt as a landmark signs it, for tests that need one without a socket.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { publicKeyToRaw } from '../../src/attest/software-identity.js';
import { landmarkIdBytes } from '../../src/landmark/landmark-core.js';
import { decisiveRoundOf, keyIdOfRaw, signReceipt, signResponse } from '../../src/protocol/wire.js';

export function gpuSessionReceipt(gpuDeviceId: Uint8Array, landmark: string) {
  const landmarkKeys = generateKeyPairSync('ed25519');
  const session = generateKeyPairSync('ed25519');
  const sessionPublicKey = publicKeyToRaw(session.publicKey);
  const landmarkId = landmarkIdBytes(landmark);
  const rounds = [4, 2, 3].map((ms) => ({ nonce: new Uint8Array(randomBytes(32)), rttNs: BigInt(ms * 1e6) }));
  const d = decisiveRoundOf(rounds);
  const receipt = signReceipt(landmarkKeys.privateKey, {
    trustMode: 'gpu-session',
    deviceId: gpuDeviceId,
    keyId: keyIdOfRaw(sessionPublicKey),
    landmarkId,
    wallClockMs: BigInt(Date.now()),
    overheadNs: 0n,
    rounds,
    decisiveRound: d,
    deviceSignature: signResponse(session.privateKey, {
      landmarkId,
      nonce: rounds[d].nonce,
      deviceId: gpuDeviceId,
      round: d,
    }),
  });
  return { receipt, sessionPublicKey, landmarkKeys };
}
