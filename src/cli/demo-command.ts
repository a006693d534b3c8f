// `geoattest demo` (what `npm start` runs): the whole system on this machine. The verifier service
// with its dashboard and transparency log on the embedded SQLite default, ~30 landmarks in real
// data-centre cities and ~250 chips' agents talking real UDP on loopback with the latency model's
// delays, and five smuggling scenarios played out in the first minute, each ending in its alert.
// `--explain` keeps the older offline walk through a few illustrative verdicts.

import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { isGeoattestError } from '../errors.js';
import { DEFAULT_BOUND } from '../geo/bounds.js';
import { evaluateRecord } from '../geo/evaluate.js';
import { distanceKm } from '../geo/sphere.js';
import { DEFAULT_WHERE } from '../geo/where.js';
import { loadAtlas } from '../io/atlas-file.js';
import {
  buildDemoWorld,
  DemoNetwork,
  intervalByLicence,
  registerDemoWorld,
  warmVerdicts,
} from '../sim/demo-world.js';
import { DEMO_TIMINGS, demoScenarios, ScenarioRunner } from '../sim/scenarios.js';
import { verdictScenarios } from '../sim/verdict-scenarios.js';
import { parseHostPort } from './landmark-command.js';
import { startServer } from './serve-command.js';
import { type CliIo, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './usage.js';

export const DEMO_DB = 'data/demo.sqlite';

export const DEMO_USAGE = `Usage: geoattest demo [--db FILE] [--listen HOST:PORT] [options]

Runs the whole system here: the verifier service with its dashboard and transparency log (SQLite),
30 landmarks in data-centre cities and ~250 chips checking in over real UDP on loopback, with
delays from the latency model. In its first minute it plays five scenarios, each ending in an
alert: a chip diverted to Shenzhen, the same trick behind a relay, a cloned identity, a landmark
that lies about round trips, and a chip that stops checking in. Honest chips stay inside. Prints
the dashboard URL and an admin token; Ctrl-C stops it. State survives a restart (same world).
  --db FILE            SQLite file (default ${DEMO_DB}; keys, token and logs go beside it)
  --listen HOST:PORT   HTTP address (default 127.0.0.1:8080)
  --scale N            chips per deployment × N (default 1: ~250 chips)
  --no-scenarios       only honest chips
  --workers N          verifier worker threads (default: one per core)
  --explain            instead: decide and explain a few illustrative verdicts offline, and exit
  --json               with --explain: one JSON record per case
  -h, --help           show this help`;

interface DemoOptions {
  db: string;
  listen: string;
  scale: string;
  'no-scenarios'?: boolean;
  workers?: string;
  explain?: boolean;
  json?: boolean;
  help?: boolean;
}

export async function runDemo(argv: string[], io: CliIo, stop?: Promise<void>): Promise<number> {
  let o: DemoOptions;
  let listen: { host: string; port: number };
  let scale: number;
  try {
    ({ values: o } = parseArgs({
      args: argv,
      options: {
        db: { type: 'string', default: DEMO_DB },
        listen: { type: 'string', default: '127.0.0.1:8080' },
        scale: { type: 'string', default: '1' },
        'no-scenarios': { type: 'boolean' },
        workers: { type: 'string' },
        explain: { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }) as never);
    listen = parseHostPort(o.listen);
    scale = Number(o.scale);
    if (!(scale > 0 && scale <= 20)) throw new Error('--scale must be a number in (0, 20]');
    if (o.workers !== undefined && !/^\d{1,2}$/.test(o.workers)) throw new Error('--workers must be 0..99');
  } catch (e) {
    io.stderr.write(`geoattest demo: ${(e as Error).message}\nTry 'geoattest demo --help'.\n`);
    return EXIT_USAGE;
  }
  if (o.help) {
    io.stdout.write(`${DEMO_USAGE}\n`);
    return EXIT_OK;
  }
  if (o.explain) return explain(io, o.json === true);
  try {
    return await runWorld(o, listen, scale, io, stop);
  } catch (e) {
    io.stderr.write(
      `geoattest demo: ${isGeoattestError(e) || e instanceof Error ? (e as Error).message : String(e)}\n`,
    );
    return EXIT_FAILURE;
  }
}

/** The world's secret: every key is derived from it, so a restart finds the same landmarks and chips. */
function worldSecret(file: string): Uint8Array {
  if (existsSync(file)) return new Uint8Array(Buffer.from(readFileSync(file, 'utf8').trim(), 'hex'));
  const secret = randomBytes(32);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${secret.toString('hex')}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return new Uint8Array(secret);
}

async function runWorld(
  o: DemoOptions,
  listen: { host: string; port: number },
  scale: number,
  io: CliIo,
  stop?: Promise<void>,
): Promise<number> {
  const dir = dirname(o.db);
  const say = (s: string) => io.stderr.write(`${s}\n`);
  const t = DEMO_TIMINGS;
  const world = buildDemoWorld({ secret: worldSecret(join(dir, 'demo-secret')), chipScale: scale });
  const tokenFile = join(dir, 'admin-token');
  const server = await startServer({
    location: o.db,
    logKeyFile: join(dir, 'log-key'),
    logOrigin: 'geoattest.local/demo-log',
    host: listen.host,
    port: listen.port,
    tokenFile,
    logger: false,
    io,
    timing: {
      verdictSettleMs: t.verdictSettleMs,
      sweepIntervalMs: t.sweepIntervalMs,
      ...(o.workers === undefined ? {} : { workers: Number(o.workers) }),
    },
  });
  const v = server.verifier;
  let network: DemoNetwork | undefined;
  let runner: ScenarioRunner | undefined;
  try {
    const how = await registerDemoWorld(v.ledger, world, t, v.now());
    v.ledgerChanged();
    warmVerdicts(world, v.engine.atlas());
    network = new DemoNetwork({
      world,
      intervalOf: intervalByLicence(world, t),
      firstSpreadMs: t.firstSpreadMs,
      dataDir: join(dir, 'demo-landmarks'),
      log: say,
      sink: async (landmarkId, receipts) => {
        const r = await v.ingestion.ingest(receipts, { name: `landmark ${landmarkId}`, landmarkId }, v.now());
        for (const x of r.rejected) say(`  receipt from ${landmarkId} rejected: ${x.code}`);
      },
    });
    const scenarios = o['no-scenarios'] ? [] : demoScenarios(world, t);
    v.alerts.onRaised((a) => say(`  ALERT ${a.kind}${a.chipId ? ` ${a.chipId}` : ''}: ${a.message}`));
    await network.start();
    runner = new ScenarioRunner(network, scenarios, t.scenarioAtMs, undefined, (s, e) =>
      say(
        e === undefined
          ? `  scenario ${s.name}: ${s.title}`
          : `  scenario ${s.name} failed: ${(e as Error).message}`,
      ),
    );
    runner.start();
    const token = existsSync(tokenFile)
      ? readFileSync(tokenFile, 'utf8').trim()
      : '(see the server output above)';
    say(
      [
        '',
        `geoattest demo: ${how === 'reused' ? 'the world from last time' : 'a new world'} in ${o.db}`,
        `  ${world.landmarks.length} landmarks, ${world.licences.length} licences, ${world.chips.length} chips, checking in over UDP on loopback`,
        `  dashboard: ${server.url}/`,
        `  admin token: ${token}`,
        scenarios.length === 0
          ? '  no scenarios (--no-scenarios)'
          : `  in ${t.scenarioAtMs / 1000} s: ${scenarios.map((s) => s.name).join(', ')}; every alert within about a minute`,
        '  Singapore chips stay `unverified` here: docs/demo.md says why. Ctrl-C stops.',
        '',
      ].join('\n'),
    );
    await (stop ??
      new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      }));
    say('geoattest demo: stopping');
  } finally {
    runner?.stop();
    await runner?.settled().catch(() => {});
    await network?.close();
    await server.close();
  }
  const s = network?.stats;
  say(
    `geoattest demo: stopped (${s?.checkIns ?? 0} check-ins, ${s?.receipts ?? 0} receipts, ${s?.sessionsFailed ?? 0} sessions timed out)`,
  );
  return EXIT_OK;
}

/** The older offline explanation: a few illustrative records, decided and explained. */
function explain(io: CliIo, json: boolean): number {
  const atlas = loadAtlas();
  const opts = { bound: DEFAULT_BOUND, where: DEFAULT_WHERE };
  for (const s of verdictScenarios()) {
    const out = evaluateRecord(
      { id: s.name, claim: s.claim, landmarks: s.landmarks, measurements: s.measurements },
      opts,
      { atlas: () => atlas },
    );
    const errorKm = out.estimate === null ? null : Math.round(distanceKm(out.estimate, s.truth));
    if (json) {
      io.stdout.write(`${JSON.stringify({ ...out, truth: s.truth, estimateErrorKm: errorKm })}\n`);
      continue;
    }
    const claim = s.claim.kind === 'country' ? s.claim.code : s.claim.kind;
    io.stdout.write(`\n${s.name}\n`);
    io.stdout.write(
      `  claim ${claim}: ${out.verdict.toUpperCase()}  (proof reaches ${out.proofRadiusKm} km; ` +
        `estimate ${errorKm} km from the truth)\n`,
    );
    for (const r of out.reasons) io.stdout.write(`  - ${r}\n`);
  }
  if (!json) {
    io.stdout.write(
      `\nEvery verdict is sound under the ${opts.bound} bound: "inside" and "outside" hold whatever an\n` +
        `adversary does within physics. Decide your own records with 'geoattest verdict --help'.\n`,
    );
  }
  return EXIT_OK;
}
