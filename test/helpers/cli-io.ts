// The CLI in memory: an empty stdin and stdout/stderr collected into strings, for tests that run
// commands through `main` (or one command's runner) without a process of their own.

import { Readable, Writable } from 'node:stream';
import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/usage.js';

export function captureIo(): { io: CliIo; out: { stdout: string; stderr: string } } {
  const out = { stdout: '', stderr: '' };
  const sink = (k: 'stdout' | 'stderr') =>
    new Writable({
      write(c, _e, cb) {
        out[k] += String(c);
        cb();
      },
    });
  return { io: { stdin: Readable.from([]), stdout: sink('stdout'), stderr: sink('stderr') }, out };
}

/** Runs `geoattest argv…` in this process. */
export async function runCli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const { io, out } = captureIo();
  const code = await main(argv, io);
  return { code, out: out.stdout, err: out.stderr };
}
