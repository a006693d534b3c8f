// `geoattest alerts`: list alerts, acknowledge one with a note, or follow the live feed (server-
// sent events) until Ctrl-C. A client of GET /v1/alerts, POST /v1/alerts/:id/ack and
// GET /v1/alerts/stream; the server decides what each token may see and do.

import { ALERT_KINDS, type AlertKind } from '../ledger/alert-rules.js';
import { ApiError } from './api-client.js';
import { type CommandSpec, type RunContext, runCommand } from './client-command.js';
import { type Column, cellText, formatRecord, formatTable } from './table.js';
import { type CliIo, usageError } from './usage.js';

type Alert = Record<string, unknown>;

const COLUMNS: readonly Column<Alert>[] = [
  ['ID', (a) => a.id],
  ['OPENED', (a) => a.openedAt],
  ['KIND', (a) => a.kind],
  ['CHIP', (a) => a.chipId],
  ['LICENCE', (a) => a.licenceId],
  ['ACK', (a) => ((a.acknowledged as { by?: string } | null)?.by ? 'yes' : 'no')],
  ['MESSAGE', (a) => a.message],
];

function kinds(raw: string | boolean | undefined): AlertKind[] | undefined {
  if (typeof raw !== 'string') return undefined;
  const list = raw.split(',').map((k) => k.trim());
  for (const k of list)
    if (!ALERT_KINDS.includes(k as AlertKind))
      throw usageError(`unknown alert kind ${JSON.stringify(k)}; kinds: ${ALERT_KINDS.join(', ')}`);
  return list as AlertKind[];
}

async function follow(ctx: RunContext, only: AlertKind[] | undefined): Promise<undefined> {
  const { api, io, json, values } = ctx;
  const abort = new AbortController();
  let stopped = false;
  void ctx.stopped().then(() => {
    stopped = true;
    abort.abort();
  });
  if (!json) io.stderr.write(`following alerts at ${api.target.server} (Ctrl-C to stop)\n`);
  for await (const e of api.events('/v1/alerts/stream', abort.signal)) {
    if (e.event !== 'alert') continue;
    const a = JSON.parse(e.data) as Alert;
    // The feed takes no filters: apply --kind and --chip here (new alerts are always open).
    if (only && !only.includes(a.kind as AlertKind)) continue;
    if (typeof values.chip === 'string' && a.chipId !== values.chip) continue;
    io.stdout.write(
      json
        ? `${JSON.stringify(a)}\n`
        : `${COLUMNS.slice(0, 5)
            .map(([, c]) => cellText(c(a)))
            .join('  ')}  ${cellText(a.message)}\n`,
    );
  }
  if (!stopped) throw new ApiError('STREAM_CLOSED', `${api.target.server} closed the alert feed`);
  return undefined;
}

export const ALERTS_SPEC: CommandSpec = {
  synopsis: '[--kind K[,K]] [--open] [--chip ID] [--limit N] [--follow] | --ack ID --note TEXT',
  summary: 'list alerts, acknowledge one with a note, or follow the live feed',
  about: `Lists alerts newest first (diversion, unverified, missed check-ins, cloned identities, landmark
integrity, licence events), acknowledges one with a note (nothing is ever deleted), or follows
new alerts as they are raised until Ctrl-C. Kinds: ${ALERT_KINDS.join(', ')}.`,
  options: {
    kind: { type: 'string', arg: 'K[,K]', help: 'only these kinds' },
    open: { type: 'boolean', help: 'only alerts not yet acknowledged' },
    chip: { type: 'string', arg: 'ID', help: "only this chip's alerts" },
    limit: { type: 'string', arg: 'N', help: 'at most N alerts (1-5000)' },
    ack: { type: 'string', arg: 'ID', help: 'acknowledge alert ID (with --note)' },
    note: { type: 'string', arg: 'TEXT', help: 'the acknowledgement note' },
    follow: { type: 'boolean', help: 'print new alerts as they are raised (JSON Lines with --json)' },
  },
  run: async (ctx) => {
    const { api, values } = ctx;
    const only = kinds(values.kind);
    if (values.ack !== undefined) {
      if (typeof values.note !== 'string' || values.note === '')
        throw usageError('--ack ID needs --note TEXT');
      if (values.follow || only || values.open || values.chip !== undefined)
        throw usageError('--ack takes only --note');
      if (!/^[1-9]\d{0,15}$/.test(String(values.ack))) throw usageError('--ack takes an alert id (a number)');
      return api.json('POST', `/v1/alerts/${values.ack}/ack`, { body: { note: values.note } });
    }
    if (values.note !== undefined) throw usageError('--note goes with --ack ID');
    if (values.follow) {
      if (values.open || values.limit !== undefined)
        throw usageError('--follow shows new alerts: --open and --limit do not apply');
      return follow(ctx, only);
    }
    if (
      values.limit !== undefined &&
      !(/^[1-9]\d{0,3}$/.test(String(values.limit)) && Number(values.limit) <= 5000)
    )
      throw usageError('--limit must be a whole number from 1 to 5000');
    return api.json('GET', '/v1/alerts', {
      query: {
        kind: only?.join(','),
        chip: values.chip as string | undefined,
        open: values.open ? 'true' : undefined,
        limit: values.limit as string | undefined,
      },
    });
  },
  text: (v) => {
    const r = v as { alerts?: Alert[] } & Alert;
    if (r.alerts === undefined) {
      // an acknowledgement answers the alert itself
      const { acknowledged, detail, ...rest } = r;
      return formatRecord({ ...rest, acknowledged });
    }
    return r.alerts.length === 0 ? 'no alerts' : formatTable(r.alerts, COLUMNS);
  },
};

export function runAlerts(argv: string[], io: CliIo, stop?: Promise<void>): Promise<number> {
  return runCommand('alerts', ALERTS_SPEC, argv, io, stop);
}
