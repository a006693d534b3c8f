// Reads a byte stream as lines without ever holding more than one line (capped) in memory, so a
// 1 GB input, or a single enormous line, costs the same few megabytes as a small one.

import type { Readable } from 'node:stream';

export type LineItem =
  | { readonly kind: 'line'; readonly text: string; readonly bytes: number }
  /** A line longer than the cap: its content was skipped, only its length is known. */
  | { readonly kind: 'too-long'; readonly bytes: number };

const NL = 0x0a;

export async function* readLines(input: Readable, maxLineBytes: number): AsyncGenerator<LineItem> {
  let parts: Buffer[] = [];
  let held = 0; // bytes of the current line kept in `parts`
  let length = 0; // bytes of the current line seen so far
  let skipping = false;
  const finish = (): LineItem => {
    const bytes = length + 1;
    let item: LineItem;
    if (skipping) item = { kind: 'too-long', bytes };
    else {
      let text = Buffer.concat(parts, held).toString('utf8');
      if (text.endsWith('\r')) text = text.slice(0, -1);
      item = { kind: 'line', text, bytes };
    }
    parts = [];
    held = 0;
    length = 0;
    skipping = false;
    return item;
  };
  for await (const chunk of input as AsyncIterable<Buffer | string>) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    let start = 0;
    while (start < buf.length) {
      const nl = buf.indexOf(NL, start);
      const end = nl === -1 ? buf.length : nl;
      const piece = end - start;
      length += piece;
      if (!skipping) {
        if (held + piece > maxLineBytes) {
          skipping = true;
          parts = [];
          held = 0;
        } else if (piece > 0) {
          parts.push(buf.subarray(start, end));
          held += piece;
        }
      }
      if (nl === -1) break;
      yield finish();
      start = nl + 1;
    }
  }
  if (length > 0 || skipping) yield finish();
}
