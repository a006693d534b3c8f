// The log asks a real witness (`geoattest witness`, its own process) to cosign each new checkpoint
// and serves the cosignature with it; after a second batch the witness checks consistency from the
// size it cosigned before.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyCosignatureLine } from '../../src/tlog/cosignature.js';
import { signerKeyFrom, verifierKeyOf } from '../../src/tlog/note-keys.js';
import { keyPair, openTestVerifier, signedReceipt } from '../helpers/verifier-world.js';

const BIN = new URL('../../bin/geoattest.js', import.meta.url).pathname;
const T0 = Date.parse('2026-06-01T00:00:00Z');

describe('witness cosignatures', () => {
  const dir = mkdtempSync(join(tmpdir(), 'geoattest-witness-'));
  let witness: ChildProcess | undefined;
  afterAll(() => {
    witness?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('are requested after each batch, verified, stored and served with the checkpoint', async () => {
    const logKey = generateKeyPairSync('ed25519').privateKey;
    const clock = { now: T0 };
    // The witness must know the log's verifier key: origin, key id and public key.
    const vkey = verifierKeyOf(signerKeyFrom('verifier.test/log', logKey));
    expect(spawnSync('node', [BIN, 'keygen', '--out', join(dir, 'w.key')]).status).toBe(0);
    witness = spawn(
      'node',
      [
        BIN,
        'witness',
        '--key',
        join(dir, 'w.key'),
        '--name',
        'witness.test/1',
        '--log',
        vkey,
        '--state',
        join(dir, 'state'),
        '--listen',
        '127.0.0.1:0',
        '--json',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const lines = createInterface({ input: witness.stdout! });
    const listening = await new Promise<{ url: string; vkey: string }>((resolve) =>
      lines.on('line', (l) => {
        const e = JSON.parse(l);
        if (e.event === 'listening') resolve(e);
      }),
    );
    const w = { url: listening.url.replace(/\/add-checkpoint$/, ''), vkey: listening.vkey };
    const t = await openTestVerifier('sqlite', {
      now: () => clock.now,
      sweepIntervalMs: 1e12,
      log: { origin: 'verifier.test/log', privateKey: logKey, witnesses: [w] },
    });
    try {
      const v = t.verifier;
      await v.ledger.addOrg({ id: 'nv', name: 'Exporter', kind: 'exporter' }, 't', clock.now);
      await v.ledger.addOrg({ id: 'eu', name: 'End user', kind: 'end-user' }, 't', clock.now);
      await v.ledger.addOrg({ id: 'ops', name: 'Ops', kind: 'landmark-operator' }, 't', clock.now);
      const lm = keyPair();
      await v.ledger.addLandmark(
        { id: 'KUL', operatorId: 'ops', lat: 3.139, lon: 101.687, publicKey: lm.base64 },
        't',
        clock.now,
      );
      await v.ledger.addLicence(
        {
          id: 'L1',
          exporterId: 'nv',
          endUserId: 'eu',
          destinations: [{ country: 'MY' }],
          models: ['H100'],
          quantity: 9,
          validFrom: T0 - 1,
          validTo: T0 + 1e10,
        },
        't',
        clock.now,
      );
      const chip = keyPair();
      await v.ledger.addChip(
        { id: 'GPU-1', model: 'H100', publicKey: chip.base64, licenceId: 'L1' },
        't',
        clock.now,
      );
      for (let round = 0; round < 2; round++) {
        await v.ingestion.ingest(
          [
            signedReceipt({
              landmarkId: 'KUL',
              landmark: lm,
              device: chip,
              rttsMs: [0.2],
              wallMs: clock.now,
            }),
          ],
          { name: 't' },
          clock.now,
        );
        clock.now += 10_000; // past the settle time
        await v.tick();
        const c = (await v.log.checkpoint())!;
        expect(c.size).toBe(round + 1);
        const text = c.note.slice(0, c.note.indexOf('\n\n') + 1);
        const cosig = c.note.split('\n').find((l) => l.startsWith('— witness.test/1 '));
        expect(cosig, c.note).toBeDefined();
        expect(verifyCosignatureLine(text, `${cosig}\n`, w.vkey)).toBeTypeOf('bigint');
      }
    } finally {
      await t.cleanup();
    }
  });
});
