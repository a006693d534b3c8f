// A synthetic batch of verdict records: chips in data-centre metros around the world, claims
// spread over many countries (three in four honest), and 30 landmarks per record at other metros
// with RTTs from a simple path-inflation model. Deterministic for a given seed.

import { destination, distanceKm } from '../src/geo/sphere.js';
import { DATACENTRE_CITIES } from '../src/sim/datacentre-cities.js';
import { normal, pick, seededRandom } from '../src/sim/random.js';

export interface SyntheticOptions {
  readonly records: number;
  readonly landmarks: number;
  readonly seed: number;
}

/** Fibre speed and the median path inflation of real paths (~2x straight fibre). */
const FIBRE_KM_PER_MS = 204;
const MEDIAN_INFLATION = 2;

export function syntheticRecords(opts: SyntheticOptions): string[] {
  const rand = seededRandom(opts.seed);
  const countries = [...new Set(DATACENTRE_CITIES.map((c) => c.country))];
  const lines: string[] = [];
  for (let i = 0; i < opts.records; i++) {
    const home = pick(rand, DATACENTRE_CITIES);
    const chip = destination(home, rand() * 360, rand() * 20);
    const claim = rand() < 0.75 ? home.country : pick(rand, countries);
    const sites = [...DATACENTRE_CITIES].sort(() => rand() - 0.5).slice(0, opts.landmarks);
    const landmarks = sites.map((s, k) => ({ id: `L${k}`, ...destination(s, rand() * 360, rand() * 15) }));
    // Two records in five have a landmark in the chip's own metro: the only way to prove inside.
    if (rand() < 0.4) landmarks[0] = { id: 'L0', ...destination(chip, rand() * 360, 1 + rand() * 9) };
    const measurements = landmarks.flatMap((l) => {
      const d = distanceKm(chip, l);
      return [0, 1].map(() => {
        const inflation = Math.max(1, MEDIAN_INFLATION * Math.exp(0.25 * normal(rand)));
        const overheadMs = 0.02 + rand() * 0.3;
        return {
          landmark: l.id,
          rttMs: Math.round(((2 * d * inflation) / FIBRE_KM_PER_MS + overheadMs) * 1e4) / 1e4,
        };
      });
    });
    lines.push(
      JSON.stringify({
        id: `chip-${i}`,
        claim: { country: claim },
        landmarks: landmarks.map((l) => ({ id: l.id, lat: +l.lat.toFixed(5), lon: +l.lon.toFixed(5) })),
        measurements,
      }),
    );
  }
  return lines;
}
