// `geoattest report diversion|revenue-share`: the two reports of the verifier API, as a table, as
// JSON or as CSV (to stdout or a file). The server builds them; this only asks and writes.

import { writeFileSync } from 'node:fs';
import { GeoattestError } from '../errors.js';
import { type CommandSpec, commandGroup } from './client-command.js';
import { type Column, formatTable } from './table.js';
import { usageError } from './usage.js';

type Row = Record<string, unknown>;

interface Report {
  readonly summary: string;
  readonly columns: readonly Column<Row>[];
}

const REPORTS: Readonly<Record<string, Report>> = {
  diversion: {
    summary: 'diversion and tamper report: chips with such alerts in the period, their verdicts and evidence',
    columns: [
      ['CHIP', (r) => r.chipId],
      ['MODEL', (r) => r.model],
      ['LICENCE', (r) => r.licenceId],
      ['END USER', (r) => r.endUserId],
      ['REGION', (r) => r.region],
      ['ALERTS', (r) => r.alerts],
      ['LAST PROVEN INSIDE', (r) => r.lastProvenInside],
      ['VERDICTS', (r) => (typeof r.verdictHistory === 'string' ? r.verdictHistory.split('; ').length : 0)],
    ],
  },
  'revenue-share': {
    summary: 'revenue share owed per licence and quarter (invoice totals × percent)',
    columns: [
      ['LICENCE', (r) => r.licenceId],
      ['QUARTER', (r) => r.quarter],
      ['CURRENCY', (r) => r.currency],
      ['SHIPMENTS', (r) => r.shipments],
      ['INVOICED', (r) => r.invoiceTotal],
      ['SHARE %', (r) => r.sharePct],
      ['DUE', (r) => r.shareDue],
    ],
  },
};

function reportSpec(kind: string, report: Report): CommandSpec {
  return {
    synopsis: '[--from ISO] [--to ISO] [--format json|csv] [--out FILE]',
    summary: report.summary,
    about: `The ${report.summary}. Without --format, a table (--format json or csv for every field).`,
    options: {
      from: { type: 'string', arg: 'ISO', help: 'start of the period (default 90 days before --to)' },
      to: { type: 'string', arg: 'ISO', help: 'end of the period (default now)' },
      format: { type: 'string', arg: 'json|csv', help: 'the whole report as JSON or CSV' },
      out: { type: 'string', arg: 'FILE', help: 'write the report to FILE instead of stdout' },
    },
    run: async ({ api, values, io, json }) => {
      const format = values.format ?? (json ? 'json' : undefined);
      if (format !== undefined && format !== 'json' && format !== 'csv')
        throw usageError('--format must be json or csv');
      const query = {
        from: values.from as string | undefined,
        to: values.to as string | undefined,
      };
      const path = `/v1/reports/${kind}`;
      let text: string;
      if (format === 'csv') text = await api.text(path, { ...query, format: 'csv' });
      else {
        const r = (await api.json('GET', path, { query })) as { from: string; to: string; rows: Row[] };
        text =
          format === 'json'
            ? `${JSON.stringify(r, null, 2)}\n`
            : `${kind} report, ${r.from} to ${r.to}: ${r.rows.length} ${r.rows.length === 1 ? 'row' : 'rows'}\n` +
              (r.rows.length ? `${formatTable(r.rows, report.columns)}\n` : '');
      }
      if (typeof values.out === 'string') {
        try {
          writeFileSync(values.out, text);
        } catch (e) {
          throw new GeoattestError('IO_ERROR', `cannot write ${values.out}: ${(e as Error).message}`);
        }
        io.stderr.write(`wrote ${values.out}\n`);
      } else io.stdout.write(text);
      return undefined;
    },
  };
}

export const runReport = commandGroup(
  'report',
  'Reports from the verifier: diversion and tamper incidents, revenue share owed.',
  Object.fromEntries(Object.entries(REPORTS).map(([k, r]) => [k, reportSpec(k, r)])),
);
