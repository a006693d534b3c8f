// `geoattest agent`: checks in with every landmark on its list, on a schedule with jitter, and
// logs what it disclosed. It listens to nothing but the answers to its own check-ins.

import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import type { AgentIdentity } from '../agent/agent-session.js';
import { checkIn } from '../agent/check-in.js';
import {
  collectSessionEvidence,
  discoverGpuDeviceId,
  type EvidenceCommand,
  parseEvidenceCommand,
  postEvidence,
} from '../agent/evidence-collector.js';
import { newGpuSessionIdentity } from '../agent/gpu-session.js';
import { deviceKeyId } from '../attest/software-identity.js';
import { isGeoattestError } from '../errors.js';
import { AppendLog } from '../io/append-log.js';
import { parseLandmarkList, readListSource } from '../io/directories.js';
import { readKeyFile } from '../io/key-file.js';
import { deviceIdOf } from '../landmark/landmark-core.js';
import { minRttNs } from '../protocol/wire.js';
import { eventLogger } from './events.js';
import { type CliIo, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './usage.js';

export const AGENT_USAGE = `Usage: geoattest agent --key FILE --device-id ID --landmarks FILE|URL [options]
       geoattest agent --trust-mode gpu-session --evidence-command CMD --device-id ID --landmarks FILE|URL [options]

Checks this chip in with every landmark on the list: answers their challenges with the chip's key
and keeps their signed receipts. It accepts no command, runs nothing it is sent, and cannot slow,
stop or disable anything: the only messages it accepts are challenges and receipts from the
landmark it called.
  --key FILE            the device's Ed25519 identity key (geoattest keygen; mode 0600); software mode
  --device-id ID        the chip's registered id (serial), used in this agent's logs
  --landmarks FILE|URL  JSON Lines of {"id", "host", "port", "publicKey"}
  --trust-mode MODE     software (default) or gpu-session: a fresh session key answers each check-in,
                        then the GPU signs evidence binding it (gpu-evidence is not on the wire yet)
  --evidence-command CMD  gpu-session: the operator's evidence collector, run without a shell, e.g.
                        "nvattest collect-evidence --device gpu --nonce {nonce} --format json";
                        {nonce} becomes the 64 hex digits the GPU must sign
  --gpu-index N         which GPU of the collector's list is this chip (default 0)
  --evidence-timeout DURATION  per collection (default 60s)
  --evidence-url URL    gpu-session: POST each evidence bundle here (only the status is read)
  --evidence-log FILE   gpu-session: bundles kept here (default data/agent-ID.evidence)
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
  let evidenceTimeoutMs: number;
  let gpuIndex: number;
  let gpu = false;
  let command: EvidenceCommand | undefined;
  try {
    ({ values: o } = parseArgs({
      args: argv,
      options: {
        key: { type: 'string' },
        'device-id': { type: 'string' },
        landmarks: { type: 'string' },
        'trust-mode': { type: 'string', default: 'software' },
        'evidence-command': { type: 'string' },
        'gpu-index': { type: 'string', default: '0' },
        'evidence-timeout': { type: 'string', default: '60s' },
        'evidence-url': { type: 'string' },
        'evidence-log': { type: 'string' },
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
    gpu = o['trust-mode'] === 'gpu-session';
    if (o['trust-mode'] === 'gpu-evidence') {
      throw new Error('--trust-mode gpu-evidence is not carried by protocol v1 (docs/protocol.md)');
    }
    if (!gpu && o['trust-mode'] !== 'software')
      throw new Error('--trust-mode must be software or gpu-session');
    for (const required of gpu
      ? ['evidence-command', 'device-id', 'landmarks']
      : ['key', 'device-id', 'landmarks']) {
      if (o[required] === undefined) throw new Error(`--${required} is required`);
    }
    intervalMs = parseDuration(o.interval as string);
    timeoutMs = parseDuration(o.timeout as string);
    evidenceTimeoutMs = parseDuration(o['evidence-timeout'] as string);
    gpuIndex = Number(o['gpu-index']);
    if (!Number.isInteger(gpuIndex) || gpuIndex < 0) throw new Error('--gpu-index must be 0 or more');
    if (gpu) command = parseEvidenceCommand(o['evidence-command'] as string);
  } catch (e) {
    io.stderr.write(`geoattest agent: ${(e as Error).message}\nTry 'geoattest agent --help'.\n`);
    return EXIT_USAGE;
  }
  const say = eventLogger(io.stdout, o.json === true, { device: o['device-id'] });
  let evidenceLog: AppendLog | undefined;
  try {
    // software: one identity key for every check-in. gpu-session: the GPU's device id, found once
    // by asking the collector with a random nonce; a fresh session key for every check-in.
    let software: AgentIdentity | undefined;
    let gpuDeviceId: Uint8Array | undefined;
    if (gpu) {
      gpuDeviceId = await discoverGpuDeviceId(command!, gpuIndex, randomBytes(32), evidenceTimeoutMs);
      const logPath = (o['evidence-log'] as string | undefined) ?? `data/agent-${o['device-id']}.evidence`;
      mkdirSync(dirname(logPath), { recursive: true });
      evidenceLog = new AppendLog(logPath);
    } else {
      const keys = readKeyFile(o.key as string);
      software = {
        deviceId: deviceIdOf(keys.publicKeyRaw),
        keyId: Buffer.from(deviceKeyId(keys.publicKeyRaw), 'hex'),
        trustMode: 'software' as const,
        privateKey: keys.privateKey,
      };
    }
    let stopped = false;
    void stop?.then(() => {
      stopped = true;
    });
    for (;;) {
      const landmarks = parseLandmarkList(await readListSource(o.landmarks as string));
      let ok = 0;
      for (const lm of landmarks) {
        const me = software ?? newGpuSessionIdentity(gpuDeviceId!);
        const r = await checkIn(me, lm, timeoutMs);
        // What left this host, in full: ids, and signatures over the landmark's own nonces.
        say('disclosed', {
          to: lm.id,
          trustMode: me.trustMode,
          messages: r.disclosures.map((d) => (d.round === undefined ? d.message : `${d.message}#${d.round}`)),
          deviceId: Buffer.from(me.deviceId).toString('hex'),
          keyId: Buffer.from(me.keyId).toString('hex'),
          ...(me.sessionKey === undefined
            ? {}
            : { sessionKey: Buffer.from(me.sessionKey).toString('base64') }),
        });
        if (!r.receipt) {
          say('no-receipt', { from: lm.id, reason: r.error?.message ?? 'unknown' });
          continue;
        }
        const minNs = minRttNs(r.receipt);
        say('receipt', { from: lm.id, rounds: r.receipt.rounds.length, minRttMs: Number(minNs) / 1e6 });
        if (me.trustMode !== 'gpu-session') {
          ok++;
          continue;
        }
        try {
          const bundle = await collectSessionEvidence({
            command: command!,
            timeoutMs: evidenceTimeoutMs,
            receipt: r.receipt,
            landmarkId: lm.id,
            sessionPublicKey: me.sessionKey!,
          });
          await evidenceLog!.appendLater([Buffer.from(JSON.stringify(bundle))]);
          // The bundle also discloses the GPU's evidence (measurements, driver and VBIOS versions).
          say('evidence', { for: lm.id, anchorNonce: bundle.anchorNonce, bytes: bundle.evidence.length });
          ok++;
          if (o['evidence-url'] !== undefined) {
            const status = await postEvidence(o['evidence-url'] as string, bundle).catch(
              (e: Error) => e.message,
            );
            say('evidence-posted', { for: lm.id, status });
          }
        } catch (e) {
          say('no-evidence', {
            for: lm.id,
            code: isGeoattestError(e) ? e.code : 'ERROR',
            reason: (e as Error).message,
          });
        }
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
  } finally {
    await evidenceLog?.closeWhenFlushed();
  }
}
