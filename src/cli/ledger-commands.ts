// `geoattest org|licence|chip|landmarks|shipment|token`: the ledger from the command line, as a
// client of the verifier API (so every role and rule is the server's). Each resource is described
// once below (its fields, its list columns); add, list and show are made from that description.

import { readFileSync } from 'node:fs';
import { ApiError, type Query } from './api-client.js';
import { type CommandSpec, commandGroup, type RunContext, type Values } from './client-command.js';
import { type Column, cellText, formatRecord, formatTable } from './table.js';
import { usageError } from './usage.js';

type Row = Record<string, unknown>;

/** One option that becomes one field of a request body (or query). */
interface Field {
  readonly flag: string;
  readonly key: string;
  readonly arg: string;
  readonly help: string;
  readonly kind?: 'text' | 'number' | 'integer' | 'list' | 'countries';
  readonly required?: boolean;
  readonly choices?: readonly string[];
}

interface Resource {
  readonly group: string;
  /** One line for `geoattest --help`. */
  readonly summary: string;
  readonly about: string;
  readonly noun: string;
  readonly path: string;
  readonly listKey: string;
  readonly columns: readonly Column<Row>[];
  readonly add: {
    readonly verb: 'add' | 'create';
    readonly fields: readonly Field[];
    readonly file?: string;
  };
  readonly list?: { readonly filters?: readonly Field[] };
  /** How `show ID` finds one: its own route, or picked from the list (no GET route by id). */
  readonly show?: 'route' | 'pick';
  readonly text?: (value: Row) => string;
  readonly extra?: Readonly<Record<string, CommandSpec>>;
}

const f = (
  flag: string,
  key: string,
  arg: string,
  help: string,
  more: Partial<Pick<Field, 'kind' | 'required' | 'choices'>> = {},
): Field => ({ flag, key, arg, help, ...more });
const req = { required: true } as const;

const date = (v: unknown) => (typeof v === 'string' ? v.replace(/\.000Z$/, 'Z') : v);
const destinations = (v: unknown) =>
  Array.isArray(v)
    ? v.map((d: Row) => (typeof d.country === 'string' ? d.country : Object.keys(d)[0])).join(',')
    : v;
const col = (header: string, key: string, map: (v: unknown) => unknown = (v) => v): Column<Row> => [
  header,
  (r) => map(r[key]),
];

function fieldValue(field: Field, raw: string): unknown {
  if (field.choices && !field.choices.includes(raw))
    throw usageError(
      `--${field.flag} must be one of ${field.choices.join(', ')}, not ${JSON.stringify(raw)}`,
    );
  switch (field.kind ?? 'text') {
    case 'number':
    case 'integer': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n) || (field.kind === 'integer' && !Number.isInteger(n)))
        throw usageError(`--${field.flag} must be ${field.kind === 'integer' ? 'an integer' : 'a number'}`);
      return n;
    }
    case 'list':
      return raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
    case 'countries':
      return raw
        .split(',')
        .map((s) => s.trim().toUpperCase())
        .filter((s) => s !== '')
        .map((country) => ({ country }));
    default:
      return raw;
  }
}

/** The body (or query) the fields' options make; required ones missing are usage errors. */
function fieldsBody(fields: readonly Field[], values: Values): Row {
  const body: Row = {};
  for (const field of fields) {
    const raw = values[field.flag];
    if (typeof raw === 'string') body[field.key] = fieldValue(field, raw);
    else if (field.required) throw usageError(`--${field.flag} ${field.arg} is required`);
  }
  return body;
}

const synopsis = (fields: readonly Field[]) =>
  fields.map((x) => (x.required ? `--${x.flag} ${x.arg}` : `[--${x.flag} ${x.arg}]`)).join(' ');
const options = (fields: readonly Field[]) =>
  Object.fromEntries(fields.map((x) => [x.flag, { type: 'string' as const, arg: x.arg, help: x.help }]));

function addCommand(r: Resource): CommandSpec {
  const { fields, file } = r.add;
  return {
    synopsis: file ? `(--file FILE | ${synopsis(fields)})` : synopsis(fields),
    summary: `${r.add.verb === 'add' ? 'register' : 'create'} ${/^[aeiou]/i.test(r.noun) ? 'an' : 'a'} ${r.noun}`,
    options: {
      ...(file ? { file: { type: 'string', arg: 'FILE', help: file } } : {}),
      ...options(fields),
    },
    run: async ({ api, values }) => {
      let body: unknown;
      if (typeof values.file === 'string') {
        const given = fields.find((x) => values[x.flag] !== undefined);
        if (given) throw usageError(`--file and --${given.flag} cannot be combined`);
        body = readJsonFile(values.file);
      } else body = fieldsBody(fields, values);
      return api.json('POST', r.path, { body });
    },
    text: (v) => (r.text ?? formatRecord)(v as Row),
  };
}

function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw usageError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw usageError(`${path} is not JSON`);
  }
}

async function listOf(r: Resource, ctx: RunContext, query: Query = {}): Promise<Row> {
  return (await ctx.api.json('GET', r.path, { query })) as Row;
}

function resourceCommands(r: Resource): Record<string, CommandSpec> {
  const filters = r.list?.filters ?? [];
  const subs: Record<string, CommandSpec> = {
    [r.add.verb]: addCommand(r),
    list: {
      synopsis: synopsis(filters),
      summary: `list ${r.listKey}${filters.length ? ` (filter by ${filters.map((x) => x.flag).join(', ')})` : ''}`,
      options: options(filters),
      run: async (ctx) => listOf(r, ctx, fieldsBody(filters, ctx.values) as Query),
      text: (v) => {
        const rows = ((v as Row)[r.listKey] ?? []) as Row[];
        return rows.length === 0 ? `no ${r.listKey}` : formatTable(rows, r.columns);
      },
    },
  };
  if (r.show)
    subs.show = {
      synopsis: 'ID',
      summary: `show one ${r.noun}`,
      positionals: ['ID'],
      run: async (ctx) => {
        const id = ctx.args[0];
        if (r.show === 'route') return ctx.api.json('GET', `${r.path}/${encodeURIComponent(id)}`);
        const rows = ((await listOf(r, ctx))[r.listKey] ?? []) as Row[];
        const found = rows.find((x) => x.id === id);
        if (found === undefined) throw new ApiError('NOT_FOUND', `no ${r.noun} ${id}`, 404);
        return found;
      },
      text: (v) => (r.text ?? formatRecord)(v as Row),
    };
  return { ...subs, ...r.extra };
}

function licenceText(v: Row): string {
  // `licence show` answers {licence, chips, shipments, changes}; `licence add` the licence alone.
  if (!('licence' in v)) return formatRecord({ ...v, destinations: destinations(v.destinations) });
  const l = v.licence as Row;
  const shipments = v.shipments as Row[];
  const changes = v.changes as Row[];
  return [
    formatRecord({ ...l, destinations: destinations(l.destinations), chipIds: v.chips }),
    '',
    shipments.length === 0 ? 'no shipments' : formatTable(shipments, SHIPMENT.columns),
    '',
    formatTable(changes, [col('AT', 'at', date), col('ACTOR', 'actor'), col('ACTION', 'action')]),
  ].join('\n');
}

function chipText(v: Row): string {
  // `chip show` answers {chip, licence, disclosed, verdict}; `chip add|move|status` the chip alone.
  if (!('chip' in v)) return formatRecord(v);
  const licence = v.licence as Row | null;
  const head = formatRecord({
    ...(v.chip as Row),
    destinations: destinations(licence?.destinations),
    validTo: licence?.validTo,
    disclosed: v.disclosed,
  });
  if (v.verdict === null) return `${head}\n\nlatest verdict: none yet`;
  const { reasons, evidence, disclosed: _, ...rest } = v.verdict as Row;
  return [
    head,
    '',
    'latest verdict:',
    formatRecord({ ...rest, evidence: Array.isArray(evidence) ? `${evidence.length} receipt(s)` : evidence }),
    ...(Array.isArray(reasons) ? ['reasons:', ...reasons.map((x) => `  - ${cellText(x)}`)] : []),
  ].join('\n');
}

const CHIP_EXTRA: Record<string, CommandSpec> = {
  move: {
    synopsis: 'ID --licence ID',
    summary: 'move a chip to another licence (a change of end user raises an alert)',
    positionals: ['ID'],
    options: { licence: { type: 'string', arg: 'ID', help: 'the licence it moves to' } },
    run: async ({ api, args, values }) => {
      if (typeof values.licence !== 'string') throw usageError('--licence ID is required');
      return api.json('PATCH', `/v1/chips/${encodeURIComponent(args[0])}`, {
        body: { licenceId: values.licence },
      });
    },
  },
  status: {
    synopsis: 'ID active|suspended|retired',
    summary: "set a chip's status",
    positionals: ['ID', 'STATUS'],
    run: async ({ api, args }) => {
      const status = fieldValue(
        f('status', 'status', 'STATUS', '', { choices: ['active', 'suspended', 'retired'] }),
        args[1],
      );
      return api.json('PATCH', `/v1/chips/${encodeURIComponent(args[0])}`, { body: { status } });
    },
  },
};

const ORG: Resource = {
  summary: 'organisations in the ledger: add, list, show (API client; see --server, --token)',
  group: 'org',
  about: 'Organisations in the ledger: exporters, end users, landmark operators.',
  noun: 'organisation',
  path: '/v1/orgs',
  listKey: 'orgs',
  columns: [
    col('ID', 'id'),
    col('NAME', 'name'),
    col('KIND', 'kind'),
    col('DISCLOSURE', 'disclosure'),
    col('CREATED', 'createdAt', date),
  ],
  add: {
    verb: 'add',
    fields: [
      f('id', 'id', 'ID', 'its id (1-64 characters)', req),
      f('name', 'name', 'NAME', 'its name', req),
      f('kind', 'kind', 'KIND', 'exporter, end-user or landmark-operator', {
        ...req,
        choices: ['exporter', 'end-user', 'landmark-operator'],
      }),
      f('disclosure', 'disclosure', 'D', "what an end user discloses beyond the verdict's region", {
        choices: ['verdict', 'radius', 'estimate'],
      }),
    ],
  },
  show: 'pick',
};

const LICENCE: Resource = {
  summary: 'export licences: add (flags or --file), list, show with chips, shipments and changes',
  group: 'licence',
  about: 'Export licences: who may hold which chips, where, how many, until when.',
  noun: 'licence',
  path: '/v1/licences',
  listKey: 'licences',
  columns: [
    col('ID', 'id'),
    col('EXPORTER', 'exporterId'),
    col('END USER', 'endUserId'),
    col('DESTINATION', 'destinations', destinations),
    col('MODELS', 'models'),
    ['CHIPS', (r) => `${cellText(r.chips)}/${cellText(r.quantity)}`],
    col('VALID FROM', 'validFrom', date),
    col('VALID TO', 'validTo', date),
    col('SHARE %', 'revenueSharePct'),
    col('STATUS', 'status'),
  ],
  add: {
    verb: 'add',
    file: 'the licence as the JSON the API takes (for geofences and policy values)',
    fields: [
      f('id', 'id', 'ID', 'the licence number', req),
      f('exporter', 'exporterId', 'ORG', 'the exporter', req),
      f('end-user', 'endUserId', 'ORG', 'the end user', req),
      f('destination', 'destinations', 'CC[,CC]', 'ISO 3166-1 country codes, e.g. MY,SG', {
        ...req,
        kind: 'countries',
      }),
      f('models', 'models', 'M[,M]', 'chip models, e.g. H20,H100', { ...req, kind: 'list' }),
      f('quantity', 'quantity', 'N', 'permitted number of chips', { ...req, kind: 'integer' }),
      f('valid-from', 'validFrom', 'ISO', 'start of validity', req),
      f('valid-to', 'validTo', 'ISO', 'end of validity', req),
      f('end-use', 'endUse', 'TEXT', 'the declared end use'),
      f('revenue-share', 'revenueSharePct', 'PCT', 'revenue share in percent, e.g. 15', { kind: 'number' }),
    ],
  },
  show: 'route',
  text: licenceText,
};

const CHIP: Resource = {
  summary: 'chips: add, list, show with the latest verdict, move to another licence, set status',
  group: 'chip',
  about: 'Chips: serials, models, identities, licences, and their latest verdicts.',
  noun: 'chip',
  path: '/v1/chips',
  listKey: 'chips',
  columns: [
    col('ID', 'id'),
    col('MODEL', 'model'),
    col('LICENCE', 'licenceId'),
    col('END USER', 'endUserId'),
    col('STATUS', 'status'),
    ['VERDICT', (r) => (r.verdict as Row | null)?.verdict ?? 'none'],
    ['REGION', (r) => (r.verdict as Row | null)?.region],
    ['DECIDED', (r) => date((r.verdict as Row | null)?.computedAt)],
  ],
  add: {
    verb: 'add',
    fields: [
      f('id', 'id', 'SERIAL', 'the chip serial', req),
      f('model', 'model', 'M', 'e.g. H20, H100, B200', req),
      f('public-key', 'publicKey', 'B64', 'its Ed25519 public key (base64, from geoattest keygen)', req),
      f('licence', 'licenceId', 'ID', 'the licence it is sold under'),
    ],
  },
  list: {
    filters: [
      f('licence', 'licence', 'ID', 'only chips under this licence'),
      f('verdict', 'verdict', 'V', 'inside, outside, unverified, inconsistent or none', {
        choices: ['inside', 'outside', 'unverified', 'inconsistent', 'none'],
      }),
    ],
  },
  show: 'route',
  text: chipText,
  extra: CHIP_EXTRA,
};

const LANDMARKS: Resource = {
  summary: "register landmarks in the verifier's ledger: add, list, show (to run one: geoattest landmark)",
  group: 'landmarks',
  about:
    "Landmarks registered in the verifier's ledger (ids, operators, positions, keys). To RUN a landmark, see 'geoattest landmark'.",
  noun: 'landmark',
  path: '/v1/landmarks',
  listKey: 'landmarks',
  columns: [
    col('ID', 'id'),
    col('OPERATOR', 'operatorId'),
    col('LAT', 'lat'),
    col('LON', 'lon'),
    col('STATUS', 'status'),
    col('PUBLIC KEY', 'publicKey'),
  ],
  add: {
    verb: 'add',
    fields: [
      f('id', 'id', 'ID', "1-16 characters, as the landmark's --id", req),
      f('operator', 'operatorId', 'ORG', 'the landmark operator', req),
      f('lat', 'lat', 'DEG', 'latitude', { ...req, kind: 'number' }),
      f('lon', 'lon', 'DEG', 'longitude', { ...req, kind: 'number' }),
      f('public-key', 'publicKey', 'B64', 'its Ed25519 public key (base64, from geoattest keygen)', req),
    ],
  },
  show: 'pick',
};

const SHIPMENT: Resource = {
  summary: 'shipments under licences: add, list, show',
  group: 'shipment',
  about: 'Shipments under licences: chips, invoice value, date (the revenue-share report sums them).',
  noun: 'shipment',
  path: '/v1/shipments',
  listKey: 'shipments',
  columns: [
    col('ID', 'id'),
    col('LICENCE', 'licenceId'),
    col('CHIPS', 'chips', (v) => (Array.isArray(v) ? v.length : v)),
    col('INVOICE', 'invoiceValue'),
    col('CURRENCY', 'currency'),
    col('SHIPPED', 'shippedAt', date),
  ],
  add: {
    verb: 'add',
    fields: [
      f('id', 'id', 'ID', 'the shipment id', req),
      f('licence', 'licenceId', 'ID', 'the licence', req),
      f('chips', 'chips', 'A,B', 'chip serials', { ...req, kind: 'list' }),
      f('invoice', 'invoiceValue', 'AMOUNT', 'invoice value, e.g. 123.45', { ...req, kind: 'number' }),
      f('currency', 'currency', 'CUR', 'ISO 4217 code, e.g. USD', req),
      f('shipped-at', 'shippedAt', 'ISO', 'when it shipped', req),
    ],
  },
  show: 'pick',
};

const TOKEN: Resource = {
  summary: 'API tokens: create (the secret is printed once), list',
  group: 'token',
  about: 'API tokens (admin only). A secret is shown once, when it is created; the server keeps its hash.',
  noun: 'API token',
  path: '/v1/tokens',
  listKey: 'tokens',
  columns: [
    col('ID', 'tokenId'),
    col('NAME', 'name'),
    col('ROLE', 'role'),
    col('SCOPE', 'scope'),
    col('CREATED', 'createdAt', date),
    col('REVOKED', 'revoked'),
  ],
  add: {
    verb: 'create',
    fields: [
      f('name', 'name', 'N', 'who or what holds it', req),
      f('role', 'role', 'R', 'admin, exporter, operator, auditor or landmark', {
        ...req,
        choices: ['admin', 'exporter', 'operator', 'auditor', 'landmark'],
      }),
      f('scope', 'scope', 'S', 'its organisation (exporter, operator) or landmark id (landmark)'),
    ],
  },
  text: (v) => {
    const { secret, ...rest } = v;
    return `${formatRecord(rest)}\n\nsecret (shown only now; keep it safe):\n${cellText(secret)}`;
  },
};

export const LEDGER_RESOURCES = [ORG, LICENCE, CHIP, LANDMARKS, SHIPMENT, TOKEN] as const;

/** The commands for main.ts: name → summary and run. */
export const LEDGER_COMMANDS = Object.fromEntries(
  LEDGER_RESOURCES.map((r) => [
    r.group,
    { summary: r.summary, run: commandGroup(r.group, r.about, resourceCommands(r)) },
  ]),
);
