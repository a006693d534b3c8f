// `geoattest landmark`: a landmark on UDP until Ctrl-C. Thin: options in, LandmarkServer out.

import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { isGeoattestError } from '../errors.js';
import { checkLatitude, checkLongitude } from '../geo/verdict-record.js';
import { parseDeviceDirectory, readListSource } from '../io/directories.js';
import { readKeyFile } from '../io/key-file.js';
import { parseGpuDeviceDirectory } from '../landmark/gpu-directory.js';
import { LandmarkServer } from '../landmark/landmark-server.js';
import { minRttNs } from '../protocol/wire.js';
import { eventLogger } from './events.js';
import { type CliIo, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './usage.js';

export const LANDMARK_USAGE = `Usage: geoattest landmark --key FILE --id ID --lat DEG --lon DEG --devices FILE [options]

Answers chips on UDP: challenges them, times their signed answers over several rounds and signs a
receipt of what it measured. Receipts go to an append-only file and, with --submit, to a verifier.
  --key FILE          the landmark's Ed25519 key (geoattest keygen; must be mode 0600)
  --id ID             1-16 printable ASCII characters, as registered with the verifier
  --lat, --lon DEG    where the landmark stands (reported; the verifier holds the registered position)
  --devices FILE|URL  JSON Lines of {"device": "label", "publicKey": "<base64 Ed25519>"}
  --gpu-devices FILE|URL  JSON Lines of {"device": "label", "deviceId": "<64 hex>"}: GPUs admitted
                      in gpu-session mode (a fresh session key per check-in, its binding to the
                      GPU checked by the verifier from the agent's evidence); without it that mode is
                      refused. gpu-evidence mode is always refused (not carried by protocol v1)
  --listen HOST:PORT  UDP address (default 0.0.0.0:4500)
  --rounds N          rounds per session, 1-8 (default 5); the smallest RTT is the measurement
  --log FILE          receipts file (default data/landmark-ID.receipts)
  --submit URL        verifier endpoint receipts are posted to (retried; nothing is lost)
  --token TOKEN       bearer token for --submit
  --json              log events as JSON Lines
  -h, --help          show this help`;

export function parseHostPort(s: string): { host: string; port: number } {
  const m = /^(.+):(\d{1,5})$/.exec(s);
  const port = m ? Number(m[2]) : Number.NaN;
  if (!m || port > 65535) throw new Error(`expected HOST:PORT, got ${JSON.stringify(s)}`);
  return { host: m[1], port };
}

export async function runLandmark(argv: string[], io: CliIo, stop?: Promise<void>): Promise<number> {
  let o: Record<string, string | boolean | undefined>;
  let listen: { host: string; port: number };
  let lat: number;
  let lon: number;
  let rounds: number;
  try {
    ({ values: o } = parseArgs({
      args: argv,
      options: {
        key: { type: 'string' },
        id: { type: 'string' },
        lat: { type: 'string' },
        lon: { type: 'string' },
        devices: { type: 'string' },
        'gpu-devices': { type: 'string' },
        listen: { type: 'string', default: '0.0.0.0:4500' },
        rounds: { type: 'string', default: '5' },
        log: { type: 'string' },
        submit: { type: 'string' },
        token: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
    if (o.help) {
      io.stdout.write(`${LANDMARK_USAGE}\n`);
      return EXIT_OK;
    }
    for (const required of ['key', 'id', 'lat', 'lon', 'devices']) {
      if (o[required] === undefined) throw new Error(`--${required} is required`);
    }
    lat = checkLatitude(Number(o.lat), '--lat');
    lon = checkLongitude(Number(o.lon), '--lon');
    listen = parseHostPort(o.listen as string);
    rounds = Number(o.rounds);
    if (!Number.isInteger(rounds) || rounds < 1 || rounds > 8) throw new Error('--rounds must be 1..8');
  } catch (e) {
    io.stderr.write(`geoattest landmark: ${(e as Error).message}\nTry 'geoattest landmark --help'.\n`);
    return EXIT_USAGE;
  }
  const say = eventLogger(io.stdout, o.json === true);
  let server: LandmarkServer;
  let port: number;
  try {
    const keys = readKeyFile(o.key as string);
    const { directory, labels } = parseDeviceDirectory(await readListSource(o.devices as string));
    const gpus =
      o['gpu-devices'] === undefined
        ? undefined
        : parseGpuDeviceDirectory(await readListSource(o['gpu-devices'] as string));
    for (const [id, label] of gpus?.labels ?? []) labels.set(id, label);
    const logPath = (o.log as string | undefined) ?? `data/landmark-${o.id}.receipts`;
    mkdirSync(dirname(logPath), { recursive: true });
    server = new LandmarkServer({
      id: o.id as string,
      host: listen.host,
      port: listen.port,
      privateKey: keys.privateKey,
      devices: directory,
      ...(gpus === undefined ? {} : { gpuDevices: gpus.directory }),
      rounds,
      logPath,
      submitUrl: o.submit as string | undefined,
      submitToken: o.token as string | undefined,
      log: (line) => say('submit', { message: line }),
      onReceipt: (r) => {
        const minNs = minRttNs(r);
        const device = labels.get(Buffer.from(r.deviceId).toString('hex')) ?? '?';
        say('receipt', {
          device,
          trustMode: r.trustMode,
          rounds: r.rounds.length,
          minRttMs: Number(minNs) / 1e6,
        });
      },
    });
    port = await server.start();
    say('listening', {
      id: o.id,
      lat,
      lon,
      udp: `${listen.host}:${port}`,
      publicKey: Buffer.from(keys.publicKeyRaw).toString('base64'),
      receipts: logPath,
      devices: labels.size,
    });
  } catch (e) {
    io.stderr.write(`geoattest landmark: ${isGeoattestError(e) ? e.message : (e as Error).message}\n`);
    return EXIT_FAILURE;
  }
  await (stop ??
    new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    }));
  await server.close();
  say('stopped', { receipts: server.receipts, dropped: Object.fromEntries(server.dropped) });
  return EXIT_OK;
}
