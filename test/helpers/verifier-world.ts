// A verifier on a real database for tests: SQLite in a temporary directory always, PostgreSQL in a
// schema of its own when DATABASE_URL is set. Plus real keys and really signed receipts.

import { type KeyObject, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newEd25519KeyPair, publicKeyFromRaw } from '../../src/attest/software-identity.js';
import { Verifier, type VerifierOptions } from '../../src/server/verifier.js';
import { makeReceiptBase64 } from '../../src/sim/receipt-factory.js';
import { dropSchema } from '../../src/store/database.js';

export type Backend = 'sqlite' | 'postgres';

/** The backends this run tests: SQLite always, PostgreSQL when DATABASE_URL is set. */
export const BACKENDS: Backend[] = process.env.DATABASE_URL ? ['sqlite', 'postgres'] : ['sqlite'];

export interface TestDb {
  readonly verifier: Verifier;
  readonly location: string;
  readonly schema?: string;
  cleanup(): Promise<void>;
}

export async function openTestVerifier(backend: Backend, opts: VerifierOptions = {}): Promise<TestDb> {
  if (backend === 'postgres') {
    const url = process.env.DATABASE_URL!;
    const schema = `t_${randomBytes(6).toString('hex')}`;
    const verifier = await Verifier.open({ location: url, schema, poolSize: 4 }, opts);
    return {
      verifier,
      location: url,
      schema,
      async cleanup() {
        await verifier.close().catch(() => {});
        await dropSchema(url, schema);
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'geoattest-db-'));
  const location = join(dir, 'verifier.sqlite');
  const verifier = await Verifier.open({ location }, opts);
  return {
    verifier,
    location,
    async cleanup() {
      await verifier.close().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface KeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly raw: Uint8Array;
  readonly base64: string;
}

export function keyPair(): KeyPair {
  const { privateKey, raw } = newEd25519KeyPair();
  return { privateKey, publicKey: publicKeyFromRaw(raw), raw, base64: Buffer.from(raw).toString('base64') };
}

/** A receipt as a landmark would sign it after timing `rttsMs`, base64 as submitted. */
export function signedReceipt(s: {
  landmarkId: string;
  landmark: KeyPair;
  device: KeyPair;
  rttsMs: readonly number[];
  wallMs: number;
}): string {
  return makeReceiptBase64(s);
}
