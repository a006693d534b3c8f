import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { type AuditHooks, runAudit } from '../../src/cli/audit-command.js';
import { main } from '../../src/cli/main.js';
import { signCheckpoint } from '../../src/tlog/checkpoint.js';
import { ed25519KeyFromSeed, ed25519Signer, signerKeyFrom, verifierKeyOf } from '../../src/tlog/note-keys.js';
import { TreeBuilder } from '../../src/tlog/tree-builder.js';
import { captureIo } from '../helpers/cli-io.js';
import { StaticLog, verdictEntry } from './log-server-fixture.js';

const ORIGIN = 'log.geoattest.example/v1';
const key = signerKeyFrom(ORIGIN, ed25519KeyFromSeed(new Uint8Array(32).fill(5)));
const VKEY = verifierKeyOf(key);
const entries = (from: number, n: number, tag = 'ok') =>
  Array.from({ length: n }, (_, i) => verdictEntry(from + i, tag));

const logs: StaticLog[] = [];
afterEach(async () => {
  await Promise.all(logs.splice(0).map((l) => l.stop()));
});

async function serve(n: number): Promise<StaticLog> {
  const log = new StaticLog(ORIGIN, key);
  log.append(entries(0, n));
  await log.start();
  logs.push(log);
  return log;
}

async function audit(log: StaticLog, state: string, hooks: AuditHooks = {}, vkey = VKEY) {
  const { io, out: captured } = captureIo();
  const code = await runAudit(['--log', log.url, '--key', vkey, '--state', state, '--json'], io, hooks);
  const out = captured.stdout;
  const err = captured.stderr;
  const report = out.trim() === '' ? undefined : JSON.parse(out.trim().split('\n').pop()!);
  return { code, report, err };
}

const stateDir = () => mkdtempSync(join(tmpdir(), 'geoattest-audit-'));

describe('geoattest audit against a static tile server', () => {
  it('passes a clean log, then its consistent growth, keeping state between runs', async () => {
    const log = await serve(600);
    const dir = stateDir();
    const first = await audit(log, dir);
    expect(first.code).toBe(0);
    expect(first.report).toMatchObject({
      ok: true,
      previousSize: 0,
      size: 600,
      leavesChecked: 600,
      findings: [],
    });
    log.append(entries(600, 333));
    const second = await audit(log, dir);
    expect(second.code).toBe(0);
    expect(second.report).toMatchObject({ ok: true, previousSize: 600, size: 933, leavesChecked: 333 });
    const again = await audit(log, dir);
    expect(again.report).toMatchObject({ ok: true, previousSize: 933, size: 933, leavesChecked: 0 });
  });

  describe('when a leaf byte is flipped in an entry bundle', () => {
    it('fails with exit 1', async () => {
      const log = await serve(600);
      const bundle = log.files.get('tile/entries/001')!;
      bundle[40] ^= 0x01;
      const r = await audit(log, stateDir());
      expect(r.code).toBe(1);
      expect(r.report.ok).toBe(false);
      expect(r.report.findings.map((f: { kind: string }) => f.kind)).toContain('rewritten-leaf');
    });
  });

  describe('when a hash tile is rewritten', () => {
    it('fails with exit 1 and names the leaf', async () => {
      const log = await serve(600);
      const tile = log.files.get('tile/0/001')!;
      tile[32 * 5] ^= 0x80;
      const r = await audit(log, stateDir());
      expect(r.code).toBe(1);
      expect(r.report.findings).toContainEqual(
        expect.objectContaining({ kind: 'rewritten-tile', index: 256 + 5 }),
      );
    });

    it('fails with exit 1 when the rewritten tile feeds the consistency proof', async () => {
      const log = await serve(300);
      const dir = stateDir();
      expect((await audit(log, dir)).code).toBe(0);
      log.append(entries(300, 300));
      log.files.get('tile/0/001')![0] ^= 1; // leaves 256..511 hold the old tree's right edge
      const r = await audit(log, dir);
      expect(r.code).toBe(1);
      expect(r.report.findings[0].kind).toBe('fork');
    });
  });

  describe('when the log signs a forked checkpoint', () => {
    it('fails with exit 1 and keeps the old state', async () => {
      const log = await serve(600);
      const dir = stateDir();
      expect((await audit(log, dir)).code).toBe(0);
      // Same key, history rewritten at leaf 100, and grown so the size looks like progress.
      const forked = [...entries(0, 100), ...entries(100, 600, 'evil')];
      const r = TreeBuilder.empty().append(forked);
      for (const t of r.tiles)
        log.files.set(
          `tile/${t.coord.kind === 'entries' ? 'entries' : t.coord.level}/${pathTail(t.coord)}`,
          t.bytes,
        );
      log.setCheckpoint(
        signCheckpoint({ origin: ORIGIN, size: r.size, root: r.root, extensions: [] }, [ed25519Signer(key)]),
      );
      const bad = await audit(log, dir);
      expect(bad.code).toBe(1);
      expect(bad.report.findings[0]).toMatchObject({ kind: 'fork' });
      expect(bad.report.evidence.previous).toMatch(/\n600\n/);
      expect(bad.report.evidence.current).toMatch(/\n700\n/);
      expect((await audit(log, dir)).code).toBe(1);
    });

    it('fails with exit 1 on two roots for one size and on a rollback', async () => {
      const log = await serve(600);
      const dir = stateDir();
      await audit(log, dir);
      const other = TreeBuilder.empty().append(entries(0, 600, 'evil'));
      log.setCheckpoint(
        signCheckpoint({ origin: ORIGIN, size: 600, root: other.root, extensions: [] }, [ed25519Signer(key)]),
      );
      expect((await audit(log, dir)).report.findings[0].kind).toBe('fork');
      const small = TreeBuilder.empty().append(entries(0, 10));
      log.setCheckpoint(
        signCheckpoint({ origin: ORIGIN, size: 10, root: small.root, extensions: [] }, [ed25519Signer(key)]),
      );
      expect((await audit(log, dir)).report.findings[0].kind).toBe('rolled-back');
    });
  });

  describe('when the checkpoint is not signed by the given key', () => {
    it('fails with exit 1 and a coded error', async () => {
      const log = await serve(10);
      const stranger = verifierKeyOf(signerKeyFrom(ORIGIN, ed25519KeyFromSeed(new Uint8Array(32).fill(6))));
      const r = await audit(log, stateDir(), {}, stranger);
      expect(r.code).toBe(1);
      expect(r.report.error.code).toBe('NOTE_UNVERIFIED');
    });
  });

  describe('when the log is unreachable or a tile is missing', () => {
    it('fails with exit 1 (TLOG_FETCH_FAILED)', async () => {
      const log = await serve(600);
      log.files.delete('tile/entries/000');
      const r = await audit(log, stateDir());
      expect(r.code).toBe(1);
      expect(r.report.error.code).toBe('TLOG_FETCH_FAILED');
    });
  });

  describe('when the rederive hook finds a verdict that does not follow from its evidence', () => {
    it('fails with exit 1 naming the leaf; unavailable evidence is counted, not failed', async () => {
      const log = await serve(40);
      const r = await audit(log, stateDir(), {
        rederive: async (leaf, index) =>
          index === 17 ? 'different' : leaf.region === 'MY' ? 'same' : 'unavailable',
      });
      expect(r.code).toBe(1);
      expect(r.report.findings).toEqual([expect.objectContaining({ kind: 'verdict-differs', index: 17 })]);
      expect(r.report.rederived.different).toBe(1);
      expect(r.report.rederived.same + r.report.rederived.unavailable).toBe(39);
    });
  });

  describe('when a leaf is not a verdict leaf', () => {
    it('fails with exit 1', async () => {
      const log = new StaticLog(ORIGIN, key);
      log.append([...entries(0, 5), new TextEncoder().encode('not a verdict')]);
      await log.start();
      logs.push(log);
      const r = await audit(log, stateDir());
      expect(r.code).toBe(1);
      expect(r.report.findings).toEqual([expect.objectContaining({ kind: 'malformed-leaf', index: 5 })]);
    });
  });

  it('is a geoattest command, and so is witness', async () => {
    let out = '';
    const io = {
      stdin: Readable.from([]),
      stdout: new Writable({
        write(c, _e, cb) {
          out += String(c);
          cb();
        },
      }),
      stderr: new Writable({ write: (_c, _e, cb) => cb() }),
    };
    expect(await main(['audit', '--help'], io)).toBe(0);
    expect(out).toMatch(/--log URL/);
    expect(await main(['witness', '--help'], io)).toBe(0);
    expect(out).toMatch(/add-checkpoint/);
    expect(await main(['--help'], io)).toBe(0);
    expect(out).toMatch(/\n {2}audit +audit a transparency log/);
    expect(out).toMatch(/\n {2}witness +run a transparency-log witness/);
  });

  it('exits 2 on bad options', async () => {
    const log = await serve(1);
    const io = {
      stdin: Readable.from([]),
      stdout: new Writable({ write: (_c, _e, cb) => cb() }),
      stderr: new Writable({ write: (_c, _e, cb) => cb() }),
    };
    expect(await runAudit([], io)).toBe(2);
    expect(await runAudit(['--log', log.url], io)).toBe(2);
    expect(await runAudit(['--log', 'ftp://x', '--key', VKEY], io)).toBe(2);
    expect(await runAudit(['--log', log.url, '--key', 'nope'], io)).toBe(2);
  });
});

function pathTail(c: { index: number; width: number }): string {
  const s = String(c.index).padStart(3, '0');
  return c.width === 256 ? s : `${s}.p/${c.width}`;
}
