import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { countryByAlpha2, countryByName, countryByNumeric, ISO_3166_1 } from '../../src/geo/iso3166.js';

interface AtlasFeature {
  id?: string;
  properties?: { name?: string };
}

function atlasFeatures(file: string): AtlasFeature[] {
  const url = new URL(`../../node_modules/world-atlas/${file}`, import.meta.url);
  const topo = JSON.parse(readFileSync(url, 'utf8')) as {
    objects: { countries: { geometries: AtlasFeature[] } };
  };
  return topo.objects.countries.geometries;
}

// Lives outside the repo (../shared); CI clones may not have it, so the test that needs it skips.
const WONDERPROXY_CSV = new URL(
  '../../../shared/data/wonderproxy-2020/servers-2020-07-19.csv',
  import.meta.url,
);

// Names in the server list that ISO 3166-1 assigns no code to; resolving them is a policy choice, not a lookup.
const WONDERPROXY_UNASSIGNED = ['Kosovo'];

describe('ISO_3166_1 table', () => {
  it('has all 249 officially assigned codes', () => {
    expect(ISO_3166_1).toHaveLength(249);
  });

  it('is frozen, entries included', () => {
    expect(Object.isFrozen(ISO_3166_1)).toBe(true);
    for (const c of ISO_3166_1) expect(Object.isFrozen(c), c.alpha2).toBe(true);
  });

  it('is sorted by alpha2', () => {
    for (let i = 1; i < ISO_3166_1.length; i++) {
      expect(ISO_3166_1[i - 1]!.alpha2 < ISO_3166_1[i]!.alpha2, ISO_3166_1[i]!.alpha2).toBe(true);
    }
  });

  it('has well-formed fields', () => {
    for (const c of ISO_3166_1) {
      expect(c.alpha2).toMatch(/^[A-Z]{2}$/);
      expect(c.alpha3).toMatch(/^[A-Z]{3}$/);
      expect(c.numeric).toMatch(/^[0-9]{3}$/);
      expect(c.name.trim()).toBe(c.name);
      expect(c.name.length).toBeGreaterThan(0);
    }
  });

  it('has unique alpha2, alpha3, numeric and names', () => {
    for (const key of ['alpha2', 'alpha3', 'numeric', 'name'] as const) {
      const values = ISO_3166_1.map((c) => c[key]);
      expect(new Set(values).size, key).toBe(values.length);
    }
  });

  it.each([
    ['SG', 'SGP', '702'],
    ['HK', 'HKG', '344'],
    ['MO', 'MAC', '446'],
    ['TW', 'TWN', '158'],
    ['CN', 'CHN', '156'],
    ['MY', 'MYS', '458'],
    ['AE', 'ARE', '784'],
    ['US', 'USA', '840'],
    ['GB', 'GBR', '826'],
    ['AU', 'AUS', '036'],
    ['AF', 'AFG', '004'],
    ['SS', 'SSD', '728'],
    ['BQ', 'BES', '535'],
  ])('%s is %s / %s', (alpha2, alpha3, numeric) => {
    const c = countryByAlpha2(alpha2);
    expect(c?.alpha3).toBe(alpha3);
    expect(c?.numeric).toBe(numeric);
    expect(countryByNumeric(numeric)).toBe(c);
  });

  it('excludes user-assigned and reserved codes such as XK', () => {
    expect(countryByAlpha2('XK')).toBeUndefined();
    expect(ISO_3166_1.some((c) => c.alpha3 === 'XKX' || c.name === 'Kosovo')).toBe(false);
    // AA, QM-QZ, XA-XZ and ZZ are the user-assigned ranges; none may appear in an official table.
    const userAssigned = ISO_3166_1.filter((c) => /^(AA|Q[M-Z]|X[A-Z]|ZZ)$/.test(c.alpha2));
    expect(userAssigned).toEqual([]);
  });
});

describe('lookups', () => {
  it('countryByAlpha2 matches upper case only', () => {
    expect(countryByAlpha2('SG')?.name).toBe('Singapore');
    expect(countryByAlpha2('sg')).toBeUndefined();
    expect(countryByAlpha2('Sg')).toBeUndefined();
    expect(countryByAlpha2('SGP')).toBeUndefined();
    expect(countryByAlpha2('')).toBeUndefined();
  });

  it('countryByNumeric requires the zero-padded form', () => {
    expect(countryByNumeric('036')?.alpha2).toBe('AU');
    expect(countryByNumeric('36')).toBeUndefined();
    expect(countryByNumeric('999')).toBeUndefined();
  });

  it('countryByName resolves every ISO short name to its own entry', () => {
    for (const c of ISO_3166_1) expect(countryByName(c.name), c.name).toBe(c);
  });

  it('countryByName ignores case, diacritics and surrounding space', () => {
    expect(countryByName('singapore')?.alpha2).toBe('SG');
    expect(countryByName('  HONG KONG ')?.alpha2).toBe('HK');
    expect(countryByName("Cote d'Ivoire")?.alpha2).toBe('CI');
    expect(countryByName('Côte d’Ivoire')?.alpha2).toBe('CI');
    expect(countryByName('São Tomé and Príncipe')?.alpha2).toBe('ST');
  });

  it.each([
    ['United States', 'US'],
    ['UK', 'GB'],
    ['United Kingdom', 'GB'],
    ['Russia', 'RU'],
    ['South Korea', 'KR'],
    ['North Korea', 'KP'],
    ['Taiwan', 'TW'],
    ['Vietnam', 'VN'],
    ['Czech Republic', 'CZ'],
    ['Moldova', 'MD'],
    ['Macedonia', 'MK'],
    ['Turkey', 'TR'],
    ['Netherlands', 'NL'],
    ['Dem. Rep. Congo', 'CD'],
    ['Congo', 'CG'],
    ['eSwatini', 'SZ'],
    ['S. Sudan', 'SS'],
  ])('countryByName(%j) is %s', (name, alpha2) => {
    expect(countryByName(name)?.alpha2).toBe(alpha2);
  });

  it('countryByName rejects unknown and unassigned names', () => {
    expect(countryByName('Kosovo')).toBeUndefined();
    expect(countryByName('Atlantis')).toBeUndefined();
    expect(countryByName('')).toBeUndefined();
    // Substrings must not match: 'Guinea' is a country, 'Guine' is not.
    expect(countryByName('Guine')).toBeUndefined();
  });
});

describe.each(['countries-10m.json', 'countries-50m.json', 'countries-110m.json'])(
  'world-atlas %s',
  (file) => {
    const features = atlasFeatures(file);

    it('every feature id resolves by numeric code', () => {
      const ids = features.flatMap((f) => (f.id === undefined ? [] : [f.id]));
      expect(ids.length).toBeGreaterThan(150);
      expect(ids.filter((id) => countryByNumeric(id) === undefined)).toEqual([]);
    });

    it('every feature name with an id resolves by name to that same id', () => {
      const mismatches = features
        .filter((f) => f.id !== undefined && f.properties?.name !== undefined)
        .map((f) => ({
          id: f.id,
          name: f.properties!.name!,
          got: countryByName(f.properties!.name!)?.numeric,
        }))
        .filter((m) => m.got !== m.id);
      expect(mismatches).toEqual([]);
    });

    it('features without an id (disputed or uncoded areas) stay unresolved by name', () => {
      const resolved = features
        .filter((f) => f.id === undefined && f.properties?.name !== undefined)
        .map((f) => f.properties!.name!)
        .filter((name) => countryByName(name) !== undefined);
      expect(resolved).toEqual([]);
    });
  },
);

describe('wonderproxy 2020 server list', () => {
  it.skipIf(!existsSync(WONDERPROXY_CSV))('every country name resolves, except ISO-unassigned ones', () => {
    const [header, ...rows] = readFileSync(WONDERPROXY_CSV, 'utf8')
      .split(/\r?\n/)
      .filter((l) => l !== '');
    // The file has no quoted fields, so a plain split is exact.
    const col = header!.split(',').indexOf('country');
    expect(col).toBeGreaterThanOrEqual(0);
    const names = [...new Set(rows.map((r) => r.split(',')[col]!))].sort();
    expect(names.length).toBeGreaterThan(50);
    const unresolved = names.filter((n) => countryByName(n) === undefined);
    expect(unresolved).toEqual(WONDERPROXY_UNASSIGNED);
  });
});
