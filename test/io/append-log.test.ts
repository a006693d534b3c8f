import { appendFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppendLog } from '../../src/io/append-log.js';

describe('append-only log', () => {
  const dir = mkdtempSync(join(tmpdir(), 'geoattest-log-'));

  it('reads back what was appended, in order, across reopenings', () => {
    const path = join(dir, 'a.log');
    const log = new AppendLog(path);
    log.append([Buffer.from([1, 2, 3]), Buffer.from('receipt two')]);
    log.close();
    const again = new AppendLog(path);
    again.append([Buffer.alloc(0), Buffer.from([255])]);
    again.close();
    expect(AppendLog.read(path).map((b) => b.toString('hex'))).toEqual([
      '010203',
      Buffer.from('receipt two').toString('hex'),
      '',
      'ff',
    ]);
  });

  it('skips a line torn by a crash', () => {
    const path = join(dir, 'torn.log');
    const log = new AppendLog(path);
    log.append([Buffer.from('whole')]);
    log.close();
    appendFileSync(path, 'AAAA'); // a write cut short: no newline
    expect(AppendLog.read(path).map(String)).toEqual(['whole']);
  });

  it('keeps a cursor of records handed on, replaced atomically', () => {
    const path = join(dir, 'c.log');
    expect(AppendLog.readCursor(path)).toBe(0);
    AppendLog.writeCursor(path, 42);
    expect(AppendLog.readCursor(path)).toBe(42);
  });

  it('reads a missing log as empty', () => {
    expect(AppendLog.read(join(dir, 'none.log'))).toEqual([]);
  });
});

describe('batched appends off the event loop', () => {
  it('keeps order and resolves only when records are durable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'geoattest-log-'));
    const path = join(dir, 'batched.log');
    const log = new AppendLog(path);
    const writes = Array.from({ length: 200 }, (_, i) => log.appendLater([Buffer.from(`r${i}`)]));
    await writes[57];
    expect(AppendLog.read(path).length).toBeGreaterThanOrEqual(58);
    await Promise.all(writes);
    await log.closeWhenFlushed();
    expect(AppendLog.read(path).map(String)).toEqual(Array.from({ length: 200 }, (_, i) => `r${i}`));
  });
});

describe('when records keep arriving', () => {
  it('resolves each caller once its own records are durable, not when the queue runs dry', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'geoattest-log-'));
    const log = new AppendLog(join(dir, 'busy.log'));
    let feeding = true;
    const feed = () => {
      if (!feeding) return;
      void log.appendLater([Buffer.from('more')]);
      setImmediate(feed);
    };
    const first = log.appendLater([Buffer.from('first')]);
    feed();
    const winner = await Promise.race([
      first.then(() => 'resolved'),
      new Promise((r) => setTimeout(() => r('starved'), 2000)),
    ]);
    feeding = false;
    expect(winner).toBe('resolved');
    await log.closeWhenFlushed();
  });
});
