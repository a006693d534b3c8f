// Where a chip is drawn. Its position is disclosed only as an estimate, and only to roles that may
// see it; otherwise it is drawn at its licensed destination (and the page says so), which shows
// the fleet's shape without revealing more than the API gave.

import { geoCentroid } from 'd3-geo';
import type { ChipView, Destination, Licence } from '../lib/types.js';
import type { CountryFeature } from './topology.js';

export type Placement = 'estimate' | 'destination';

export function destinationPoint(
  d: Destination | undefined,
  countries: readonly CountryFeature[],
): { lat: number; lon: number } | undefined {
  if (d === undefined) return undefined;
  if ('country' in d) {
    const f = countries.find((c) => c.properties.code === d.country);
    if (f === undefined) return undefined;
    const [lon, lat] = geoCentroid(f);
    return { lat, lon };
  }
  if ('circle' in d) return { lat: d.circle.lat, lon: d.circle.lon };
  const [lon, lat] = geoCentroid(d.geofence as never);
  return Number.isFinite(lat) ? { lat, lon } : undefined;
}

export function placeChip(
  c: ChipView,
  licences: ReadonlyMap<string, Licence>,
  countries: readonly CountryFeature[],
): { lat: number; lon: number; placement: Placement } | undefined {
  const e = c.verdict?.estimate;
  if (e !== undefined && e !== null) return { lat: e.lat, lon: e.lon, placement: 'estimate' };
  const l = c.licenceId === null ? undefined : licences.get(c.licenceId);
  const p = destinationPoint(l?.destinations[0], countries);
  return p === undefined ? undefined : { ...p, placement: 'destination' };
}
