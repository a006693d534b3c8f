// A synthetic fleet: landmarks in data-centre cities, chips in those cities under per-country
// licences, and their hourly check-ins as really signed receipts with round trips drawn from the
// latency model. The ingest benchmark, the scale simulator and the demo world are built from it.

import type { KeyObject } from 'node:crypto';
import { newEd25519KeyPair } from '../attest/software-identity.js';
import { destination, distanceKm } from '../geo/sphere.js';
import { DATACENTRE_CITIES, type DatacentreCity } from './datacentre-cities.js';
import { minRttOverKMs, type Site } from './latency-model.js';
import { seededRandom } from './random.js';
import { makeReceiptBase64 } from './receipt-factory.js';

export interface FleetKeys {
  readonly privateKey: KeyObject;
  readonly raw: Uint8Array;
  readonly base64: string;
}

export interface FleetLandmark {
  readonly id: string;
  readonly city: DatacentreCity;
  readonly site: Site;
  readonly keys: FleetKeys;
}

export interface FleetChip {
  readonly id: string;
  readonly model: string;
  readonly city: DatacentreCity;
  readonly site: Site;
  readonly licenceId: string;
  readonly keys: FleetKeys;
  /** The landmarks it checks in with, nearest first. */
  readonly landmarks: readonly FleetLandmark[];
}

export interface FleetLicence {
  readonly id: string;
  readonly endUserId: string;
  readonly country: string;
  readonly quantity: number;
  readonly models: readonly string[];
}

export interface Fleet {
  readonly exporterId: string;
  readonly operatorId: string;
  readonly landmarks: readonly FleetLandmark[];
  readonly licences: readonly FleetLicence[];
  readonly chips: readonly FleetChip[];
}

export interface FleetSpec {
  readonly chips: number;
  /** Landmark cities, by name (default: the first `landmarkCount` of DATACENTRE_CITIES). */
  readonly cities?: readonly string[];
  readonly landmarkCount?: number;
  /** Landmarks each chip checks in with (its nearest; default 10). */
  readonly perChip?: number;
  readonly seed?: number;
}

export function newKeys(): FleetKeys {
  const { privateKey, raw } = newEd25519KeyPair();
  return { privateKey, raw, base64: Buffer.from(raw).toString('base64') };
}

const MODELS_BY_COUNTRY: Readonly<Record<string, string>> = { CN: 'H20', HK: 'H20' };

/** Landmark ids are short and readable: a city prefix and a number, at most 16 ASCII characters. */
function landmarkId(city: DatacentreCity, n: number): string {
  return `${city.name
    .normalize('NFD')
    .replace(/[^A-Za-z]/g, '')
    .slice(0, 10)
    .toUpperCase()}-${n}`;
}

export function buildFleet(spec: FleetSpec): Fleet {
  const rng = seededRandom(spec.seed ?? 1);
  const cities =
    spec.cities === undefined
      ? DATACENTRE_CITIES.slice(0, spec.landmarkCount ?? 10)
      : spec.cities.map((name) => {
          const c = DATACENTRE_CITIES.find((x) => x.name === name);
          if (c === undefined) throw new Error(`no data-centre city ${name}`);
          return c;
        });
  const landmarks = cities.map((city, i) => ({
    id: landmarkId(city, i + 1),
    city,
    site: { lat: city.lat, lon: city.lon },
    keys: newKeys(),
  }));
  const perChip = Math.min(spec.perChip ?? 10, landmarks.length);
  const licences = new Map<string, FleetLicence & { quantity: number }>();
  const chips: FleetChip[] = [];
  for (let i = 0; i < spec.chips; i++) {
    const city = cities[i % cities.length];
    const licenceId = `L-${city.country}-${cities.indexOf(city) + 1}`;
    const model = MODELS_BY_COUNTRY[city.country] ?? 'H100';
    const licence = licences.get(licenceId) ?? {
      id: licenceId,
      endUserId: `eu-${city.country.toLowerCase()}-${cities.indexOf(city) + 1}`,
      country: city.country,
      quantity: 0,
      models: [model],
    };
    licence.quantity++;
    licences.set(licenceId, licence);
    // Within 10 km of the city centre, in a random direction.
    const p = destination(city, rng() * 360, rng() * 10);
    const site = { lat: p.lat, lon: p.lon };
    const keys = newKeys();
    const nearest = [...landmarks]
      .sort((a, b) => distanceKm(a.site, site) - distanceKm(b.site, site))
      .slice(0, perChip);
    chips.push({
      id: `GPU-${String(i + 1).padStart(7, '0')}`,
      model,
      city,
      site,
      licenceId,
      keys,
      landmarks: nearest,
    });
  }
  return {
    exporterId: 'exporter-1',
    operatorId: 'landmark-ops',
    landmarks,
    licences: [...licences.values()],
    chips,
  };
}

/** One check-in: a receipt from each of the chip's landmarks, 5 rounds each, at `wallMs`. */
export function checkInReceipts(
  chip: FleetChip,
  wallMs: number,
  rng: () => number,
  at: Site = chip.site,
): string[] {
  return chip.landmarks.map((l) => {
    const best = minRttOverKMs(at, l.site, 5, rng);
    const rtts = [best + 0.05, best, best + 0.02, best + 0.11, best + 0.03];
    return makeReceiptBase64({ landmarkId: l.id, landmark: l.keys, device: chip.keys, rttsMs: rtts, wallMs });
  });
}

/** The ledger calls that register a fleet in a verifier (organisations, landmarks, licences, chips). */
export interface FleetLedger {
  addOrg(body: unknown, actor: string, now: number): Promise<unknown>;
  addLandmark(body: unknown, actor: string, now: number): Promise<unknown>;
  addLicence(body: unknown, actor: string, now: number): Promise<unknown>;
  importChips(
    licenceId: string,
    chips: readonly { id: string; model: string; publicKey: string }[],
    actor: string,
    now: number,
  ): Promise<number>;
}

export async function registerFleet(
  ledger: FleetLedger,
  fleet: Fleet,
  now: number,
  onProgress?: (done: number) => void,
): Promise<void> {
  const actor = 'simulator';
  await ledger.addOrg({ id: fleet.exporterId, name: 'Simulated exporter', kind: 'exporter' }, actor, now);
  await ledger.addOrg(
    { id: fleet.operatorId, name: 'Simulated landmark operator', kind: 'landmark-operator' },
    actor,
    now,
  );
  for (const l of fleet.landmarks)
    await ledger.addLandmark(
      { id: l.id, operatorId: fleet.operatorId, lat: l.site.lat, lon: l.site.lon, publicKey: l.keys.base64 },
      actor,
      now,
    );
  const DAY = 86_400_000;
  for (const l of fleet.licences) {
    await ledger.addOrg({ id: l.endUserId, name: `End user ${l.endUserId}`, kind: 'end-user' }, actor, now);
    await ledger.addLicence(
      {
        id: l.id,
        exporterId: fleet.exporterId,
        endUserId: l.endUserId,
        destinations: [{ country: l.country }],
        models: l.models,
        quantity: l.quantity,
        validFrom: now - DAY,
        validTo: now + 3 * 365 * DAY,
        endUse: 'AI training and inference',
        revenueSharePct: l.country === 'CN' ? 15 : 0,
      },
      actor,
      now,
    );
  }
  let done = 0;
  for (const l of fleet.licences) {
    const chips = fleet.chips.filter((c) => c.licenceId === l.id);
    for (let i = 0; i < chips.length; i += 5000) {
      const part = chips
        .slice(i, i + 5000)
        .map((c) => ({ id: c.id, model: c.model, publicKey: c.keys.base64 }));
      done += await ledger.importChips(l.id, part, actor, now);
      onProgress?.(done);
    }
  }
}
