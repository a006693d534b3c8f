// A small world of chips, landmarks and claims that shows what verdicts do: proofs that need a
// landmark next door, a diverted chip, a chip far from every landmark, a lying landmark. Used by
// `geoattest demo`; deterministic.

import type { Claim } from '../geo/claim.js';
import { destination, distanceKm, type LatLon } from '../geo/sphere.js';
import type { Landmark, Measurement } from '../geo/verdict.js';
import { DATACENTRE_CITIES } from './datacentre-cities.js';

export interface Scenario {
  readonly name: string;
  /** Where the chip really is (the demo knows; the verifier does not). */
  readonly truth: LatLon;
  readonly claim: Claim;
  readonly landmarks: readonly Landmark[];
  readonly measurements: readonly Measurement[];
}

const cityAt = (name: string): LatLon => {
  const c = DATACENTRE_CITIES.find((x) => x.name === name);
  if (c === undefined) throw new Error(`unknown city ${name}`);
  return c;
};

/** RTT a real path would show: twice the fibre time, plus a fixed overhead of short paths. */
function pathRtt(a: LatLon, b: LatLon): number {
  return Math.round(((2 * 2 * distanceKm(a, b)) / 204 + 0.03) * 1000) / 1000;
}

/** Regional landmarks in Asia, each a landmark in that metro's exchange. */
const REGIONAL = [
  'Singapore',
  'Kuala Lumpur',
  'Jakarta',
  'Hong Kong',
  'Shanghai',
  'Hangzhou',
  'Tokyo',
  'Mumbai',
  'Frankfurt',
];

function world(truth: LatLon, extra: Landmark[] = []) {
  const landmarks: Landmark[] = [
    ...REGIONAL.map((name) => ({ id: `lm-${name.toLowerCase().replace(/ /g, '-')}`, ...cityAt(name) })),
    ...extra,
  ];
  const measurements = landmarks.map((l) => ({ landmark: l.id, rttMs: pathRtt(truth, l) }));
  return { landmarks, measurements };
}

export function verdictScenarios(): Scenario[] {
  const sgFacility = destination(cityAt('Singapore'), 240, 9); // a data centre in Jurong
  const sgFacilityLandmark = { id: 'lm-sg-jurong', ...destination(sgFacility, 10, 0.3) };
  const shenzhen = cityAt('Shenzhen');
  const shanghai = destination(cityAt('Shanghai'), 300, 25);
  const hongKong = cityAt('Hong Kong');
  const frankfurt = cityAt('Frankfurt');
  const lying = world(shanghai);
  return [
    {
      name: 'H100 in a Singapore data centre, landmark in the same facility',
      truth: sgFacility,
      claim: { kind: 'country', code: 'SG' },
      ...world(sgFacility, [sgFacilityLandmark]),
    },
    {
      name: 'the same H100, diverted to Shenzhen, still claiming Singapore',
      truth: shenzhen,
      claim: { kind: 'country', code: 'SG' },
      ...world(shenzhen, [sgFacilityLandmark]),
    },
    {
      name: 'H20 in a Shanghai data centre, licensed to China',
      truth: shanghai,
      claim: { kind: 'country', code: 'CN' },
      ...world(shanghai),
    },
    {
      name: 'H20 in Hong Kong, licensed to (mainland) China',
      truth: hongKong,
      claim: { kind: 'country', code: 'CN' },
      ...world(hongKong, [{ id: 'lm-hk-tko', ...destination(hongKong, 90, 0.5) }]),
    },
    {
      name: 'B200 in Frankfurt, licensed to Germany, no landmark in the metro',
      truth: destination(frankfurt, 45, 60),
      claim: { kind: 'country', code: 'DE' },
      ...world(destination(frankfurt, 45, 60)),
    },
    {
      name: 'a landmark in Tokyo reports an RTT faster than light',
      truth: shanghai,
      claim: { kind: 'country', code: 'CN' },
      landmarks: lying.landmarks,
      measurements: lying.measurements.map((m) => (m.landmark === 'lm-tokyo' ? { ...m, rttMs: 2 } : m)),
    },
  ];
}
