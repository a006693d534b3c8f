// The everyday CLI (org, licence, chip, landmarks, shipment, token, alerts, report) against a real
// seeded verifier over HTTP: round trips in JSON and as tables, the server's roles and errors
// passed through with exit 1, usage errors with exit 2, CSV reports, acknowledgements, the live
// feed, and a server that is not there.

import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAlerts } from '../../src/cli/alerts-command.js';
import { ADMIN_TOKEN_FILE, resolveTarget } from '../../src/cli/api-client.js';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/cli-io.js';
import { type SeededServer, seededServer, T0 } from '../helpers/seeded-server.js';
import { keyPair } from '../helpers/verifier-world.js';

let s: SeededServer;
const dir = mkdtempSync(join(tmpdir(), 'geoattest-cli-'));

/** Runs geoattest with --server and --token (admin unless told) added. */
async function run(argv: string[], role: keyof SeededServer['tokens'] | null = 'admin') {
  const { io, out } = captureIo();
  const conn = ['--server', s.url, ...(role ? ['--token', s.tokens[role]] : [])];
  const code = await main([...argv, ...conn], io);
  return { code, ...out };
}
const json = async (argv: string[], role: keyof SeededServer['tokens'] = 'admin') => {
  const r = await run([...argv, '--json'], role);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
};

beforeAll(async () => {
  s = await seededServer();
});
afterAll(async () => {
  await s?.close();
});

describe('geoattest org', () => {
  it('adds, lists and shows an organisation, as JSON and as a table', async () => {
    const added = await json(['org', 'add', '--id', 'dc-th', '--name', 'Bangkok AI', '--kind', 'end-user']);
    expect(added).toMatchObject({ id: 'dc-th', name: 'Bangkok AI', kind: 'end-user', disclosure: 'verdict' });
    const listed = await json(['org', 'list']);
    expect(listed.orgs.map((o: { id: string }) => o.id)).toContain('dc-th');
    expect(await json(['org', 'show', 'dc-th'])).toEqual(added);

    const table = await run(['org', 'list']);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+NAME\s+KIND\s+DISCLOSURE\s+CREATED$/);
    const row = lines.find((l) => l.startsWith('dc-th '));
    expect(row).toMatch(/^dc-th\s+Bangkok AI\s+end-user\s+verdict\s+2026-06-01T00:00:00Z$/);
    // columns are aligned: every row's second column starts where the header's does
    expect(row!.indexOf('Bangkok')).toBe(lines[0].indexOf('NAME'));

    const shown = await run(['org', 'show', 'dc-th']);
    expect(shown.stdout).toMatch(/^id\s+dc-th$/m);
    expect(shown.stdout).toMatch(/^kind\s+end-user$/m);
  });

  it('reports an unknown organisation as NOT_FOUND, exit 1', async () => {
    const r = await run(['org', 'show', 'nobody']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('geoattest org show: NOT_FOUND: no organisation nobody\n');
  });

  it("passes the server's refusal through: an exporter token may not add organisations", async () => {
    const r = await run(['org', 'add', '--id', 'x1', '--name', 'X', '--kind', 'exporter'], 'exporter');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^geoattest org add: FORBIDDEN: /);
    expect((await json(['org', 'list'])).orgs.map((o: { id: string }) => o.id)).not.toContain('x1');
  });

  it('refuses without a token with a hint where one comes from', async () => {
    const { io, out } = captureIo();
    const saved = process.env.GEOATTEST_TOKEN;
    delete process.env.GEOATTEST_TOKEN;
    try {
      const code = await main(['org', 'list', '--server', s.url], io);
      expect(code).toBe(1);
    } finally {
      if (saved !== undefined) process.env.GEOATTEST_TOKEN = saved;
    }
    expect(out.stderr).toMatch(/^geoattest org list: UNAUTHORIZED: /);
    // (unless someone's `geoattest serve` left a token file in the working directory)
    if (!existsSync(ADMIN_TOKEN_FILE)) expect(out.stderr).toMatch(/no token was sent: pass --token/);
  });
});

describe('geoattest licence, chip, shipment', () => {
  it('adds a licence from flags and from a file; shows it with its chips and changes', async () => {
    const l = await json([
      'licence',
      'add',
      '--id',
      'L-MY-2',
      '--exporter',
      'nv',
      '--end-user',
      'dc-my',
      '--destination',
      'my',
      '--models',
      'H20,H100',
      '--quantity',
      '2',
      '--valid-from',
      '2026-05-01T00:00:00Z',
      '--valid-to',
      '2027-05-01T00:00:00Z',
      '--end-use',
      'inference',
      '--revenue-share',
      '15',
    ]);
    expect(l).toMatchObject({
      id: 'L-MY-2',
      destinations: [{ country: 'MY' }],
      models: ['H20', 'H100'],
      quantity: 2,
      revenueSharePct: 15,
    });

    const file = join(dir, 'licence.json');
    writeFileSync(
      file,
      JSON.stringify({
        id: 'L-SG-2',
        exporterId: 'nv',
        endUserId: 'dc-sg',
        destinations: [{ country: 'SG' }],
        models: ['B200'],
        quantity: 5,
        validFrom: '2026-05-01T00:00:00Z',
        validTo: '2027-05-01T00:00:00Z',
      }),
    );
    // an exporter may register licences in its own name
    expect(await json(['licence', 'add', '--file', file], 'exporter')).toMatchObject({ id: 'L-SG-2' });

    const table = await run(['licence', 'list']);
    expect(table.stdout).toMatch(/^L-MY-2\s+nv\s+dc-my\s+MY\s+H20,H100\s+0\/2\s/m);
    const shown = await run(['licence', 'show', 'L-MY-1']);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^chipIds\s+GPU-MY-1,GPU-MY-2$/m);
    expect(shown.stdout).toMatch(/^destinations\s+MY$/m);
    expect(shown.stdout).toMatch(/^AT\s+ACTOR\s+ACTION$/m);
  });

  it('adds a chip, lists it under its licence, shows its verdict, moves it and sets its status', async () => {
    const key = keyPair().base64;
    const chip = await json([
      'chip',
      'add',
      '--id',
      'GPU-MY-9',
      '--model',
      'H20',
      '--public-key',
      key,
      '--licence',
      'L-MY-2',
    ]);
    expect(chip).toMatchObject({ id: 'GPU-MY-9', licenceId: 'L-MY-2', endUserId: 'dc-my', status: 'active' });
    const listed = await json(['chip', 'list', '--licence', 'L-MY-2']);
    expect(listed.chips.map((c: { id: string }) => c.id)).toEqual(['GPU-MY-9']);

    const outside = await json(['chip', 'list', '--verdict', 'outside']);
    expect(outside.chips.map((c: { id: string }) => c.id)).toEqual(['GPU-MY-2']);
    const table = await run(['chip', 'list', '--verdict', 'outside']);
    expect(table.stdout).toMatch(/^GPU-MY-2\s+H100\s+L-MY-1\s+dc-my\s+active\s+outside\s+MY\s/m);

    const shown = await json(['chip', 'show', 'GPU-MY-2']);
    expect(shown.verdict.verdict).toBe('outside');
    const shownText = await run(['chip', 'show', 'GPU-MY-2']);
    expect(shownText.stdout).toMatch(/^latest verdict:$/m);
    expect(shownText.stdout).toMatch(/^verdict\s+outside$/m);
    expect(shownText.stdout).toMatch(/^licenceId\s+L-MY-1$/m);
    expect(shownText.stdout).toMatch(/^destinations\s+MY$/m);
    expect(shownText.stdout).toMatch(/^ {2}- no point of the feasible region can be in MY$/m);
    expect((await run(['chip', 'show', 'GPU-MY-9'])).stdout).toMatch(/^latest verdict: none yet$/m);

    expect(await json(['chip', 'move', 'GPU-MY-9', '--licence', 'L-MY-1'])).toMatchObject({
      licenceId: 'L-MY-1',
    });
    expect(await json(['chip', 'status', 'GPU-MY-9', 'suspended'])).toMatchObject({ status: 'suspended' });
  });

  it('passes ledger rules through: a chip beyond the licence quantity is refused', async () => {
    for (const id of ['GPU-Q-1', 'GPU-Q-2'])
      await json([
        'chip',
        'add',
        '--id',
        id,
        '--model',
        'H20',
        '--public-key',
        keyPair().base64,
        '--licence',
        'L-MY-2',
      ]);
    const r = await run([
      'chip',
      'add',
      '--id',
      'GPU-Q-3',
      '--model',
      'H20',
      '--public-key',
      keyPair().base64,
      '--licence',
      'L-MY-2',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^geoattest chip add: LICENCE_EXHAUSTED: /);
  });

  it('records a shipment and lists it; the revenue-share report sums it, as CSV to a file', async () => {
    const sh = await json([
      'shipment',
      'add',
      '--id',
      'SH-1',
      '--licence',
      'L-MY-1',
      '--chips',
      'GPU-MY-1,GPU-MY-2',
      '--invoice',
      '123.45',
      '--currency',
      'USD',
      '--shipped-at',
      '2026-05-15T00:00:00Z',
    ]);
    expect(sh).toMatchObject({ id: 'SH-1', chips: ['GPU-MY-1', 'GPU-MY-2'], invoiceValue: 123.45 });
    expect((await run(['shipment', 'list'])).stdout).toMatch(/^SH-1\s+L-MY-1\s+2\s+123\.45\s+USD\s/m);

    const out = join(dir, 'revenue.csv');
    const r = await run(['report', 'revenue-share', '--format', 'csv', '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const csv = readFileSync(out, 'utf8').split('\r\n');
    expect(csv[0]).toBe('licenceId,quarter,currency,shipments,invoiceTotal,sharePct,shareDue');
    expect(csv).toContainEqual(expect.stringMatching(/^L-MY-1,2026-Q2,USD,1,123\.45,15,18\.5/));

    const table = await run(['report', 'revenue-share']);
    expect(table.stdout).toMatch(/^L-MY-1\s+2026-Q2\s+USD\s+1\s+123\.45\s+15\s+18\.5/m);
  });

  it('prints the diversion report as CSV to stdout, as JSON and as a table', async () => {
    // periods are [from, to) and the seeded alerts were raised at the server's "now"
    const period = ['--from', '2026-05-01T00:00:00Z', '--to', '2026-06-02T00:00:00Z'];
    const csv = await run(['report', 'diversion', '--format', 'csv', ...period]);
    expect(csv.code).toBe(0);
    const lines = csv.stdout.split('\r\n');
    expect(lines[0]).toBe(
      'chipId,model,licenceId,endUserId,region,alerts,lastProvenInside,lastProvenRegion,verdictHistory,evidenceHashes',
    );
    expect(lines[1]).toMatch(
      /^GPU-MY-2,H100,L-MY-1,dc-my,MY,diversion×1,,,2026-06-01T00:00:00.000Z outside,[0-9a-f]{64}$/,
    );
    const j = await json(['report', 'diversion', ...period]);
    expect(j.rows.map((x: { chipId: string }) => x.chipId)).toEqual(['GPU-MY-2']);
    const table = await run(['report', 'diversion', ...period]);
    expect(table.stdout).toMatch(
      /^diversion report, 2026-05-01T00:00:00.000Z to 2026-06-02T00:00:00.000Z: 1 row$/m,
    );
    expect(table.stdout).toMatch(/^GPU-MY-2\s+H100\s+L-MY-1\s+dc-my\s+MY\s+diversion×1\s+-\s+1$/m);
    // the server checks the period; its code comes through
    const bad = await run(['report', 'diversion', '--from', '2027-01-01', '--to', '2026-01-01']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^geoattest report diversion: [A-Z_]+: from must be before to/);
  });
});

describe('geoattest landmarks and token', () => {
  it('registers, lists and shows a landmark', async () => {
    const key = keyPair().base64;
    const args = ['--id', 'BKK', '--operator', 'lmops', '--lat', '13.75', '--lon', '100.5'];
    const added = await json(['landmarks', 'add', ...args, '--public-key', key]);
    expect(added).toMatchObject({ id: 'BKK', lat: 13.75, lon: 100.5, status: 'active' });
    expect(await json(['landmarks', 'show', 'BKK'])).toEqual(added);
    expect((await run(['landmarks', 'list'], 'auditor')).stdout).toMatch(
      /^BKK\s+lmops\s+13\.75\s+100\.5\s+active\s/m,
    );
  });

  it('creates a token, prints its secret once, and the secret works', async () => {
    const created = await run(['token', 'create', '--name', 'audit desk', '--role', 'auditor']);
    expect(created.code).toBe(0);
    const secret = created.stdout.match(/^(ga_\S+)$/m)?.[1];
    expect(secret).toBeDefined();
    expect(created.stdout).toMatch(/shown only now/);
    const list = await run(['token', 'list']);
    expect(list.stdout).toMatch(/audit desk\s+auditor/);
    expect(list.stdout).not.toContain(secret);
    const { io, out } = captureIo();
    expect(await main(['org', 'list', '--server', s.url, '--token', secret!, '--json'], io)).toBe(0);
    expect(JSON.parse(out.stdout).orgs.length).toBeGreaterThan(0);
    // and the auditor may read but not write
    const { io: io2, out: out2 } = captureIo();
    expect(await main(['token', 'list', '--server', s.url, '--token', secret!], io2)).toBe(1);
    expect(out2.stderr).toMatch(/FORBIDDEN/);
  });
});

describe('geoattest alerts', () => {
  it('lists alerts by kind, acknowledges one with a note, and --open leaves it out', async () => {
    const { alerts } = await json(['alerts', '--kind', 'diversion', '--chip', 'GPU-MY-2']);
    expect(alerts.length).toBeGreaterThan(0);
    const id = alerts[0].id as number;
    const table = await run(['alerts', '--kind', 'diversion']);
    expect(table.stdout).toMatch(
      new RegExp(`^${id}\\s+2026-06-01T\\S+\\s+diversion\\s+GPU-MY-2\\s+L-MY-1\\s+no\\s`, 'm'),
    );

    const acked = await run(['alerts', '--ack', String(id), '--note', 'investigating with the end user']);
    expect(acked.code).toBe(0);
    expect(acked.stdout).toMatch(/investigating with the end user/);
    const open = await json(['alerts', '--open', '--kind', 'diversion']);
    expect(open.alerts.map((a: { id: number }) => a.id)).not.toContain(id);
    const all = await json(['alerts', '--kind', 'diversion']);
    expect(all.alerts.find((a: { id: number }) => a.id === id).acknowledged.note).toBe(
      'investigating with the end user',
    );
  });

  it('refuses an acknowledgement by an operator (exit 1) and an unknown alert (exit 1)', async () => {
    const r = await run(['alerts', '--ack', '1', '--note', 'mine'], 'operator');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^geoattest alerts: FORBIDDEN: /);
    const missing = await run(['alerts', '--ack', '99999', '--note', 'x']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^geoattest alerts: NOT_FOUND: /);
  });

  it('--follow prints alerts as the server raises them, until stopped', async () => {
    const { io, out } = captureIo();
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => {
      stop = resolve;
    });
    const following = runAlerts(
      ['--follow', '--json', '--kind', 'licence', '--server', s.url, '--token', s.tokens.admin],
      io,
      stopped,
    );
    await new Promise((r) => setTimeout(r, 200)); // let the feed connect
    // moving a chip to another end user's licence raises a licence alert
    expect((await run(['chip', 'move', 'GPU-SG-1', '--licence', 'L-MY-1'])).code).toBe(0);
    for (let i = 0; i < 100 && out.stdout === ''; i++) await new Promise((r) => setTimeout(r, 20));
    stop();
    expect(await following).toBe(0);
    const lines = out.stdout.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    const alert = JSON.parse(lines[0]);
    expect(alert).toMatchObject({ kind: 'licence', chipId: 'GPU-SG-1' });
  });
});

describe('usage and connection errors', () => {
  it.each([
    [['org'], /which subcommand/],
    [['org', 'frobnicate'], /unknown subcommand "frobnicate"/],
    [['org', 'add', '--name', 'X', '--kind', 'exporter'], /--id ID is required/],
    [['org', 'add', '--id', 'a', '--name', 'X', '--kind', 'bank'], /--kind must be one of/],
    [['org', 'show'], /missing ID/],
    [['org', 'list', 'extra'], /unexpected argument "extra"/],
    [['org', 'list', '--bogus'], /Unknown option '--bogus'/],
    [['licence', 'add', '--file', 'x.json', '--id', 'L'], /cannot be combined/],
    [['licence', 'add', '--file', '/nonexistent/licence.json'], /cannot read/],
    [
      [
        'licence',
        'add',
        ...['--id', 'L', '--exporter', 'nv', '--end-user', 'dc-my', '--destination', 'MY'],
        ...['--models', 'H20', '--quantity', '2.5', '--valid-from', 'a', '--valid-to', 'b'],
      ],
      /--quantity must be an integer/,
    ],
    [['chip', 'status', 'GPU-MY-1', 'melted'], /must be one of active, suspended, retired/],
    [['chip', 'move', 'GPU-MY-1'], /--licence ID is required/],
    [['alerts', '--ack', '3'], /--ack ID needs --note TEXT/],
    [['alerts', '--kind', 'weather'], /unknown alert kind "weather"/],
    [['alerts', '--note', 'x'], /--note goes with --ack/],
    [['alerts', '--limit', '5001'], /--limit must be a whole number from 1 to 5000/],
    [['report', 'diversion', '--format', 'xml'], /--format must be json or csv/],
    [['report'], /which subcommand/],
  ])('geoattest %j exits 2', async (argv, message) => {
    const r = await run(argv as string[]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
  });

  it('rejects a --server that is not an http URL with exit 2', async () => {
    const { io, out } = captureIo();
    expect(await main(['org', 'list', '--server', 'ftp://x', '--token', 't'], io)).toBe(2);
    expect(out.stderr).toMatch(/--server must be an http/);
  });

  it('says when no server is listening, exit 1', async () => {
    // a port that was free a moment ago (undici refuses well-known "bad" ports such as 1 outright)
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const p = (probe.address() as AddressInfo).port;
        probe.close(() => resolve(p));
      });
    });
    const { io, out } = captureIo();
    const code = await main(['chip', 'list', '--server', `http://127.0.0.1:${port}`, '--token', 'ga_x'], io);
    expect(code).toBe(1);
    expect(out.stderr).toMatch(
      /^geoattest chip list: UNREACHABLE: cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\): is geoattest serve running at http:\/\/127\.0\.0\.1:\d+\?\n$/,
    );
  });

  it('shows help per command and per subcommand, exit 0', async () => {
    const top = captureIo();
    expect(await main(['--help'], top.io)).toBe(0);
    expect(top.out.stdout).toMatch(/^ {2}landmarks\s+register landmarks/m);
    expect(top.out.stdout).toMatch(/^ {2}landmark\s+run a landmark/m);
    const group = captureIo();
    expect(await main(['chip', '--help'], group.io)).toBe(0);
    expect(group.out.stdout).toMatch(/^ {2}move\s+move a chip/m);
    const sub = captureIo();
    expect(await main(['licence', 'add', '--help'], sub.io)).toBe(0);
    expect(sub.out.stdout).toMatch(/^Usage: geoattest licence add \(--file FILE \| --id ID/);
    expect(sub.out.stdout).toMatch(/--revenue-share PCT/);
    expect(sub.out.stdout).toMatch(/--server URL/);
    const alerts = captureIo();
    expect(await main(['alerts', '--help'], alerts.io)).toBe(0);
    expect(alerts.out.stdout).toMatch(/--follow/);
  });

  it('takes the server and token from the environment', () => {
    expect(
      resolveTarget({}, { GEOATTEST_SERVER: 'http://v.example:9000/', GEOATTEST_TOKEN: 'ga_e' }),
    ).toEqual({
      server: 'http://v.example:9000',
      token: 'ga_e',
    });
    expect(resolveTarget({ server: 'https://a', token: 'ga_o' }, { GEOATTEST_TOKEN: 'ga_e' })).toEqual({
      server: 'https://a',
      token: 'ga_o',
    });
    expect(T0).toBe(Date.parse('2026-06-01T00:00:00Z'));
  });
});
