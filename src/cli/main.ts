// The `geoattest` command: a thin dispatcher over subcommands. Each subcommand parses its own
// options and calls the library; nothing here decides anything.

import { readFileSync } from 'node:fs';
import { runAgent } from './agent-command.js';
import { runAlerts } from './alerts-command.js';
import { runAudit } from './audit-command.js';
import { runDemo } from './demo-command.js';
import { runKeygen } from './keygen-command.js';
import { runLandmark } from './landmark-command.js';
import { LEDGER_COMMANDS } from './ledger-commands.js';
import { runPlan } from './plan-command.js';
import { runReport } from './report-command.js';
import { runServe } from './serve-command.js';
import { runSimulate } from './simulate-command.js';
import { type CliIo, EXIT_OK, EXIT_USAGE } from './usage.js';
import { runVerdict } from './verdict-command.js';
import { runWitness } from './witness-command.js';

interface Command {
  readonly summary: string;
  readonly run: (argv: string[], io: CliIo) => Promise<number>;
}

const COMMANDS: Readonly<Record<string, Command>> = {
  agent: {
    summary:
      'check this chip in with landmarks: answer their challenges, keep their receipts (no command channel)',
    run: runAgent,
  },
  alerts: {
    summary: 'list alerts, acknowledge one with a note, or follow the live feed (API client)',
    run: (argv, io) => runAlerts(argv, io),
  },
  audit: {
    summary: 'audit a transparency log with only its public key: consistency, every leaf, every tile',
    run: (argv, io) => runAudit(argv, io),
  },
  demo: {
    summary:
      'run the whole system here (what `npm start` runs): verifier, dashboard, landmarks and agents over UDP, smuggling scenarios',
    run: runDemo,
  },
  keygen: {
    summary: 'create an Ed25519 key file (mode 0600) for a landmark or a software device identity',
    run: runKeygen,
  },
  landmark: {
    summary:
      'run a landmark: challenge chips over UDP, time their signed answers, sign receipts (register: landmarks add)',
    run: runLandmark,
  },
  plan: {
    summary:
      "choose landmark sites that let a region's data centres be proven inside it (greedy, latency model)",
    run: runPlan,
  },
  report: {
    summary: 'diversion and revenue-share reports as a table, JSON or CSV (API client)',
    run: (argv, io) => runReport(argv, io),
  },
  serve: {
    summary: 'run the verifier service: ledger, receipts, verdicts, alerts, reports, dashboard (HTTP)',
    run: runServe,
  },
  simulate: {
    summary:
      'simulate a fleet checking in hourly through the real ingestion, verdicts, alerts and log; prints rates',
    run: runSimulate,
  },
  verdict: {
    summary: 'decide inside / outside / unverified / inconsistent from landmark RTTs (JSON Lines)',
    run: runVerdict,
  },
  witness: {
    summary:
      'run a transparency-log witness (C2SP tlog-witness): cosign consistent checkpoints, refuse forks',
    run: (argv, io) => runWitness(argv, io),
  },
  // org, licence, chip, landmarks, shipment, token: clients of the verifier API
  ...LEDGER_COMMANDS,
};

/** The package version, from the nearest package.json above this file (src/ and dist/ differ in depth). */
function version(): string {
  for (let dir = new URL('./', import.meta.url); ; dir = new URL('../', dir)) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as {
        name?: string;
        version: string;
      };
      if (pkg.name === 'geoattest') return pkg.version;
    } catch {
      // no package.json here: keep climbing
    }
    if (dir.pathname === '/') return 'unknown';
  }
}

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `Usage: geoattest <command> [options]

geoattest proves where export-controlled accelerators are, from signed round trips to landmarks
at known places, and never controls the chip.

Commands:
${lines.join('\n')}

Run 'geoattest <command> --help' for a command's options.
Options: -h, --help  this help;  -V, --version  print the version`;
}

export async function main(argv: string[], io: CliIo = process): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
    io.stdout.write(`${usage()}\n`);
    return first === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (first === '-V' || first === '--version') {
    io.stdout.write(`${version()}\n`);
    return EXIT_OK;
  }
  const command = COMMANDS[first];
  if (command === undefined) {
    io.stderr.write(`geoattest: unknown command ${JSON.stringify(first)}\n\n${usage()}\n`);
    return EXIT_USAGE;
  }
  return command.run(rest, io);
}
