import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { progressBar } from '../../src/cli/progress.js';

function sink(isTTY: boolean) {
  let text = '';
  const s = new Writable({
    write(chunk, _e, cb) {
      text += chunk;
      cb();
    },
  }) as Writable & { isTTY?: boolean };
  s.isTTY = isTTY;
  return { stream: s, text: () => text };
}

describe('the progress bar', () => {
  it('draws a bar with a percentage on a terminal', () => {
    const out = sink(true);
    const bar = progressBar(out.stream, 'verdict', 1000);
    bar.update(500, 42);
    bar.finish();
    expect(out.text()).toMatch(/\[#{15}\.{15}\]\s+50% 42 records/);
    expect(out.text().endsWith('\n')).toBe(true);
  });

  it('stays silent when the stream is not a terminal (pipes, CI logs)', () => {
    const out = sink(false);
    const bar = progressBar(out.stream, 'verdict', 1000);
    bar.update(500, 42);
    bar.finish();
    expect(out.text()).toBe('');
  });
});
