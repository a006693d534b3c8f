// Countries as GeoJSON for d3-geo, from the world-atlas TopoJSON the server ships. The decoding
// (quantisation, arc references) is the verdict core's own reader, src/geo/topojson.ts, so the
// dashboard draws the very map the verdicts are decided on (at a coarser scale for the world view).

import { geoArea } from 'd3-geo';
import type { Feature, MultiPolygon, Position } from 'geojson';
import { countryByNumeric } from '../../../src/geo/iso3166.js';
import { type DecodedTopology, decodeTopology } from '../../../src/geo/topojson.js';
import { getPublic } from '../lib/api.js';

export interface CountryProps {
  /** ISO 3166-1 alpha-2, or null for land Natural Earth maps without a code. */
  readonly code: string | null;
  readonly name: string;
}

export type CountryFeature = Feature<MultiPolygon, CountryProps>;

/** Joins a ring's arcs (TopoJSON §2.2.1: consecutive arcs share their end points). */
function ring(t: DecodedTopology, refs: readonly number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const ref of refs) {
    const arc = t.arcs[ref < 0 ? ~ref : ref];
    const n = arc.length / 2;
    const pts: [number, number][] = [];
    for (let k = 0; k < n; k++) pts.push([arc[2 * k], arc[2 * k + 1]]);
    if (ref < 0) pts.reverse();
    out.push(...(out.length > 0 ? pts.slice(1) : pts));
  }
  return out;
}

/**
 * d3-geo reads a ring's orientation on the sphere: the wrong way round, a polygon is everything
 * but itself. A few tiny islands of the 1:10m map come out that way (their quantised rings are
 * nearly degenerate, e.g. the Maldives), and would paint the whole map; no country covers a
 * hemisphere, so such a polygon is turned round.
 */
function oriented(rings: Position[][]): Position[][] {
  // Alone, an outer ring must enclose less than a hemisphere and a hole more (it bounds the rest).
  return rings.map((r, i) => {
    const large = geoArea({ type: 'Polygon', coordinates: [r] }) > 2 * Math.PI;
    return large === (i === 0) ? [...r].reverse() : r;
  });
}

export function countriesFrom(doc: unknown): CountryFeature[] {
  const t = decodeTopology(doc, 'countries');
  return t.features.map((f) => {
    const iso = f.id === undefined ? undefined : countryByNumeric(f.id);
    return {
      type: 'Feature',
      id: f.id,
      properties: { code: iso?.alpha2 ?? null, name: f.name || iso?.name || 'unnamed land' },
      geometry: {
        type: 'MultiPolygon',
        coordinates: f.polygons.map((p) => oriented(p.map((r) => ring(t, r)))),
      },
    };
  });
}

const loaded = new Map<string, Promise<CountryFeature[]>>();

/** The map at a Natural Earth scale, fetched once per page load from this server. */
export function countries(scale: '110m' | '50m' | '10m' = '50m'): Promise<CountryFeature[]> {
  let p = loaded.get(scale);
  if (p === undefined) {
    p = getPublic(`/assets/countries-${scale}.json`)
      .then((r) => r.json())
      .then(countriesFrom);
    p.catch(() => loaded.delete(scale));
    loaded.set(scale, p);
  }
  return p;
}
