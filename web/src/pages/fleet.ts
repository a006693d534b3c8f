// The fleet map: every chip the token may see, clustered and coloured by its latest verdict, the
// landmarks, counts per verdict, filters (licence, end user, model, verdict) and the same chips as
// a table for those who would rather read.

import { ApiError, getJson, query } from '../lib/api.js';
import { empty, errorState, h, loading, replace, table } from '../lib/dom.js';
import { dateTime, km } from '../lib/format.js';
import type { ChipView, Landmark, Licence, Org } from '../lib/types.js';
import { chipClusters, landmarkMarkers, legend, type PlacedChip, type Status } from '../map/markers.js';
import { placeChip } from '../map/places.js';
import { countries } from '../map/topology.js';
import { WorldMap } from '../map/world-map.js';
import { type Page, setParams } from './page.js';

const FILTERS = ['licence', 'endUser', 'model', 'verdict'] as const;
const TABLE_ROWS = 500;

/** A list the role may not read (403) is just absent from the filters, not an error. */
async function optional<T>(p: Promise<T>, fallback: T): Promise<T> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof ApiError && e.status === 403) return fallback;
    throw e;
  }
}

export const fleetPage: Page = (main, { params }) => {
  const body = h('div', { class: 'fleet' }, loading('the fleet'));
  replace(main, h('h1', {}, 'Fleet'), body);
  const filters = Object.fromEntries(FILTERS.map((f) => [f, params.get(f) ?? undefined]));
  const load = async () => {
    replace(body, loading('the fleet'));
    try {
      const [chips, landmarks, licences, orgs, world] = await Promise.all([
        getJson<{ chips: ChipView[] }>(`/v1/chips${query(filters)}`).then((r) => r.chips),
        optional(
          getJson<{ landmarks: Landmark[] }>('/v1/landmarks').then((r) => r.landmarks),
          [],
        ),
        getJson<{ licences: Licence[] }>('/v1/licences').then((r) => r.licences),
        optional(
          getJson<{ orgs: Org[] }>('/v1/orgs').then((r) => r.orgs),
          undefined,
        ),
        countries('50m'),
      ]);
      render(body, { chips, landmarks, licences, orgs, world, filters });
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
  d: {
    chips: ChipView[];
    landmarks: Landmark[];
    licences: Licence[];
    orgs: Org[] | undefined;
    world: Awaited<ReturnType<typeof countries>>;
    filters: Record<string, string | undefined>;
  },
): void {
  const byLicence = new Map(d.licences.map((l) => [l.id, l]));
  const counts = new Map<Status, number>();
  const placed: PlacedChip[] = [];
  let atDestination = 0;
  const unplaced: string[] = [];
  for (const c of d.chips) {
    const status: Status = c.verdict?.verdict ?? 'none';
    counts.set(status, (counts.get(status) ?? 0) + 1);
    const p = placeChip(c, byLicence, d.world);
    if (p === undefined) unplaced.push(c.id);
    else {
      if (p.placement === 'destination') atDestination++;
      placed.push({ id: c.id, lat: p.lat, lon: p.lon, status });
    }
  }
  const map = new WorldMap({
    label: `World map of ${d.chips.length} chips and ${d.landmarks.length} landmarks`,
  });
  map.setCountries(d.world);
  map.setLayers([landmarkMarkers(d.landmarks), chipClusters(placed)]);

  const select = (name: string, label: string, options: [string, string][]) =>
    h(
      'label',
      { class: 'filter' },
      label,
      h(
        'select',
        {
          name,
          onchange: (e: Event) => setParams({ ...d.filters, [name]: (e.target as HTMLSelectElement).value }),
        },
        h('option', { value: '' }, 'All'),
        ...options.map(([v, t]) => h('option', { value: v, selected: d.filters[name] === v }, t)),
      ),
    );
  const models = [
    ...new Set([...d.chips.map((c) => c.model), ...d.licences.flatMap((l) => l.models)]),
  ].sort();
  const endUsers = d.orgs?.filter((o) => o.kind === 'end-user');
  const form = h(
    'form',
    { class: 'filters', 'aria-label': 'Filter chips', onsubmit: (e: Event) => e.preventDefault() },
    select(
      'licence',
      'Licence',
      d.licences.map((l) => [l.id, l.id]),
    ),
    endUsers
      ? select(
          'endUser',
          'End user',
          endUsers.map((o) => [o.id, o.name]),
        )
      : null,
    select(
      'model',
      'Model',
      models.map((m) => [m, m]),
    ),
    select('verdict', 'Verdict', [
      ['inside', 'Proven inside'],
      ['outside', 'Proven outside'],
      ['unverified', 'Unverified'],
      ['inconsistent', 'Inconsistent'],
      ['none', 'No verdict yet'],
    ]),
    Object.values(d.filters).some((v) => v !== undefined)
      ? h('a', { href: '#/fleet', class: 'clear-filters' }, 'Clear filters')
      : null,
  );

  const notes = h(
    'p',
    { class: 'note' },
    atDestination > 0
      ? `${atDestination} chip${atDestination === 1 ? ' is' : 's are'} drawn at the centre of the licensed destination: their position is not disclosed to your role, or not yet estimated. `
      : '',
    unplaced.length > 0 ? `${unplaced.length} chip(s) have no licence destination to draw.` : '',
  );
  const rows = d.chips
    .slice(0, TABLE_ROWS)
    .map((c) => [
      h('a', { href: `#/chips/${encodeURIComponent(c.id)}` }, c.id),
      c.model,
      c.licenceId ?? '—',
      c.endUserId ?? '—',
      h('span', { class: `verdict v-${c.verdict?.verdict ?? 'none'}` }, c.verdict?.verdict ?? 'no verdict'),
      c.verdict ? dateTime(c.verdict.computedAt) : '—',
      km(c.verdict?.proofRadiusKm),
    ]);
  replace(
    body,
    form,
    h(
      'div',
      { class: 'map-with-side' },
      map.el,
      h('aside', { class: 'side' }, h('h2', {}, 'Chips per verdict'), legend(counts), notes),
    ),
    d.chips.length === 0
      ? empty('No chips match. Chips appear here once they are registered under a licence you may see.')
      : table(
          d.chips.length > TABLE_ROWS
            ? `Chips (first ${TABLE_ROWS} of ${d.chips.length})`
            : `Chips (${d.chips.length})`,
          ['Chip', 'Model', 'Licence', 'End user', 'Verdict', 'Decided', 'Proof reaches'],
          rows,
          'chips-table',
        ),
  );
}
