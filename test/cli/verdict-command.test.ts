import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';

/** Runs the CLI in-process with captured streams. */
async function run(argv: string[], stdin: Readable | string = '') {
  let out = '';
  let err = '';
  const stdout = new Writable({
    write(chunk, _enc, cb) {
      out += chunk;
      cb();
    },
  });
  const stderr = new Writable({
    write(chunk, _enc, cb) {
      err += chunk;
      cb();
    },
  });
  const input = typeof stdin === 'string' ? Readable.from([Buffer.from(stdin)]) : stdin;
  const code = await main(argv, { stdin: input, stdout, stderr });
  return {
    code,
    out,
    err,
    /** Output lines as JSON (read lazily: help text is not JSON). */
    get records() {
      return out
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l));
    },
  };
}

const dir = mkdtempSync(join(tmpdir(), 'geoattest-cli-'));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

const record = (id: string, rttMs: number, country = 'SG') =>
  JSON.stringify({
    id,
    claim: { country },
    landmarks: [{ id: 'L1', lat: 1.35, lon: 103.82 }],
    measurements: [{ landmark: 'L1', rttMs }],
  });

describe('geoattest', () => {
  it('prints help and exits 0 with --help', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/verdict/);
  });

  it('exits 2 without a command and on an unknown one', async () => {
    expect((await run([])).code).toBe(2);
    const r = await run(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown command/);
  });

  it('prints its version', async () => {
    const r = await run(['--version']);
    expect(r.code).toBe(0);
    expect(r.out.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe('geoattest verdict', () => {
  it('shows its options with --help', async () => {
    const r = await run(['verdict', '--help']);
    expect(r.code).toBe(0);
    for (const opt of ['--input', '--output', '--bound', '--where', '--margin-km', '--calibration']) {
      expect(r.out).toContain(opt);
    }
  });

  for (const argv of [
    ['--bogus'],
    ['--bound', 'warp'],
    ['--where', 'moon'],
    ['--margin-km', '-1'],
    ['--margin-km', 'wide'],
    ['--map', '110m'],
    ['--max-line-bytes', '3'],
    ['positional'],
  ]) {
    it(`exits 2 on the usage error ${argv.join(' ')}`, async () => {
      const r = await run(['verdict', ...argv]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/--help/);
    });
  }

  it('answers one record per line, in order, and carries on past bad lines', async () => {
    const input = [
      record('a', 0.02),
      'not json at all',
      record('b', 0.3),
      '',
      JSON.stringify({ id: 'gf', claim: { country: 'GF' }, landmarks: [], measurements: [] }),
      record('c', 5, 'CN'),
      JSON.stringify({
        id: 'bad-rtt',
        claim: { country: 'SG' },
        landmarks: [{ id: 'L1', lat: 1, lon: 2 }],
        measurements: [{ landmark: 'L1', rttMs: -1 }],
      }),
    ].join('\n');
    const r = await run(['verdict', '--input', file('mixed.jsonl', input)]);
    expect(r.code).toBe(0);
    expect(r.records.map((x) => x.id)).toEqual(['a', null, 'b', 'gf', 'c', 'bad-rtt']);
    expect(r.records[0]).toMatchObject({
      verdict: 'inside',
      bound: 'vacuum',
      where: 'territorial',
      landmarksUsed: 1,
    });
    expect(r.records[0].estimate).not.toBeNull();
    expect(r.records[1].error.code).toBe('INPUT_NOT_JSON');
    expect(r.records[2].verdict).toBe('unverified');
    expect(r.records[3].error.code).toBe('COUNTRY_NOT_MAPPED');
    // 750 km around Singapore reaches no Chinese land or waters.
    expect(r.records[4].verdict).toBe('outside');
    expect(r.records[5].error.code).toBe('INVALID_RTT');
    expect(r.err).toMatch(/6 records, 3 errors/);
  });

  it('applies --bound, --where and --margin-km and records them on every verdict', async () => {
    const r = await run(
      ['verdict', '--bound', 'fiber', '--where', 'land', '--margin-km', '0.5'],
      record('a', 0.02),
    );
    expect(r.records[0]).toMatchObject({ bound: 'fiber', where: 'land', marginKm: 0.5 });
  });

  it('writes to --output', async () => {
    const out = join(dir, 'out.jsonl');
    const r = await run(['verdict', '--input', file('one.jsonl', record('a', 0.02)), '--output', out]);
    expect(r.code).toBe(0);
    const { readFileSync } = await import('node:fs');
    expect(JSON.parse(readFileSync(out, 'utf8').trim()).verdict).toBe('inside');
  });

  it('reports an over-long line as INPUT_LINE_TOO_LONG without reading it into memory', async () => {
    const r = await run(
      ['verdict', '--max-line-bytes', '300'],
      `${record('a', 0.02)}\n${'x'.repeat(5000)}\n${record('b', 0.02)}\n`,
    );
    expect(r.records.map((x) => x.error?.code ?? x.verdict)).toEqual([
      'inside',
      'INPUT_LINE_TOO_LONG',
      'inside',
    ]);
  });

  it('exits 1 when the input file cannot be read', async () => {
    const r = await run(['verdict', '--input', join(dir, 'missing.jsonl')]);
    expect(r.code).toBe(1);
  });

  it('exits 2 on a bad calibration file, naming the line (INVALID_CALIBRATION)', async () => {
    const cal = file('cal.jsonl', '{"from":"L1","to":"L2","rttMs":1}\n{"from":"L1","to":"L2","rttMs":-4}\n');
    const r = await run(['verdict', '--calibration', cal], record('a', 0.02));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/line 2/);
  });

  it('uses a calibration file for the estimate only', async () => {
    const landmarks = [
      { id: 'L1', lat: 1.35, lon: 103.82 },
      { id: 'L2', lat: 3.14, lon: 101.69 },
      { id: 'L3', lat: -6.21, lon: 106.85 },
    ];
    const rec = JSON.stringify({
      id: 'x',
      claim: { country: 'SG' },
      landmarks,
      measurements: [
        { landmark: 'L1', rttMs: 0.05 },
        { landmark: 'L2', rttMs: 9 },
        { landmark: 'L3', rttMs: 20 },
      ],
    });
    const cal = file(
      'cal-ok.jsonl',
      [
        '{"from":"L1","to":"L2","rttMs":8.5}',
        '{"from":"L1","to":"L3","rttMs":19}',
        '{"from":"L2","to":"L3","rttMs":27}',
        // A landmark no record lists: its pairs wait, they do not spoil the run.
        '{"from":"L1","to":"L9","rttMs":3}',
      ].join('\n'),
    );
    const plain = await run(['verdict'], rec);
    const calibrated = await run(['verdict', '--calibration', cal], rec);
    expect(calibrated.code).toBe(0);
    expect(calibrated.records[0].error).toBeUndefined();
    expect(calibrated.records[0].verdict).toBe(plain.records[0].verdict);
    expect(calibrated.records[0].reasons).toEqual(plain.records[0].reasons);
  });

  it('streams: a 256 MB input of junk lines and one 64 MB line leaves memory flat', async () => {
    const junk = Buffer.from(`${'{"id":1,'.padEnd(1023, 'x')}\n`);
    const lines = 192 * 1024; // 192 MB of 1 KB lines
    const input = new PassThrough();
    (async () => {
      for (let i = 0; i < lines; i++) {
        if (!input.write(junk)) await new Promise((r) => input.once('drain', r));
      }
      const chunk = Buffer.alloc(1 << 20, 0x61);
      for (let i = 0; i < 64; i++) {
        if (!input.write(chunk)) await new Promise((r) => input.once('drain', r));
      }
      input.end('\n');
    })();
    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const timer = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    let count = 0;
    const sink = new Writable({
      write(chunk, _e, cb) {
        count += String(chunk).split('\n').length - 1;
        cb();
      },
    });
    const code = await main(['verdict'], { stdin: input, stdout: sink, stderr: new PassThrough() });
    clearInterval(timer);
    expect(code).toBe(0);
    expect(count).toBe(lines + 1);
    expect(peak - before).toBeLessThan(150 * 1024 * 1024);
  }, 300_000);
});
