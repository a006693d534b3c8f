// `geoattest plan`: where to put landmarks so that a region's data centres can be proven inside it.
// Reads the candidate and existing landmark files, runs the greedy planner (src/sim/planner.ts) on
// the 10m map, prints coverage step by step, and can draw the answer as an SVG map.

import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import {
  type ExtendedFeature,
  type ExtendedFeatureCollection,
  geoArea,
  geoCentroid,
  geoMercator,
  geoPath,
} from 'd3-geo';
import { GeoattestError, isGeoattestError } from '../errors.js';
import { type BoundName, DEFAULT_BOUND, isBoundName, rttToMaxDistanceKm } from '../geo/bounds.js';
import { countryByAlpha2, countryByNumeric } from '../geo/iso3166.js';
import { decodeTopology } from '../geo/topojson.js';
import { loadAtlas } from '../io/atlas-file.js';
import { typicalRttMs } from '../sim/latency-model.js';
import {
  DEFAULT_CONSERVATIVE_QUANTILE,
  defaultCandidates,
  type Plan,
  planLandmarks,
  type Site,
} from '../sim/planner.js';
import { type CliIo, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, usageError } from './usage.js';

export const PLAN_USAGE = `Usage: geoattest plan --region CC [options]

Chooses up to k landmark sites, one at a time, each the candidate that lets the verdict core prove
the most of the region's data-centre locations inside it, with round-trip times from the latency
model (median, and a conservative quantile). Locations: the region's data-centre cities, plus
about 20 evenly spread points of its land when it has fewer than 5 such cities.
See docs/latency-model.md and docs/planning.md.

Options:
  --region CC            ISO 3166-1 alpha-2 code of the region (upper case, e.g. MY)
  --candidates FILE      JSON [{"id", "lat", "lon"}] of possible landmark sites
                         (default: the built-in list of data-centre cities)
  --existing FILE        JSON [{"id", "lat", "lon"}] of landmarks already in place
  --k N                  at most N new landmarks (default: 5)
  --bound vacuum|fiber   propagation bound of the verdicts (default: vacuum, sound against anyone)
  --quantile Q           the conservative RTT quantile, 0.5 <= Q < 1 (default: 0.9)
  --json                 print the plan as one JSON object
  --svg FILE             also draw a map: the region, the chosen landmarks, the locations
                         coloured by what is proven
  -h, --help             show this help

Exit status: 0 when a plan was made, 1 when the map could not be written, 2 on usage errors
(unknown region, unreadable or invalid files, bad option values).`;

interface PlanArgs {
  region: string;
  candidates?: string;
  existing?: string;
  k: number;
  bound: BoundName;
  quantile: number;
  json: boolean;
  svg?: string;
}

function parseOptions(argv: string[]): PlanArgs | 'help' {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        region: { type: 'string' },
        candidates: { type: 'string' },
        existing: { type: 'string' },
        k: { type: 'string' },
        bound: { type: 'string' },
        quantile: { type: 'string' },
        json: { type: 'boolean' },
        svg: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    throw usageError((e as Error).message);
  }
  if (values.help) return 'help';
  const region = values.region as string | undefined;
  if (region === undefined) throw usageError('--region CC is required (an ISO 3166-1 alpha-2 code, e.g. MY)');
  if (countryByAlpha2(region) === undefined) {
    const hint =
      countryByAlpha2(region.toUpperCase()) !== undefined ? ` (did you mean ${region.toUpperCase()}?)` : '';
    throw new GeoattestError(
      'UNKNOWN_COUNTRY',
      `--region ${JSON.stringify(region)} is not an upper-case ISO 3166-1 alpha-2 code${hint}`,
    );
  }
  const k = Number(values.k ?? 5);
  if (!Number.isInteger(k) || k < 0 || k > 1000) throw usageError('--k must be an integer from 0 to 1000');
  const bound = (values.bound as string | undefined) ?? DEFAULT_BOUND;
  if (!isBoundName(bound)) throw usageError(`--bound must be vacuum or fiber, not ${JSON.stringify(bound)}`);
  const quantile = Number(values.quantile ?? DEFAULT_CONSERVATIVE_QUANTILE);
  if (!(quantile >= 0.5 && quantile < 1)) throw usageError('--quantile must be a number with 0.5 <= Q < 1');
  return {
    region,
    candidates: values.candidates as string | undefined,
    existing: values.existing as string | undefined,
    k,
    bound,
    quantile,
    json: values.json === true,
    svg: values.svg as string | undefined,
  };
}

/** A JSON file of sites [{id, lat, lon}], strictly: a bad entry is an error naming it. */
function readSites(path: string, option: string): Site[] {
  const bad = (why: string) => new GeoattestError('INVALID_OPTION_FILE', `${option} ${path}: ${why}`);
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new GeoattestError(
      'INVALID_OPTION_FILE',
      `cannot read ${option} ${path}: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
  if (!Array.isArray(v)) throw bad('expected a JSON array of {"id", "lat", "lon"}');
  if (v.length > 10_000) throw bad('more than 10,000 sites');
  const ids = new Set<string>();
  return v.map((e, i) => {
    const s = e as Record<string, unknown>;
    if (typeof e !== 'object' || e === null || typeof s.id !== 'string' || s.id === '' || s.id.length > 256)
      throw bad(`entry ${i} needs a non-empty string "id"`);
    if (ids.has(s.id)) throw bad(`id ${JSON.stringify(s.id)} is listed twice`);
    ids.add(s.id);
    if (typeof s.lat !== 'number' || !(Math.abs(s.lat) <= 90))
      throw bad(`entry ${i} needs "lat" in [-90, 90]`);
    if (typeof s.lon !== 'number' || !(Math.abs(s.lon) <= 180))
      throw bad(`entry ${i} needs "lon" in [-180, 180]`);
    return { id: s.id, lat: s.lat, lon: s.lon };
  });
}

const pct = (n: number, of: number) => (of === 0 ? '-' : `${((100 * n) / of).toFixed(1)} %`);

function pad(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function planText(plan: Plan, candidates: number): string {
  const n = plan.locations.length;
  const cities = plan.locations.filter((l) => l.kind === 'datacentre-city').length;
  const name = countryByAlpha2(plan.region)?.name ?? plan.region;
  const out: string[] = [];
  out.push(
    `Landmark plan for ${plan.region} (${name}): ${n} locations (${cities} data-centre ` +
      `${cities === 1 ? 'city' : 'cities'}, ${n - cities} land samples), ${candidates} candidate sites, ` +
      `${plan.existing.length} existing landmarks.`,
  );
  out.push(
    `Proven inside by the verdict core: bound ${plan.bound}, where territorial, margin ${plan.marginKm} km; ` +
      `RTTs from the latency model, typical = median, conservative = ${plan.conservativeQuantile * 100} % quantile.`,
  );
  out.push('');
  const rows = [['step', 'landmark added', 'typical', '', 'conservative', '']];
  plan.steps.forEach((s, i) => {
    rows.push([
      String(i),
      s.pick === null ? (plan.existing.length > 0 ? '(existing landmarks)' : '(none)') : s.pick.id,
      `${s.coverage.typical}/${n}`,
      pct(s.coverage.typical, n),
      `${s.coverage.conservative}/${n}`,
      pct(s.coverage.conservative, n),
    ]);
  });
  rows.push([
    'all',
    `(every candidate)`,
    `${plan.ceiling.typical}/${n}`,
    pct(plan.ceiling.typical, n),
    `${plan.ceiling.conservative}/${n}`,
    pct(plan.ceiling.conservative, n),
  ]);
  out.push(pad(rows));
  if (plan.stoppedEarly !== null)
    out.push(`Stopped after ${plan.chosen.length} of the allowed picks: ${plan.stoppedEarly}.`);
  out.push('');
  const last = plan.steps[plan.steps.length - 1].coverage;
  const lrows = [['location', 'kind', 'lat', 'lon', 'typical', 'conservative', 'landmark on the spot']];
  plan.locations.forEach((l, i) => {
    lrows.push([
      l.id,
      l.kind === 'datacentre-city' ? 'data-centre city' : 'land sample',
      l.lat.toFixed(4),
      l.lon.toFixed(4),
      last.proven[i].typical ? 'proven' : '-',
      last.proven[i].conservative ? 'proven' : '-',
      plan.onSite[i] ? 'would prove it' : 'would not (near a border)',
    ]);
  });
  out.push(pad(lrows));
  const unreachable = plan.onSite.filter((x) => !x).length;
  if (unreachable > 0) {
    const rtt = typicalRttMs(plan.locations[0], plan.locations[0]);
    const reach = rttToMaxDistanceKm(rtt, plan.bound);
    out.push(
      `${unreachable} location(s) cannot be proven inside ${plan.region} even by a landmark in the same facility ` +
        `(typical RTT ${rtt.toFixed(3)} ms, proof radius ${reach.toFixed(1)} km): with the ${plan.marginKm} km border ` +
        `margin the proof reaches past another country's border or into the open sea. A geofence claim drawn ` +
        `from an authoritative boundary can serve them (docs/verdicts.md).`,
    );
  }
  return out.join('\n');
}

function planJson(plan: Plan) {
  const n = plan.locations.length;
  const last = plan.steps[plan.steps.length - 1].coverage;
  return {
    region: plan.region,
    bound: plan.bound,
    where: 'territorial',
    marginKm: plan.marginKm,
    conservativeQuantile: plan.conservativeQuantile,
    existing: plan.existing,
    chosen: plan.chosen,
    steps: plan.steps.map((s) => ({
      pick: s.pick,
      typical: s.coverage.typical,
      conservative: s.coverage.conservative,
      locations: n,
    })),
    ceiling: { typical: plan.ceiling.typical, conservative: plan.ceiling.conservative, locations: n },
    stoppedEarly: plan.stoppedEarly,
    locations: plan.locations.map((l, i) => ({
      ...l,
      typical: last.proven[i].typical,
      conservative: last.proven[i].conservative,
      onSite: plan.onSite[i],
    })),
  };
}

// ---------------------------------------------------------------------------------------------
// The map.

type Position = [number, number];
type CountryFeature = ExtendedFeature<
  { type: 'MultiPolygon'; coordinates: Position[][][] },
  { code: string | null }
>;

/** Every country of the 10m map (the verdicts' own) as GeoJSON, rings joined from their arcs. */
function countryFeatures(): { features: CountryFeature[] } {
  const require = createRequire(import.meta.url);
  const topology = decodeTopology(
    JSON.parse(readFileSync(require.resolve('world-atlas/countries-10m.json'), 'utf8')),
    'countries',
  );
  const features = topology.features.map((f): CountryFeature => {
    const coordinates = f.polygons.map((polygon) => {
      const rings = polygon.map((ring) => {
        const points: Position[] = [];
        for (const ref of ring) {
          const arc = topology.arcs[ref < 0 ? ~ref : ref];
          const pts: Position[] = [];
          for (let i = 0; i < arc.length; i += 2) pts.push([arc[i], arc[i + 1]]);
          if (ref < 0) pts.reverse();
          // Consecutive arcs share their joining point: keep it once.
          points.push(...(points.length > 0 ? pts.slice(1) : pts));
        }
        return points;
      });
      // d3 reads a ring's winding on the sphere: wound the other way it encloses the rest of the
      // globe. A few small polygons of the 10m map come out so; a polygon larger than a hemisphere
      // is one of them, and turning its rings round restores it.
      if (geoArea({ type: 'Polygon', coordinates: rings }) > 2 * Math.PI) for (const r of rings) r.reverse();
      return rings;
    });
    const code = f.id === undefined ? null : (countryByNumeric(f.id)?.alpha2 ?? null);
    return { type: 'Feature', properties: { code }, geometry: { type: 'MultiPolygon', coordinates } };
  });
  return { features };
}

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function planSvg(plan: Plan): string {
  const W = 960;
  const H = 640;
  const all = countryFeatures();
  const region = all.features.filter((f) => f.properties.code === plan.region);
  const regionCollection: ExtendedFeatureCollection<CountryFeature> = {
    type: 'FeatureCollection',
    features: region,
  };
  const [cLon] = geoCentroid(regionCollection);
  // Fit the region and every placed landmark, centred on the region's meridian (so regions across
  // the antimeridian stay whole).
  const points = [...plan.existing, ...plan.chosen, ...plan.locations].map((p) => [p.lon, p.lat]);
  const fitTo: ExtendedFeatureCollection = {
    type: 'FeatureCollection',
    features: [
      ...region,
      { type: 'Feature', properties: {}, geometry: { type: 'MultiPoint', coordinates: points } },
    ],
  };
  const projection = geoMercator()
    .rotate([-cLon, 0])
    .fitExtent(
      [
        [40, 70],
        [W - 40, H - 90],
      ],
      fitTo,
    )
    .clipExtent([
      [0, 0],
      [W, H],
    ]);
  // Zoom out a little around the centre so the neighbours that matter (the margin's) show.
  const [tx, ty] = projection.translate();
  const [mx, my] = [W / 2, (70 + H - 90) / 2];
  projection.scale(projection.scale() * 0.8).translate([mx + (tx - mx) * 0.8, my + (ty - my) * 0.8]);
  const path = geoPath(projection).digits(1);
  const shapes = all.features
    .map((f) => {
      const d = path(f);
      if (d === null || d === '') return '';
      const mine = f.properties.code === plan.region;
      return `<path d="${d}" fill="${mine ? '#f3e6c4' : '#e4e4e4'}" stroke="${mine ? '#8a6d1f' : '#9a9a9a'}" stroke-width="${mine ? 1.2 : 0.6}"/>`;
    })
    .join('\n');
  const last = plan.steps[plan.steps.length - 1].coverage;
  const dot = (lon: number, lat: number) => projection([lon, lat]);
  const locs = plan.locations
    .map((l, i) => {
      const xy = dot(l.lon, l.lat);
      if (xy === null) return '';
      const p = last.proven[i];
      const fill = p.conservative ? '#1a9850' : p.typical ? '#fdae61' : '#d73027';
      const r = l.kind === 'datacentre-city' ? 6 : 4;
      const label =
        l.kind === 'datacentre-city'
          ? `<text x="${(xy[0] + 8).toFixed(1)}" y="${(xy[1] + 4).toFixed(1)}" font-size="12">${esc(l.id)}</text>`
          : '';
      return `<circle cx="${xy[0].toFixed(1)}" cy="${xy[1].toFixed(1)}" r="${r}" fill="${fill}" stroke="#333" stroke-width="0.8"><title>${esc(l.id)}</title></circle>${label}`;
    })
    .join('\n');
  const marks = [
    ...plan.existing.map((s) => ({ s, colour: '#555555', tag: 'existing' })),
    ...plan.chosen.map((s, i) => ({ s, colour: '#2c3e91', tag: `pick ${i + 1}` })),
  ]
    .map(({ s, colour, tag }) => {
      const xy = dot(s.lon, s.lat);
      if (xy === null) return '';
      const [x, y] = xy;
      const tri = `${x.toFixed(1)},${(y - 9).toFixed(1)} ${(x - 8).toFixed(1)},${(y + 6).toFixed(1)} ${(x + 8).toFixed(1)},${(y + 6).toFixed(1)}`;
      return `<polygon points="${tri}" fill="${colour}" fill-opacity="0.85" stroke="white" stroke-width="1"><title>${esc(`${tag}: ${s.id}`)}</title></polygon><text x="${(x + 10).toFixed(1)}" y="${(y - 8).toFixed(1)}" font-size="12" fill="${colour}" font-weight="bold">${esc(`${tag}: ${s.id}`)}</text>`;
    })
    .join('\n');
  const n = plan.locations.length;
  const first = plan.steps[0].coverage;
  const title = `Landmark plan for ${plan.region}: ${plan.chosen.length} landmark(s), proven inside ${first.typical}/${n} → ${last.typical}/${n} (typical), ${first.conservative}/${n} → ${last.conservative}/${n} (conservative)`;
  const sub = `bound ${plan.bound}, territorial, margin ${plan.marginKm} km; RTTs from the latency model (median; ${plan.conservativeQuantile * 100} % quantile)`;
  const legend = [
    ['#1a9850', 'proven (typical and conservative)'],
    ['#fdae61', 'proven with typical RTTs only'],
    ['#d73027', 'not proven'],
  ]
    .map(
      ([c, t], i) =>
        `<circle cx="${30 + i * 260}" cy="${H - 40}" r="6" fill="${c}" stroke="#333" stroke-width="0.8"/><text x="${42 + i * 260}" y="${H - 36}" font-size="13">${t}</text>`,
    )
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif">
<rect width="${W}" height="${H}" fill="#d8e8f3"/>
${shapes}
${marks}
${locs}
<rect x="0" y="0" width="${W}" height="56" fill="white" fill-opacity="0.85"/>
<text x="16" y="24" font-size="16" font-weight="bold">${esc(title)}</text>
<text x="16" y="44" font-size="12">${esc(sub)}</text>
<rect x="0" y="${H - 60}" width="${W}" height="60" fill="white" fill-opacity="0.85"/>
${legend}
<text x="${W - 16}" y="${H - 12}" font-size="10" text-anchor="end">Map: Natural Earth 1:10m via world-atlas; landmarks ▲</text>
</svg>
`;
}

export async function runPlan(argv: string[], io: CliIo): Promise<number> {
  let args: PlanArgs | 'help';
  let candidates: Site[];
  let existing: Site[];
  let atlas: ReturnType<typeof loadAtlas>;
  try {
    args = parseOptions(argv);
    if (args === 'help') {
      io.stdout.write(`${PLAN_USAGE}\n`);
      return EXIT_OK;
    }
    atlas = loadAtlas('10m');
    if (atlas.regionIndex(args.region) === undefined) {
      throw new GeoattestError(
        'COUNTRY_NOT_MAPPED',
        `--region ${args.region} is an ISO 3166-1 code, but the 10m map has no separate land for it; plan for the country it belongs to`,
      );
    }
    candidates =
      args.candidates === undefined ? defaultCandidates() : readSites(args.candidates, '--candidates');
    existing = args.existing === undefined ? [] : readSites(args.existing, '--existing');
  } catch (e) {
    if (!isGeoattestError(e) || e.code === 'IO_ERROR' || e.code === 'ATLAS_INVALID') {
      io.stderr.write(`geoattest plan: ${(e as Error).message}\n`);
      return EXIT_FAILURE;
    }
    io.stderr.write(`geoattest plan: ${e.message}\nTry 'geoattest plan --help'.\n`);
    return EXIT_USAGE;
  }
  const a = args;
  const plan = planLandmarks(
    { region: a.region, candidates, existing, k: a.k, bound: a.bound, conservativeQuantile: a.quantile },
    { atlas },
  );
  io.stdout.write(a.json ? `${JSON.stringify(planJson(plan))}\n` : `${planText(plan, candidates.length)}\n`);
  if (a.svg !== undefined) {
    try {
      writeFileSync(a.svg, planSvg(plan));
    } catch (e) {
      io.stderr.write(`geoattest plan: cannot write ${a.svg}: ${(e as Error).message}\n`);
      return EXIT_FAILURE;
    }
    if (!a.json) io.stdout.write(`map written to ${a.svg}\n`);
  }
  return EXIT_OK;
}
