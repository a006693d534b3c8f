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
