// Licences and the rules that bind chips to them: a licence names an exporter, an end user, the
// places its chips may be (destinations) and how many; a chip joins only a licence that is valid,
// for its model, with room left.

import { createHash } from 'node:crypto';
import { GeoattestError } from '../errors.js';
import type { Claim } from '../geo/claim.js';
import { parseClaim } from '../geo/verdict-record.js';
import { type Policy, parsePolicyOverrides } from './policy.js';
import { checkId, checkText, checkTime, invalid, isObject } from './validate.js';

export interface LicenceInput {
  readonly id: string;
  readonly exporterId: string;
  readonly endUserId: string;
  /** As given: `{country: "MY"}`, `{geofence: GeoJSON}` or `{circle: {...}}` objects. */
  readonly destinations: readonly Record<string, unknown>[];
  readonly models: readonly string[];
  readonly quantity: number;
  readonly validFrom: number;
  readonly validTo: number;
  readonly endUse: string;
  readonly revenueSharePct: number;
  readonly policy: Partial<Policy>;
}

const LICENCE_FIELDS = new Set([
  'id',
  'exporterId',
  'endUserId',
  'destinations',
  'models',
  'quantity',
  'validFrom',
  'validTo',
  'endUse',
  'revenueSharePct',
  'policy',
]);

export function parseLicenceInput(v: unknown): LicenceInput {
  if (!isObject(v)) invalid('a licence must be an object');
  for (const k of Object.keys(v))
    if (!LICENCE_FIELDS.has(k)) invalid(`a licence has no field ${JSON.stringify(k)}`);
  const destinations = v.destinations;
  if (!Array.isArray(destinations) || destinations.length === 0 || destinations.length > 50)
    invalid('destinations must be a list of 1 to 50 places');
  destinations.forEach((d, i) => {
    try {
      parseClaim(d);
    } catch (e) {
      invalid(`destinations[${i}]: ${(e as Error).message}`);
    }
  });
  const models = v.models;
  if (!Array.isArray(models) || models.length === 0 || models.length > 20)
    invalid('models must be a list of 1 to 20 chip models');
  for (const [i, m] of models.entries()) checkId(m, `models[${i}]`, 32);
  const quantity = v.quantity;
  if (typeof quantity !== 'number' || !Number.isInteger(quantity) || quantity < 1 || quantity > 10_000_000)
    invalid('quantity must be a whole number from 1 to 10,000,000');
  const validFrom = checkTime(v.validFrom, 'validFrom');
  const validTo = checkTime(v.validTo, 'validTo');
  if (validTo <= validFrom) invalid('validTo must be after validFrom');
  const share = v.revenueSharePct ?? 0;
  if (typeof share !== 'number' || !Number.isFinite(share) || share < 0 || share > 100)
    invalid('revenueSharePct must be a percentage in [0, 100]');
  return {
    id: checkId(v.id, 'id'),
    exporterId: checkId(v.exporterId, 'exporterId'),
    endUserId: checkId(v.endUserId, 'endUserId'),
    destinations: destinations as Record<string, unknown>[],
    models: models as string[],
    quantity,
    validFrom,
    validTo,
    endUse: checkText(v.endUse ?? 'unspecified', 'endUse'),
    revenueSharePct: share,
    policy: parsePolicyOverrides(v.policy),
  };
}

/** The destinations as verdict-core claims. */
export function destinationClaims(destinations: readonly unknown[]): Claim[] {
  return destinations.map((d) => parseClaim(d));
}

/**
 * The destination as short public text: country codes as they are, a geofence or circle as the
 * SHA-256 of its canonical JSON (never its coordinates), e.g. "MY,geofence:3f2a…".
 */
export function regionLabel(destinations: readonly Record<string, unknown>[]): string {
  return destinations
    .map((d) => {
      if (typeof d.country === 'string') return d.country;
      const kind = Object.keys(d)[0];
      return `${kind}:${createHash('sha256').update(canonicalJson(d)).digest('hex')}`;
    })
    .join(',');
}

/** JSON with object keys sorted, so one value has one text. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (isObject(v))
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

export interface LicenceFacts {
  readonly id: string;
  readonly models: readonly string[];
  readonly quantity: number;
  readonly validFrom: number;
  readonly validTo: number;
  readonly status: 'active' | 'revoked';
}

export type LicenceState = 'valid' | 'not-yet-valid' | 'expired' | 'revoked';

export function licenceState(l: LicenceFacts, now: number): LicenceState {
  if (l.status === 'revoked') return 'revoked';
  if (now < l.validFrom) return 'not-yet-valid';
  if (now >= l.validTo) return 'expired';
  return 'valid';
}

/** Throws unless a chip of `model` may join `l`, which already holds `chips` chips. */
export function checkChipMayJoin(l: LicenceFacts, model: string, chips: number, now: number): void {
  const state = licenceState(l, now);
  if (state !== 'valid') throw new GeoattestError('LICENCE_NOT_VALID', `licence ${l.id} is ${state}`);
  if (!l.models.includes(model))
    throw new GeoattestError(
      'LICENCE_MODEL',
      `licence ${l.id} does not cover ${model} (only ${l.models.join(', ')})`,
    );
  if (chips >= l.quantity)
    throw new GeoattestError('LICENCE_EXHAUSTED', `licence ${l.id} already holds its ${l.quantity} chips`);
}
