// `geoattest witness`: a minimal C2SP tlog-witness until Ctrl-C. Thin: options in, WitnessServer out.

import { parseArgs } from 'node:util';
import { isGeoattestError } from '../errors.js';
import { readKeyFile } from '../io/key-file.js';
import { ed25519Cosigner } from '../tlog/cosignature.js';
import { isValidKeyName } from '../tlog/note.js';
import { ed25519Verifier, parseVerifierKey } from '../tlog/note-keys.js';
import type { WitnessLog } from '../tlog/witness.js';
import { WitnessServer } from '../tlog-adapters/witness-http.js';
import { WitnessStore } from '../tlog-adapters/witness-store.js';
import { eventLogger } from './events.js';
import { parseHostPort } from './landmark-command.js';
import { type CliIo, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './usage.js';

export const WITNESS_USAGE = `Usage: geoattest witness --key FILE --log VKEY [--log VKEY …] [options]

Runs a transparency-log witness (c2sp.org/tlog-witness): logs POST /add-checkpoint with a
checkpoint and a consistency proof from the last size this witness cosigned; it checks the log's
signature and the proof, stores the new size atomically, and answers with its cosignature
(c2sp.org/tlog-cosignature, Ed25519). It refuses to go backwards or to sign a fork (409).
  --key FILE          the witness's Ed25519 key (geoattest keygen; must be mode 0600)
  --name NAME         the witness's key name, a schema-less URL (default geoattest-witness)
  --log VKEY          a log's verifier key, name+hex8+base64; its name is the log's origin
                      (repeat for several logs)
  --state DIR         where the last cosigned checkpoint of each log is kept (default data/witness)
  --listen HOST:PORT  HTTP address (default 127.0.0.1:7380)
  --json              log events as JSON Lines
  -h, --help          show this help`;

export async function runWitness(argv: string[], io: CliIo, stop?: Promise<void>): Promise<number> {
  let o: {
    key?: string;
    name?: string;
    log?: string[];
    state?: string;
    listen?: string;
    json?: boolean;
    help?: boolean;
  };
  let listen: { host: string; port: number };
  let logs: WitnessLog[];
  try {
    ({ values: o } = parseArgs({
      args: argv,
      options: {
        key: { type: 'string' },
        name: { type: 'string', default: 'geoattest-witness' },
        log: { type: 'string', multiple: true },
        state: { type: 'string', default: 'data/witness' },
        listen: { type: 'string', default: '127.0.0.1:7380' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
    if (o.help) {
      io.stdout.write(`${WITNESS_USAGE}\n`);
      return EXIT_OK;
    }
    if (o.key === undefined) throw new Error('--key FILE is required');
    if (o.log === undefined || o.log.length === 0) throw new Error('at least one --log VKEY is required');
    if (!isValidKeyName(o.name!)) throw new Error('--name must be non-empty, without spaces or "+"');
    listen = parseHostPort(o.listen!);
    // Several keys may share an origin (a log rotating its key): one log, several keys.
    const byOrigin = new Map<string, ReturnType<typeof ed25519Verifier>[]>();
    for (const vkey of o.log) {
      try {
        const k = parseVerifierKey(vkey);
        byOrigin.set(k.name, [...(byOrigin.get(k.name) ?? []), ed25519Verifier(k)]);
      } catch (e) {
        throw new Error(`--log ${vkey}: ${(e as Error).message}`);
      }
    }
    logs = [...byOrigin].map(([origin, keys]) => ({ origin, keys }));
  } catch (e) {
    io.stderr.write(`geoattest witness: ${(e as Error).message}\nTry 'geoattest witness --help'.\n`);
    return EXIT_USAGE;
  }
  const say = eventLogger(io.stdout, o.json === true);
  let server: WitnessServer;
  try {
    const cosigner = ed25519Cosigner(o.name!, readKeyFile(o.key).privateKey);
    server = new WitnessServer({
      logs,
      cosigners: [cosigner],
      store: new WitnessStore(o.state!),
      onOutcome: (r, origin) =>
        r.status === 200
          ? say('cosigned', { origin, size: r.record.size })
          : say('refused', { status: r.status, code: r.code, reason: r.body.trim() }),
    });
    const port = await server.listen(listen.host, listen.port);
    say('listening', {
      url: `http://${listen.host}:${port}/add-checkpoint`,
      vkey: cosigner.verifierKey,
      logs: logs.map((l) => l.origin),
      state: o.state,
    });
  } catch (e) {
    io.stderr.write(`geoattest witness: ${isGeoattestError(e) ? e.message : (e as Error).message}\n`);
    return EXIT_FAILURE;
  }
  await (stop ??
    new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    }));
  await server.close();
  say('stopped', {});
  return EXIT_OK;
}
