// How fast this machine is, measured beside a run so that runs on different machines, or on one
// shared machine at a busy and a quiet hour, compare by ratio: Ed25519 verifications per second
// on one core, the unit of work the verifier does most (two per receipt when signed).

import { sign, verify } from 'node:crypto';
import { newEd25519KeyPair, publicKeyFromRaw } from '../attest/software-identity.js';

/** Ed25519 verifications per second on this thread, timed over about `ms` milliseconds. */
export function ed25519VerifiesPerSecond(ms = 500): number {
  const { privateKey, raw } = newEd25519KeyPair();
  const publicKey = publicKeyFromRaw(raw);
  const message = Buffer.alloc(96, 7);
  const signature = sign(null, message, privateKey);
  // Warm up, then count whole rounds of 50 until the time is spent.
  for (let i = 0; i < 50; i++) verify(null, message, publicKey, signature);
  let n = 0;
  const t0 = performance.now();
  let elapsed = 0;
  do {
    for (let i = 0; i < 50; i++) if (verify(null, message, publicKey, signature)) n++;
    elapsed = performance.now() - t0;
  } while (elapsed < ms);
  return (n / elapsed) * 1000;
}
