// Loads the Natural Earth map that ships with the world-atlas package. The only file access the
// geometry needs; the Atlas itself is built from data.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { GeoattestError } from '../errors.js';
import { Atlas } from '../geo/atlas.js';
import { decodeTopology } from '../geo/topojson.js';

export type AtlasResolution = '10m' | '50m';

/**
 * Default border margins in km per Natural Earth scale, from the measurements in docs/atlas.md
 * (bench/atlas-resolution.ts): on the 10m map, 16 well-defined border points (summits, tripoints)
 * lie at most 4.76 km from the mapped border and 90 % of the true land-border length lies within
 * 3.91 km of it; 5 km covers both and equals the US National Map Accuracy Standards figure for
 * 1:10M (0.508 mm at scale = 5.08 km), rounded. The 50m map is off by 12-16 km around the Pearl
 * River delta; 15 km covers what was measured there. Use it for tests and quick looks only.
 */
export const DEFAULT_MARGIN_KM: Readonly<Record<AtlasResolution, number>> = Object.freeze({
  '10m': 5,
  '50m': 15,
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
