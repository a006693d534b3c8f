import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppendLog } from '../../src/io/append-log.js';
import { Submitter } from '../../src/landmark/submitter.js';

/** A verifier stand-in: records what it accepts; fails while `down` is true. */
async function fakeVerifier() {
  const state = { down: true, received: [] as string[], requests: 0 };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      state.requests++;
      if (state.down) {
        res.writeHead(503).end();
        return;
      }
      state.received.push(...(JSON.parse(body).receipts as string[]));
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { state, url: `http://127.0.0.1:${port}/v1/receipts`, close: () => server.close() };
}

describe('submitting receipts', () => {
  it('loses nothing while the verifier is down and sends each receipt once it is up', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'geoattest-submit-'));
    const logPath = join(dir, 'receipts.log');
    const log = new AppendLog(logPath);
    log.append([Buffer.from('r1'), Buffer.from('r2'), Buffer.from('r3')]);
    const v = await fakeVerifier();
    const s = new Submitter({ logPath, url: v.url, batchSize: 2, minBackoffMs: 10 });
    expect(await s.drain()).toBe(0);
    expect(AppendLog.readCursor(logPath)).toBe(0);
    v.state.down = false;
    expect(await s.drain()).toBe(3);
    log.append([Buffer.from('r4')]);
    // A restarted landmark: a new submitter resumes from the cursor.
    s.stop();
    const again = new Submitter({ logPath, url: v.url });
    expect(await again.drain()).toBe(1);
    expect(v.state.received.map((b) => Buffer.from(b, 'base64').toString())).toEqual([
      'r1',
      'r2',
      'r3',
      'r4',
    ]);
    again.stop();
    log.close();
    v.close();
  });
});
