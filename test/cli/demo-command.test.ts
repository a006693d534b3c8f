import { Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';

describe('geoattest demo --explain', () => {
  it('decides each illustrative case as physics says', async () => {
    let out = '';
    const stdout = new Writable({
      write(c, _e, cb) {
        out += c;
        cb();
      },
    });
    const code = await main(['demo', '--explain', '--json'], {
      stdin: Readable.from([]),
      stdout,
      stderr: stdout,
    });
    expect(code).toBe(0);
    const cases = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(cases.map((c) => c.verdict)).toEqual([
      'inside',
      'outside',
      'inside',
      'outside',
      'unverified',
      'inconsistent',
    ]);
    expect(cases[5].suspects).toEqual([['lm-tokyo']]);
    // The estimate is close for the chip with a landmark in its facility.
    expect(cases[0].estimateErrorKm).toBeLessThan(5);
  });
});

describe('geoattest demo (the live world)', () => {
  it('starts the verifier, landmarks and agents, prints the URL and a token, stops, and reuses the world', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { runDemo } = await import('../../src/cli/demo-command.js');
    const dir = mkdtempSync(join(tmpdir(), 'geoattest-demo-cli-'));
    const once = async () => {
      let err = '';
      const stderr = new Writable({
        write(c, _e, cb) {
          err += c;
          cb();
        },
      });
      const stop = new Promise<void>((r) => setTimeout(r, 3000));
      const code = await runDemo(
        [
          '--db',
          join(dir, 'demo.sqlite'),
          '--listen',
          '127.0.0.1:0',
          '--scale',
          '0.05',
          '--no-scenarios',
          '--workers',
          '0',
        ],
        { stdin: Readable.from([]), stdout: stderr, stderr },
        stop,
      );
      return { code, err };
    };
    try {
      const first = await once();
      expect(first.code, first.err).toBe(0);
      expect(first.err).toMatch(/a new world/);
      expect(first.err).toMatch(/dashboard: http:\/\/127\.0\.0\.1:\d+\//);
      expect(first.err).toMatch(/admin token: ga_/);
      expect(first.err).toMatch(/stopped \(\d+ check-ins/);
      const second = await once();
      expect(second.code, second.err).toBe(0);
      expect(second.err).toMatch(/the world from last time/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
