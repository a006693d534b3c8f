// Licences: for each, utilisation (chips under it / permitted quantity), validity, destinations on
// a map, end use and revenue share; the revenue share owed per quarter; and the shipments. A
// licence chosen in the list shows its chips and its change history.

import { ApiError, getJson } from '../lib/api.js';
import { empty, errorState, h, loading, replace, table } from '../lib/dom.js';
import { date, dateTime, money } from '../lib/format.js';
import type { Licence, RevenueRow, Shipment } from '../lib/types.js';
import { countries } from '../map/topology.js';
import { WorldMap } from '../map/world-map.js';
import { type Page, setParams } from './page.js';

interface LicenceDetail {
  readonly licence: Licence;
  readonly chips: readonly string[];
  readonly shipments: readonly Shipment[];
  readonly changes: readonly { at: string; actor: string; action: string }[];
}

async function orForbidden<T>(p: Promise<T>): Promise<T | ApiError> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof ApiError && e.status === 403) return e;
    throw e;
  }
}

export function validity(l: Licence, now = Date.now()): { state: string; text: string } {
  const from = Date.parse(l.validFrom);
  const to = Date.parse(l.validTo);
  if (l.status === 'revoked') return { state: 'revoked', text: 'revoked' };
  if (now < from) return { state: 'pending', text: `not valid until ${date(l.validFrom)}` };
  if (now >= to) return { state: 'expired', text: `expired ${date(l.validTo)}` };
  const days = Math.floor((to - now) / 86_400_000);
  return { state: days < 30 ? 'ending' : 'valid', text: `valid, ${days} day${days === 1 ? '' : 's'} left` };
}

export const licencesPage: Page = (main, { params }) => {
  const selected = params.get('licence') ?? undefined;
  const body = h('div', {}, loading('licences'));
  replace(main, h('h1', {}, 'Licences'), body);
  const load = async () => {
    replace(body, loading('licences'));
    try {
      const [licences, shipments, revenue, world] = await Promise.all([
        getJson<{ licences: Licence[] }>('/v1/licences').then((r) => r.licences),
        getJson<{ shipments: Shipment[] }>('/v1/shipments').then((r) => r.shipments),
        // Five years back: the report's default window is 90 days.
        orForbidden(
          getJson<{ rows: RevenueRow[] }>(
            `/v1/reports/revenue-share?format=json&from=${Date.now() - 5 * 365 * 86_400_000}`,
          ).then((r) => r.rows),
        ),
        countries('50m'),
      ]);
      const detail =
        selected === undefined
          ? undefined
          : await orForbidden(getJson<LicenceDetail>(`/v1/licences/${encodeURIComponent(selected)}`));
      render(body, licences, shipments, revenue, world, selected, detail);
    } catch (e) {
      replace(
        body,
        errorState(e, () => void load()),
      );
    }
  };
  void load();
  return undefined;
};

function render(
  body: HTMLElement,
  licences: Licence[],
  shipments: Shipment[],
  revenue: RevenueRow[] | ApiError,
  world: Awaited<ReturnType<typeof countries>>,
  selected: string | undefined,
  detail: LicenceDetail | ApiError | undefined,
): void {
  if (licences.length === 0) {
    replace(body, empty('No licences you may see. Exporters register them with geoattest licence add.'));
    return;
  }
  const all = new Set(
    licences.flatMap((l) => l.destinations.flatMap((d) => ('country' in d ? [d.country] : []))),
  );
  const chosen = licences.find((l) => l.id === selected);
  const mine = new Set(chosen?.destinations.flatMap((d) => ('country' in d ? [d.country] : [])) ?? []);
  const map = new WorldMap({
    label: 'Map of licensed destinations',
    aspect: 0.45,
    countryClass: (f) => {
      const c = f.properties.code;
      if (c === null) return null;
      if (mine.has(c)) return 'country destination selected';
      return all.has(c) ? 'country destination' : null;
    },
  });
  map.setCountries(world);

  const rows = licences.map((l) => {
    const v = validity(l);
    return [
      h(
        'a',
        {
          href: `#/licences?licence=${encodeURIComponent(l.id)}`,
          'aria-current': l.id === selected ? 'true' : undefined,
        },
        l.id,
      ),
      l.endUserId,
      l.destinations.map((d) => ('country' in d ? d.country : Object.keys(d)[0])).join(', '),
      l.models.join(', '),
      h(
        'span',
        { class: 'utilisation' },
        h('meter', {
          min: 0,
          max: l.quantity,
          value: l.chips,
          high: l.quantity * 0.9,
          'aria-label': `${l.chips} of ${l.quantity} chips`,
        }),
        ` ${l.chips} / ${l.quantity}`,
      ),
      h('span', { class: `validity ${v.state}` }, v.text),
      `${l.revenueSharePct} %`,
    ];
  });
  replace(
    body,
    h(
      'section',
      { 'aria-labelledby': 'lic-h' },
      h('h2', { id: 'lic-h', class: 'visually-hidden' }, 'All licences'),
      table(
        `Licences (${licences.length})`,
        ['Licence', 'End user', 'Destinations', 'Models', 'Chips / permitted', 'Validity', 'Revenue share'],
        rows,
        'licences-table',
      ),
    ),
    h('section', { 'aria-labelledby': 'dest-h' }, h('h2', { id: 'dest-h' }, 'Destinations'), map.el),
    chosen
      ? licenceDetail(chosen, detail)
      : h('p', { class: 'note' }, 'Choose a licence to see its chips and history.'),
    revenueSection(revenue),
    h(
      'section',
      { 'aria-labelledby': 'ship-h' },
      h('h2', { id: 'ship-h' }, 'Shipments'),
      shipments.length === 0
        ? empty('No shipments recorded.')
        : table(
            `Shipments (${shipments.length})`,
            ['Shipment', 'Licence', 'Shipped', 'Chips', 'Invoice'],
            shipments.map((s) => [
              s.id,
              s.licenceId,
              date(s.shippedAt),
              String(s.chips.length),
              money(s.invoiceValue, s.currency),
            ]),
          ),
    ),
  );
  if (chosen) {
    const features = world.filter((f) => f.properties.code !== null && mine.has(f.properties.code));
    if (features.length > 0) map.fit({ type: 'FeatureCollection', features }, 30);
  }
}

function licenceDetail(l: Licence, d: LicenceDetail | ApiError | undefined): HTMLElement {
  const v = validity(l);
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'one-h' },
    h(
      'div',
      { class: 'title-row' },
      h('h2', { id: 'one-h' }, `Licence ${l.id}`),
      h('button', { type: 'button', class: 'link', onclick: () => setParams({}) }, 'Close'),
    ),
    h(
      'dl',
      { class: 'facts two-col' },
      h('dt', {}, 'Exporter'),
      h('dd', {}, l.exporterId),
      h('dt', {}, 'End user'),
      h('dd', {}, l.endUserId),
      h('dt', {}, 'Valid'),
      h('dd', {}, `${date(l.validFrom)} – ${date(l.validTo)} (${v.text})`),
      h('dt', {}, 'End use'),
      h('dd', {}, l.endUse || '—'),
      h('dt', {}, 'Revenue share'),
      h('dd', {}, `${l.revenueSharePct} % of invoice value`),
    ),
    d instanceof ApiError || d === undefined
      ? h('p', { class: 'note' }, d?.message ?? '')
      : h(
          'div',
          {},
          h('h3', {}, `Chips (${d.chips.length})`),
          d.chips.length === 0
            ? empty('No chips under this licence.')
            : h(
                'ul',
                { class: 'chip-list' },
                ...d.chips.map((c) => h('li', {}, h('a', { href: `#/chips/${encodeURIComponent(c)}` }, c))),
              ),
          h('h3', {}, 'History'),
          table(
            'Changes',
            ['When', 'Who', 'What'],
            d.changes.map((c) => [dateTime(c.at), c.actor, c.action]),
          ),
        ),
  );
}

function revenueSection(revenue: RevenueRow[] | ApiError): HTMLElement {
  const heading = h('h2', { id: 'rev-h' }, 'Revenue share per quarter');
  if (revenue instanceof ApiError)
    return h(
      'section',
      { 'aria-labelledby': 'rev-h' },
      heading,
      h('p', { class: 'note' }, 'The revenue-share report is not available to your role.'),
    );
  return h(
    'section',
    { 'aria-labelledby': 'rev-h' },
    heading,
    revenue.length === 0
      ? empty('No shipments in the last five years, so no revenue share is due.')
      : table(
          'Revenue share owed (invoice totals × licence percentage)',
          ['Licence', 'Quarter', 'Shipments', 'Invoice total', 'Share', 'Due'],
          revenue.map((r) => [
            r.licenceId,
            r.quarter,
            String(r.shipments),
            money(r.invoiceTotal, r.currency),
            `${r.sharePct} %`,
            h('strong', {}, money(r.shareDue, r.currency)),
          ]),
          'revenue-table',
        ),
  );
}
