// Loads the Natural Earth map that ships with the world-atlas package. The only file access the
// geometry needs; the Atlas itself is built from data.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { GeoattestError } from '../errors.js';
import { Atlas } from '../geo/atlas.js';
import { decodeTopology } from '../geo/topojson.js';

export type AtlasResolution = '10m' | '50m';

/**
 * Default border margins, in km, per Natural Earth scale. See docs/verdicts.md ("Border margin")
 * for how they were derived from the measured generalisation error.
 */
export const DEFAULT_MARGIN_KM: Readonly<Record<AtlasResolution, number>> = Object.freeze({
  '10m': 2,
  '50m': 10,
});

export const DEFAULT_RESOLUTION: AtlasResolution = '10m';

const cache = new Map<AtlasResolution, Atlas>();

export function loadAtlas(resolution: AtlasResolution = DEFAULT_RESOLUTION): Atlas {
  const hit = cache.get(resolution);
  if (hit) return hit;
  const require = createRequire(import.meta.url);
  let doc: unknown;
  try {
    const path = require.resolve(`world-atlas/countries-${resolution}.json`);
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new GeoattestError('IO_ERROR', `cannot read the world-atlas ${resolution} map`, { cause });
  }
  const atlas = new Atlas(decodeTopology(doc, 'countries'), {
    resolution,
    defaultMarginKm: DEFAULT_MARGIN_KM[resolution],
  });
  cache.set(resolution, atlas);
  return atlas;
}
