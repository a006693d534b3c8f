// `gpu-session` identities: a fresh Ed25519 key per check-in answers the landmark's fast rounds,
// and afterwards the GPU commits to its public half in SPDM evidence whose requester nonce is
// sessionKeyNonce(session key, a nonce the landmark issued in that session) (DESIGN.md "Trust and
// identity"; docs/protocol.md "Trust modes on the wire"). The key is only as strong as the host
// keeps it: it lives in this process's memory for one check-in and is never written anywhere.

import { newEd25519KeyPair } from '../attest/software-identity.js';
import { keyIdOfRaw } from '../protocol/wire.js';
import type { AgentIdentity } from './agent-session.js';

export interface GpuSessionIdentity extends AgentIdentity {
  readonly trustMode: 'gpu-session';
  readonly sessionKey: Uint8Array;
}

/**
 * A fresh session identity for the GPU whose device id (SHA-256 of its identity key's DER
 * SubjectPublicKeyInfo) is `gpuDeviceId`: keyId names the session key, not the GPU.
 */
export function newGpuSessionIdentity(gpuDeviceId: Uint8Array): GpuSessionIdentity {
  const { privateKey, raw: sessionKey } = newEd25519KeyPair();
  return Object.freeze({
    deviceId: new Uint8Array(gpuDeviceId),
    keyId: keyIdOfRaw(sessionKey),
    trustMode: 'gpu-session',
    privateKey,
    sessionKey,
  });
}
