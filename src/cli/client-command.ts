// What every everyday command shares (org, licence, chip, landmarks, shipment, token, alerts,
// report): --server, --token, --json and --help; help text built from one description; usage
// errors exit 2, API errors exit 1 as "geoattest <cmd>: <CODE>: <message>".

import { parseArgs } from 'node:util';
import { isGeoattestError } from '../errors.js';
import { ApiClient, ApiError, DEFAULT_SERVER, resolveTarget } from './api-client.js';
import { formatRecord } from './table.js';
import { type CliIo, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, usageError } from './usage.js';

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  /** The value's placeholder in help (strings only), e.g. "ISO". */
  readonly arg?: string;
  readonly help: string;
}

export type Values = Readonly<Record<string, string | boolean | undefined>>;

export interface RunContext {
  readonly values: Values;
  readonly args: readonly string[];
  readonly api: ApiClient;
  readonly io: CliIo;
  readonly json: boolean;
  /** Resolves when a long-running command (alerts --follow) should stop; Ctrl-C by default. */
  readonly stopped: () => Promise<void>;
}

/** One command or subcommand, described once: its help, its options and what it does. */
export interface CommandSpec {
  /** Arguments after the command's name in the usage line, e.g. "ID --licence ID". */
  readonly synopsis: string;
  readonly summary: string;
  readonly about?: string;
  readonly options?: Readonly<Record<string, OptionSpec>>;
  /** Positional arguments by name; exactly these many are required. */
  readonly positionals?: readonly string[];
  /** Calls the API; returns what --json prints (undefined when it has written its own output). */
  readonly run: (ctx: RunContext) => Promise<unknown>;
  /** The human text of the value run returned (default: its fields, one per line). */
  readonly text?: (value: unknown, ctx: RunContext) => string;
}

const COMMON: Readonly<Record<string, OptionSpec>> = {
  server: {
    type: 'string',
    arg: 'URL',
    help: `the verifier (default $GEOATTEST_SERVER or ${DEFAULT_SERVER})`,
  },
  token: {
    type: 'string',
    arg: 'T',
    help: 'API token ga_… (default $GEOATTEST_TOKEN, else the contents of ./data/admin-token)',
  },
  json: { type: 'boolean', help: "print the API's JSON instead of a table" },
};

export function commandHelp(name: string, spec: CommandSpec): string {
  const options = { ...spec.options, ...COMMON };
  const left = [
    ...Object.entries(options).map(([k, o]) => `--${k}${o.type === 'string' ? ` ${o.arg ?? 'X'}` : ''}`),
    '-h, --help',
  ];
  const help = [...Object.values(options).map((o) => o.help), 'show this help'];
  const width = Math.max(...left.map((l) => l.length));
  return [
    `Usage: geoattest ${name} ${spec.synopsis} [--server URL] [--token T] [--json]`,
    '',
    spec.about ?? `${spec.summary[0].toUpperCase()}${spec.summary.slice(1)}.`,
    ...left.map((l, i) => `  ${l.padEnd(width)}  ${help[i]}`),
  ].join('\n');
}

/** Parses argv for spec, calls the API, prints the answer; returns the exit code. */
export async function runCommand(
  name: string,
  spec: CommandSpec,
  argv: readonly string[],
  io: CliIo,
  stop?: Promise<void>,
): Promise<number> {
  const fail = (e: unknown): number => {
    if (e instanceof ApiError) {
      io.stderr.write(`geoattest ${name}: ${e.code}: ${e.message}\n`);
      return EXIT_FAILURE;
    }
    if (isGeoattestError(e) && e.code === 'USAGE') {
      io.stderr.write(`geoattest ${name}: ${e.message}\nTry 'geoattest ${name} --help'.\n`);
      return EXIT_USAGE;
    }
    if (isGeoattestError(e)) {
      io.stderr.write(`geoattest ${name}: ${e.code}: ${e.message}\n`);
      return EXIT_FAILURE;
    }
    throw e;
  };
  let ctx: RunContext;
  try {
    const options = { ...spec.options, ...COMMON };
    const parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        ...Object.fromEntries(Object.entries(options).map(([k, o]) => [k, { type: o.type }])),
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (parsed.values.help) {
      io.stdout.write(`${commandHelp(name, spec)}\n`);
      return EXIT_OK;
    }
    const wanted = spec.positionals ?? [];
    if (parsed.positionals.length < wanted.length)
      throw usageError(`missing ${wanted.slice(parsed.positionals.length).join(' ')}`);
    if (parsed.positionals.length > wanted.length)
      throw usageError(`unexpected argument ${JSON.stringify(parsed.positionals[wanted.length])}`);
    const values = parsed.values as Values;
    const target = resolveTarget({
      server: values.server as string | undefined,
      token: values.token as string | undefined,
    });
    ctx = {
      values,
      args: parsed.positionals,
      api: new ApiClient(target),
      io,
      json: values.json === true,
      stopped: () => stop ?? untilInterrupted(),
    };
  } catch (e) {
    if (isGeoattestError(e) || e instanceof ApiError) return fail(e);
    return fail(usageError((e as Error).message));
  }
  try {
    const value = await spec.run(ctx);
    if (value === undefined) return EXIT_OK;
    const text = ctx.json
      ? JSON.stringify(value, null, 2)
      : spec.text
        ? spec.text(value, ctx)
        : formatRecord(value as Record<string, unknown>);
    io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    return EXIT_OK;
  } catch (e) {
    return fail(e);
  }
}

/** Resolves on the first SIGINT or SIGTERM. */
function untilInterrupted(): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}

/** A command with subcommands (`geoattest org add|list|show`): help, dispatch, unknown ones. */
export function commandGroup(
  name: string,
  about: string,
  subs: Readonly<Record<string, CommandSpec>>,
): (argv: string[], io: CliIo, stop?: Promise<void>) => Promise<number> {
  const help = () => {
    const width = Math.max(...Object.keys(subs).map((s) => s.length));
    return [
      `Usage: geoattest ${name} <${Object.keys(subs).join('|')}> [options]`,
      '',
      about,
      '',
      ...Object.entries(subs).map(([s, c]) => `  ${s.padEnd(width)}  ${c.summary}`),
      '',
      `Every subcommand takes --server URL, --token T and --json; 'geoattest ${name} <sub> --help' shows its options.`,
    ].join('\n');
  };
  return async (argv, io, stop) => {
    const [sub, ...rest] = argv;
    if (sub === '-h' || sub === '--help' || sub === 'help') {
      io.stdout.write(`${help()}\n`);
      return EXIT_OK;
    }
    const missing = sub === undefined || sub.startsWith('-');
    const spec = missing ? undefined : subs[sub];
    if (spec === undefined) {
      const why = missing
        ? `which subcommand? (it comes before the options)`
        : `unknown subcommand ${JSON.stringify(sub)}`;
      io.stderr.write(`geoattest ${name}: ${why}\n\n${help()}\n`);
      return EXIT_USAGE;
    }
    return runCommand(`${name} ${sub}`, spec, rest, io, stop);
  };
}
