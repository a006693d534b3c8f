// `geoattest audit`: check a transparency log end to end with nothing but its public key. Thin:
// options in, the audit core (src/tlog/audit.ts) over an HTTP tile reader, a report out.

import { parseArgs } from 'node:util';
import { isGeoattestError } from '../errors.js';
import type { Atlas } from '../geo/atlas.js';
import { loadAtlas } from '../io/atlas-file.js';
import { type AuditReport, auditLog, type LogReader, type Rederive } from '../tlog/audit.js';
import { encodeBase64 } from '../tlog/note.js';
import { ed25519Verifier, parseVerifierKey } from '../tlog/note-keys.js';
import { loadAuditState, saveAuditState } from '../tlog-adapters/audit-state.js';
import { httpRederive } from '../tlog-adapters/evidence-rederive.js';
import { httpLogReader } from '../tlog-adapters/tile-client.js';
import { progressBar } from './progress.js';
import { type CliIo, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './usage.js';

export const AUDIT_USAGE = `Usage: geoattest audit --log URL --key VKEY [--state DIR] [--token T] [--json]

Audits a geoattest transparency log (c2sp.org/tlog-tiles) trusting only its public key: verifies
the signed checkpoint, its consistency with the last checkpoint this auditor saw, that every new
entry hashes into the signed root and into the tiles the log serves, and that every entry is a
well-formed verdict leaf. Exits 1 on a fork, a rewritten leaf or tile, or a verdict that does not
follow from its evidence, and keeps its state only when everything checked out.
  --log URL      the log's tile prefix (URL/checkpoint, URL/tile/...)
  --key VKEY     the log's verifier key, name+hex8+base64 (its name is the log's origin)
  --state DIR    where the last verified checkpoint is kept (default data/audit)
  --token T      an auditor (or admin) token of the log's verifier (default: env GEOATTEST_TOKEN):
                 with it, every new leaf's verdict is re-derived from its signed receipts,
                 landmark keys and positions with the verdict core
  --json         print the report as one JSON object
  -h, --help     show this help`;

export interface AuditHooks {
  /** Filled by the verifier service: re-derive a leaf's verdict from its evidence endpoint. */
  readonly rederive?: Rederive;
  /** Replaces the HTTP reader (tests). */
  readonly reader?: (url: string) => LogReader;
}

function printReport(r: AuditReport, io: CliIo, json: boolean): void {
  if (json) {
    io.stdout.write(
      `${JSON.stringify({
        ok: r.ok,
        origin: r.origin,
        previousSize: r.previousSize,
        size: r.size,
        root: encodeBase64(r.root),
        leavesChecked: r.leavesChecked,
        rederived: r.rederived,
        findings: r.findings,
        ...(r.evidence !== undefined ? { evidence: r.evidence } : {}),
      })}\n`,
    );
    return;
  }
  io.stdout.write(
    `log ${r.origin}: size ${r.previousSize} -> ${r.size}, root ${encodeBase64(r.root)}\n` +
      `checked ${r.leavesChecked} new leaves; re-derived ${r.rederived.same} same, ${r.rederived.different} different, ${r.rederived.unavailable} unavailable\n`,
  );
  for (const f of r.findings) io.stdout.write(`FAIL ${f.kind}: ${f.message}\n`);
  if (r.evidence !== undefined) {
    io.stdout.write(
      `\nevidence: two checkpoints signed by the log that cannot both be true\n--- previous\n${r.evidence.previous}--- current\n${r.evidence.current}\n`,
    );
  }
  io.stdout.write(r.ok ? 'OK: the log is consistent and every leaf checks out\n' : 'AUDIT FAILED\n');
}

/** Re-derivation over the log's evidence endpoint, when a token may read it. */
function rederiveWith(log: string, token: string | undefined): Rederive | undefined {
  if (token === undefined || token === '') return undefined;
  let atlas: Atlas | undefined;
  return httpRederive(log, token, () => (atlas ??= loadAtlas('10m')));
}

export async function runAudit(argv: string[], io: CliIo, hooks: AuditHooks = {}): Promise<number> {
  let o: { log?: string; key?: string; state?: string; token?: string; json?: boolean; help?: boolean };
  let vkey: ReturnType<typeof parseVerifierKey>;
  try {
    ({ values: o } = parseArgs({
      args: argv,
      options: {
        log: { type: 'string' },
        key: { type: 'string' },
        state: { type: 'string', default: 'data/audit' },
        token: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
    if (o.help) {
      io.stdout.write(`${AUDIT_USAGE}\n`);
      return EXIT_OK;
    }
    if (o.log === undefined) throw new Error('--log URL is required');
    if (o.key === undefined) throw new Error('--key VKEY is required');
    if (!/^https?:\/\//.test(o.log)) throw new Error('--log must be an http:// or https:// URL');
    try {
      vkey = parseVerifierKey(o.key);
    } catch (e) {
      throw new Error(`--key: ${(e as Error).message}`);
    }
  } catch (e) {
    io.stderr.write(`geoattest audit: ${(e as Error).message}\nTry 'geoattest audit --help'.\n`);
    return EXIT_USAGE;
  }
  let bar: ReturnType<typeof progressBar> | undefined;
  try {
    const state = loadAuditState(o.state!, vkey.name);
    const reader = (hooks.reader ?? ((url: string) => httpLogReader(url)))(o.log);
    const report = await auditLog({
      reader,
      logKeys: [ed25519Verifier(vkey)],
      state,
      rederive: hooks.rederive ?? rederiveWith(o.log, o.token ?? process.env.GEOATTEST_TOKEN),
      onProgress: (done, total) => {
        bar ??= progressBar(io.stderr, 'audit', total);
        bar.update(done, done);
      },
    });
    bar?.finish();
    if (report.state !== undefined) saveAuditState(o.state!, vkey.name, report.state);
    printReport(report, io, o.json === true);
    return report.ok ? EXIT_OK : EXIT_FAILURE;
  } catch (e) {
    bar?.finish();
    if (!isGeoattestError(e)) throw e;
    if (o.json)
      io.stdout.write(`${JSON.stringify({ ok: false, error: { code: e.code, message: e.message } })}\n`);
    io.stderr.write(`geoattest audit: ${e.code}: ${e.message}\n`);
    return EXIT_FAILURE;
  }
}
