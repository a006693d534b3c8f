// A one-line progress bar on a terminal; silent when the stream is not one (pipes, files, CI logs).

import type { WriteStream } from 'node:tty';

export interface ProgressSink {
  update(done: number, count: number): void;
  finish(): void;
}

const SILENT: ProgressSink = { update() {}, finish() {} };

/** `total` in the same unit as `done` (bytes); unknown for pipes, where only counts are shown. */
export function progressBar(stream: NodeJS.WritableStream, label: string, total?: number): ProgressSink {
  const tty = stream as Partial<WriteStream>;
  if (!tty.isTTY) return SILENT;
  const started = Date.now();
  let last = 0;
  let shown = false;
  const draw = (done: number, count: number) => {
    const secs = Math.max((Date.now() - started) / 1000, 1e-3);
    const rate = `${Math.round(count / secs).toLocaleString('en')}/s`;
    let bar = '';
    if (total !== undefined && total > 0) {
      const width = 30;
      const f = Math.min(1, done / total);
      const full = Math.round(f * width);
      bar = `[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${(f * 100).toFixed(0).padStart(3)}% `;
    }
    stream.write(`\r${label} ${bar}${count.toLocaleString('en')} records ${rate}\x1b[K`);
    shown = true;
  };
  let lastDone = 0;
  let lastCount = 0;
  return {
    update(done, count) {
      lastDone = done;
      lastCount = count;
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      draw(done, count);
    },
    finish() {
      if (shown || lastCount > 0) {
        draw(lastDone, lastCount);
        stream.write('\n');
      }
    },
  };
}
