// The walk-through of docs/transparency-log.md as processes: `geoattest witness` started from a
// key file cosigns over HTTP and stops cleanly on SIGTERM; `geoattest audit` exits 0 on an honest
// log and 1 on a tampered one.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { signCheckpoint } from '../../src/tlog/checkpoint.js';
import { verifyCosignatureLine } from '../../src/tlog/cosignature.js';
import { ed25519KeyFromSeed, ed25519Signer, signerKeyFrom, verifierKeyOf } from '../../src/tlog/note-keys.js';
import { TreeBuilder } from '../../src/tlog/tree-builder.js';
import { formatAddCheckpointBody } from '../../src/tlog/witness.js';
import { StaticLog, verdictEntry } from './log-server-fixture.js';

const BIN = join(process.cwd(), 'bin/geoattest.js');
const ORIGIN = 'log.geoattest.example/v1';
const key = signerKeyFrom(ORIGIN, ed25519KeyFromSeed(new Uint8Array(32).fill(5)));
const VKEY = verifierKeyOf(key);
const dir = mkdtempSync(join(tmpdir(), 'geoattest-tlog-proc-'));

describe('geoattest witness and audit as processes', () => {
  let witness: ChildProcess | undefined;
  afterAll(() => witness?.kill('SIGKILL'));

  it('a witness started from a key file cosigns, then stops on SIGTERM with exit 0', async () => {
    expect(spawnSync('node', [BIN, 'keygen', '--out', join(dir, 'w.key')]).status).toBe(0);
    witness = spawn(
      'node',
      [
        BIN,
        'witness',
        '--key',
        join(dir, 'w.key'),
        '--name',
        'w.example/1',
        '--log',
        VKEY,
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
    const r = TreeBuilder.empty().append([verdictEntry(0), verdictEntry(1)]);
    const note = signCheckpoint({ origin: ORIGIN, size: r.size, root: r.root, extensions: [] }, [
      ed25519Signer(key),
    ]);
    const res = await fetch(listening.url, {
      method: 'POST',
      body: formatAddCheckpointBody({ oldSize: 0, proof: [], checkpoint: note }),
    });
    expect(res.status).toBe(200);
    const text = note.slice(0, note.indexOf('\n\n') + 1);
    expect(verifyCosignatureLine(text, await res.text(), listening.vkey)).toBeTypeOf('bigint');
    const exited = new Promise<number | null>((resolve) => witness!.on('exit', (code) => resolve(code)));
    witness.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(readdirSync(join(dir, 'state'))).toHaveLength(1);
  });

  it('geoattest audit exits 0 on an honest log and 1 once a leaf is rewritten', async () => {
    const log = new StaticLog(ORIGIN, key);
    log.append(Array.from({ length: 300 }, (_, i) => verdictEntry(i)));
    await log.start();
    try {
      const audit = () =>
        new Promise<{ code: number | null; out: string }>((resolve) => {
          const p = spawn(
            'node',
            [BIN, 'audit', '--log', log.url, '--key', VKEY, '--state', join(dir, 'audit')],
            {
              stdio: ['ignore', 'pipe', 'pipe'],
            },
          );
          let out = '';
          p.stdout.on('data', (c) => {
            out += String(c);
          });
          p.on('exit', (code) => resolve({ code, out }));
        });
      const ok = await audit();
      expect(ok.code).toBe(0);
      expect(ok.out).toMatch(/^OK:/m);
      expect(existsSync(join(dir, 'audit'))).toBe(true);
      log.append([verdictEntry(300)]);
      log.files.get('tile/entries/001.p/45')![7] ^= 1;
      const bad = await audit();
      expect(bad.code).toBe(1);
      expect(bad.out).toMatch(/^FAIL rewritten-leaf/m);
    } finally {
      await log.stop();
    }
  });
});
