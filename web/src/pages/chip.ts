// One chip, and why the verifier thinks what it thinks: its licence's destination on the map, each
// landmark's disc at the chip's latest round-trip times (radius RTT/2 × the verdict's bound), the
// feasible region where the discs meet, the estimate when it is disclosed, the verdict with its
// reasons, the verdict history, and the receipts with their hashes.

import type { GeoPermissibleObjects } from 'd3-geo';
import { geoCircle } from 'd3-geo';
import { isBoundName } from '../../../src/geo/bounds.js';
import {
  cellsToMultiPolygon,
  type Disc,
  discFor,
  feasibleCells,
  kmToDegrees,
} from '../geo/feasible-cells.js';
import { ApiError, getJson } from '../lib/api.js';
import { empty, errorState, h, loading, replace, s, table } from '../lib/dom.js';
import { dateTime, km, ms, shortHash } from '../lib/format.js';
import type { ChipView, Landmark, Licence, Receipt, VerdictView } from '../lib/types.js';
import { landmarkMarkers } from '../map/markers.js';
import { countries } from '../map/topology.js';
import { type MapLayer, WorldMap } from '../map/world-map.js';
import type { Page } from './page.js';
import { verdictHistory } from './verdict-history.js';

/** A verdict as a chip's history lists it: with its leaf index once the log has sequenced it. */
type LoggedVerdict = VerdictView & { readonly logIndex: number | null };

interface ChipDetail {
  readonly chip: ChipView;
  readonly licence: Licence | null;
  readonly disclosed: string;
  readonly verdict: VerdictView | null;
}

export const chipPage: Page = (main, { rest, params }) => {
  const id = rest[0] ?? '';
  const body = h('div', { class: 'chip-page' }, loading(`chip ${id}`));
  replace(main, h('h1', {}, 'Chip ', h('span', { class: 'mono' }, id)), body);
  const load = async () => {
    replace(body, loading(`chip ${id}`));
    try {
      const enc = encodeURIComponent(id);
      const detail = await getJson<ChipDetail>(`/v1/chips/${enc}`);
      const [verdicts, landmarks, world] = await Promise.all([
        getJson<{ verdicts: LoggedVerdict[] }>(`/v1/chips/${enc}/verdicts`).then((r) => r.verdicts),
        getJson<{ landmarks: Landmark[] }>('/v1/landmarks').then((r) => r.landmarks),
        // The verdicts' own map scale: discs of a few km sit against 1:10m coastlines.
        countries('10m'),
      ]);
      // The verdict drawn: the one chosen in the history (?verdict=ID), else the latest.
      const wanted = params.get('verdict');
      const selected =
        verdicts.find((v) => String(v.id) === wanted) ??
        verdicts.find((v) => v.id === detail.verdict?.id) ??
        null;
      // Exactly the receipts the selected verdict rests on. They carry RTTs, which reveal
      // distances: the end user decides who sees them.
      const evidence =
        selected === null
          ? []
          : await getJson<{ receipts: Receipt[] }>(`/v1/chips/${enc}/evidence?verdict=${selected.id}`)
              .then((r) => r.receipts)
              .catch((e: unknown) => {
                if (e instanceof ApiError && e.status === 403) return e;
                throw e;
              });
      render(body, detail, verdicts, selected, landmarks, world, evidence);
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

/** Smallest RTT per landmark among the receipts the verdict rests on (the verdict's own rule). */
function discsOf(v: VerdictView, receipts: readonly Receipt[], landmarks: readonly Landmark[]): Disc[] {
  const used = new Set(v.evidence);
  const best = new Map<string, number>();
  for (const r of receipts)
    if (used.has(r.hash)) best.set(r.landmarkId, Math.min(best.get(r.landmarkId) ?? Infinity, r.minRttMs));
  const bound = isBoundName(v.bound) ? v.bound : 'vacuum';
  return [...best]
    .map(([lid, rtt]) => {
      const l = landmarks.find((x) => x.id === lid);
      return l === undefined ? undefined : discFor(l, rtt, bound);
    })
    .filter((d): d is Disc => d !== undefined)
    .sort((a, b) => a.radiusKm - b.radiusKm);
}

function render(
  body: HTMLElement,
  d: ChipDetail,
  verdicts: LoggedVerdict[],
  v: LoggedVerdict | null,
  landmarks: Landmark[],
  world: Awaited<ReturnType<typeof countries>>,
  evidence: Receipt[] | ApiError,
): void {
  const receipts = evidence instanceof ApiError ? [] : evidence;
  const discs = v === null ? [] : discsOf(v, receipts, landmarks);
  const region = discs.length > 0 ? feasibleCells(discs) : undefined;
  const destCountries = new Set(
    (d.licence?.destinations ?? []).flatMap((x) => ('country' in x ? [x.country] : [])),
  );
  const map = new WorldMap({
    label: `Map of chip ${d.chip.id}: licensed destination, landmark discs and feasible region`,
    aspect: 0.62,
    countryClass: (f) =>
      f.properties.code !== null && destCountries.has(f.properties.code) ? 'country destination' : null,
  });
  map.setCountries(world);
  const usedLandmarks = landmarks.filter((l) => discs.some((x) => x.landmarkId === l.id));
  const layers: MapLayer[] = [
    destinationShapes(d.licence),
    region ? regionLayer(region) : { draw() {} },
    // Disc outlines above the region: the tightest disc often is the region's edge.
    discLayer(discs),
    estimateLayer(v),
    landmarkMarkers(usedLandmarks),
  ];
  map.setLayers(layers);
  const focus: GeoPermissibleObjects | undefined =
    region && region.cells.length > 0
      ? cellsToMultiPolygon(region.cells)
      : discs.length > 0
        ? geoCircle().center([discs[0].lon, discs[0].lat]).radius(kmToDegrees(discs[0].radiusKm))()
        : undefined;
  const destFeatures = world.filter(
    (f) => f.properties.code !== null && destCountries.has(f.properties.code),
  );
  if (focus !== undefined) map.fit(focus);
  else if (destFeatures.length > 0) map.fit({ type: 'FeatureCollection', features: destFeatures }, 40);

  replace(
    body,
    h(
      'div',
      { class: 'chip-grid' },
      h(
        'section',
        { 'aria-labelledby': 'map-h' },
        h('h2', { id: 'map-h' }, 'Where physics allows the chip to be'),
        map.el,
        mapKey(discs, region, v, evidence),
      ),
      verdictCard(d, v, v !== null && v.id !== d.verdict?.id),
    ),
    h(
      'section',
      { 'aria-labelledby': 'hist-h' },
      h('h2', { id: 'hist-h' }, 'Verdict history'),
      verdicts.length === 0
        ? empty('No verdicts yet: the chip has not checked in.')
        : verdictHistory(verdicts, {
            selected: v?.id,
            href: (x) => `#/chips/${encodeURIComponent(d.chip.id)}?verdict=${x.id}`,
          }),
    ),
    h(
      'section',
      { 'aria-labelledby': 'ev-h' },
      h('h2', { id: 'ev-h' }, 'Evidence'),
      evidenceTable(v, evidence),
      logLinks(d.chip.id, v),
    ),
    chipFacts(d),
  );
}

function destinationShapes(l: Licence | null): MapLayer {
  return {
    draw(g, ctx) {
      for (const dst of l?.destinations ?? []) {
        let geo: GeoPermissibleObjects | undefined;
        if ('circle' in dst)
          geo = geoCircle()
            .center([dst.circle.lon, dst.circle.lat])
            .radius(kmToDegrees(dst.circle.radiusKm))();
        else if ('geofence' in dst) geo = dst.geofence as never;
        const path = geo === undefined ? null : ctx.path(geo);
        if (path) g.append(s('path', { class: 'destination-shape', d: path }));
      }
    },
  };
}

function discLayer(discs: readonly Disc[]): MapLayer {
  return {
    draw(g, ctx) {
      for (const disc of discs) {
        const p = ctx.path(
          geoCircle().center([disc.lon, disc.lat]).radius(kmToDegrees(disc.radiusKm)).precision(0.5)(),
        );
        if (!p) continue;
        const el = s('path', { class: 'disc', d: p, 'data-landmark': disc.landmarkId });
        el.append(s('title', {}, `${disc.landmarkId}: ${ms(disc.rttMs)} → within ${km(disc.radiusKm)}`));
        g.append(el);
      }
    },
  };
}

function regionLayer(region: ReturnType<typeof feasibleCells>): MapLayer {
  return {
    draw(g, ctx) {
      if (region.cells.length === 0) return;
      const p = ctx.path(cellsToMultiPolygon(region.cells));
      if (!p) return;
      const el = s('path', { class: 'feasible', d: p, 'data-cells': region.cells.length });
      el.append(s('title', {}, 'Feasible region: every disc allows the chip here'));
      g.append(s('g', { class: 'feasible-group' }, el));
    },
  };
}

function estimateLayer(v: VerdictView | null): MapLayer {
  return {
    draw(g, ctx) {
      const e = v?.estimate;
      if (e === undefined || e === null) return;
      const p = ctx.path(
        geoCircle()
          .center([e.lon, e.lat])
          .radius(kmToDegrees(Math.max(e.radiusKm, 0.01)))(),
      );
      if (p) g.append(s('path', { class: 'estimate-area', d: p }));
      const c = ctx.project(e.lon, e.lat);
      if (c) {
        const dot = s('circle', { class: 'estimate', cx: c[0], cy: c[1], r: 4 });
        dot.append(s('title', {}, `Estimate ±${km(e.radiusKm)} (not a proof)`));
        g.append(dot);
      }
    },
  };
}

function mapKey(
  discs: readonly Disc[],
  region: ReturnType<typeof feasibleCells> | undefined,
  v: VerdictView | null,
  evidence: Receipt[] | ApiError,
): HTMLElement {
  const items: (HTMLElement | string)[] = [];
  if (evidence instanceof ApiError)
    items.push(
      h(
        'li',
        { class: 'note' },
        'The end user does not disclose this chip’s round-trip times to your role, so its discs are not drawn.',
      ),
    );
  else if (v === null) items.push(h('li', {}, 'No verdict yet: nothing to draw but the destination.'));
  else if (discs.length === 0)
    items.push(h('li', {}, 'None of the receipts behind this verdict names a registered landmark.'));
  else {
    items.push(
      h(
        'li',
        {},
        h('span', { class: 'swatch disc-swatch', 'aria-hidden': 'true' }),
        `${discs.length} landmark disc${discs.length === 1 ? '' : 's'} (${v.bound} bound: radius = RTT/2 × speed)`,
      ),
    );
    if (region?.empty)
      items.push(h('li', { class: 'warn' }, 'The discs share no point: the evidence contradicts physics.'));
    else if (region?.everywhere)
      items.push(
        h(
          'li',
          {},
          'Every disc covers the whole Earth: these round trips prove nothing about where the chip is.',
        ),
      );
    else if (region)
      items.push(
        h(
          'li',
          { 'data-testid': 'feasible-key' },
          h('span', { class: 'swatch feasible-swatch', 'aria-hidden': 'true' }),
          'Feasible region: where every disc allows the chip',
          region.truncated ? ' (drawn coarsely)' : '',
        ),
      );
  }
  items.push(
    h(
      'li',
      {},
      h('span', { class: 'swatch destination-swatch', 'aria-hidden': 'true' }),
      'Licensed destination',
    ),
  );
  if (v?.estimate)
    items.push(
      h(
        'li',
        {},
        h('span', { class: 'swatch estimate-swatch', 'aria-hidden': 'true' }),
        `Estimate ±${km(v.estimate.radiusKm)} (a guess, not a proof)`,
      ),
    );
  return h('ul', { class: 'legend map-key' }, ...items);
}

function verdictCard(d: ChipDetail, v: VerdictView | null, earlier: boolean): HTMLElement {
  if (v === null)
    return h('section', { class: 'card verdict-card' }, h('h2', {}, 'Verdict'), empty('No verdict yet.'));
  const row = (k: string, val: Node | string) => [h('dt', {}, k), h('dd', {}, val)];
  return h(
    'section',
    { class: `card verdict-card v-border-${v.verdict}`, 'aria-labelledby': 'verdict-h' },
    h('h2', { id: 'verdict-h' }, earlier ? 'An earlier verdict' : 'Verdict'),
    earlier
      ? h(
          'p',
          { class: 'note', 'data-testid': 'earlier-verdict' },
          `Drawn as decided at ${dateTime(v.computedAt)}. `,
          h('a', { href: `#/chips/${encodeURIComponent(d.chip.id)}` }, 'Show the latest verdict'),
        )
      : null,
    h(
      'p',
      { class: `verdict big v-${v.verdict}`, 'data-verdict': v.verdict, 'data-verdict-id': v.id },
      label(v.verdict),
      ' ',
      v.region,
    ),
    h(
      'dl',
      { class: 'facts' },
      ...row('Decided', dateTime(v.computedAt)),
      ...row(
        'Bound',
        v.bound === 'vacuum' ? 'vacuum (299.792458 km/ms): sound against anyone' : `${v.bound}`,
      ),
      ...row('Where', v.where),
      ...row('Trust mode', v.trustModes.join(', ') || '—'),
      ...row('Proof reaches', v.proofRadiusKm === undefined ? 'not disclosed' : km(v.proofRadiusKm)),
      ...row('Border margin', v.marginKm === undefined ? 'not disclosed' : km(v.marginKm)),
      ...row('Landmarks used', String(v.landmarksUsed)),
      ...row('Evidence window', `${dateTime(v.window.from)} – ${dateTime(v.window.to)}`),
      ...row('Disclosure', d.disclosed),
    ),
    v.suspects.length > 0
      ? h('p', { class: 'warn' }, `Suspect landmarks: ${v.suspects.map((x) => x.join(' + ')).join(' or ')}`)
      : null,
    v.reasons
      ? h(
          'div',
          {},
          h('h3', {}, 'Reasons'),
          h('ul', { class: 'reasons' }, ...v.reasons.map((r) => h('li', {}, r))),
        )
      : h('p', { class: 'note' }, 'The reasons are not disclosed to your role.'),
  );
}

function label(v: string): string {
  return (
    {
      inside: 'Proven inside',
      outside: 'Proven outside',
      unverified: 'Unverified',
      inconsistent: 'Inconsistent',
    }[v] ?? v
  );
}

function evidenceTable(v: VerdictView | null, evidence: Receipt[] | ApiError): HTMLElement {
  if (evidence instanceof ApiError) return h('p', { class: 'note' }, `Receipts: ${evidence.message}.`);
  if (v === null || evidence.length === 0) return empty('No receipts yet.');
  const bound = isBoundName(v.bound) ? v.bound : 'vacuum';
  return table(
    `Receipts behind the verdict of ${dateTime(v.computedAt)}, newest first (${evidence.length})`,
    ['Measured', 'Landmark', 'Trust mode', 'Smallest RTT', `Disc (${bound})`, 'Receipt hash'],
    [...evidence]
      .sort((a, b) => Date.parse(b.measuredAt) - Date.parse(a.measuredAt))
      .map((r) => [
        dateTime(r.measuredAt),
        r.landmarkId,
        r.trustMode,
        ms(r.minRttMs),
        km(discFor({ id: r.landmarkId, lat: 0, lon: 0 }, r.minRttMs, bound).radiusKm),
        h('code', { title: r.hash, class: 'hash' }, shortHash(r.hash)),
      ]),
    'evidence-table',
  );
}

/** Where the selected verdict is in the transparency log, and the links that check it there. */
function logLinks(chipId: string, v: LoggedVerdict | null): HTMLElement {
  const chip = encodeURIComponent(chipId);
  const all = h('a', { href: `#/log?chip=${chip}` }, 'Verify all of this chip’s verdicts in the log');
  if (v === null) return h('p', { class: 'log-links' }, all);
  if (v.logIndex === null)
    return h(
      'p',
      { class: 'log-links note', 'data-testid': 'log-link' },
      'This verdict is not in the transparency log yet (the verifier appends verdicts within seconds). ',
      all,
    );
  return h(
    'p',
    { class: 'log-links' },
    h(
      'a',
      {
        class: 'button',
        href: `#/log?chip=${chip}&verdict=${v.id}`,
        'data-testid': 'log-link',
        'data-log-index': v.logIndex,
      },
      `Verify this verdict in the transparency log (leaf ${v.logIndex.toLocaleString('en')})`,
    ),
    ' ',
    all,
  );
}

function chipFacts(d: ChipDetail): HTMLElement {
  const c = d.chip;
  const l = d.licence;
  return h(
    'section',
    { 'aria-labelledby': 'facts-h' },
    h('h2', { id: 'facts-h' }, 'Chip and licence'),
    h(
      'dl',
      { class: 'facts two-col' },
      h('dt', {}, 'Model'),
      h('dd', {}, c.model),
      h('dt', {}, 'Status'),
      h('dd', {}, c.status),
      h('dt', {}, 'Identity'),
      h('dd', {}, `${c.identityMode}, key ${c.keyId}`),
      h('dt', {}, 'Licence'),
      h('dd', {}, l ? h('a', { href: `#/licences?licence=${encodeURIComponent(l.id)}` }, l.id) : '—'),
      h('dt', {}, 'Destination'),
      h(
        'dd',
        {},
        l ? l.destinations.map((x) => ('country' in x ? x.country : Object.keys(x)[0])).join(', ') : '—',
      ),
      h('dt', {}, 'End user'),
      h('dd', {}, c.endUserId ?? '—'),
      h('dt', {}, 'Registered'),
      h('dd', {}, dateTime(c.createdAt)),
    ),
  );
}
