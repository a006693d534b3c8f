import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAtlas } from '../../src/io/atlas-file.js';
import { DATACENTRE_CITIES } from '../../src/sim/datacentre-cities.js';
import {
  datacentreLocations,
  defaultCandidates,
  LAND_SAMPLES,
  type PlanLocation,
  planLandmarks,
  planLocations,
  sampleRegionLand,
} from '../../src/sim/planner.js';
import { runCli } from '../helpers/cli-io.js';

const atlas = loadAtlas('10m');
const site = (name: string) => {
  const c = DATACENTRE_CITIES.find((x) => x.name === name)!;
  return { id: name, lat: c.lat, lon: c.lon };
};
const asLocation = (name: string): PlanLocation => ({ ...site(name), kind: 'datacentre-city' });

describe('landmark planner', () => {
  it('reaches full coverage with a landmark in the only data-centre city, then stops', () => {
    const plan = planLandmarks(
      {
        region: 'MY',
        candidates: [site('Tokyo'), site('Singapore'), site('Kuala Lumpur')],
        k: 5,
        bound: 'vacuum',
        locations: [asLocation('Kuala Lumpur')],
      },
      { atlas },
    );
    expect(plan.chosen.map((c) => c.id)).toEqual(['Kuala Lumpur']);
    expect(plan.steps[0].coverage.typical).toBe(0);
    expect(plan.steps[1].coverage).toMatchObject({ typical: 1, conservative: 1 });
    expect(plan.stoppedEarly).toBe('every location is proven inside');
  });

  it('never lowers coverage from one pick to the next, and never exceeds the ceiling', () => {
    const plan = planLandmarks(
      { region: 'AE', candidates: defaultCandidates(), k: 5, bound: 'vacuum' },
      { atlas },
    );
    expect(plan.chosen.length).toBeGreaterThan(0);
    for (let i = 1; i < plan.steps.length; i++) {
      expect(plan.steps[i].coverage.typical).toBeGreaterThanOrEqual(plan.steps[i - 1].coverage.typical);
      expect(plan.steps[i].coverage.conservative).toBeGreaterThanOrEqual(
        plan.steps[i - 1].coverage.conservative,
      );
      // Every pick earns its place.
      const [a, b] = [plan.steps[i].coverage, plan.steps[i - 1].coverage];
      expect(a.typical > b.typical || a.conservative > b.conservative).toBe(true);
    }
    const last = plan.steps[plan.steps.length - 1].coverage;
    expect(last.typical).toBeLessThanOrEqual(plan.ceiling.typical);
    // What is proven from every pick stays proven: the caps only shrink the feasible region.
    plan.steps.slice(1).forEach((s, i) => {
      plan.steps[i].coverage.proven.forEach((p, j) => {
        if (p.typical) expect(s.coverage.proven[j].typical).toBe(true);
      });
    });
  });

  it('counts existing landmarks in the starting point', () => {
    const plan = planLandmarks(
      {
        region: 'AE',
        candidates: [site('Dubai'), site('Abu Dhabi')],
        existing: [site('Dubai')],
        k: 1,
        bound: 'vacuum',
        locations: [asLocation('Dubai'), asLocation('Abu Dhabi')],
      },
      { atlas },
    );
    expect(plan.steps[0].coverage.typical).toBe(1);
    expect(plan.chosen.map((c) => c.id)).toEqual(['Abu Dhabi']);
    expect(plan.steps[1].coverage.typical).toBe(2);
  });

  it('says when no landmark at all can prove a place: Johor Bahru lies within the border margin of Singapore', () => {
    const plan = planLandmarks(
      {
        region: 'MY',
        candidates: [site('Johor Bahru')],
        k: 1,
        bound: 'vacuum',
        locations: [asLocation('Johor Bahru'), asLocation('Kuala Lumpur')],
      },
      { atlas },
    );
    expect(plan.onSite).toEqual([false, true]);
    expect(plan.chosen).toEqual([]);
    expect(plan.stoppedEarly).toBe('no remaining candidate proves another location');
  });

  it("samples about LAND_SAMPLES points of a region's own land when its data-centre cities are few", () => {
    for (const region of ['SG', 'AE', 'MY', 'LU']) {
      const pts = sampleRegionLand(atlas, region);
      const index = atlas.regionIndex(region)!;
      expect(pts.length).toBeGreaterThanOrEqual(LAND_SAMPLES * 0.75);
      expect(pts.length).toBeLessThanOrEqual(LAND_SAMPLES * 1.5);
      for (const p of pts) expect(atlas.regionsAt(p.lat, p.lon)).toContain(index);
    }
    expect(planLocations(atlas, 'CN').every((l) => l.kind === 'datacentre-city')).toBe(true);
    expect(planLocations(atlas, 'SG').filter((l) => l.kind === 'datacentre-city')).toEqual(
      datacentreLocations('SG'),
    );
  });

  it('refuses a region the map does not have and a bad k', () => {
    expect(() => planLandmarks({ region: 'GF', candidates: [], k: 1, bound: 'vacuum' }, { atlas })).toThrow(
      /no map region/,
    );
    expect(() => planLandmarks({ region: 'SG', candidates: [], k: -1, bound: 'vacuum' }, { atlas })).toThrow(
      RangeError,
    );
  });
});

describe('geoattest plan', () => {
  const dir = mkdtempSync(join(tmpdir(), 'geoattest-plan-'));
  const candidates = join(dir, 'candidates.json');
  writeFileSync(candidates, JSON.stringify([site('Singapore'), site('Johor Bahru'), site('Jakarta')]));

  it('prints its help', async () => {
    const r = await runCli(['plan', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Usage: geoattest plan --region CC/);
    expect(r.out).toMatch(/--candidates FILE/);
    expect((await runCli(['--help'])).out).toMatch(/\bplan\b/);
  });

  it('prints the plan as JSON', async () => {
    const r = await runCli(['plan', '--region', 'SG', '--candidates', candidates, '--k', '2', '--json']);
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.out);
    expect(plan).toMatchObject({ region: 'SG', bound: 'vacuum', where: 'territorial', marginKm: 5 });
    expect(plan.chosen).toEqual([site('Singapore')]);
    expect(plan.steps).toHaveLength(2);
    expect(plan.steps[0]).toMatchObject({ pick: null, typical: 0, conservative: 0 });
    expect(plan.steps[1].pick.id).toBe('Singapore');
    expect(plan.steps[1].typical).toBeGreaterThanOrEqual(1);
    expect(plan.ceiling.locations).toBe(plan.locations.length);
    const sg = plan.locations.find((l: { id: string }) => l.id === 'Singapore');
    expect(sg).toMatchObject({ kind: 'datacentre-city', typical: true, conservative: true, onSite: true });
    for (const l of plan.locations) {
      expect(Object.keys(l).sort()).toEqual([
        'conservative',
        'id',
        'kind',
        'lat',
        'lon',
        'onSite',
        'typical',
      ]);
    }
  });

  it('prints a coverage table and draws the map', async () => {
    const svg = join(dir, 'sg.svg');
    const r = await runCli(['plan', '--region', 'SG', '--candidates', candidates, '--svg', svg]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/step\s+landmark added\s+typical/);
    expect(r.out).toMatch(/^1\s+Singapore\s+1\/\d+/m);
    const text = readFileSync(svg, 'utf8');
    expect(text.startsWith('<svg')).toBe(true);
    expect(text).toContain('pick 1: Singapore');
    expect(text).toMatch(/<path d="M/);
  });

  it('exits 2 with a clear message on a bad region', async () => {
    const unknown = await runCli(['plan', '--region', 'XX']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/--region "XX" is not an upper-case ISO 3166-1 alpha-2 code/);
    const lower = await runCli(['plan', '--region', 'my']);
    expect(lower.code).toBe(2);
    expect(lower.err).toMatch(/did you mean MY\?/);
    const folded = await runCli(['plan', '--region', 'GF']);
    expect(folded.code).toBe(2);
    expect(folded.err).toMatch(/no separate land for it/);
    const missing = await runCli(['plan']);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/--region CC is required/);
  });

  it('exits 2 on bad options and bad candidate files', async () => {
    expect((await runCli(['plan', '--region', 'SG', '--k', 'two'])).code).toBe(2);
    expect((await runCli(['plan', '--region', 'SG', '--bound', 'sound'])).code).toBe(2);
    expect((await runCli(['plan', '--region', 'SG', '--quantile', '0.2'])).code).toBe(2);
    expect((await runCli(['plan', '--region', 'SG', '--candidates', join(dir, 'absent.json')])).code).toBe(2);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify([{ id: 'a', lat: 95, lon: 0 }]));
    const r = await runCli(['plan', '--region', 'SG', '--candidates', bad]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/entry 0 needs "lat" in \[-90, 90\]/);
    writeFileSync(bad, JSON.stringify([site('Singapore'), site('Singapore')]));
    expect((await runCli(['plan', '--region', 'SG', '--existing', bad])).err).toMatch(/listed twice/);
  });
});
