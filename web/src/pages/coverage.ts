// Coverage: for the current landmarks, what a chip at each place on land could be proven to be in
// — its own country, only a larger area, or nothing — if every landmark measured the latency
// model's typical round trip to it, judged under the vacuum bound. The map a licensing officer
// reads to see where landmarks are missing. Computed by the server (GET /v1/coverage).

import { cellsToMultiPolygon } from '../geo/feasible-cells.js';
import { getJson, query } from '../lib/api.js';
import { errorState, h, loading, replace, s } from '../lib/dom.js';
import type { CoverageCell, Landmark } from '../lib/types.js';
import { landmarkMarkers } from '../map/markers.js';
import { countries } from '../map/topology.js';
import { type MapLayer, WorldMap } from '../map/world-map.js';
import { type Page, setParams } from './page.js';

interface Coverage {
  readonly step: number;
  readonly areaKm: number;
  readonly landmarks: number;
  readonly counts: Record<'country' | 'area' | 'none', number>;
  readonly cells: readonly CoverageCell[];
}

const LEVELS = [
  ['country', 'Provable inside its country'],
  ['area', 'Only a larger area'],
  ['none', 'Nothing useful'],
] as const;

export const coveragePage: Page = (main, { params }) => {
  const step = params.get('step') ?? '1';
  const areaKm = params.get('areaKm') ?? '1500';
  const body = h('div', {}, loading('the coverage grid (this takes a few seconds the first time)'));
  const controls = h(
    'form',
    { class: 'filters', 'aria-label': 'Coverage settings' },
    h(
      'label',
      { class: 'filter' },
      'Grid',
      h(
        'select',
        { name: 'step' },
        ...['2', '1', '0.5'].map((v) => h('option', { value: v, selected: v === step }, `${v}°`)),
      ),
    ),
    h(
      'label',
      { class: 'filter' },
      '“Larger area” up to',
      h(
        'select',
        { name: 'areaKm' },
        ...['500', '1500', '3000'].map((v) =>
          h('option', { value: v, selected: v === areaKm }, `${Number(v).toLocaleString('en')} km`),
        ),
      ),
    ),
  );
  controls.addEventListener('change', () => {
    const f = new FormData(controls);
    setParams({ step: String(f.get('step')), areaKm: String(f.get('areaKm')) });
  });
  replace(
    main,
    h('h1', {}, 'Coverage'),
    h(
      'p',
      { class: 'lede' },
      'What a chip at each place could be proven to be in, if each landmark measured the typical round trip to it (the latency model’s median path inflation), under the vacuum bound that verdicts use. Grey land needs landmarks nearer.',
    ),
    controls,
    body,
  );
  const load = async () => {
    replace(body, loading('the coverage grid (this takes a few seconds the first time)'));
    try {
      const [cov, landmarks, world] = await Promise.all([
        getJson<Coverage>(`/v1/coverage${query({ step, areaKm })}`),
        getJson<{ landmarks: Landmark[] }>('/v1/landmarks').then((r) => r.landmarks),
        countries('50m'),
      ]);
      const map = new WorldMap({ label: `Coverage map for ${cov.landmarks} landmarks`, aspect: 0.5 });
      map.setCountries(world);
      map.setLayers([gridLayer(cov), landmarkMarkers(landmarks)]);
      replace(
        body,
        h(
          'div',
          { class: 'map-with-side' },
          map.el,
          h(
            'aside',
            { class: 'side' },
            h('h2', {}, 'Land cells'),
            h(
              'ul',
              { class: 'legend' },
              ...LEVELS.map(([k, text]) =>
                h(
                  'li',
                  { 'data-level': k },
                  h('span', { class: `swatch cov-${k}`, 'aria-hidden': 'true' }),
                  text,
                  h('strong', { class: 'count' }, String(cov.counts[k])),
                ),
              ),
            ),
            h(
              'p',
              { class: 'note' },
              `${cov.landmarks} active landmark${cov.landmarks === 1 ? '' : 's'}; ${cov.step}° cells on land. “A larger area”: the tightest disc is at most ${cov.areaKm.toLocaleString('en')} km wide in radius, enough to refute a claim to be far away but not to prove the country.`,
            ),
          ),
        ),
      );
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

function gridLayer(cov: Coverage): MapLayer {
  const half = cov.step / 2;
  return {
    draw(g, ctx) {
      for (const [level] of LEVELS) {
        const cells = cov.cells
          .filter((c) => c.level === level)
          .map((c) => ({
            south: c.lat - half,
            north: c.lat + half,
            west: c.lon - half,
            east: c.lon + half,
            full: true,
          }));
        if (cells.length === 0) continue;
        const d = ctx.path(cellsToMultiPolygon(cells));
        if (d) g.append(s('path', { class: `coverage cov-${level}`, d, 'data-cells': cells.length }));
      }
    },
  };
}
