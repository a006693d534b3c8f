// `geoattest serve`: the verifier service over HTTP until Ctrl-C. Thin: options in, Verifier and
// buildApp out. On first start it creates an admin token and keeps it in a 0600 file beside the
// database, so a newcomer can sign in without another step.

import { type KeyObject, X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { isGeoattestError } from '../errors.js';
import { createKeyFile, readKeyFile } from '../io/key-file.js';
import { buildApp } from '../server/app.js';
import type { Witness } from '../server/transparency-log.js';
import { Verifier, type VerifierOptions } from '../server/verifier.js';
import { DEFAULT_SQLITE_FILE, isPostgresUrl } from '../store/database.js';
import { parseHostPort } from './landmark-command.js';
import { type CliIo, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './usage.js';

export const SERVE_USAGE = `Usage: geoattest serve [--db FILE] [--listen HOST:PORT] [options]

Runs the verifier: licences, chips, landmarks, receipts, verdicts, alerts, reports and the
dashboard, over HTTP. The database is a SQLite file (created on first run, WAL) unless the
DATABASE_URL environment variable holds a postgres:// URL.
  --db FILE            SQLite file (default ${DEFAULT_SQLITE_FILE})
  --listen HOST:PORT   HTTP address (default 127.0.0.1:8080)
  --token-file FILE    where the first admin token is written (default: admin-token beside the
                       SQLite file, or data/admin-token with PostgreSQL)
  --log-key FILE       the transparency log's Ed25519 key (created 0600 on first run; default:
                       log-key beside the SQLite file, or data/log-key with PostgreSQL)
  --log-origin NAME    the log's checkpoint origin (default geoattest.local/log)
  --nvidia-root FILE   PEM of the "NVIDIA Device Identity CA" root that GPU evidence must chain to
                       (gpu-session chips); without it their evidence is refused
  --witness URL=VKEY   a witness to ask for cosignatures after each batch (repeatable; see
                       geoattest witness)
  --quiet              no request logs (structured JSON logs go to stdout otherwise)
  -h, --help           show this help
Environment: DATABASE_URL=postgres://user@host:5432/db selects PostgreSQL.`;

export interface ServeHandle {
  readonly url: string;
  readonly verifier: Verifier;
  close(): Promise<void>;
}

export async function runServe(argv: string[], io: CliIo, stop?: Promise<void>): Promise<number> {
  let o: {
    db?: string;
    listen: string;
    'token-file'?: string;
    'log-key'?: string;
    'log-origin': string;
    witness?: string[];
    'nvidia-root'?: string;
    quiet?: boolean;
    help?: boolean;
  };
  let listen: { host: string; port: number };
  let witnesses: Witness[];
  try {
    ({ values: o } = parseArgs({
      args: argv,
      options: {
        db: { type: 'string' },
        listen: { type: 'string', default: '127.0.0.1:8080' },
        'token-file': { type: 'string' },
        'log-key': { type: 'string' },
        'log-origin': { type: 'string', default: 'geoattest.local/log' },
        witness: { type: 'string', multiple: true },
        'nvidia-root': { type: 'string' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }) as never);
    if (o.help) {
      io.stdout.write(`${SERVE_USAGE}\n`);
      return EXIT_OK;
    }
    listen = parseHostPort(o.listen);
    witnesses = (o.witness ?? []).map((w) => {
      const m = /^(https?:\/\/[^=]+)=(.+)$/.exec(w);
      if (m === null) throw new Error(`--witness must be URL=VKEY, got ${JSON.stringify(w)}`);
      return { url: m[1], vkey: m[2] };
    });
  } catch (e) {
    io.stderr.write(`geoattest serve: ${(e as Error).message}\nTry 'geoattest serve --help'.\n`);
    return EXIT_USAGE;
  }
  const envUrl = process.env.DATABASE_URL;
  const location =
    envUrl !== undefined && isPostgresUrl(envUrl) && o.db === undefined
      ? envUrl
      : (o.db ?? DEFAULT_SQLITE_FILE);
  let handle: ServeHandle;
  try {
    handle = await startServer({
      location,
      host: listen.host,
      port: listen.port,
      tokenFile: o['token-file'] ?? beside(location, 'admin-token'),
      logKeyFile: o['log-key'] ?? beside(location, 'log-key'),
      logOrigin: o['log-origin'],
      witnesses,
      nvidiaRootFile: o['nvidia-root'],
      logger: o.quiet !== true,
      io,
    });
  } catch (e) {
    io.stderr.write(
      `geoattest serve: ${isGeoattestError(e) || e instanceof Error ? (e as Error).message : String(e)}\n`,
    );
    return EXIT_FAILURE;
  }
  await (stop ??
    new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    }));
  await handle.close();
  io.stderr.write('geoattest serve: stopped\n');
  return EXIT_OK;
}

/** A file beside the SQLite database, or under data/ with PostgreSQL. */
function beside(location: string, name: string): string {
  return isPostgresUrl(location) ? join('data', name) : join(dirname(location), name);
}

export interface StartOptions {
  readonly location: string;
  /** The log's signing key file (created 0600 when missing) and checkpoint origin. */
  readonly logKeyFile: string;
  readonly logOrigin: string;
  readonly witnesses?: readonly Witness[];
  /** PEM file of the NVIDIA root GPU evidence must chain to. */
  readonly nvidiaRootFile?: string;
  readonly host: string;
  readonly port: number;
  readonly tokenFile: string;
  readonly logger: boolean;
  readonly io: CliIo;
  readonly now?: () => number;
  /**
   * Verdict settling and sweep cadence (the demo runs them faster than a day's service would), and
   * worker threads (default one per core).
   */
  readonly timing?: Pick<VerifierOptions, 'verdictSettleMs' | 'sweepIntervalMs' | 'workers'>;
}

/** Opens the database, makes sure an admin can sign in, and listens. */
export async function startServer(s: StartOptions): Promise<ServeHandle> {
  const verifier = await Verifier.open(
    { location: s.location },
    {
      workers: availableParallelism(),
      log: { origin: s.logOrigin, privateKey: logKey(s.logKeyFile), witnesses: s.witnesses ?? [] },
      nvidiaRoots:
        s.nvidiaRootFile === undefined ? [] : [new X509Certificate(readFileSync(s.nvidiaRootFile))],
      ...(s.now ? { now: s.now } : {}),
      ...s.timing,
    },
  );
  try {
    const token = await ensureAdminToken(verifier, s.tokenFile);
    const app = await buildApp({
      verifier,
      logger: s.logger ? { level: 'info' } : false,
      version: packageVersion(),
    });
    verifier.onLoopError = (e) =>
      s.logger
        ? app.log.error({ err: e }, 'background verdict loop failed')
        : s.io.stderr.write(
            `geoattest serve: background verdict loop failed: ${(e as Error).stack ?? String(e)}\n`,
          );
    verifier.start();
    const address = await app.listen({ host: s.host, port: s.port });
    const url = address.replace('[::1]', 'localhost');
    s.io.stderr.write(
      `geoattest serve: ${verifier.store.description}\n  dashboard and API: ${url}/\n  OpenAPI: ${url}/openapi.json\n` +
        `  transparency log: ${url}/checkpoint, key ${verifier.log.verifierKey}\n` +
        (token.created
          ? `  admin token (also in ${s.tokenFile}, mode 0600): ${token.secret}\n`
          : `  admin token: in ${s.tokenFile}\n`),
    );
    return {
      url,
      verifier,
      async close() {
        await app.close();
        await verifier.close();
      },
    };
  } catch (e) {
    await verifier.close();
    throw e;
  }
}

/** The log's key: read (refusing a file others can read), or created on first run. */
function logKey(file: string): KeyObject {
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    createKeyFile(file);
  }
  return readKeyFile(file).privateKey;
}

/** Creates the first admin token when the database has none; keeps its secret in a 0600 file. */
export async function ensureAdminToken(
  v: Verifier,
  file: string,
): Promise<{ secret: string; created: boolean }> {
  if ((await v.tokens.count()) > 0) {
    const secret = existsSync(file)
      ? readFileSync(file, 'utf8').trim()
      : '(created earlier; not on this machine)';
    return { secret, created: false };
  }
  const t = await v.tokens.create({ name: 'first admin', role: 'admin' }, 'geoattest serve', v.now());
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${t.secret}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { secret: t.secret, created: true };
}

function packageVersion(): string {
  try {
    return (
      JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
        version: string;
      }
    ).version;
  } catch {
    return 'dev';
  }
}
