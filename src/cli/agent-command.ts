// `geoattest agent`: checks in with every landmark on its list, on a schedule with jitter, and
// logs what it disclosed. It listens to nothing but the answers to its own check-ins.

import { parseArgs } from 'node:util';
import { checkIn } from '../agent/check-in.js';
import { deviceKeyId } from '../attest/software-identity.js';
import { isGeoattestError } from '../errors.js';
import { parseLandmarkList, readListSource } from '../io/directories.js';
import { readKeyFile } from '../io/key-file.js';
import { deviceIdOf } from '../landmark/landmark-core.js';
import { minRttNs } from '../protocol/wire.js';
import { eventLogger } from './events.js';
import { type CliIo, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './usage.js';

export const AGENT_USAGE = `Usage: geoattest agent --key FILE --device-id ID --landmarks FILE|URL [options]

Checks this chip in with every landmark on the list: answers their challenges with the chip's key
and keeps their signed receipts. It accepts no command, runs nothing it is sent, and cannot slow,
stop or disable anything: the only messages it accepts are challenges and receipts from the
landmark it called.
  --key FILE            the device's Ed25519 identity key (geoattest keygen; mode 0600)
  --device-id ID        the chip's registered id (serial), used in this agent's logs
  --landmarks FILE|URL  JSON Lines of {"id", "host", "port", "publicKey"}
  --interval DURATION   time between check-ins, e.g. 1h, 30m, 10s (default 1h), ±10 % jitter
  --timeout DURATION    per landmark (default 5s)
  --once                check in once with every landmark and exit (0 if all gave receipts)
  --json                log as JSON Lines
  -h, --help            show this help`;

export function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(s);
  if (!m) throw new Error(`expected a duration like 500ms, 10s, 30m or 1h, got ${JSON.stringify(s)}`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
}

export async function runAgent(argv: string[], io: CliIo, stop?: Promise<void>): Promise<number> {
  let o: Record<string, string | boolean | undefined>;
  let intervalMs: number;
  let timeoutMs: number;
  try {
    ({ values: o } = parseArgs({
      args: argv,
      options: {
        key: { type: 'string' },
        'device-id': { type: 'string' },
        landmarks: { type: 'string' },
        interval: { type: 'string', default: '1h' },
        timeout: { type: 'string', default: '5s' },
        once: { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
    if (o.help) {
      io.stdout.write(`${AGENT_USAGE}\n`);
      return EXIT_OK;
    }
    for (const required of ['key', 'device-id', 'landmarks']) {
      if (o[required] === undefined) throw new Error(`--${required} is required`);
    }
    intervalMs = parseDuration(o.interval as string);
    timeoutMs = parseDuration(o.timeout as string);
  } catch (e) {
    io.stderr.write(`geoattest agent: ${(e as Error).message}\nTry 'geoattest agent --help'.\n`);
    return EXIT_USAGE;
  }
  const say = eventLogger(io.stdout, o.json === true, { device: o['device-id'] });
  try {
    const keys = readKeyFile(o.key as string);
    const me = {
      deviceId: deviceIdOf(keys.publicKeyRaw),
      keyId: Buffer.from(deviceKeyId(keys.publicKeyRaw), 'hex'),
      trustMode: 'software' as const,
      privateKey: keys.privateKey,
    };
    let stopped = false;
    void stop?.then(() => {
      stopped = true;
    });
    for (;;) {
      const landmarks = parseLandmarkList(await readListSource(o.landmarks as string));
      let ok = 0;
      for (const lm of landmarks) {
        const r = await checkIn(me, lm, timeoutMs);
        // What left this host, in full: ids, and signatures over the landmark's own nonces.
        say('disclosed', {
          to: lm.id,
          messages: r.disclosures.map((d) => (d.round === undefined ? d.message : `${d.message}#${d.round}`)),
          deviceId: Buffer.from(me.deviceId).toString('hex'),
          keyId: Buffer.from(me.keyId).toString('hex'),
        });
        if (r.receipt) {
          ok++;
          const minNs = minRttNs(r.receipt);
          say('receipt', { from: lm.id, rounds: r.receipt.rounds.length, minRttMs: Number(minNs) / 1e6 });
        } else say('no-receipt', { from: lm.id, reason: r.error?.message ?? 'unknown' });
      }
      if (o.once) return ok === landmarks.length ? EXIT_OK : EXIT_FAILURE;
      const wait = intervalMs * (0.9 + 0.2 * Math.random());
      await Promise.race([
        new Promise((resolve) => setTimeout(resolve, wait)),
        stop ?? new Promise(() => {}),
      ]);
      if (stopped) return EXIT_OK;
    }
  } catch (e) {
    io.stderr.write(`geoattest agent: ${isGeoattestError(e) ? e.message : (e as Error).message}\n`);
    return EXIT_FAILURE;
  }
}
