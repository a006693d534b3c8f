// The verifier's worker threads give the same answers as the calling thread. Workers run compiled
// JavaScript, so this test drives the build in dist/ (npm test builds it first).

import { afterAll, describe, expect, it } from 'vitest';
import { loadAtlas } from '../../src/io/atlas-file.js';
import { DEFAULT_POLICY } from '../../src/ledger/policy.js';
import {
  runJobs,
  type SignatureJob,
  VERIFIER_VERSION,
  type VerdictJob,
} from '../../src/server/verifier-jobs.js';
import { evidenceHash } from '../../src/tlog/verdict-leaf.js';
import { keyPair, signedReceipt } from '../helpers/verifier-world.js';

const dist = new URL('../../dist/src/server/worker-pool.js', import.meta.url).href;

describe('worker pool', async () => {
  const { WorkerPool } = (await import(dist)) as typeof import('../../src/server/worker-pool.js');
  const atlas = (() => {
    let a: ReturnType<typeof loadAtlas> | undefined;
    return () => (a ??= loadAtlas('10m'));
  })();
  const pool = new WorkerPool(2, atlas);
  afterAll(() => pool.close());

  it('checks signatures as the calling thread does, forged ones included', async () => {
    const lm = keyPair();
    const dev = keyPair();
    const jobs: SignatureJob[] = Array.from({ length: 40 }, (_, i) => {
      const b = Buffer.from(
        signedReceipt({
          landmarkId: 'KUL',
          landmark: i % 7 === 0 ? keyPair() : lm,
          device: dev,
          rttsMs: [0.2, 0.3],
          wallMs: 1e12,
        }),
        'base64',
      );
      return { receipt: new Uint8Array(b), landmarkKey: lm.raw, deviceKey: dev.raw };
    });
    const inline = runJobs('signatures', jobs, atlas);
    expect(inline.filter((r) => r === 'PACKET_BAD_SIGNATURE')).toHaveLength(6);
    expect(await pool.run('signatures', jobs)).toEqual(inline);
  });

  it('decides verdicts as the calling thread does', async () => {
    const landmarks = [
      { id: 'KUL', lat: 3.139, lon: 101.687 },
      { id: 'SZX', lat: 22.543, lon: 114.058 },
    ];
    const jobs: VerdictJob[] = [0.2, 0.3, 40, 1].map((rtt, i) => ({
      destinations: [{ country: i === 3 ? 'CN' : 'MY' }],
      landmarks,
      measurements: [{ landmark: i === 3 ? 'SZX' : 'KUL', rttMs: rtt }],
      policy: DEFAULT_POLICY,
      evidence: [String(i).repeat(64), 'ab'.repeat(32)],
    }));
    const inline = runJobs('verdicts', jobs, atlas);
    // 1 ms from Shenzhen reaches 150 km: Hong Kong too, so not proven inside China.
    expect(inline.map((d) => d.verdict.verdict)).toEqual(['inside', 'inside', 'unverified', 'unverified']);
    expect(await pool.run('verdicts', jobs)).toEqual(inline);
    // The stored record's parts: the evidence hash of the job's receipts, and the detail.
    inline.forEach((d, i) => {
      const hashes = jobs[i].evidence.map((h) => Buffer.from(h, 'hex'));
      expect(d.evidenceHash).toBe(Buffer.from(evidenceHash(hashes)).toString('hex'));
      expect(JSON.parse(d.detail)).toEqual({
        marginKm: d.verdict.marginKm,
        landmarksUsed: d.verdict.landmarksUsed,
        reasons: d.verdict.reasons,
        suspects: d.verdict.suspects,
        estimate: d.estimate,
        verifier: VERIFIER_VERSION,
      });
    });
  });

  it('decides a large batch in order over both workers, and a job that throws fails its run with a code', async () => {
    const landmarks = [{ id: 'KUL', lat: 3.139, lon: 101.687 }];
    const jobs: VerdictJob[] = Array.from({ length: 300 }, (_, i) => ({
      destinations: [{ country: 'MY' }],
      landmarks,
      measurements: [{ landmark: 'KUL', rttMs: i % 2 === 0 ? 0.2 : 40 }],
      policy: DEFAULT_POLICY,
      evidence: [],
    }));
    const results = await pool.run('verdicts', jobs);
    expect(results.map((d) => d.verdict.verdict)).toEqual(
      jobs.map((_, i) => (i % 2 === 0 ? 'inside' : 'unverified')),
    );
    // Not a licence's destinations: the worker's decision throws, the run rejects.
    const broken = [
      ...jobs.slice(0, 50),
      { ...jobs[0], destinations: [{ nonsense: true }] },
      ...jobs.slice(0, 50),
    ];
    await expect(pool.run('verdicts', broken)).rejects.toMatchObject({ code: 'INTERNAL' });
    expect((await pool.run('verdicts', jobs.slice(0, 4))).map((d) => d.verdict.verdict)).toEqual([
      'inside',
      'unverified',
      'inside',
      'unverified',
    ]);
  });
});
